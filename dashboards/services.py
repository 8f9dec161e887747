"""Roll-up refresh: the only code that writes the dashboards' aggregate tables.

`refresh_rollups(since=None)` recomputes whole weeks from the source tables: for each
affected week, in one transaction holding that week's advisory lock, it deletes the
week's rows and inserts them again with one set-based INSERT ... SELECT per table. So a
refresh is idempotent, two overlapping refreshes queue on the same week instead of
double-counting, and the result always equals a live aggregation of the sources.

Without `since`, the weeks from the last refresh (minus a safety margin for transactions
that committed late) to the current week are recomputed; the first refresh recomputes
every week that has data. The professional census (a snapshot) is replaced each time.
"""

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from dashboards.models import RollupState
from distribution.models import Dispensation
from pharmacies.models import MovementKind, StockMovement

PARIS = ZoneInfo("Europe/Paris")
WEEKLY = "weekly"
CENSUS = "census"
# A dispensation stamped before a refresh started may commit after it: look back this far.
SAFETY_MARGIN = timedelta(minutes=15)
# Arbitrary constant of the advisory locks of the roll-up weeks (high bits), week ordinal (low).
_LOCK_NAMESPACE = 0x6D61736B << 20

DONATION_SOURCES = ("company_donation", "local_authority_donation", "partner_donation")


@dataclass
class RefreshResult:
    weeks: list[date]
    census_rows: int
    duration_ms: int


def week_start_of(moment: datetime | date) -> date:
    """The Monday (Europe/Paris) of the week of `moment` (an aware datetime or a date)."""
    day = timezone.localtime(moment, PARIS).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def week_bounds(week: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) in Europe/Paris, as aware datetimes."""
    start = datetime.combine(week, dtime.min, tzinfo=PARIS)
    end = datetime.combine(week + timedelta(days=7), dtime.min, tzinfo=PARIS)
    return start, end


def _earliest_source_moment() -> datetime | None:
    first_dispensation = Dispensation.objects.aggregate(first=Min("created_at"))["first"]
    first_arrival = StockMovement.objects.filter(
        kind__in=[MovementKind.ARRIVAL, MovementKind.CORRECTION]
    ).aggregate(first=Min("created_at"))["first"]
    moments = [moment for moment in (first_dispensation, first_arrival) if moment is not None]
    return min(moments) if moments else None


def _advisory_lock(key: int) -> None:
    """Serialise refreshes of the same week (PostgreSQL). SQLite (make run) has a single
    writer at a time, so it needs no lock of its own."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def weeks_to_refresh(*, since: datetime | date | None, now: datetime) -> list[date]:
    if since is None:
        state = RollupState.objects.filter(name=WEEKLY).first()
        since = state.refreshed_at - SAFETY_MARGIN if state else _earliest_source_moment()
    first = week_start_of(since) if since is not None else week_start_of(now)
    last = week_start_of(now)
    weeks = []
    week = min(first, last)
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


_PHARMACY_WEEK_SQL = """
INSERT INTO dashboards_pharmacyweek
    (week_start, pharmacy_id, product_id, region_id, departement_id, epci_id,
     arrived_national, arrived_regional, arrived_donation, dispensed, dispensation_count)
SELECT %(week)s, flows.pharmacy_id, flows.product_id, ph.region_id, ph.departement_id, co.epci_id,
       sum(flows.national), sum(flows.regional), sum(flows.donation), sum(flows.dispensed), sum(flows.n)
FROM (
    SELECT m.pharmacy_id, m.product_id,
           coalesce(sum(m.on_hand_delta) FILTER (WHERE coalesce(o.source, m.source) = 'national'), 0)
               AS national,
           coalesce(sum(m.on_hand_delta) FILTER (WHERE coalesce(o.source, m.source) = 'regional'), 0)
               AS regional,
           coalesce(sum(m.on_hand_delta) FILTER (WHERE coalesce(o.source, m.source) IN {donations}), 0)
               AS donation,
           0 AS dispensed, 0 AS n
    FROM pharmacies_stockmovement m
    LEFT JOIN pharmacies_stockmovement o ON o.id = m.corrects_id AND o.kind = 'arrival'
    WHERE m.created_at >= %(start)s AND m.created_at < %(end)s
      AND (m.kind = 'arrival' OR (m.kind = 'correction' AND o.id IS NOT NULL))
    GROUP BY m.pharmacy_id, m.product_id
    UNION ALL
    SELECT d.pharmacy_id, d.product_id, 0, 0, 0, sum(d.quantity), count(*)
    FROM distribution_dispensation d
    WHERE d.created_at >= %(start)s AND d.created_at < %(end)s
    GROUP BY d.pharmacy_id, d.product_id
) AS flows
JOIN pharmacies_pharmacy ph ON ph.id = flows.pharmacy_id
JOIN territories_commune co ON co.insee_code = ph.commune_id
GROUP BY flows.pharmacy_id, flows.product_id, ph.region_id, ph.departement_id, co.epci_id
"""

# The donation sources are constants of the code, never user input: inlined as a SQL list so the
# same statement runs on PostgreSQL and on SQLite (make run).
_PHARMACY_WEEK_SQL = _PHARMACY_WEEK_SQL.replace(
    "{donations}", "(" + ", ".join(f"'{source}'" for source in DONATION_SOURCES) + ")"
)

_DISPENSATION_WEEK_SQL = """
INSERT INTO dashboards_dispensationweek
    (week_start, region_id, departement_id, epci_id, product_id, profession, quantity, dispensation_count)
SELECT %(week)s, ph.region_id, ph.departement_id, co.epci_id, d.product_id, p.profession,
       sum(d.quantity), count(*)
FROM distribution_dispensation d
JOIN pharmacies_pharmacy ph ON ph.id = d.pharmacy_id
JOIN territories_commune co ON co.insee_code = ph.commune_id
JOIN professionals_professional p ON p.id = d.professional_id
WHERE d.created_at >= %(start)s AND d.created_at < %(end)s
GROUP BY ph.region_id, ph.departement_id, co.epci_id, d.product_id, p.profession
"""

_SERVED_WEEK_SQL = """
INSERT INTO dashboards_servedweek
    (week_start, professional_id, product_id, region_id, departement_id, epci_id, profession, quantity, quota)
SELECT %(week)s, d.professional_id, d.product_id, co.region_id, co.departement_id, co.epci_id, p.profession,
       sum(d.quantity), max(q.quantity)
FROM distribution_dispensation d
JOIN professionals_professional p ON p.id = d.professional_id
JOIN territories_commune co ON co.insee_code = p.practice_commune_id
JOIN distribution_quotapolicy q ON q.id = d.policy_id
WHERE d.created_at >= %(start)s AND d.created_at < %(end)s
GROUP BY d.professional_id, d.product_id, co.region_id, co.departement_id, co.epci_id, p.profession
"""

_CENSUS_SQL = """
INSERT INTO dashboards_professionalcensus (region_id, departement_id, epci_id, profession, known, referenced)
SELECT co.region_id, co.departement_id, co.epci_id, p.profession, count(*),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM professionals_referencing r WHERE r.professional_id = p.id AND r.ended_at IS NULL
       ))
FROM professionals_professional p
JOIN territories_commune co ON co.insee_code = p.practice_commune_id
GROUP BY co.region_id, co.departement_id, co.epci_id, p.profession
"""

_WEEKLY_TABLES = ("dashboards_pharmacyweek", "dashboards_dispensationweek", "dashboards_servedweek")


def refresh_week(week: date) -> None:
    """Recompute one week of every weekly roll-up (delete + insert, one transaction)."""
    start, end = week_bounds(week)
    params = {"week": week, "start": start, "end": end}
    with transaction.atomic(), connection.cursor() as cursor:
        _advisory_lock(_LOCK_NAMESPACE + week.toordinal())
        for table in _WEEKLY_TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE week_start = %s", [week])  # noqa: S608 (constant names)
        cursor.execute(_PHARMACY_WEEK_SQL, params)
        cursor.execute(_DISPENSATION_WEEK_SQL, params)
        cursor.execute(_SERVED_WEEK_SQL, params)


def refresh_census() -> int:
    """Replace the snapshot of professionals known and referenced per territory."""
    with transaction.atomic(), connection.cursor() as cursor:
        _advisory_lock(_LOCK_NAMESPACE)
        cursor.execute("DELETE FROM dashboards_professionalcensus")
        cursor.execute(_CENSUS_SQL)
        return cursor.rowcount


def _mark_fresh(name: str, *, started_at: datetime, weeks: int, duration_ms: int) -> None:
    with transaction.atomic():
        # Insert-or-skip first: two refreshes finishing together must not both try to create it.
        RollupState.objects.bulk_create(
            [RollupState(name=name, refreshed_at=started_at, weeks=weeks, duration_ms=duration_ms)],
            ignore_conflicts=True,
        )
        state = RollupState.objects.select_for_update().get(name=name)
        if state.refreshed_at < started_at:
            # A slower, older refresh never moves the stated freshness backwards.
            state.refreshed_at, state.weeks, state.duration_ms = started_at, weeks, duration_ms
            state.save(update_fields=["refreshed_at", "weeks", "duration_ms"])


def refresh_rollups(*, since: datetime | date | None = None, now: datetime | None = None) -> RefreshResult:
    """Recompute the weeks touched since `since` (default: since the last refresh) and the census."""
    started_at = now or timezone.now()
    clock = time.monotonic()
    weeks = weeks_to_refresh(since=since, now=started_at)
    for week in weeks:
        refresh_week(week)
    census_rows = refresh_census()
    duration_ms = int((time.monotonic() - clock) * 1000)
    _mark_fresh(WEEKLY, started_at=started_at, weeks=len(weeks), duration_ms=duration_ms)
    _mark_fresh(CENSUS, started_at=started_at, weeks=0, duration_ms=duration_ms)
    return RefreshResult(weeks=weeks, census_rows=census_rows, duration_ms=duration_ms)


def start_export(*, user, region, start: date, end: date):
    """Log an export before its first row leaves (kept even if the download is interrupted)."""
    from dashboards.models import ExportKind, ExportLog

    return ExportLog.objects.create(
        user=user, kind=ExportKind.DISPENSATIONS, region=region, period_start=start, period_end=end
    )


def finish_export(*, log_id: int, row_count: int) -> None:
    """Record how many rows the stream delivered (or delivered before it was interrupted)."""
    from dashboards.models import ExportLog

    ExportLog.objects.filter(pk=log_id).update(row_count=row_count, completed_at=timezone.now())
