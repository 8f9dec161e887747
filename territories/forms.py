import re

from django import forms
from django.utils.translation import gettext_lazy as _

from territories.selectors import commune_by_code, find_communes
from territories.text import normalize_name

_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
# "Riscle (32400)": what a choice button sends, and what anyone may type.
_NAME_AND_CODE = re.compile(r"^(?P<name>.*\S)\s*\((?P<code>\d{5}|2[AB]\d{3})\)$", re.IGNORECASE)
# "32 400", as postal codes are often written: the digits of a code, without the space.
_SPACE_IN_CODE = re.compile(r"(?<=[0-9]) (?=[0-9])")
MAX_CHOICES = 30
LISTED_CHOICES = 6


class CommuneInput(forms.TextInput):
    """A text input that, when the typed place matches several communes, offers their names as
    buttons to click (no script needed). A button sends `<name>_choice`, which wins over the text."""

    template_name = "territories/widgets/commune_input.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.candidates: list[dict] = []

    def value_from_datadict(self, data, files, name):
        return data.get(f"{name}_choice") or super().value_from_datadict(data, files, name)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["candidates"] = self.candidates
        return context


class CommuneField(forms.CharField):
    """A commune typed as a postal code, a name or both ("Riscle (32400)"); INSEE codes still work.

    A 5-digit number is read as a postal code first (what people know), then as an INSEE
    code: 32400 is Riscle's postal code and also the INSEE code of another commune. When a
    postal code or a name fits several communes, their names are offered as choices.
    """

    widget = CommuneInput
    default_error_messages = {
        "unknown": _("Aucune commune ne correspond à « %(value)s »."),
        "ambiguous": _(
            "Plusieurs communes correspondent à « %(value)s » : choisissez la vôtre (%(choices)s)."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", _("Code postal (ex. 32400) ou nom de la commune."))
        super().__init__(**kwargs)

    def clean(self, value):
        text = _SPACE_IN_CODE.sub("", " ".join((super().clean(value) or "").split()))
        return self.resolve(text) if text else None

    def resolve(self, text: str):
        matches = self.candidates(text)
        if not matches:
            raise forms.ValidationError(
                self.error_messages["unknown"], params={"value": text}, code="unknown"
            )
        if len(matches) == 1:
            return matches[0]
        return self.choose(text, matches)

    def choose(self, text: str, matches: list):
        """Several communes fit: offer them (the widget shows buttons; an API lists them)."""
        postal = text if _POSTAL_CODE.match(text) else None
        options = [
            {
                "value": f"{commune.name} ({postal or _first_postal_code(commune)})",
                "label": commune.name if postal else f"{commune.name} ({commune.departement.name})",
            }
            for commune in matches[:MAX_CHOICES]
        ]
        if isinstance(self.widget, CommuneInput):
            self.widget.candidates = options
        listed = ", ".join(option["value"] for option in options[:LISTED_CHOICES])
        if len(options) > LISTED_CHOICES:
            listed += ", …"
        raise forms.ValidationError(
            self.error_messages["ambiguous"], params={"value": text, "choices": listed}, code="ambiguous"
        )

    @staticmethod
    def candidates(text: str) -> list:
        named = _NAME_AND_CODE.match(text)
        if named:
            name, code = normalize_name(named["name"]), named["code"].upper()
            by_postal_code = find_communes(code, limit=200) if _POSTAL_CODE.match(code) else []
            found = [c for c in by_postal_code if normalize_name(c.name) == name]
            if not found:
                by_insee = commune_by_code(code)
                found = [by_insee] if by_insee and normalize_name(by_insee.name) == name else []
            return found
        if _POSTAL_CODE.match(text):
            return find_communes(text, limit=MAX_CHOICES + 1) or [c for c in [commune_by_code(text)] if c]
        matches = find_communes(text, limit=MAX_CHOICES + 1)
        if not matches:
            return [c for c in [commune_by_code(text)] if c]
        same_name = [c for c in matches if normalize_name(c.name) == normalize_name(text)]
        return same_name if same_name else matches


class PlaceField(CommuneField):
    """A place to measure distances from: a postal code shared by several communes stands for
    its most populated one (they are a few kilometres apart), so no choice is asked."""

    def choose(self, text: str, matches: list):
        if _POSTAL_CODE.match(text):
            return matches[0]
        return super().choose(text, matches)


def _first_postal_code(commune) -> str:
    codes = sorted(commune.postal_codes.values_list("code", flat=True))
    return codes[0] if codes else commune.insee_code
