"""Read queries on territories, shared by views, the API and other apps."""

import re

from territories.geo import bounding_box, haversine_km
from territories.models import Commune
from territories.text import normalize_name

# ASCII digits only: `\d` would also match Arabic-Indic or full-width digits.
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
# INSEE codes: 5 characters, digits except Corsica's "2A"/"2B" prefix.
_INSEE_CODE = re.compile(r"^([0-9]{2}|2[AB])[0-9]{3}$")


def find_communes(query: str, limit: int = 10) -> list[Commune]:
    """Communes matching a 5-digit postal code, or whose name starts with `query`.

    The name match ignores case, accents, hyphens and "St"/"Saint"; the most populated
    communes come first, so "saint" offers Saint-Étienne before a village.
    """
    query = (query or "").strip()
    communes = Commune.objects.select_related("departement", "region")
    if _POSTAL_CODE.match(query):
        communes = communes.filter(postal_codes__code=query).distinct()
    else:
        search_name = normalize_name(query)
        if not search_name:
            return []
        communes = communes.filter(search_name__startswith=search_name)
    return list(communes.order_by("-population", "name", "insee_code")[:limit])


def commune_by_code(code: str) -> Commune | None:
    """The commune with this INSEE code (e.g. "32344", "2a004"), or None."""
    code = (code or "").strip().upper()
    if not _INSEE_CODE.match(code):
        return None
    return Commune.objects.select_related("departement", "region", "epci").filter(insee_code=code).first()


def communes_within_km(latitude: float, longitude: float, radius_km: float) -> list[tuple[Commune, float]]:
    """Communes whose position is within radius_km, nearest first, with their distance.

    The bounding box is served by the (latitude, longitude) index; the exact distance is
    then computed on the few rows left.
    """
    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, longitude, radius_km)
    candidates = Commune.objects.select_related("departement").filter(
        latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng)
    )
    found = []
    for commune in candidates:
        distance = haversine_km(latitude, longitude, commune.latitude, commune.longitude)
        if distance <= radius_km:
            found.append((commune, distance))
    found.sort(key=lambda pair: (pair[1], pair[0].insee_code))
    return found
