from django import forms
from django.utils.translation import gettext_lazy as _


class CommuneField(forms.CharField):
    """A commune typed as an INSEE code, a postal code or a name; must designate exactly one."""

    default_error_messages = {
        "unknown": _("Aucune commune ne correspond à « %(value)s »."),
        "ambiguous": _("Plusieurs communes correspondent à « %(value)s » : précisez (%(choices)s)."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", _("Code postal (ex. 32400), code INSEE ou nom de la commune."))
        super().__init__(**kwargs)

    def to_python(self, value):
        from territories.models import Commune
        from territories.selectors import find_communes

        text = super().to_python(value).strip()
        if not text:
            return None
        exact = Commune.objects.filter(insee_code=text.upper()).first()
        if exact:
            return exact
        matches = list(find_communes(text, limit=6))
        if not matches:
            raise forms.ValidationError(self.error_messages["unknown"], params={"value": text})
        if len(matches) > 1:
            if text.isdigit():
                raise forms.ValidationError(
                    self.error_messages["ambiguous"],
                    params={
                        "value": text,
                        "choices": ", ".join(f"{c.name} ({c.insee_code})" for c in matches[:5]),
                    },
                )
            same_name = [c for c in matches if c.name.lower() == text.lower()]
            if len(same_name) != 1:
                raise forms.ValidationError(
                    self.error_messages["ambiguous"],
                    params={
                        "value": text,
                        "choices": ", ".join(f"{c.name} ({c.insee_code})" for c in matches[:5]),
                    },
                )
            return same_name[0]
        return matches[0]
