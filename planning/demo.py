"""Demo data of planning: a fortnight of handovers at a few officines whose stock is now low,
so that `make run` shows pharmacies at risk, proposals, and a simulation with figures.

Idempotent: once the demonstration inventories exist, a second run only recomputes the
forecast; the ledger stays equal to the levels (an inventory count before the handovers)."""

from datetime import timedelta

from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone

from distribution.models import Dispensation, QuotaPolicy
from gomask.clock import local_date, start_of_day, week_start
from pharmacies.demo import DEMO_PHARMACY_FINESS
from pharmacies.models import MovementKind, Pharmacy, Product, StockLevel, StockMovement
from planning.forecast import HISTORY_DAYS
from planning.services import refresh_forecast
from professionals.models import Professional, Referencing

AT_RISK_PHARMACIES = 8
PER_PROFESSIONAL_A_DAY = 2
DAYS_OF_STOCK_LEFT = 3
DEMO_REASON = "Inventaire (démonstration)"


def seed() -> int:
    """Returns the number of officines given a history; then computes the forecast."""
    surgical = Product.objects.filter(code="surgical").first()
    if surgical is None:
        return 0
    _reference_by_commune()
    today = local_date()
    # Idempotent: an officine that already has its demonstration inventory is left alone.
    busy = StockMovement.objects.filter(reason=DEMO_REASON).values("pharmacy_id")
    candidates = (
        Pharmacy.objects.filter(region_id="76", is_active=True)
        .annotate(
            unaccounted=Count(
                "referencings",
                filter=Q(referencings__ended_at__isnull=True, referencings__professional__user__isnull=True),
            )
        )
        .filter(unaccounted__gte=2)
        .exclude(pk__in=busy)
        .order_by(Case(When(finess=DEMO_PHARMACY_FINESS, then=Value(0)), default=Value(1)), "finess")[
            :AT_RISK_PHARMACIES
        ]
    )
    seeded = 0
    if busy.exists():  # already seeded: only the forecast is computed again
        candidates = []
    for pharmacy in candidates:
        _fortnight(pharmacy, surgical, today)
        seeded += 1
    refresh_forecast(today=today)
    return seeded


def _reference_by_commune() -> int:
    """The demo professionals without an account and without a home pharmacy are referenced at
    the officines of their commune, in turn (the demo directory makes three per officine)."""
    referenced = Referencing.objects.filter(ended_at__isnull=True).values("professional_id")
    free: dict[str, list[int]] = {}
    for pk, commune_id in (
        Professional.objects.filter(user__isnull=True, practice_commune__region_id="76")
        .exclude(pk__in=referenced)
        .order_by("pk")
        .values_list("pk", "practice_commune_id")
    ):
        free.setdefault(commune_id, []).append(pk)
    pharmacies: dict[str, list[int]] = {}
    for pk, commune_id in (
        Pharmacy.objects.filter(region_id="76", is_active=True, commune_id__in=list(free))
        .order_by("finess")
        .values_list("pk", "commune_id")
    ):
        pharmacies.setdefault(commune_id, []).append(pk)
    rows = [
        Referencing(professional_id=professional_id, pharmacy_id=here[i % len(here)])
        for commune_id, here in pharmacies.items()
        for i, professional_id in enumerate(free[commune_id])
    ]
    Referencing.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _fortnight(pharmacy, product, today) -> None:
    policies = {}
    for policy in QuotaPolicy.objects.filter(product=product, region__isnull=True).order_by(
        "effective_from", "id"
    ):
        policies[policy.profession] = policy
    professionals = [
        r.professional
        for r in Referencing.objects.filter(
            pharmacy=pharmacy, ended_at__isnull=True, professional__user__isnull=True
        ).select_related("professional")
        if r.professional.profession in policies
        and policies[r.professional.profession].quantity >= 7 * PER_PROFESSIONAL_A_DAY
    ]
    if not professionals:
        return
    daily = PER_PROFESSIONAL_A_DAY * len(professionals)
    left = DAYS_OF_STOCK_LEFT * daily
    level, _created = StockLevel.objects.get_or_create(pharmacy=pharmacy, product=product)
    start = left + daily * HISTORY_DAYS
    count = StockMovement.objects.create(
        level=level,
        pharmacy=pharmacy,
        product=product,
        kind=MovementKind.INVENTORY_COUNT,
        on_hand_delta=start - level.on_hand,
        on_hand_after=start,
        reserved_after=level.reserved,
        reason=DEMO_REASON,
    )
    StockMovement.objects.filter(pk=count.pk).update(
        created_at=start_of_day(today - timedelta(days=HISTORY_DAYS + 1)) + timedelta(hours=18)
    )
    on_hand = start
    for k in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=k)
        for index, professional in enumerate(professionals):
            when = start_of_day(day) + timedelta(hours=9, minutes=7 * index)
            on_hand -= PER_PROFESSIONAL_A_DAY
            movement = StockMovement.objects.create(
                level=level,
                pharmacy=pharmacy,
                product=product,
                kind=MovementKind.DISPENSATION,
                on_hand_delta=-PER_PROFESSIONAL_A_DAY,
                on_hand_after=on_hand,
                reserved_after=level.reserved,
            )
            StockMovement.objects.filter(pk=movement.pk).update(created_at=when)
            Dispensation.objects.create(
                professional=professional,
                pharmacy=pharmacy,
                product=product,
                quantity=PER_PROFESSIONAL_A_DAY,
                policy=policies[professional.profession],
                period_start=week_start(day),
                identity_checked=True,
                dispensed_by=_demo_dispenser(),
                movement=movement,
                created_at=when,
            )
    StockLevel.objects.filter(pk=level.pk).update(
        on_hand=on_hand, updated_at=timezone.now(), sold_out_at=None
    )


def _demo_dispenser():
    from accounts.models import Role, User

    return (
        User.objects.filter(role=Role.PHARMACIST).order_by("pk").first()
        or User.objects.order_by("pk").first()
    )
