"""Roll-up refresh: the only code that writes the dashboards' aggregate tables.

`refresh_rollups(since=None)` recomputes whole weeks from the source tables: for each
affected week, in one transaction holding that week's advisory lock, it deletes the
week's rows and inserts them again with one set-based INSERT ... SELECT per table. So a
refresh is idempotent, two overlapping refreshes queue on the same week instead of
double-counting, and the result always equals a live aggregation of the sources.

Without `since`, the weeks from the last refresh (minus a safety margin for transactions
that committed late) to the current week are recomputed; the first refresh recomputes
every week that has data. The professional census (a snapshot) is replaced each time.

ServedMonth (one row per professional and product per month bucket: the weeks whose Monday
falls in the month) is then rebuilt from ServedWeek for each *closed* month bucket (all its
weeks over when the refresh starts) those weeks belong to, delete + insert in one transaction
under that month's advisory lock; the open bucket of the current month is never built nor
read, so the refresh every 10 minutes stays one week long; a bucket is rebuilt when it closes
(by the first refresh after its end, whatever its `since`) and again whenever one of its weeks
is recomputed later (`months_to_rebuild`). Distinct counts of professionals over a long
period read the closed buckets plus the weeks at the edges (`split_weeks`), which is exact
because the buckets and the edge weeks partition the period.
"""

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from dashboards.models import RollupState
from distribution.models import Dispensation
from gomask import locks
from gomask.clock import week_bounds
from gomask.clock import week_start as week_start_of
from pharmacies.models import MovementKind, StockMovement

WEEKLY = "weekly"
CENSUS = "census"
# A dispensation stamped before a refresh started may commit after it: look back this far.
SAFETY_MARGIN = timedelta(minutes=15)

DONATION_SOURCES = ("company_donation", "local_authority_donation", "partner_donation")


@dataclass
class RefreshResult:
    weeks: list[date]
    months: list[date]
    census_rows: int
    duration_ms: int


def month_of(week: date) -> date:
    """The month bucket of a week: the first day of the month its Monday falls in."""
    return week.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def mondays_of(month: date) -> tuple[date, date]:
    """The first and last Mondays of a calendar month (the weeks of its bucket)."""
    first = month + timedelta(days=(7 - month.weekday()) % 7)
    last_day = next_month(month) - timedelta(days=1)
    return first, last_day - timedelta(days=last_day.weekday())


@dataclass(frozen=True)
class WeekSplit:
    """A period of whole weeks as whole month buckets (inclusive, or None) and edge week ranges."""

    months: tuple[date, date] | None
    week_ranges: tuple[tuple[date, date], ...]


def bucket_is_closed(month: date, *, current_week: date) -> bool:
    """Whether every week of the month bucket is over by `current_week` (a Monday)."""
    return mondays_of(month)[1] < current_week


def split_weeks(first_week: date, last_week: date, *, current_week: date | None) -> WeekSplit:
    """Split the weeks [first_week, last_week] (Mondays) into whole month buckets and edge weeks.

    A bucket is whole when all its Mondays are in the period and it was closed at the last
    refresh (`current_week`: the week that refresh started in; None: no refresh yet, no
    bucket). The whole buckets are contiguous, and the remaining weeks form at most one range
    before them and one after. Every week of the period is in exactly one part.
    """
    whole = []
    month = month_of(first_week)
    while month <= last_week:
        first_monday, last_monday = mondays_of(month)
        closed = current_week is not None and bucket_is_closed(month, current_week=current_week)
        if first_monday >= first_week and last_monday <= last_week and closed:
            whole.append(month)
        month = next_month(month)
    if not whole:
        ranges = ((first_week, last_week),) if first_week <= last_week else ()
        return WeekSplit(months=None, week_ranges=ranges)
    ranges = []
    head_end = mondays_of(whole[0])[0] - timedelta(days=7)
    if first_week <= head_end:
        ranges.append((first_week, head_end))
    tail_start = mondays_of(whole[-1])[1] + timedelta(days=7)
    if tail_start <= last_week:
        ranges.append((tail_start, last_week))
    return WeekSplit(months=(whole[0], whole[-1]), week_ranges=tuple(ranges))


def _earliest_source_moment() -> datetime | None:
    first_dispensation = Dispensation.objects.aggregate(first=Min("created_at"))["first"]
    first_arrival = StockMovement.objects.filter(
        kind__in=[MovementKind.ARRIVAL, MovementKind.CORRECTION]
    ).aggregate(first=Min("created_at"))["first"]
    moments = [moment for moment in (first_dispensation, first_arrival) if moment is not None]
    return min(moments) if moments else None


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

# Portable (PostgreSQL and SQLite): derived from the committed ServedWeek rows of the bucket.
SERVED_MONTH_SQL = """
INSERT INTO dashboards_servedmonth
    (month, professional_id, product_id, region_id, departement_id, epci_id, profession,
     weeks, quantity, quota, quota_used_up)
SELECT %(month)s, s.professional_id, s.product_id, s.region_id, s.departement_id, s.epci_id, s.profession,
       count(*), sum(s.quantity), sum(s.quota), sum(CASE WHEN s.quantity >= s.quota THEN 1 ELSE 0 END)
FROM dashboards_servedweek s
WHERE s.week_start >= %(start)s AND s.week_start < %(end)s
GROUP BY s.professional_id, s.product_id, s.region_id, s.departement_id, s.epci_id, s.profession
"""

_WEEKLY_TABLES = ("dashboards_pharmacyweek", "dashboards_dispensationweek", "dashboards_servedweek")


def refresh_week(week: date) -> None:
    """Recompute one week of every weekly roll-up (delete + insert, one transaction)."""
    start, end = week_bounds(week)
    params = {"week": week, "start": start, "end": end}
    with transaction.atomic(), connection.cursor() as cursor:
        locks.advisory_lock("rollup-week", week.isoformat())
        for table in _WEEKLY_TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE week_start = %s", [week])  # noqa: S608 (constant names)
        cursor.execute(_PHARMACY_WEEK_SQL, params)
        cursor.execute(_DISPENSATION_WEEK_SQL, params)
        cursor.execute(_SERVED_WEEK_SQL, params)


def refresh_served_month(month: date) -> None:
    """Rebuild one month bucket of ServedMonth from ServedWeek (delete + insert, one transaction).

    Run after the bucket's weeks are committed; the INSERT reads the latest committed weeks,
    so whichever refresh rebuilds the bucket last leaves it equal to ServedWeek.
    """
    params = {"month": month, "start": month, "end": next_month(month)}
    with transaction.atomic(), connection.cursor() as cursor:
        locks.advisory_lock("rollup-month", month.isoformat())
        cursor.execute("DELETE FROM dashboards_servedmonth WHERE month = %s", [month])
        cursor.execute(SERVED_MONTH_SQL, params)


def months_to_rebuild(weeks: list[date], *, previous: datetime | None, now: datetime) -> list[date]:
    """The closed month buckets to rebuild after the weeks were recomputed.

    Closed as of `now` (after the weeks committed, not when the refresh started: a refresh
    that straddles a bucket's end rebuilds it after writing its last week). Besides the
    buckets of the refreshed weeks, every bucket that closed since the previous refresh
    started, whatever `since` was: before the close nobody read it (readers use only the
    buckets closed at the last refresh), so it is built here before this refresh is marked.
    """
    current_week = week_start_of(now)
    months = {month_of(week) for week in weeks if bucket_is_closed(month_of(week), current_week=current_week)}
    if previous is not None:
        previous_week = week_start_of(previous)
        month = month_of(previous_week)
        while month <= current_week:
            if previous_week <= mondays_of(month)[1] < current_week:
                months.add(month)
            month = next_month(month)
    return sorted(months)


def refresh_census() -> int:
    """Replace the snapshot of professionals known and referenced per territory."""
    with transaction.atomic(), connection.cursor() as cursor:
        locks.advisory_lock("rollup-census")
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
    previous = RollupState.objects.filter(name=WEEKLY).values_list("refreshed_at", flat=True).first()
    weeks = weeks_to_refresh(since=since, now=started_at)
    for week in weeks:
        refresh_week(week)
    months = months_to_rebuild(weeks, previous=previous, now=now or timezone.now())
    for month in months:
        refresh_served_month(month)
    census_rows = refresh_census()
    duration_ms = int((time.monotonic() - clock) * 1000)
    _mark_fresh(WEEKLY, started_at=started_at, weeks=len(weeks), duration_ms=duration_ms)
    _mark_fresh(CENSUS, started_at=started_at, weeks=0, duration_ms=duration_ms)
    return RefreshResult(weeks=weeks, months=months, census_rows=census_rows, duration_ms=duration_ms)


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
