"""Street address -> coordinates, through the Base Adresse Nationale (BAN) via geopy.

Geocoding must never block a form: when the service is down, slow, or finds nothing in
the right commune, the commune's own position is returned with precision "commune". Each such
fall-back is logged and counted per day (GeocodingFallback, in the admin), so that a geocoder
that stopped answering (the BAN's old address closed in January 2026) shows up.
"""

import hashlib
import logging
from dataclasses import asdict, dataclass
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from geopy.exc import GeopyError
from geopy.geocoders import BANFrance

from territories.models import Commune, GeocodingFallback, GeocodingFallbackReason
from territories.text import normalize_name

logger = logging.getLogger(__name__)

CACHE_KEY_VERSION = 1
USER_AGENT = "gomask-territories"
# Several candidates, so one in the wrong commune (a namesake street) can be skipped.
CANDIDATES = 5
# BAN result types that locate the address itself (a door, a street, a lieu-dit).
ADDRESS_TYPES = {"housenumber", "street", "locality"}


@dataclass(frozen=True)
class GeocodeResult:
    latitude: float
    longitude: float
    precision: Literal["address", "commune"]
    # True when the point may be far from the place: the street's middle rather than
    # the door, or a commune position that is itself estimated.
    approximate: bool


def commune_position(commune: Commune) -> GeocodeResult:
    return GeocodeResult(
        latitude=commune.latitude,
        longitude=commune.longitude,
        precision="commune",
        approximate=commune.position_is_approximate,
    )


def geocode_address(*, street: str, commune: Commune) -> GeocodeResult:
    """Position of `street` (e.g. "12 rue de l'Église") in `commune`.

    Answers come from the Django cache when possible; only real answers of the service
    are cached, so a failure is retried next time rather than remembered for a month.
    """
    street_key = normalize_name(street or "")
    if settings.GEOCODER_BACKEND == "none" or not street_key:
        return commune_position(commune)

    key = cache_key(street_key, commune.insee_code)
    cached = safe_cache_get(key)
    if cached is not None:
        return GeocodeResult(**cached)

    try:
        result = ask_ban(street.strip(), commune)
    except (GeopyError, ValueError, KeyError, IndexError, TypeError) as error:
        # TypeError/KeyError/...: a malformed answer is handled like an unavailable service.
        logger.warning("BAN geocoding failed for %s in %s: %r", street, commune.insee_code, error)
        record_fallback(GeocodingFallbackReason.UNAVAILABLE, commune=commune, error=repr(error))
        return commune_position(commune)

    if result is None:
        logger.warning("BAN found no address %r in %s: commune position used", street, commune.insee_code)
        record_fallback(GeocodingFallbackReason.NOT_FOUND, commune=commune)
        result = commune_position(commune)
    safe_cache_set(key, asdict(result))
    return result


def record_fallback(reason: str, *, commune: Commune, error: str = "") -> None:
    """Count one fall-back to the commune's position in today's row for `reason`."""
    now = timezone.now()
    day = timezone.localdate(now)
    latest = {"last_commune": commune.insee_code, "last_error": error[:200], "last_at": now}
    try:
        # A savepoint: the caller's transaction (a pharmacy being saved) survives any failure here.
        with transaction.atomic():
            counted = GeocodingFallback.objects.filter(day=day, reason=reason).update(
                count=F("count") + 1, **latest
            )
            if not counted:
                try:
                    with transaction.atomic():
                        GeocodingFallback.objects.create(day=day, reason=reason, count=1, **latest)
                except IntegrityError:  # another request created today's row first
                    GeocodingFallback.objects.filter(day=day, reason=reason).update(
                        count=F("count") + 1, **latest
                    )
    except DatabaseError:
        logger.warning("Could not count a geocoding fall-back", exc_info=True)


def cache_key(street_key: str, insee_code: str) -> str:
    digest = hashlib.sha256(f"{insee_code}|{street_key}".encode()).hexdigest()[:32]
    return f"territories:geocode:v{CACHE_KEY_VERSION}:{digest}"


def ask_ban(street: str, commune: Commune) -> GeocodeResult | None:
    """The best BAN answer lying in `commune`, or None if the service finds none there."""
    postal_codes = sorted(commune.postal_codes.values_list("code", flat=True))
    geocoder = BANFrance(
        domain=settings.GEOCODER_BAN_DOMAIN,
        scheme=settings.GEOCODER_BAN_SCHEME,
        timeout=settings.GEOCODER_TIMEOUT,
        user_agent=USER_AGENT,
    )
    # geopy's BANFrance cannot pass BAN's citycode/postcode filters, so the postal code
    # and name go into the query text and the answers are checked against the commune.
    place = f"{postal_codes[0]} {commune.name}" if postal_codes else commune.name
    locations = geocoder.geocode(f"{street}, {place}", exactly_one=False, limit=CANDIDATES)
    for location in locations or []:
        properties = location.raw.get("properties", {})
        # Paris, Lyon and Marseille answer with an arrondissement code, hence the postcode.
        in_commune = properties.get("citycode") == commune.insee_code or (
            properties.get("postcode") in postal_codes
        )
        if not in_commune:
            continue
        kind = properties.get("type")
        return GeocodeResult(
            latitude=float(location.latitude),
            longitude=float(location.longitude),
            precision="address" if kind in ADDRESS_TYPES else "commune",
            approximate=kind in {"street", "locality"},
        )
    return None


def safe_cache_get(key: str):
    # The cache is Redis in production; losing it must only cost a new request.
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("Geocoding cache unavailable", exc_info=True)
        return None


def safe_cache_set(key: str, value: dict) -> None:
    try:
        cache.set(key, value, settings.GEOCODER_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("Geocoding cache unavailable", exc_info=True)
