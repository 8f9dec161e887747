"""The portal speaks French by default and English on request (cookie, Accept-Language or the
header's language form); the English catalogue is complete, and its compiled .mo matches the .po."""

import gettext
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "locale" / "en" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- Language selection ----------------------------------------------------------------------


@pytest.mark.django_db
def test_home_is_french_by_default(client):
    html = _html(client.get(reverse("home")))
    assert '<html lang="fr"' in html
    assert "Des masques pour les soignants, des médecins pour les territoires" in html
    assert "Créer un compte" in html
    assert "Masks for carers" not in html


@pytest.mark.django_db
def test_home_in_english_with_accept_language(client):
    html = _html(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"))
    assert '<html lang="en"' in html
    assert "Masks for carers, doctors for communities" in html
    assert "Create an account" in html
    assert "Who is GO MASK for?" in html
    assert "Skip to main content" in html
    assert "Créer un compte" not in html


@pytest.mark.django_db
def test_login_page_in_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _html(client.get(reverse("account_login")))
    assert '<html lang="en"' in html
    assert "Main navigation" in html
    assert "Create an account" in html
    assert "Password" in html
    assert "Se connecter" not in html


@pytest.mark.django_db
def test_pharmacist_home_in_english(client, riscle_pharmacist):
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _html(client.get(reverse("pharmacies:home")))
    assert '<html lang="en"' in html
    assert "My pharmacy" in html
    assert "Sign out" in html
    assert "Pharmacist" in html  # the role badge
    assert "Se déconnecter" not in html


@pytest.mark.django_db
def test_pharmacist_home_in_french_by_default(client, riscle_pharmacist):
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    html = _html(client.get(reverse("pharmacies:home")))
    assert "Mon officine" in html
    assert "Se déconnecter" in html


@pytest.mark.django_db
def test_header_has_an_accessible_language_form_without_inline_script(client):
    html = _html(client.get(reverse("home")))
    form = re.search(r'<form method="post" action="([^"]+)" class="language-form">(.*?)</form>', html, re.S)
    assert form, "language form missing from the header"
    assert form.group(1) == reverse("set_language")
    body = form.group(2)
    assert '<label for="language-select" class="visually-hidden">Langue du site</label>' in body
    assert '<select name="language" id="language-select">' in body
    assert '<option value="fr" lang="fr" selected>Français</option>' in body
    assert '<option value="en" lang="en">English</option>' in body
    assert '<button type="submit"' in body and "Changer de langue" in body
    assert "csrfmiddlewaretoken" in body
    assert "onchange" not in body and "<script" not in body


@pytest.mark.django_db
def test_switching_language_through_set_language(client):
    client.get(reverse("home"))
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("account_login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = _html(client.get(reverse("home")))
    assert '<html lang="en"' in html and "Masks for carers" in html
    assert '<option value="en" lang="en" selected>English</option>' in html

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    html = _html(client.get(reverse("home")))
    assert '<html lang="fr"' in html and "Des masques pour les soignants" in html


@pytest.mark.django_db
def test_set_language_ignores_an_unknown_language_and_a_foreign_next(client):
    response = client.post(reverse("set_language"), {"language": "de", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    # Django may store "de" (it has a German catalogue), but the portal only offers fr and en.
    assert '<html lang="fr"' in _html(client.get(reverse("home")))


@pytest.mark.django_db
def test_javascript_catalogue_is_served_in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("javascript-catalog"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "Close the message" in body and "Place a reservation hold" in body


def test_error_page_500_and_emails_follow_the_active_language():
    with translation.override("en"):
        assert "An error occurred" in render_to_string("500.html")
        assert "Back to the home page" in render_to_string("500.html")
    with translation.override("fr"):
        assert "Une erreur est survenue" in render_to_string("500.html")


# --- Catalogues ------------------------------------------------------------------------------


def _parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry = {"flags": [], "strings": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry["strings"][key] += json.loads(line)
            else:
                key, _, value = line.partition(" ")
                entry["strings"][key] = json.loads(value)
        if "msgid" in entry["strings"]:  # obsolete (#~) entries have none
            entries.append(entry)
    return entries


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_and_none_is_fuzzy(domain):
    entries = _parse_po(CATALOGUES / f"{domain}.po")
    header, messages = entries[0], entries[1:]
    assert header["strings"]["msgid"] == ""
    assert "Language: en" in header["strings"]["msgstr"]
    assert messages
    for entry in [header, *messages]:
        assert "fuzzy" not in entry["flags"], entry["strings"].get("msgid")
    for entry in messages:
        translations = {k: v for k, v in entry["strings"].items() if k.startswith("msgstr")}
        assert translations and all(translations.values()), f"untranslated: {entry['strings']['msgid']!r}"


def test_django_catalogue_size():
    # The whole portal is marked: well over a thousand messages.
    assert len(_parse_po(CATALOGUES / "django.po")) > 1000


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalogue_matches_the_po_file(domain):
    """`compilemessages` output is up to date: every .po translation is in the committed .mo."""
    with open(CATALOGUES / f"{domain}.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in _parse_po(CATALOGUES / f"{domain}.po")[1:]:
        strings = entry["strings"]
        msgid = strings["msgid"]
        if "msgctxt" in strings:
            msgid = f"{strings['msgctxt']}\x04{msgid}"
        if "msgid_plural" in strings:
            assert compiled.ngettext(msgid, strings["msgid_plural"], 1) == strings["msgstr[0]"]
            assert compiled.ngettext(msgid, strings["msgid_plural"], 2) == strings["msgstr[1]"]
        else:
            assert compiled.gettext(msgid) == strings["msgstr"], msgid


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)[-+ #0]*\d*[sdif]|<[^>]+>")
    for entry in _parse_po(CATALOGUES / "django.po")[1:]:
        strings = entry["strings"]
        if "msgid_plural" in strings:
            pairs = [
                (strings["msgid"], strings["msgstr[0]"]),
                (strings["msgid_plural"], strings["msgstr[1]"]),
            ]
        else:
            pairs = [(strings["msgid"], strings["msgstr"])]
        for source, target in pairs:
            assert sorted(placeholder.findall(source)) == sorted(placeholder.findall(target)), source


# --- Templates -------------------------------------------------------------------------------

# Text that is the same in every language: units, identifiers, the product name.
_NEUTRAL = re.compile(r"\b(km|FINESS|RPPS|ADELI|GO MASK|auth-page|auth-entrance|auth-manage)\b")
_LABELLED_ATTRIBUTES = re.compile(r'\b(alt|title|aria-label|placeholder)="([^"]*)"')


def _untranslated_text(source: str) -> list[str]:
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", source, flags=re.S)
    text = re.sub(r"{#.*?#}", "", text, flags=re.S)
    text = re.sub(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", "", text, flags=re.S)
    text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    found = [value for _, value in _LABELLED_ATTRIBUTES.findall(text)]
    found += re.split(r"<[^>]*>", text)
    return [
        chunk.strip()
        for chunk in found
        if re.search(r"[A-Za-zÀ-ÿ]{2,}", _NEUTRAL.sub("", re.sub(r"&\w+;", " ", chunk)))
    ]


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html")),
)
def test_templates_have_no_text_outside_translation_tags(template):
    assert _untranslated_text((ROOT / "templates" / template).read_text(encoding="utf-8")) == []
