"""Quota arithmetic shared by services and selectors: weeks, the policy in force, usage.

Weeks run Monday to Sunday in Europe/Paris. The policy that applies to a professional is
looked up with the region of their practice (so one person has one quota, whichever
pharmacy serves them): the latest regional version in force wins over the national ones.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from distribution.models import (
    Dispensation,
    QuotaPolicy,
    QuotaUsage,
    Reservation,
    ReservationStatus,
)
from gomask.clock import local_date, week_start

# The DGS-urgent message of 18 March 2020: surgical masks per week, nationally.
DGS_URGENT_DATE = date(2020, 3, 18)
DGS_URGENT_NOTE = "DGS-urgent du 18 mars 2020"
DGS_URGENT_WEEKLY = [
    ("medecin", 18),
    ("infirmier", 18),
    ("pharmacien", 18),
    ("sage_femme", 6),
    ("masseur_kinesitherapeute", 6),
]


def ensure_default_quota_policies(policy_model=None, product_model=None) -> int:
    """Create the DGS-urgent versions if missing (idempotent; data migration and tests)."""
    if policy_model is None:
        policy_model, product_model = QuotaPolicy, None
    if product_model is None:
        from pharmacies.models import Product as product_model
    from pharmacies.catalogue import ensure_products

    ensure_products(product_model)
    surgical = product_model.objects.get(code="surgical")
    created = 0
    for profession, quantity in DGS_URGENT_WEEKLY:
        _policy, was_created = policy_model.objects.get_or_create(
            profession=profession,
            product_id=surgical.pk,
            region=None,
            effective_from=DGS_URGENT_DATE,
            defaults={"quantity": quantity, "period": "week", "note": DGS_URGENT_NOTE},
        )
        created += was_created
    return created


def policy_in_force(
    *,
    profession: str,
    product_id: int | None = None,
    region_code: str | None,
    on: date,
    product_code: str | None = None,
) -> QuotaPolicy | None:
    """One query: the latest regional version in force if any, else the latest national one.

    The product is given by id, or by code (an active product; the policy then comes with its
    product, so a handover finds both in one round trip).
    """
    scope = Q(region__isnull=True)
    if region_code:
        scope |= Q(region_id=region_code)
    policies = QuotaPolicy.objects.filter(scope, profession=profession, effective_from__lte=on)
    if product_code is not None:
        policies = policies.filter(product__code=product_code, product__is_active=True).select_related(
            "product"
        )
    else:
        policies = policies.filter(product_id=product_id)
    return policies.order_by(F("region_id").asc(nulls_last=True), "-effective_from", "-id").first()


def usage(
    *,
    professional_id: int,
    product_id: int,
    period_start: date,
    exclude_reservation_id=None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """(received, held in active options) in the period, across every pharmacy, from the records.

    An option past its expiry holds nothing any more, even while the periodic sweep has not yet
    closed it: it is left out at once. One round trip: two aggregate subqueries, in a fixed
    statement (no ORM query to build on every handover and option).
    """
    params = [professional_id, product_id, period_start, professional_id, product_id, period_start]
    params += [ReservationStatus.ACTIVE.value, now or timezone.now()]
    sql = _USAGE_SQL
    if exclude_reservation_id is not None:
        sql = _USAGE_EXCLUDING_SQL
        params.append(exclude_reservation_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total_received, total_held = cursor.fetchone()
    return int(total_received), int(total_held)


_USAGE_TEMPLATE = (
    "SELECT COALESCE((SELECT SUM(quantity) FROM {dispensation}"
    " WHERE professional_id = %s AND product_id = %s AND period_start = %s), 0),"
    " COALESCE((SELECT SUM(quantity) FROM {reservation}"
    " WHERE professional_id = %s AND product_id = %s AND period_start = %s AND status = %s"
    " AND expires_at > %s{more}), 0)"
)
_TABLES = {"dispensation": Dispensation._meta.db_table, "reservation": Reservation._meta.db_table}
_USAGE_SQL = _USAGE_TEMPLATE.format(**_TABLES, more="")
_USAGE_EXCLUDING_SQL = _USAGE_TEMPLATE.format(**_TABLES, more=" AND id <> %s")


def lock_quota(*, professional_id: int, product_id: int, period_start: date) -> None:
    """Take the (professional, product, week) lock: the first lock of every quota-taking service.

    One statement creates the row if needed and row-locks it (INSERT ... ON CONFLICT DO UPDATE
    locks the existing row, like SELECT ... FOR UPDATE).
    """
    table = QuotaUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (professional_id, product_id, period_start) VALUES (%s, %s, %s) "
            "ON CONFLICT (professional_id, product_id, period_start) "
            "DO UPDATE SET period_start = EXCLUDED.period_start RETURNING id",
            [professional_id, product_id, period_start],
        )
        cursor.fetchone()


@dataclass(frozen=True)
class QuotaStatus:
    product: object
    policy: QuotaPolicy | None
    period_start: date
    received: int
    held: int

    @property
    def period_end(self) -> date:
        return self.period_start + timedelta(days=6)

    @property
    def quota(self) -> int:
        return self.policy.quantity if self.policy else 0

    @property
    def remaining(self) -> int:
        return max(self.quota - self.received - self.held, 0)


def quota_status(professional, product, *, now: datetime | None = None) -> QuotaStatus:
    period = week_start(now)
    policy = policy_in_force(
        profession=professional.profession,
        product_id=product.pk,
        region_code=professional.practice_commune.region_id,
        on=local_date(now),
    )
    received, held = usage(
        professional_id=professional.pk, product_id=product.pk, period_start=period, now=now
    )
    return QuotaStatus(product=product, policy=policy, period_start=period, received=received, held=held)
