"""Read queries of the distribution pages, API and demo."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from distribution import quotas
from distribution.models import CareSite, Dispensation, QuotaPolicy, Reservation, ReservationStatus, Shipment
from gomask.errors import InvalidInput
from gomask.text import normalise_for_search
from pharmacies.models import Pharmacy, Product, StockLevel
from pharmacies.selectors import active_products
from professionals.models import Professional, Referencing
from professionals.services import clean_professional_identifier
from territories.geo import bounding_box, haversine_km


@dataclass(frozen=True)
class CounterSearch:
    """What the counter search found: at most `limit` professionals, best first."""

    professionals: list[Professional]
    truncated: bool
    by_number: bool
    limit: int


def find_professionals(query: str, *, pharmacy: Pharmacy | None = None, limit: int = 20) -> CounterSearch:
    """Counter search: an RPPS (11 digits) or ADELI (9 digits) number, or a name.

    A query made of digits must be a valid number (else InvalidInput with the reason). Names are
    ranked for the pharmacy at the counter: the professionals referenced there first, then the
    nearest practices, then by name; `truncated` says when more than `limit` matched.
    """
    query = (query or "").strip()
    if not query:
        return CounterSearch([], truncated=False, by_number=False, limit=limit)
    compact = "".join(query.split())
    base = Professional.objects.select_related("practice_commune", "user")
    if compact.isdigit():
        found = list(base.filter(**clean_professional_identifier(compact)))
        return CounterSearch(found, truncated=False, by_number=True, limit=limit)
    words = normalise_for_search(query).split()
    if not words or len("".join(words)) < 2:
        raise InvalidInput(_("Saisissez au moins deux lettres du nom."), code="query_too_short", field="q")
    rows = base
    for word in words:
        rows = rows.filter(search_name__contains=word)
    order = ["last_name", "first_name", "pk"]
    if pharmacy is not None:
        referenced_here = Referencing.objects.filter(
            professional=OuterRef("pk"), pharmacy=pharmacy, ended_at__isnull=True
        )
        # Squared distance in degrees, longitude shrunk by cos(latitude): enough to rank.
        shrink = math.cos(math.radians(pharmacy.latitude))
        rows = rows.annotate(
            referenced_here=Exists(referenced_here),
            nearness=(F("latitude") - pharmacy.latitude) * (F("latitude") - pharmacy.latitude)
            + (F("longitude") - pharmacy.longitude) * (F("longitude") - pharmacy.longitude) * shrink * shrink,
        )
        order = ["-referenced_here", "nearness", *order]
    found = list(rows.order_by(*order)[: limit + 1])
    return CounterSearch(found[:limit], truncated=len(found) > limit, by_number=False, limit=limit)


def quota_overview(professional: Professional, *, now: datetime | None = None) -> list[quotas.QuotaStatus]:
    return [quotas.quota_status(professional, product, now=now) for product in active_products()]


def reservable_quotas(quota_rows: list[quotas.QuotaStatus]) -> list[quotas.QuotaStatus]:
    """The products a professional has a quota for (above zero), whatever is left this week."""
    return [row for row in quota_rows if row.policy is not None and row.quota > 0]


@dataclass(frozen=True)
class HandoverAllowance:
    """What a pharmacist may hand over now, for one product, and what limits it.

    The professional's option at this pharmacy is converted by the handover, so its masks count
    both as quota and as stock available to them here.
    """

    status: quotas.QuotaStatus
    held_here: int
    available_here: int

    @property
    def product(self):
        return self.status.product

    @property
    def held_elsewhere(self) -> int:
        return max(self.status.held - self.held_here, 0)

    @property
    def quota_left(self) -> int:
        return self.status.remaining + self.held_here if self.status.policy else 0

    @property
    def stock_left(self) -> int:
        return max(self.available_here, 0) + self.held_here

    @property
    def can_hand_over(self) -> int:
        return min(self.quota_left, self.stock_left)

    @property
    def limited_by(self) -> str:
        """ "no_quota", "quota" or "stock": why no more can be handed over."""
        if self.status.policy is None or self.status.quota == 0:
            return "no_quota"
        return "quota" if self.quota_left <= self.stock_left else "stock"


def handover_allowances(
    professional: Professional, pharmacy: Pharmacy, *, now: datetime | None = None
) -> list[HandoverAllowance]:
    """Per active product: the quota row, the option held here and what may be handed over now."""
    held_here: dict[int, int] = {}
    for option in active_reservations(professional, pharmacy=pharmacy, now=now):
        held_here[option.product_id] = held_here.get(option.product_id, 0) + option.quantity
    levels = {level.product_id: level.available for level in StockLevel.objects.filter(pharmacy=pharmacy)}
    return [
        HandoverAllowance(
            status=status,
            held_here=held_here.get(status.product.pk, 0),
            available_here=levels.get(status.product.pk, 0),
        )
        for status in quota_overview(professional, now=now)
    ]


def period_dispensations(
    professional: Professional, *, now: datetime | None = None
) -> QuerySet[Dispensation]:
    """The professional's handovers this week, across every pharmacy."""
    return (
        Dispensation.objects.filter(professional=professional, period_start=quotas.week_start(now))
        .select_related("pharmacy__commune", "product", "dispensed_by")
        .order_by("-created_at")
    )


def dispensations_of(professional: Professional) -> QuerySet[Dispensation]:
    return Dispensation.objects.filter(professional=professional).select_related(
        "pharmacy__commune", "product", "policy"
    )


def reservations_of(professional: Professional) -> QuerySet[Reservation]:
    return Reservation.objects.filter(professional=professional).select_related(
        "pharmacy__commune", "product"
    )


def active_reservations(
    professional: Professional, *, pharmacy: Pharmacy | None = None, now: datetime | None = None
) -> QuerySet[Reservation]:
    """Options still holding masks: active and not past their expiry (the sweep may lag)."""
    rows = reservations_of(professional).filter(
        status=ReservationStatus.ACTIVE, expires_at__gt=now or timezone.now()
    )
    if pharmacy is not None:
        rows = rows.filter(pharmacy=pharmacy)
    return rows


def available_at(pharmacy: Pharmacy, product: Product) -> int:
    level = StockLevel.objects.filter(pharmacy=pharmacy, product=product).first()
    return level.available if level else 0


def pharmacies_near(professional: Professional, *, radius_km: float = 15, limit: int = 20) -> list[Pharmacy]:
    """Open pharmacies near the professional's practice, nearest first (for the option form)."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(
        professional.latitude, professional.longitude, radius_km
    )
    rows = Pharmacy.objects.filter(
        is_active=True, latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng)
    ).select_related("commune")
    ranked = sorted(
        rows,
        key=lambda p: haversine_km(professional.latitude, professional.longitude, p.latitude, p.longitude),
    )
    return ranked[:limit]


def policies_visible_to(user) -> QuerySet[QuotaPolicy]:
    """Administrators see every version; ARS staff the national ones and their region's."""
    rows = QuotaPolicy.objects.select_related("product", "region", "created_by").order_by(
        "profession", "product__code", "-effective_from", "-id"
    )
    if user.role == Role.ADMIN:
        return rows
    return rows.filter(Q(region__isnull=True) | Q(region_id=user.region_id))


def shipments_visible_to(user) -> QuerySet[Shipment]:
    rows = Shipment.objects.select_related(
        "product", "pharmacy__commune", "care_site__commune", "created_by", "received_by"
    )
    if user.role == Role.ADMIN:
        return rows
    return rows.filter(region_id=user.region_id)


def care_sites_visible_to(user) -> QuerySet[CareSite]:
    """Care sites with their received totals, computed from the received shipments."""
    rows = CareSite.objects.select_related("commune").annotate(
        received_masks=Sum("shipments__quantity", filter=Q(shipments__received_at__isnull=False)),
        pending_shipments=Count("shipments", filter=Q(shipments__received_at__isnull=True)),
    )
    if user.role != Role.ADMIN:
        rows = rows.filter(region_id=user.region_id)
    return rows.order_by("kind", "name")


def region_pharmacies(user) -> QuerySet[Pharmacy]:
    rows = Pharmacy.objects.filter(is_active=True).select_related("commune")
    if user.role != Role.ADMIN:
        rows = rows.filter(region_id=user.region_id)
    return rows.order_by("name")


def incoming_shipments(pharmacies) -> QuerySet[Shipment]:
    return Shipment.objects.filter(pharmacy__in=pharmacies).select_related(
        "product", "pharmacy", "received_by"
    )
