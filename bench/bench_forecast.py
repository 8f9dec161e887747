"""Stock-out forecast: a backtest on generated history, and the nightly computation at scale.

    .venv/bin/python bench/bench_forecast.py [--rebuild] [--pharmacies 20000]
        [--backtest-pharmacies 200] [--backtest-days 60]

Its own PostgreSQL database (gomask_bench_planning; BENCH_PLANNING_DATABASE): migrated, the
territories loaded, then generated data (bench/planning_data.py, set-based SQL).

1. Backtest. `--backtest-pharmacies` pharmacies of Occitanie with a generated history (NumPy,
   seeded): a daily demand that changes regime once, deliveries every 7 to 14 days, handovers
   min(demand, stock). For each day, the stock of that morning is written to the levels and the
   real `compute_forecast(today=day)` runs (it reads only the 14 days before `today`). Figures:
   - flagged: share of stock-outs (first day of an episode) whose pharmacy was already on the
     at-risk list (forecast cover under 7 days) 3 days before (goal >= 80 %);
   - false alarms: share of entries on the at-risk list followed by no stock-out in the next
     7 days although nothing arrived (goal <= 20 %).
2. Nightly: `--pharmacies` pharmacies over France, 15 professionals referenced at each, 14 days
   of handovers (3 a day); `compute_forecast` timed (goal < 60 s) next to the same statement
   run raw through psycopg.
Prints the machine load (os.getloadavg) before and after.
"""

import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    bench_arguments,
    create_database,
    database_exists,
    database_url,
    load,
    manage,
    setup_django,
)

NAME = os.environ.get("BENCH_PLANNING_DATABASE", "gomask_bench_planning")
BACKTEST_PREFIX, SCALE_PREFIX = "98", "99"
START = date(2026, 1, 5)  # a Monday


def prepare(rebuild: bool) -> None:
    if rebuild or not database_exists(NAME):
        create_database(NAME, drop=True)
        manage("migrate", "--noinput", "-v0", name=NAME)
        manage("load_territories", name=NAME)
    setup_django(NAME)


def fixtures():
    from accounts.models import Role, User
    from distribution.models import QuotaPolicy
    from distribution.quotas import ensure_default_quota_policies
    from pharmacies.models import Product
    from professionals.models import Professional

    ensure_default_quota_policies()
    surgical = Product.objects.get(code="surgical")
    policy = QuotaPolicy.objects.filter(product=surgical, profession="infirmier").order_by("id").first()
    user = User.objects.filter(email="bench@planning.invalid").first() or User.objects.create_user(
        email="bench@planning.invalid", role=Role.PHARMACIST
    )
    professional = Professional.objects.filter(rpps="00000000001").first()
    return surgical, policy, user, professional


def generate_history(rng, pharmacies: int, days: int):
    import numpy as np

    base = rng.uniform(3, 25, pharmacies)
    shift_day = rng.integers(days // 4, 3 * days // 4, pharmacies)
    shift = rng.uniform(0.5, 2.0, pharmacies)
    period = rng.choice([7, 10, 14], pharmacies)
    phase = rng.integers(0, 14, pharmacies)
    weekday = np.array([1.1, 1.0, 1.0, 1.0, 1.1, 0.8, 0.2])  # Monday .. Sunday
    demand = np.zeros((pharmacies, days), dtype=int)
    arrivals = np.zeros((pharmacies, days), dtype=int)
    morning = np.zeros((pharmacies, days), dtype=int)
    handed = np.zeros((pharmacies, days), dtype=int)
    stock = np.round(base * period * 1.2).astype(int)
    referenced = np.ceil(base * 7 / 18 * rng.uniform(1.2, 2.0, pharmacies)).astype(int)
    ceiling = referenced * 18 / 7  # nobody is served past their quota: demand stays under it
    for d in range(days):
        rate = np.minimum(base * np.where(d >= shift_day, shift, 1.0), ceiling)
        rate = rate * weekday[(START + timedelta(days=d)).weekday()]
        demand[:, d] = rng.poisson(rate)
        delivered = (d - phase) % period == 0
        arrivals[:, d] = np.where(delivered, np.round(base * period * rng.uniform(0.7, 1.3, pharmacies)), 0)
        stock = stock + arrivals[:, d]
        morning[:, d] = stock
        handed[:, d] = np.minimum(demand[:, d], stock)
        stock = stock - handed[:, d]
    return demand, arrivals, morning, handed, referenced


def backtest(args) -> tuple[float, float]:
    import numpy as np
    from django.db import connection
    from planning_data import add_handovers, add_pharmacies, add_referenced_professionals, add_stock_levels

    from gomask.clock import start_of_day
    from pharmacies.models import Pharmacy
    from planning.forecast import MIN_COVER_DAYS, compute_forecast
    from planning.models import StockForecast

    rng = np.random.default_rng(2020)
    n, warmup, days = args.backtest_pharmacies, 14, args.backtest_days
    total = warmup + days
    demand, arrivals, morning, handed, referenced = generate_history(rng, n, total)
    surgical, policy, user, professional = fixtures()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pharmacies_pharmacy WHERE finess LIKE %s", [BACKTEST_PREFIX + "%"]
        )
        existing = cursor.fetchone()[0]
    if existing != n:
        print(f"backtest: generating {n} pharmacies x {total} days")
        with connection.cursor() as cursor:
            for table in ("distribution_dispensation", "pharmacies_stockmovement"):
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("DELETE FROM planning_stockforecast")
            cursor.execute("DELETE FROM professionals_referencing")
            cursor.execute("DELETE FROM pharmacies_stocklevel")
            cursor.execute("DELETE FROM professionals_professional")
            cursor.execute("DELETE FROM pharmacies_pharmacy")
        add_pharmacies(n, prefix=BACKTEST_PREFIX, region="76")
        add_referenced_professionals(
            prefix=BACKTEST_PREFIX, per_pharmacy=[int(r) for r in referenced], rpps_offset=0
        )
        add_stock_levels(prefix=BACKTEST_PREFIX, product_id=surgical.pk, on_hand_sql="0")
        surgical, policy, user, professional = fixtures()
        ids = list(
            Pharmacy.objects.filter(finess__startswith=BACKTEST_PREFIX)
            .order_by("finess")
            .values_list("pk", flat=True)
        )
        rows = [
            (ids[p], int(handed[p, d]), start_of_day(START + timedelta(days=d)) + timedelta(hours=11))
            for p in range(n)
            for d in range(total)
            if handed[p, d] > 0
        ]
        add_handovers(
            rows,
            product_id=surgical.pk,
            professional_id=professional.pk,
            policy_id=policy.pk,
            user_id=user.pk,
        )
    ids = list(
        Pharmacy.objects.filter(finess__startswith=BACKTEST_PREFIX)
        .order_by("finess")
        .values_list("pk", flat=True)
    )
    index = {pk: i for i, pk in enumerate(ids)}
    Pharmacy.objects.filter(finess__startswith=SCALE_PREFIX).update(is_active=False)
    predicted = np.full((n, total), 10**6, dtype=int)  # days from the forecast's day to its stock-out
    started = time.monotonic()
    for d in range(warmup, total):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE pharmacies_stocklevel l SET on_hand = v.on_hand FROM unnest(%s::bigint[], %s::int[])"
                " AS v(pharmacy_id, on_hand) WHERE l.pharmacy_id = v.pharmacy_id AND l.product_id = %s",
                [ids, [int(x) for x in morning[:, d]], surgical.pk],
            )
        day = START + timedelta(days=d)
        compute_forecast(today=day)
        for pharmacy_id, stockout_on in StockForecast.objects.filter(
            pharmacy_id__in=ids, product=surgical, stockout_on__isnull=False
        ).values_list("pharmacy_id", "stockout_on"):
            predicted[index[pharmacy_id], d] = (stockout_on - day).days
    elapsed = time.monotonic() - started
    out = (morning - handed == 0) & (demand > handed)  # ran out during the day, demand unmet
    episodes = out & ~np.concatenate([np.zeros((n, 1), dtype=bool), out[:, :-1]], axis=1)
    # A pharmacy is flagged on the day its forecast puts it on the at-risk list (cover under
    # MIN_COVER_DAYS, the list ARS staff read).
    at_risk = predicted < MIN_COVER_DAYS
    flagged = total_events = 0
    for p, e in zip(*np.nonzero(episodes), strict=True):
        if e - 3 < warmup:
            continue
        total_events += 1
        flagged += bool(at_risk[p, e - 3])
    alarms = false_alarms = 0
    horizon = MIN_COVER_DAYS
    for d in range(warmup, total - horizon - 1):
        for p in range(n):
            if at_risk[p, d] and (d == warmup or not at_risk[p, d - 1]):  # each time it enters the list
                alarms += 1
                window = slice(d, d + horizon + 1)
                if (
                    not episodes[p, window].any()
                    and not out[p, window].any()
                    and arrivals[p, d + 1 : d + horizon + 1].sum() == 0
                ):
                    false_alarms += 1
    flag_share = flagged / total_events if total_events else float("nan")
    false_share = false_alarms / alarms if alarms else float("nan")
    print(f"backtest: {n} pharmacies x {days} days ({elapsed:.1f} s for {days} nightly runs)")
    print(f"  stock-outs {total_events}, flagged >= 3 days ahead {flagged}: {flag_share:.1%} (goal >= 80 %)")
    print(f"  alarms {alarms}, false alarms {false_alarms}: {false_share:.1%} (goal <= 20 %)")
    Pharmacy.objects.filter(finess__startswith=SCALE_PREFIX).update(is_active=True)
    return flag_share, false_share


def nightly(args) -> float:
    import psycopg
    from django.db import connection
    from planning_data import (
        add_pharmacies,
        add_referenced_professionals,
        add_stock_levels,
        handover_rows_sql,
    )

    from planning.forecast import compute_forecast, forecast_sql

    surgical, policy, user, professional = fixtures()
    today = START + timedelta(days=120)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pharmacies_pharmacy WHERE finess LIKE %s", [SCALE_PREFIX + "%"])
        existing = cursor.fetchone()[0]
    if existing != args.pharmacies:
        print(
            f"nightly: generating {args.pharmacies} pharmacies, 15 professionals each, 14 days of handovers"
        )
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM distribution_dispensation WHERE pharmacy_id IN"
                " (SELECT id FROM pharmacies_pharmacy WHERE finess LIKE %s)",
                [SCALE_PREFIX + "%"],
            )
            cursor.execute(
                "DELETE FROM pharmacies_stockmovement WHERE pharmacy_id IN"
                " (SELECT id FROM pharmacies_pharmacy WHERE finess LIKE %s)",
                [SCALE_PREFIX + "%"],
            )
            cursor.execute("DELETE FROM planning_stockforecast")
            for table in ("professionals_referencing", "pharmacies_stocklevel"):
                cursor.execute(
                    f"DELETE FROM {table} WHERE pharmacy_id IN"
                    " (SELECT id FROM pharmacies_pharmacy WHERE finess LIKE %s)",
                    [SCALE_PREFIX + "%"],
                )
            cursor.execute("DELETE FROM professionals_professional WHERE rpps >= '10000000000'")
            cursor.execute("DELETE FROM pharmacies_pharmacy WHERE finess LIKE %s", [SCALE_PREFIX + "%"])
        add_pharmacies(args.pharmacies, prefix=SCALE_PREFIX)
        add_referenced_professionals(prefix=SCALE_PREFIX, per_pharmacy=15, rpps_offset=10**10)
        add_stock_levels(prefix=SCALE_PREFIX, product_id=surgical.pk)
        handover_rows_sql(
            prefix=SCALE_PREFIX,
            product_id=surgical.pk,
            professional_id=professional.pk,
            policy_id=policy.pk,
            user_id=user.pk,
            first_day=today - timedelta(days=14),
            days=14,
            per_day=3,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"  generated in {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pharmacies_pharmacy WHERE is_active")
        pharmacies = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM professionals_referencing WHERE ended_at IS NULL")
        referencings = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM distribution_dispensation")
        handovers = cursor.fetchone()[0]
    started = time.monotonic()
    rows = compute_forecast(today=today)
    django_seconds = time.monotonic() - started
    sql, params = forecast_sql(today=today)
    with psycopg.connect(database_url(NAME)) as raw:
        started = time.monotonic()
        with raw.transaction():
            raw.execute("DELETE FROM planning_stockforecast")
            raw.execute(sql.replace("%s", "%s"), params)
        raw_seconds = time.monotonic() - started
    print(
        f"nightly: {pharmacies} pharmacies, {referencings} referencings, {handovers} handovers"
        f" -> {rows} forecasts"
    )
    print(
        f"  compute_forecast {django_seconds:.2f} s (goal < 60 s);"
        f" same statement raw (psycopg) {raw_seconds:.2f} s"
    )
    return django_seconds


def main() -> int:
    parser = bench_arguments("Stock-out forecast: backtest and nightly computation")
    parser.add_argument("--pharmacies", type=int, default=20_000)
    parser.add_argument("--backtest-pharmacies", type=int, default=200)
    parser.add_argument("--backtest-days", type=int, default=60)
    args = parser.parse_args()
    print("before:", load())
    prepare(args.rebuild)
    flag_share, false_share = backtest(args)
    seconds = nightly(args)
    print("after:", load())
    ok = flag_share >= 0.8 and false_share <= 0.2 and seconds < 60
    print("OK" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
