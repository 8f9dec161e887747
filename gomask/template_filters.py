"""Template filters available in every template (settings.TEMPLATES "builtins")."""

from django import template

from gomask.phones import format_phone

register = template.Library()


@register.filter(name="phone")
def phone(value: str) -> str:
    """A stored E.164 number as people read it: "+33612345678" -> "06 12 34 56 78"."""
    return format_phone(value or "")
