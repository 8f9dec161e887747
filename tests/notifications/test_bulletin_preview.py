"""A crisis bulletin goes out in two steps: a preview with the recipients per channel, then a
confirmation that states how many professionals and messages were sent."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from notifications import selectors, services
from notifications.models import Channel, CoordinatorScope, CrisisBulletin, Delivery, NotificationPreference
from professionals.models import Profession
from territories.models import Commune
from tests.factories import ProfessionalFactory, UserFactory, professional_user

pytestmark = pytest.mark.django_db

URL = reverse("notifications:bulletin_publish")
RISCLE, AUCH, TOULOUSE = "32344", "32013", "31555"
FORM = {"title": "Tension sur les FFP2", "body": "Réservez-les aux actes à risque.", "severity": "warning"}


@pytest.fixture
def gers_professionals(occitanie):
    """In the Gers: a nurse with an account (e-mail + portal), a doctor who asked for SMS and
    no e-mail, one without an account (e-mail only); in Toulouse, a nurse (outside the target)."""
    nurse = professional_user(email="infirmiere.gers@exemple.fr", insee_code=RISCLE)
    doctor = professional_user(
        profession=Profession.MEDECIN, email="medecin.auch@exemple.fr", insee_code=AUCH
    )
    NotificationPreference.objects.create(
        professional=doctor.professional, email=False, sms=True, portal=True
    )
    ProfessionalFactory(insee_code=RISCLE, email="sans.compte@exemple.fr")
    professional_user(email="infirmier.toulouse@exemple.fr", insee_code=TOULOUSE)
    return nurse, doctor


def test_the_form_leads_to_a_preview_with_recipients_per_channel_and_sends_nothing(
    client, ars_occitanie, gers_professionals
):
    client.force_login(ars_occitanie)
    response = client.post(URL, {**FORM, "departements": ["32"]})
    assert response.status_code == 200
    assert response.context["counts"] == {"professionals": 3, "email": 2, "sms": 1, "portal": 2}
    html = response.content.decode()
    assert "Confirmer l'envoi à 3 professionnels" in html
    assert 'data-count="sms">1<' in html
    assert "Tension sur les FFP2" in html
    assert not CrisisBulletin.objects.exists() and not Delivery.objects.exists()


def test_confirming_publishes_and_states_the_count_sent(
    client, ars_occitanie, gers_professionals, django_capture_on_commit_callbacks
):
    client.force_login(ars_occitanie)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**FORM, "departements": ["32"], "confirm": "1"})
    bulletin = CrisisBulletin.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("notifications:bulletin_detail", args=[bulletin.pk])
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert (
        "envoi en cours à 3 professionnel(s) — 2 e-mail(s), 1 SMS, 2 notification(s) dans le portail"
        in message
    )
    sent = {
        channel: Delivery.objects.filter(bulletin=bulletin, channel=channel).count() for channel in Channel
    }
    assert sent == {Channel.EMAIL: 2, Channel.SMS: 1, Channel.PORTAL: 2}


def test_the_preview_carries_exactly_what_was_typed_to_the_confirmation(
    client, ars_occitanie, gers_professionals
):
    client.force_login(ars_occitanie)
    preview = client.post(
        URL, {**FORM, "departements": ["32"], "professions": ["medecin"], "is_public": "on"}
    )
    assert preview.context["counts"]["professionals"] == 1
    confirm = preview.context["form"]
    carried = {field.name: field.value() for field in confirm}
    client.post(URL, {**{k: v for k, v in carried.items() if v not in (None, "")}, "confirm": "1"})
    bulletin = CrisisBulletin.objects.get()
    assert (bulletin.title, bulletin.is_public, bulletin.professions) == (FORM["title"], True, ["medecin"])
    assert list(bulletin.departements.values_list("pk", flat=True)) == ["32"]


def test_modify_goes_back_to_the_filled_form_without_publishing(client, ars_occitanie, gers_professionals):
    client.force_login(ars_occitanie)
    response = client.post(URL, {**FORM, "departements": ["32"], "edit": "1"})
    assert response.status_code == 200
    assert response.templates[0].name == "notifications/bulletin_form.html"
    assert 'value="Tension sur les FFP2"' in response.content.decode()
    assert not CrisisBulletin.objects.exists()


def test_a_preview_outside_the_region_is_refused_like_the_publication(client, ars_occitanie, occitanie):
    client.force_login(ars_occitanie)
    response = client.post(URL, {**FORM, "departements": ["13"]})
    # Bouches-du-Rhône is outside Occitanie: refused (403) with a message, not silently rescoped.
    assert response.status_code == 403
    assert "counts" not in response.context
    assert not CrisisBulletin.objects.exists()


def test_a_cpts_coordinator_previews_the_professionals_of_their_territory(client, gers_professionals):
    coordinator = UserFactory(role="cpts_coordinator", region_id="76", email="cpts@exemple.fr")
    scope = CoordinatorScope.objects.create(user=coordinator, name="CPTS du Val d'Adour")
    scope.epcis.add(Commune.objects.get(insee_code=RISCLE).epci)
    client.force_login(coordinator)
    response = client.post(URL, FORM)
    expected = selectors.recipient_counts(services.bulletin_scope(author=coordinator).recipients())
    assert response.context["counts"] == expected
    # Riscle's nurse and the professional without an account, not Auch nor Toulouse.
    assert expected["professionals"] == 2


def test_a_double_click_on_the_confirmation_publishes_the_bulletin_once(
    client, ars_occitanie, gers_professionals, django_capture_on_commit_callbacks
):
    client.force_login(ars_occitanie)
    page = client.get(URL).content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f-]{36})"', page).group(1)
    # The preview carries the form's one-time token on to the confirmation.
    preview = client.post(URL, {**FORM, "departements": ["32"], "form_token": token})
    assert f'value="{token}"' in preview.content.decode()
    confirmation = {**FORM, "departements": ["32"], "form_token": token, "confirm": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, confirmation)
        second = client.post(URL, confirmation)
    bulletin = CrisisBulletin.objects.get()
    # The repeat replays the first confirmation: same page, same message, nothing sent again.
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("notifications:bulletin_detail", args=[bulletin.pk])
    first_message = [str(m) for m in get_messages(first.wsgi_request)]
    assert [str(m) for m in get_messages(second.wsgi_request)][-1] == first_message[-1]
    assert "publié" in first_message[0]
    assert CrisisBulletin.objects.count() == 1
    assert Delivery.objects.count() == 5  # 2 e-mails, 1 SMS, 2 portal messages: sent once


def test_the_confirmation_key_sent_again_with_another_bulletin_is_refused_with_409(
    client, ars_occitanie, gers_professionals, django_capture_on_commit_callbacks
):
    client.force_login(ars_occitanie)
    page = client.get(URL).content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f-]{36})"', page).group(1)
    confirmation = {**FORM, "departements": ["32"], "form_token": token, "confirm": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, confirmation)
        other = client.post(URL, {**confirmation, "body": "Un autre message."})
    assert other.status_code == 409
    assert "autres valeurs" in other.content.decode()
    assert CrisisBulletin.objects.count() == 1
    assert Delivery.objects.count() == 5
