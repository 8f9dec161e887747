from django import template

from pharmacies import wording

register = template.Library()


@register.filter
def masks(count, product=None):
    """{{ 60|masks:product }} -> "60 masques FFP2" (see pharmacies.wording)."""
    if count in (None, ""):
        return ""
    return wording.masks(count, product)


@register.filter
def pharmacy_label(pharmacy):
    """{{ pharmacy|pharmacy_label }} -> "Pharmacie du Pont — Riscle" (commune written once)."""
    return wording.pharmacy_label(pharmacy) if pharmacy else ""
