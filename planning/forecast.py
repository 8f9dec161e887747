"""The nightly stock-out forecast, computed set-based: one INSERT ... SELECT for the country.

For every open pharmacy x distributed product:

- recent rate: masks handed over per day over the 14 whole days (Paris) before the day of the
  run, exponentially weighted (yesterday weighs 1, the day before (1 - ALPHA), ...), divided by
  the sum of the weights, so a steady 10 masks a day gives exactly 10;
- quota ceiling: the weekly quota in force (regional version, else national) of each
  professional referenced at the pharmacy, summed, divided by 7;
- expected demand: the recent rate bounded above by the ceiling (a pharmacy without referenced
  professionals keeps its recent rate: it serves whoever comes);
- days of cover: (on hand - held in options) / expected demand (options are already promised);
  the stock-out date if nothing arrives: the day of the run + the whole days of cover.

The quotas in force are read first (a few dozen rows) and passed as a VALUES list; everything
else is one statement, portable to SQLite (`make run`) but for two expressions.
"""

from datetime import date, timedelta

from django.db import connection, transaction

from distribution.models import Dispensation, QuotaPolicy
from gomask.clock import local_date, start_of_day
from pharmacies.models import Pharmacy, Product, StockLevel
from planning.models import StockForecast
from professionals.models import Professional, Referencing
from territories.models import Commune

HISTORY_DAYS = 14
ALPHA = 0.25
# A pharmacy is at risk below this many days of cover; a transfer never takes a sender below it.
MIN_COVER_DAYS = 7
NATIONAL = "*"


def day_weights() -> list[float]:
    """Weight of day k before the run (k = 0: yesterday)."""
    return [(1 - ALPHA) ** k for k in range(HISTORY_DAYS)]


def quotas_in_force(on: date) -> list[tuple[str, str, int, int]]:
    """(region code or "*", profession, product id, weekly masks) in force on `on`."""
    latest: dict[tuple[str, str, int], tuple] = {}
    rows = QuotaPolicy.objects.filter(effective_from__lte=on).values_list(
        "region_id", "profession", "product_id", "quantity", "effective_from", "id"
    )
    for region_id, profession, product_id, quantity, effective_from, pk in rows:
        key = (region_id or NATIONAL, profession, product_id)
        if key not in latest or (effective_from, pk) > latest[key][:2]:
            latest[key] = (effective_from, pk, quantity)
    return [(*key, value[2]) for key, value in sorted(latest.items())]


def _vendor_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {"floor": "FLOOR({})::integer", "plus_days": "(%s::date + {})"}
    return {"floor": "CAST({} AS INTEGER)", "plus_days": "date(%s, '+' || ({}) || ' days')"}


def _moment(day: date):
    """Midnight (Paris) at the start of `day`, as the database compares it (SQLite: UTC text)."""
    return connection.ops.adapt_datetimefield_value(start_of_day(day))


def forecast_sql(*, today: date) -> tuple[str, list]:
    """The statement that fills the forecast table, and its parameters."""
    tables = {
        "pharmacy": Pharmacy._meta.db_table,
        "product": Product._meta.db_table,
        "level": StockLevel._meta.db_table,
        "dispensation": Dispensation._meta.db_table,
        "referencing": Referencing._meta.db_table,
        "professional": Professional._meta.db_table,
        "commune": Commune._meta.db_table,
        "forecast": StockForecast._meta.db_table,
    }
    vendor = _vendor_sql()
    params: list = []
    quotas = quotas_in_force(today) or [(NATIONAL, "", 0, 0)]
    quota_values = ", ".join(["(%s, %s, %s, %s)"] * len(quotas))
    for row in quotas:
        params.extend(row)
    # Day k (0 = yesterday) starts at start_of_day(today - k - 1): a CASE from the newest day.
    weights = day_weights()
    cases = []
    for k, weight in enumerate(weights):
        cases.append("WHEN d.created_at >= %s THEN %s")
        params.extend([_moment(today - timedelta(days=k + 1)), weight])
    params.extend([_moment(today - timedelta(days=HISTORY_DAYS)), _moment(today), sum(weights)])
    cover = "(s.available * 1.0 / s.demand)"
    stockout = vendor["plus_days"].format(vendor["floor"].format(cover))
    params.extend([today, today])
    sql = f"""
        INSERT INTO {tables["forecast"]} (pharmacy_id, product_id, computed_on, on_hand, reserved,
            recent_rate, quota_ceiling, daily_demand, referenced, days_of_cover, stockout_on)
        WITH quota (region_id, profession, product_id, weekly) AS (VALUES {quota_values}),
        recent AS (
            SELECT d.pharmacy_id, d.product_id,
                   SUM(d.quantity * CASE {" ".join(cases)} ELSE 0 END) AS weighted
            FROM {tables["dispensation"]} d
            WHERE d.created_at >= %s AND d.created_at < %s
            GROUP BY d.pharmacy_id, d.product_id
        ),
        refs AS (
            SELECT r.pharmacy_id, p.profession, c.region_id, COUNT(*) AS n
            FROM {tables["referencing"]} r
            JOIN {tables["professional"]} p ON p.id = r.professional_id
            JOIN {tables["commune"]} c ON c.insee_code = p.practice_commune_id
            WHERE r.ended_at IS NULL
            GROUP BY r.pharmacy_id, p.profession, c.region_id
        ),
        referenced AS (SELECT pharmacy_id, SUM(n) AS n FROM refs GROUP BY pharmacy_id),
        ceiling AS (
            SELECT refs.pharmacy_id, pr.id AS product_id,
                   SUM(refs.n * COALESCE(g.weekly, nat.weekly, 0)) AS weekly
            FROM refs
            CROSS JOIN {tables["product"]} pr
            LEFT JOIN quota g ON g.region_id = refs.region_id AND g.profession = refs.profession
                AND g.product_id = pr.id
            LEFT JOIN quota nat ON nat.region_id = '{NATIONAL}' AND nat.profession = refs.profession
                AND nat.product_id = pr.id
            WHERE pr.is_active
            GROUP BY refs.pharmacy_id, pr.id
        ),
        base AS (
            SELECT ph.id AS pharmacy_id, pr.id AS product_id,
                   COALESCE(l.on_hand, 0) AS on_hand, COALESCE(l.reserved, 0) AS reserved,
                   COALESCE(l.on_hand, 0) - COALESCE(l.reserved, 0) AS available,
                   COALESCE(rc.weighted, 0) * 1.0 / %s AS rate,
                   COALESCE(ce.weekly, 0) / 7.0 AS ceiling,
                   COALESCE(rf.n, 0) AS referenced
            FROM {tables["pharmacy"]} ph
            CROSS JOIN {tables["product"]} pr
            LEFT JOIN {tables["level"]} l ON l.pharmacy_id = ph.id AND l.product_id = pr.id
            LEFT JOIN recent rc ON rc.pharmacy_id = ph.id AND rc.product_id = pr.id
            LEFT JOIN ceiling ce ON ce.pharmacy_id = ph.id AND ce.product_id = pr.id
            LEFT JOIN referenced rf ON rf.pharmacy_id = ph.id
            WHERE ph.is_active AND pr.is_active
        ),
        s AS (
            SELECT base.*,
                   CASE WHEN referenced > 0 AND ceiling < rate THEN ceiling ELSE rate END AS demand
            FROM base
        )
        SELECT s.pharmacy_id, s.product_id, %s, s.on_hand, s.reserved, s.rate, s.ceiling, s.demand,
               s.referenced,
               CASE WHEN s.demand > 0 THEN {cover} END,
               CASE WHEN s.demand > 0 THEN {stockout} END
        FROM s
    """
    # The stock-out date's parameter comes last in the text, after the run's day.
    return sql, params


def compute_forecast(*, today: date | None = None) -> int:
    """Replace the forecast table with the forecast of `today` (Paris); returns the row count."""
    today = today or local_date()
    sql, params = forecast_sql(today=today)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {StockForecast._meta.db_table}")
        cursor.execute(sql, params)
        return cursor.rowcount
