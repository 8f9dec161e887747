from django import forms
from django.utils.translation import gettext_lazy as _

from territories.selectors import commune_by_code, find_communes


class CommuneField(forms.CharField):
    """A commune typed as a postal code, an INSEE code or a name; must designate exactly one.

    A 5-digit number is read as a postal code first (what people know), then as an INSEE
    code: 32400 is Riscle's postal code and also the INSEE code of another commune.
    """

    default_error_messages = {
        "unknown": _("Aucune commune ne correspond à « %(value)s »."),
        "ambiguous": _("Plusieurs communes correspondent à « %(value)s » : précisez parmi %(choices)s."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", _("Code postal (ex. 32400), code INSEE ou nom de la commune."))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        return self.resolve(text) if text else None

    def resolve(self, text: str):
        matches = find_communes(text, limit=6)
        if not matches:
            by_code = commune_by_code(text)
            if by_code:
                return by_code
            raise forms.ValidationError(self.error_messages["unknown"], params={"value": text})
        if len(matches) == 1:
            return matches[0]
        same_name = [c for c in matches if c.name.lower() == text.lower()]
        if len(same_name) == 1:
            return same_name[0]
        choices = ", ".join(f"{c.name} ({c.insee_code})" for c in matches[:5])
        raise forms.ValidationError(
            self.error_messages["ambiguous"], params={"value": text, "choices": choices}
        )
