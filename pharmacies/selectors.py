import math

from django.core.paginator import Paginator
from django.db.models import Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import PHARMACIST, require_role
from gomask.cleaning import parse_id
from gomask.errors import InvalidInput, NotAllowed, NotFound
from pharmacies.models import (
    MembershipStatus,
    Pharmacy,
    PharmacyMembership,
    Product,
    StockLevel,
    StockMovement,
)
from territories.geo import bounding_box, haversine_km


def pharmacies_of(user) -> QuerySet[Pharmacy]:
    """The pharmacies a pharmacist may act for (active memberships only)."""
    return Pharmacy.objects.filter(
        memberships__user=user, memberships__status=MembershipStatus.ACTIVE
    ).select_related("commune")


def pharmacy_for_member(user, pharmacy_id) -> Pharmacy:
    """The pharmacy `pharmacy_id` if `user` may act for it; refuses every other pharmacy."""
    # One query: the pharmacy and whether `user` is an active member of it.
    membership = PharmacyMembership.objects.filter(
        user_id=getattr(user, "pk", None), pharmacy_id=OuterRef("pk"), status=MembershipStatus.ACTIVE
    )
    try:
        pharmacy = (
            Pharmacy.objects.select_related("commune")
            .annotate(is_member=Exists(membership))
            .get(pk=pharmacy_id)
        )
    except (Pharmacy.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not pharmacy.is_member:
        raise NotAllowed(_("Vous n'êtes pas pharmacien de cette officine."), code="not_your_pharmacy")
    return pharmacy


def pharmacist_pharmacy(user, pharmacy_id, message, *, code=None) -> Pharmacy:
    """The gate "the pharmacy of a member" for services: an approved pharmacist (else `message`,
    403) who is an active member of `pharmacy_id` (else 403 `not_your_pharmacy`, or 404)."""
    require_role(user, PHARMACIST, message, code=code)
    return pharmacy_for_member(user, pharmacy_id)


def is_active_member(user, pharmacy: Pharmacy) -> bool:
    return PharmacyMembership.objects.filter(
        user=user, pharmacy=pharmacy, status=MembershipStatus.ACTIVE
    ).exists()


def is_owner(user, pharmacy: Pharmacy) -> bool:
    return PharmacyMembership.objects.filter(
        user=user, pharmacy=pharmacy, status=MembershipStatus.ACTIVE, is_owner=True
    ).exists()


def pending_memberships_for_owner(user) -> QuerySet[PharmacyMembership]:
    owned = PharmacyMembership.objects.filter(
        user=user, is_owner=True, status=MembershipStatus.ACTIVE
    ).values("pharmacy_id")
    return PharmacyMembership.objects.filter(
        pharmacy_id__in=owned, status=MembershipStatus.PENDING
    ).select_related("user", "pharmacy")


# --- Stock ------------------------------------------------------------------------------------

BAND_HIGH = 100  # "100 masques et plus"
BAND_MEDIUM = 30  # "30 à 99"
LEDGER_PAGE_SIZE = 25
# Searches start with a small box and widen it until `limit` pharmacies are found or the
# radius is reached: a city answers from a few streets, the countryside from further out.
INITIAL_SEARCH_KM = 5.0
SEARCH_WIDENING = 2.5
# The one-statement search reads this many times `limit` candidates in flat-earth order, then
# orders them by exact distance: the flat-earth error within 50 km is a fraction of a percent,
# far less than the gap this margin covers.
NEAREST_MARGIN = 2


BAND_LABELS = {
    "high": gettext_lazy("100 masques et plus"),
    "medium": gettext_lazy("30 à 99 masques"),
    "low": gettext_lazy("1 à 29 masques"),
    "none": gettext_lazy("Pas de stock"),
}


def band_label(band: str, sold_out: bool = False) -> str:
    return str(gettext_lazy("Épuisé") if sold_out else BAND_LABELS[band])


def stock_band(available: int, sold_out: bool) -> str:
    """The level shown to professionals: "high" (100+), "medium" (30-99), "low" (1-29), "none"."""
    if sold_out or available <= 0:
        return "none"
    if available >= BAND_HIGH:
        return "high"
    if available >= BAND_MEDIUM:
        return "medium"
    return "low"


def active_product(product_code) -> Product:
    """The one product lookup of the portal: an active product by its code, or a refusal."""
    product = Product.objects.filter(code=str(product_code or ""), is_active=True).first()
    if product is None:
        raise InvalidInput(_("Produit inconnu."), code="unknown_product", field="product")
    return product


def active_products() -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("name"))


def stock_overview(pharmacy: Pharmacy) -> list[dict]:
    """One row per distributed product, with a zero level for products never received."""
    levels = {level.product_id: level for level in StockLevel.objects.filter(pharmacy=pharmacy)}
    rows = []
    for product in active_products():
        level = levels.get(product.pk)
        on_hand = level.on_hand if level else 0
        reserved = level.reserved if level else 0
        sold_out = bool(level and level.sold_out_at)
        rows.append(
            {
                "product": product,
                "on_hand": on_hand,
                "reserved": reserved,
                "available": on_hand - reserved,
                "band": stock_band(on_hand - reserved, sold_out),
                "sold_out": sold_out,
                "sold_out_at": level.sold_out_at if level else None,
                "updated_at": level.updated_at if level else None,
            }
        )
    return rows


def ledger(pharmacy: Pharmacy, *, product_code: str | None = None) -> QuerySet[StockMovement]:
    """The pharmacy's stock movements, newest first, optionally for one product."""
    movements = (
        StockMovement.objects.filter(pharmacy=pharmacy)
        .select_related("product", "actor", "counterpart", "corrects")
        .annotate(correction_count=Count("corrections"))
        .order_by("-created_at", "-id")
    )
    if product_code:
        movements = movements.filter(product__code=product_code)
    return movements


def ledger_page(pharmacy: Pharmacy, *, product_code: str | None = None, page=1, per_page=LEDGER_PAGE_SIZE):
    """One page of `ledger` (an out-of-range or malformed page number gives the nearest page)."""
    return Paginator(ledger(pharmacy, product_code=product_code), per_page).get_page(page)


def _widening_search(
    fetch,
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    limit: int,
    id_key: str = "pharmacy_id",
    initial_km: float = INITIAL_SEARCH_KM,
) -> list[dict]:
    """Rows of `fetch(box)` within radius_km of the point, nearest first, at most `limit`.

    `fetch` returns dicts with "latitude", "longitude" and `id_key` (the tie-break) for a
    bounding box; the exact great-circle distance is computed here on those few candidates.
    Also used by the care-site search (referrals).
    """
    radius_km = max(float(radius_km), 0.1)
    current = min(initial_km, radius_km)
    while True:
        found = []
        for row in fetch(bounding_box(latitude, longitude, current)):
            distance = haversine_km(latitude, longitude, row["latitude"], row["longitude"])
            if distance <= current:
                row["distance_km"] = round(distance, 1)
                row["_distance"] = distance
                found.append(row)
        if len(found) >= limit or current >= radius_km:
            break
        current = min(current * SEARCH_WIDENING, radius_km)
    found.sort(key=lambda row: (row["_distance"], row[id_key]))
    for row in found:
        del row["_distance"]
    return found[:limit]


_PHARMACY_COLUMNS = {
    "pharmacy_id": "pharmacy_id",
    "name": "pharmacy__name",
    "address": "pharmacy__address",
    "commune": "pharmacy__commune__name",
    "phone": "pharmacy__phone",
    "latitude": "pharmacy__latitude",
    "longitude": "pharmacy__longitude",
}


def nearest_pharmacies_with_stock(
    *,
    latitude: float,
    longitude: float,
    product_code: str,
    radius_km: float = 20,
    limit: int = 20,
    exclude_pharmacy_id: int | None = None,
    include_sold_out: bool = True,
) -> list[dict]:
    """Open pharmacies with some `product_code` available within radius_km, nearest first.

    Each row: pharmacy_id, name, address, commune, phone, latitude, longitude, distance_km,
    available, band, updated_at, sold_out. The bounding box is served by the pharmacies'
    (latitude, longitude) index, joined to the levels with stock; distances are exact.
    """
    levels = (
        StockLevel.objects.filter(product__code=product_code, pharmacy__is_active=True)
        .annotate(available_now=F("on_hand") - F("reserved"))
        .filter(available_now__gt=0)
    )
    if exclude_pharmacy_id is not None:
        levels = levels.exclude(pharmacy_id=exclude_pharmacy_id)
    if not include_sold_out:
        levels = levels.filter(sold_out_at__isnull=True)
    columns = [*_PHARMACY_COLUMNS.values(), "available_now", "updated_at", "sold_out_at"]
    names = [*_PHARMACY_COLUMNS.keys(), "available", "updated_at", "sold_out_at"]

    # One statement: the whole radius's box, nearest first by a flat-earth distance, at most
    # NEAREST_MARGIN x limit rows; exact distances here. (Widening a small box took 2.8
    # statements per search on average at national scale, and a statement costs more than rows.)
    radius_km = max(float(radius_km), 0.1)
    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, longitude, radius_km)
    scale = math.cos(math.radians(latitude))
    north = F("pharmacy__latitude") - Value(latitude)
    east = (F("pharmacy__longitude") - Value(longitude)) * Value(scale)
    candidates = (
        levels.filter(
            pharmacy__latitude__range=(min_lat, max_lat), pharmacy__longitude__range=(min_lng, max_lng)
        )
        .annotate(flat=ExpressionWrapper(north * north + east * east, output_field=FloatField()))
        .order_by("flat", "pharmacy_id")
        .values_list(*columns)[: limit * NEAREST_MARGIN]
    )
    rows = []
    for values in candidates:
        row = dict(zip(names, values, strict=True))
        distance = haversine_km(latitude, longitude, row["latitude"], row["longitude"])
        if distance <= radius_km:
            row["distance_km"] = round(distance, 1)
            rows.append((distance, row["pharmacy_id"], row))
    rows = [row for _distance, _pk, row in sorted(rows, key=lambda item: item[:2])[:limit]]
    for row in rows:
        row["sold_out"] = row.pop("sold_out_at") is not None
        row["band"] = stock_band(row["available"], row["sold_out"])
    return rows


def nearest_pharmacies(
    *, latitude: float, longitude: float, radius_km: float = 30, limit: int = 15
) -> list[dict]:
    """Open pharmacies near a point (with or without stock), nearest first, for referencing."""
    columns = {
        "pharmacy_id": "pk",
        "name": "name",
        "address": "address",
        "commune": "commune__name",
        "phone": "phone",
        "latitude": "latitude",
        "longitude": "longitude",
    }

    def fetch(box):
        min_lat, max_lat, min_lng, max_lng = box
        candidates = Pharmacy.objects.filter(
            is_active=True, latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng)
        ).values_list(*columns.values())
        return [dict(zip(columns.keys(), values, strict=True)) for values in candidates]

    return _widening_search(fetch, latitude=latitude, longitude=longitude, radius_km=radius_km, limit=limit)


def pharmacy_movement(pharmacy: Pharmacy, movement_id) -> StockMovement:
    """A movement of this pharmacy's ledger; any other id (or someone else's) is not found."""
    movement = (
        StockMovement.objects.select_related("product")
        .filter(pk=parse_id(movement_id), pharmacy=pharmacy)
        .first()
    )
    if movement is None:
        raise NotFound(_("Mouvement introuvable."))
    return movement


REFERENCED_PAGE_SIZE = 25


def referenced_page(pharmacy: Pharmacy, *, page=1, per_page=REFERENCED_PAGE_SIZE):
    """Professionals whose home pharmacy this is, by name (the pharmacist calls them).

    Read through the reverse accessor of professionals' Referencing (`pharmacy.referencings`):
    pharmacies sit below professionals and import nothing from them.
    """
    rows = (
        pharmacy.referencings.filter(ended_at__isnull=True)
        .select_related("professional", "professional__practice_commune")
        .order_by("professional__last_name", "professional__first_name", "pk")
    )
    return Paginator(rows, per_page).get_page(page)
