"""French wording of stock quantities and pharmacies, in one place.

"60 masques FFP2", "1 masque chirurgical (type II/IIR)", "13 masques chirurgicaux (type II/IIR)":
a quantity agrees with its noun (ngettext) and the product keeps its own case, whatever the
page, message, e-mail or notification. A pharmacy is named once with its commune
("Pharmacie du Pont — Riscle", not "Pharmacie du Pont — Riscle (Riscle)").
"""

from django.utils import formats
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from gomask.text import normalise_for_search


def plural_count(count: int) -> int:
    """The number to give ngettext: French (the source language, which has no catalogue of its own
    and so would get English's rule) treats 0 as singular ("0 masque"), English does not."""
    if (get_language() or "fr").startswith("fr") and count in (0, 1):
        return 1
    return count


def _number(count: int) -> str:
    return formats.number_format(count, force_grouping=True)


def masks(count: int, product=None) -> str:
    """`count` masks of `product` (a Product, a product code, or None for masks in general)."""
    code = getattr(product, "code", product)
    count = int(count)
    n = plural_count(count)
    if code == "surgical":
        words = ngettext("masque chirurgical (type II/IIR)", "masques chirurgicaux (type II/IIR)", n)
    elif code == "ffp2":
        words = ngettext("masque FFP2", "masques FFP2", n)
    elif product is not None and getattr(product, "name", None):
        words = pgettext("masks of a named product", "%(masks)s (%(product)s)") % {
            "masks": ngettext("masque", "masques", n),
            "product": product.name,
        }
    else:
        words = ngettext("masque", "masques", n)
    return f"{_number(count)} {words}"


def pharmacy_label(pharmacy) -> str:
    """The pharmacy's name with its commune, the commune written once."""
    commune = pharmacy.commune.name
    if normalise_for_search(commune) and normalise_for_search(commune) in normalise_for_search(pharmacy.name):
        return pharmacy.name
    return f"{pharmacy.name} ({commune})"


def enumerate_fr(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b et c"."""
    items = [item for item in items if item]
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s et %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}
