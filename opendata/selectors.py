"""What the open-data feeds publish, read from the other apps' tables.

Only establishment data leaves here: pharmacies (FINESS, name, address, position, a stock
band per product), care sites (kind, name, commune, position) and the number of free
solidarity-consultation slots per site and day. Never a person: no pharmacist, professional,
volunteer doctor or patient, no phone number, no e-mail address.

Each feed also has a `*_marker`: a cheap aggregate that changes whenever the feed's rows may
have changed, so that the cache regenerates a feed only when something moved.
"""

from dataclasses import dataclass
from datetime import UTC, date

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone, translation

from consultations.models import Booking, Mission, Site, Slot
from consultations.selectors import free_slots
from distribution.models import CareSite
from gomask.clock import PARIS
from pharmacies.models import Pharmacy, Product, StockLevel
from pharmacies.selectors import BAND_HIGH, BAND_MEDIUM, stock_band
from referrals import selectors as referral_selectors
from referrals.models import SiteStatus

# The bands published instead of exact counts: the same thresholds as the portal's own
# search (pharmacies.selectors.stock_band), written as ranges of available masks.
BAND_RANGES = {
    "none": "0",
    "low": f"1-{BAND_MEDIUM - 1}",
    "medium": f"{BAND_MEDIUM}-{BAND_HIGH - 1}",
    "high": f"{BAND_HIGH}+",
}
PUBLISHED_BANDS = list(BAND_RANGES.values())


@dataclass(frozen=True)
class FeedFilters:
    """Validated filters of a feed request (see opendata.params)."""

    departement: str | None = None
    product: str | None = None
    # (min_longitude, min_latitude, max_longitude, max_latitude), GeoJSON order.
    bbox: tuple[float, float, float, float] | None = None

    def cache_key(self) -> str:
        bbox = ",".join(f"{value:.6f}" for value in self.bbox) if self.bbox else ""
        return f"d={self.departement or ''}|p={self.product or ''}|b={bbox}"


def published_band(available: int, sold_out: bool) -> str:
    return BAND_RANGES[stock_band(available, sold_out)]


def _in_bbox(queryset, filters: FeedFilters, prefix: str = ""):
    if not filters.bbox:
        return queryset
    min_lng, min_lat, max_lng, max_lat = filters.bbox
    return queryset.filter(
        **{
            f"{prefix}latitude__range": (min_lat, max_lat),
            f"{prefix}longitude__range": (min_lng, max_lng),
        }
    )


def _iso(moment) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


# --- Pharmacies --------------------------------------------------------------------------


def published_products() -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("code"))


def pharmacy_rows(filters: FeedFilters) -> list[dict]:
    """Open pharmacies with one stock entry per distributed product (a band, never a count).

    A product never received at a pharmacy is published as band "0" with no update time.
    Closed pharmacies (`is_active=False`) are never published.
    """
    products = [p for p in published_products() if not filters.product or p.code == filters.product]
    pharmacies = Pharmacy.objects.filter(is_active=True)
    if filters.departement:
        pharmacies = pharmacies.filter(departement_id=filters.departement)
    pharmacies = _in_bbox(pharmacies, filters)
    columns = (
        "pk",
        "finess",
        "name",
        "address",
        "commune_id",
        "commune__name",
        "departement_id",
        "latitude",
        "longitude",
        "position_precision",
    )
    rows = {}
    for pk, finess, name, address, insee, commune, departement, lat, lng, precision in pharmacies.order_by(
        "finess"
    ).values_list(*columns):
        rows[pk] = {
            "finess": finess,
            "name": name,
            "address": address,
            "commune": commune,
            "insee_code": insee,
            "departement": departement,
            "latitude": round(lat, 6),
            "longitude": round(lng, 6),
            "position_precision": precision,
            "updated_at": None,
            "stock": {},
        }
    levels = StockLevel.objects.filter(
        pharmacy_id__in=pharmacies.values("pk"), product_id__in=[p.pk for p in products]
    ).values_list("pharmacy_id", "product_id", "on_hand", "reserved", "sold_out_at", "updated_at")
    found = {}
    for pharmacy_id, product_id, on_hand, reserved, sold_out_at, updated_at in levels:
        found[(pharmacy_id, product_id)] = (on_hand - reserved, sold_out_at is not None, updated_at)
    for pk, row in rows.items():
        latest = None
        for product in products:
            available, sold_out, updated_at = found.get((pk, product.pk), (0, False, None))
            row["stock"][product.code] = {
                "product_name": product.name,
                "band": published_band(available, sold_out),
                "sold_out": sold_out,
                "updated_at": _iso(updated_at),
            }
            if updated_at and (latest is None or updated_at > latest):
                latest = updated_at
        row["updated_at"] = _iso(latest)
    return list(rows.values())


def pharmacy_marker() -> tuple:
    """Changes with any stock level (its updated_at moves on every change), a new level, a
    pharmacy opened, closed or added, or a product (de)listed."""
    levels = StockLevel.objects.aggregate(latest=Max("updated_at"), count=Count("pk"))
    pharmacies = Pharmacy.objects.aggregate(
        count=Count("pk"), open=Count("pk", filter=Q(is_active=True)), last=Max("pk")
    )
    products = Product.objects.filter(is_active=True).aggregate(count=Count("pk"), last=Max("pk"))
    return (
        _iso(levels["latest"]),
        levels["count"],
        pharmacies["count"],
        pharmacies["open"],
        pharmacies["last"],
        products["count"],
        products["last"],
    )


# --- Care sites (COVID consultation centres, laboratories) ----------------------------------


def care_site_rows(filters: FeedFilters) -> list[dict]:
    """Active care sites at their own position (else their commune's), with the status their
    manager declared (never who declared it)."""
    sites = CareSite.objects.filter(is_active=True)
    if filters.departement:
        sites = sites.filter(commune__departement_id=filters.departement)
    sites = _in_bbox(sites, filters, prefix="commune__")
    statuses = {
        row["site_id"]: row
        for row in SiteStatus.objects.filter(site__in=sites).values(
            "site_id",
            "state",
            "accepts_referrals",
            "capacity_left",
            "covid_track",
            "non_covid_track",
            "declared_at",
        )
    }
    now = timezone.now()
    rows = []
    with translation.override("fr"):
        for site in sites.select_related("commune").order_by("pk"):
            status = statuses.get(site.pk, {})
            own = site.latitude is not None
            rows.append(
                {
                    "id": site.pk,
                    "kind": site.kind,
                    "kind_label": str(site.get_kind_display()),
                    "name": site.name,
                    "address": site.address,
                    "commune": site.commune.name,
                    "insee_code": site.commune_id,
                    "departement": site.commune.departement_id,
                    "latitude": round(site.latitude if own else site.commune.latitude, 6),
                    "longitude": round(site.longitude if own else site.commune.longitude, 6),
                    "position_precision": "site" if own else "commune",
                    "status_state": status.get("state", ""),
                    "status_accepts_referrals": status.get("accepts_referrals", False),
                    "status_capacity_left": status.get("capacity_left"),
                    "status_covid_track": status.get("covid_track", False),
                    "status_non_covid_track": status.get("non_covid_track", False),
                    "status_updated_at": _iso(status.get("declared_at")),
                    "status_stale": referral_selectors.is_stale(status.get("declared_at"), now=now),
                }
            )
    return rows


def care_site_marker() -> tuple:
    sites = CareSite.objects.aggregate(
        count=Count("pk"),
        active=Count("pk", filter=Q(is_active=True)),
        last=Max("pk"),
        edited=Max("updated_at"),
    )
    statuses = SiteStatus.objects.aggregate(last=Max("declared_at"))
    # The stale flag turns with time alone: the hour is part of the marker.
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    return (
        sites["count"],
        sites["active"],
        sites["last"],
        _iso(sites["edited"]),
        _iso(statuses["last"]),
        _iso(hour),
    )


# --- Solidarity consultations ---------------------------------------------------------------


def consultation_rows(filters: FeedFilters, *, today: date | None = None) -> list[dict]:
    """Free slots per site and day (Europe/Paris), for the consultations' search horizon.

    Free means what the public booking page offers: a future slot of a published mission at
    an active site, with no active booking (consultations.selectors.free_slots).
    """
    slots = free_slots().filter(mission__site__zone__is_active=True)
    if filters.departement:
        slots = slots.filter(mission__site__commune__departement_id=filters.departement)
    slots = _in_bbox(slots, filters, prefix="mission__site__")
    counts = (
        slots.order_by()
        .annotate(day=TruncDate("starts_at", tzinfo=PARIS))
        .values("mission__site_id", "day")
        .annotate(free=Count("pk"))
    )
    by_site: dict[int, list[tuple[date, int]]] = {}
    for row in counts:
        by_site.setdefault(row["mission__site_id"], []).append((row["day"], row["free"]))
    sites = Site.objects.filter(pk__in=by_site).select_related("commune").order_by("pk")
    rows = []
    with translation.override("fr"):
        for site in sites:
            for day, free in sorted(by_site[site.pk]):
                rows.append(
                    {
                        "site_id": site.pk,
                        "site_name": site.name,
                        "site_kind": site.kind,
                        "site_kind_label": str(site.get_kind_display()),
                        "address": site.address,
                        "commune": site.commune.name,
                        "insee_code": site.commune_id,
                        "departement": site.commune.departement_id,
                        "latitude": round(site.latitude, 6),
                        "longitude": round(site.longitude, 6),
                        "date": day.isoformat(),
                        "free_slots": free,
                    }
                )
    return rows


def consultation_marker() -> tuple:
    """Changes with a booking made or cancelled, a slot added or removed, a mission published
    or cancelled, a site (de)activated; time passing is covered by the forced refresh."""
    bookings = Booking.objects.aggregate(count=Count("pk"), last=Max("pk"), cancelled=Max("cancelled_at"))
    slots = Slot.objects.aggregate(count=Count("pk"), last=Max("pk"))
    missions = Mission.objects.aggregate(
        published=Max("published_at"), cancelled=Max("cancelled_at"), count=Count("pk")
    )
    sites = Site.objects.aggregate(active=Count("pk", filter=Q(is_active=True)))
    return (
        bookings["count"],
        bookings["last"],
        _iso(bookings["cancelled"]),
        slots["count"],
        slots["last"],
        _iso(missions["published"]),
        _iso(missions["cancelled"]),
        missions["count"],
        sites["active"],
    )
