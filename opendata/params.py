"""Parse and check the query parameters of the feeds; bad input becomes a 400 in French."""

import re

from django.utils.translation import gettext as _

from gomask.errors import InvalidInput
from opendata.selectors import FeedFilters
from pharmacies.models import Product
from territories.models import Departement

FORMATS = ("json", "csv", "geojson")
# A département code: two digits, 2A/2B (Corsica) or three digits (overseas).
_DEPARTEMENT = re.compile(r"^(?:\d{2}|2[AB]|\d{3})\Z", re.ASCII)
# ASCII decimal numbers only (float() would also take "1e3", "nan" or other scripts' digits).
_NUMBER = re.compile(r"^-?\d{1,3}(?:\.\d{1,20})?\Z", re.ASCII)
_PARAMETERS = {
    "pharmacies": ("format", "departement", "product", "bbox"),
    "care_sites": ("format", "departement", "bbox"),
    "consultations": ("format", "departement", "bbox"),
}


# Valid codes seen by this process: a valid filter costs no SQL; an unknown one is looked up
# again (a département or product added since is then found).
_known: dict[str, set[str]] = {"departement": set(), "product": set()}


def forget_known_codes() -> None:
    """Forget the codes seen (tests: a code valid in one test's data need not be in the next)."""
    for codes in _known.values():
        codes.clear()


def parse(feed: str, query) -> tuple[str, FeedFilters]:
    """(format, filters) from a request's query string, or InvalidInput naming the parameter."""
    accepted = _PARAMETERS[feed]
    for name in query:
        if name not in accepted:
            raise InvalidInput(
                _("Paramètre inconnu : « %(name)s ». Paramètres acceptés : %(accepted)s.")
                % {"name": name[:40], "accepted": ", ".join(accepted)},
                code="unknown_parameter",
                field=name[:40],
            )
        if len(query.getlist(name)) > 1:
            raise InvalidInput(
                _("Le paramètre « %(name)s » est donné plusieurs fois.") % {"name": name},
                code="repeated_parameter",
                field=name,
            )
    output = _format(query.get("format"))
    filters = FeedFilters(
        departement=_departement(query.get("departement")),
        product=_product(query.get("product")) if "product" in accepted else None,
        bbox=_bbox(query.get("bbox")),
    )
    return output, filters


def _format(value: str | None) -> str:
    if value is None:
        return "json"
    if value not in FORMATS:
        raise InvalidInput(
            _("Format inconnu : choisissez json, csv ou geojson."), code="invalid_format", field="format"
        )
    return value


def _departement(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    if code in _known["departement"]:
        return code
    if not _DEPARTEMENT.match(code) or not Departement.objects.filter(code=code).exists():
        raise InvalidInput(
            _("Département inconnu : donnez son code INSEE, par exemple 32, 2A ou 971."),
            code="invalid_departement",
            field="departement",
        )
    _known["departement"].add(code)
    return code


def _product(value: str | None) -> str | None:
    if value is None:
        return None
    if value in _known["product"]:
        return value
    codes = list(Product.objects.filter(is_active=True).order_by("code").values_list("code", flat=True))
    if value not in codes:
        raise InvalidInput(
            _("Produit inconnu : choisissez parmi %(codes)s.") % {"codes": ", ".join(codes)},
            code="invalid_product",
            field="product",
        )
    _known["product"].add(value)
    return value


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    message = _(
        "Zone (bbox) invalide : quatre nombres séparés par des virgules, "
        "longitude min, latitude min, longitude max, latitude max (par exemple 0.1,43.5,0.3,43.8)."
    )
    parts = value.split(",")
    if len(parts) != 4 or not all(_NUMBER.match(part.strip()) for part in parts):
        raise InvalidInput(message, code="invalid_bbox", field="bbox")
    min_lng, min_lat, max_lng, max_lat = numbers = tuple(float(part) for part in parts)
    if not (-180 <= min_lng < max_lng <= 180) or not (-90 <= min_lat < max_lat <= 90):
        raise InvalidInput(message, code="invalid_bbox", field="bbox")
    return numbers
