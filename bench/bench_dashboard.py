"""Regional dashboard at national scale: roll-up refresh, page time vs raw SQL, streamed export.

    .venv/bin/python bench/bench_dashboard.py [--rebuild] [--dispensations 10000000] [--runs 30]

Builds (once) its own PostgreSQL database, gomask_bench_dash: a copy of the national bench
database of bench/common.py (about 20,500 pharmacies, 300,000 professionals; built with
`seed_demo --national` if missing), then a year of activity generated with set-based SQL
(INSERT ... SELECT over generate_series, one week per transaction, resumable): weekly arrivals
at every pharmacy from the three sources and `--dispensations` handovers (each with its
ledger row, as the services write them) to professionals of the quota professions, served in
their own département. Then it refreshes the roll-ups, and measures:

- the regional dashboard page (Django test client, ARS agent of Occitanie, default filters
  and a département filter): p50/p95 over --runs, next to the same SQL statements replayed
  raw (captured from one page render) as a ratio, and next to a live aggregation of the raw
  tables for the same figures (what the roll-ups avoid);
- the per-professional export of one region's month, streamed: rows, seconds, peak Python
  memory (tracemalloc) and the process's peak RSS.
Target: page p95 < 500 ms, for the default four weeks and for any period up to a year, and the
regional page within 1.5x the p95 of its raw SQL.
"""

import os
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH_DATABASE,
    bench_arguments,
    create_database,
    database_exists,
    database_url,
    manage,
    page_against_raw_sql,
    prepare_national_database,
    report,
    run_bench,
    setup_django,
    timed,
)

DASH_DATABASE = os.environ.get("BENCH_DASH_DATABASE", "gomask_bench_dash")
REGION = "76"
WEEKS = 52
QUOTA_PROFESSIONS = ("medecin", "infirmier", "pharmacien", "sage_femme", "masseur_kinesitherapeute")
TARGET_P95_MS = 500
# The page may cost at most this many times the same SQL statements run raw (p95).
MAX_RATIO = 1.5


def log(message: str) -> None:
    print(message, flush=True)


def _connect(name: str, autocommit=True):
    import psycopg

    return psycopg.connect(database_url(name), autocommit=autocommit)


def build_base(*, rebuild: bool) -> None:
    """gomask_bench_dash = a copy of the national database (copied, or built by common.py)."""
    if database_exists(DASH_DATABASE) and not rebuild:
        log(f"Reusing {DASH_DATABASE}.")
        manage("migrate", "--noinput", "-v", "0", name=DASH_DATABASE)
        return
    if not database_exists(BENCH_DATABASE):
        # Builds gomask_bench with seed_demo --national, leaving this process's Django unset: it is
        # set on the copy (a Django set on the template would generate and measure there).
        prepare_national_database(rebuild=False, setup=False)
    started = time.monotonic()
    from psycopg import sql

    try:
        with _connect("postgres") as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DASH_DATABASE))
            )
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(DASH_DATABASE), sql.Identifier(BENCH_DATABASE)
                )
            )
        log(f"Copied {BENCH_DATABASE} to {DASH_DATABASE} in {time.monotonic() - started:.1f} s.")
    except Exception as exc:  # noqa: BLE001 (someone is connected to the template: build our own)
        log(
            f"Could not copy {BENCH_DATABASE} ({exc.__class__.__name__}); "
            f"building {DASH_DATABASE} from scratch."
        )
        create_database(DASH_DATABASE, drop=True)
        manage("migrate", "--noinput", "-v", "0", name=DASH_DATABASE)
        manage("load_territories", name=DASH_DATABASE)
        manage("seed_demo", "--national", "--quiet-logins", name=DASH_DATABASE)
    manage("migrate", "--noinput", "-v", "0", name=DASH_DATABASE)


PREPARE_SQL = """
CREATE TABLE IF NOT EXISTS bench_dash_week (week int PRIMARY KEY, dispensations int NOT NULL);
DROP TABLE IF EXISTS bench_pro, bench_pharmacy, bench_departement;
CREATE UNLOGGED TABLE bench_pharmacy AS
    SELECT ph.departement_id AS dep, row_number() OVER (PARTITION BY ph.departement_id ORDER BY ph.id) AS rn,
           ph.id, sl.id AS level_id
    FROM pharmacies_pharmacy ph
    JOIN pharmacies_stocklevel sl ON sl.pharmacy_id = ph.id AND sl.product_id = %(surgical)s;
CREATE INDEX ON bench_pharmacy (dep, rn);
CREATE UNLOGGED TABLE bench_departement AS SELECT dep, count(*) AS n FROM bench_pharmacy GROUP BY dep;
CREATE UNLOGGED TABLE bench_pro AS
    SELECT row_number() OVER (ORDER BY p.id) AS rn, p.id, c.departement_id AS dep,
           q.id AS policy_id, q.quantity AS quota
    FROM professionals_professional p
    JOIN territories_commune c ON c.insee_code = p.practice_commune_id
    JOIN distribution_quotapolicy q ON q.profession = p.profession AND q.region_id IS NULL
        AND q.product_id = %(surgical)s AND q.effective_from = '2020-03-18'
    WHERE c.departement_id IN (SELECT dep FROM bench_departement);
CREATE INDEX ON bench_pro (rn);
ANALYZE bench_pharmacy; ANALYZE bench_departement; ANALYZE bench_pro;
"""

# One week of handovers: a random professional, a random pharmacy of their département,
# a quantity within their weekly quota, a moment in the week; the ledger row first.
WEEK_SQL = """
CREATE TEMP TABLE gen ON COMMIT DROP AS
    SELECT nextval('pharmacies_stockmovement_id_seq') AS movement_id, pro.id AS professional_id,
           ph.id AS pharmacy_id, ph.level_id, pro.policy_id,
           1 + floor(random() * pro.quota)::int AS quantity,
           %(start)s::timestamptz + random() * interval '7 days' AS moment
    FROM (
        SELECT 1 + floor(random() * %(pros)s)::bigint AS rn, random() AS r FROM generate_series(1, %(n)s)
    ) AS g
    JOIN bench_pro pro ON pro.rn = g.rn
    JOIN bench_departement d ON d.dep = pro.dep
    JOIN bench_pharmacy ph ON ph.dep = pro.dep AND ph.rn = 1 + floor(g.r * d.n)::int;
INSERT INTO pharmacies_stockmovement
    (id, level_id, pharmacy_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after,
     reserved_after, source, reason, actor_id, created_at)
    SELECT movement_id, level_id, pharmacy_id, %(surgical)s, 'dispensation', -quantity, 0, 0, 0, '', '',
           %(actor)s, moment
    FROM gen;
INSERT INTO distribution_dispensation
    (professional_id, pharmacy_id, product_id, quantity, policy_id, period_start, identity_checked,
     dispensed_by_id, movement_id, created_at)
    SELECT professional_id, pharmacy_id, %(surgical)s, quantity, policy_id,
           date_trunc('week', moment AT TIME ZONE 'Europe/Paris')::date, true, %(actor)s, movement_id, moment
    FROM gen;
INSERT INTO pharmacies_stockmovement
    (level_id, pharmacy_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after,
     source, reason, actor_id, created_at)
    SELECT ph.level_id, ph.id, %(surgical)s, 'arrival', 50 * (1 + floor(random() * 10)::int), 0, 0, 0,
           (ARRAY['national', 'regional', 'company_donation'])[1 + floor(random() * 3)::int], '', %(actor)s,
           %(start)s::timestamptz + random() * interval '7 days'
    FROM bench_pharmacy ph;
"""


def generate_activity(*, dispensations: int) -> bool:
    """A year of arrivals and `dispensations` handovers, one week per transaction (resumable);
    whether any week was generated now."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from dashboards.services import week_bounds, week_start_of
    from distribution.quotas import ensure_default_quota_policies
    from pharmacies.models import Pharmacy, Product, StockLevel

    ensure_default_quota_policies()
    surgical = Product.objects.get(code="surgical")
    ffp2 = Product.objects.get(code="ffp2")
    if StockLevel.objects.count() < Pharmacy.objects.count():
        log("Creating stock levels for every pharmacy and product…")
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO pharmacies_stocklevel (pharmacy_id, product_id, on_hand, reserved, updated_at)
                SELECT ph.id, pr.id, (ARRAY[0, 12, 45, 150, 400])[1 + floor(random() * 5)::int], 0, now()
                FROM pharmacies_pharmacy ph CROSS JOIN pharmacies_product pr
                WHERE pr.id IN (%s, %s)
                ON CONFLICT DO NOTHING
                """,
                [surgical.pk, ffp2.pk],
            )
    actor = get_user_model().objects.filter(role="pharmacist").order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(PREPARE_SQL, {"surgical": surgical.pk})
        cursor.execute("SELECT count(*) FROM bench_pro")
        pros = cursor.fetchone()[0]
        cursor.execute("SELECT week FROM bench_dash_week")
        done = {row[0] for row in cursor.fetchall()}
    per_week = dispensations // WEEKS
    this_week = week_start_of(timezone.now())
    todo = [week for week in range(1, WEEKS + 1) if week not in done]
    if todo:
        log(f"Generating {len(todo)} weeks × {per_week:,} handovers ({pros:,} professionals)…")
    started = time.monotonic()
    for index, week in enumerate(todo, start=1):
        start = week_bounds(this_week - timedelta(weeks=week))[0]
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(
                WEEK_SQL,
                {"start": start, "pros": pros, "n": per_week, "surgical": surgical.pk, "actor": actor.pk},
            )
            cursor.execute(
                "INSERT INTO bench_dash_week (week, dispensations) VALUES (%s, %s)",
                [week, per_week],
            )
        elapsed = time.monotonic() - started
        log(
            f"  week -{week:<2} done ({index}/{len(todo)}, {elapsed:6.0f} s, "
            f"~{elapsed / index * (len(todo) - index):.0f} s left)"
        )
    if todo:
        log("VACUUM ANALYZE…")
        with _connect(DASH_DATABASE) as raw:
            raw.execute("VACUUM ANALYZE distribution_dispensation")
            raw.execute("VACUUM ANALYZE pharmacies_stockmovement")
            raw.execute("ANALYZE")  # the copied tables too: planner statistics for every table
    return bool(todo)


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        result = {}
        for label, table in [
            ("pharmacies", "pharmacies_pharmacy"),
            ("professionals", "professionals_professional"),
            ("dispensations", "distribution_dispensation"),
            ("ledger rows", "pharmacies_stockmovement"),
        ]:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (constant names)
            result[label] = cursor.fetchone()[0]
        return result


ROLLUP_TABLES = ("pharmacyweek", "dispensationweek", "servedweek", "servedmonth", "professionalcensus")


def rollups_filled() -> bool:
    """Whether the roll-ups cover the generated year (weeks and closed month buckets)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT week_start) FROM dashboards_servedweek")
        weeks = cursor.fetchone()[0]
        cursor.execute("SELECT count(DISTINCT month) FROM dashboards_servedmonth")
        months = cursor.fetchone()[0]
    return weeks >= WEEKS and months >= 11


def refresh(*, full: bool) -> None:
    """A full refresh when asked or when the roll-ups do not cover the year, then the
    incremental refresh that beat runs; prints the roll-up rows the pages are measured over.

    `seed_demo --national` leaves a refresh state in the copied database: without clearing it,
    refresh_rollups would only recompute the last week or so, and the pages would read nearly
    empty roll-ups."""
    from django.db import connection

    from dashboards.models import RollupState
    from dashboards.services import refresh_rollups

    if full or not rollups_filled():
        started = time.monotonic()
        RollupState.objects.all().delete()  # from the earliest source row: every week, every bucket
        with connection.cursor() as cursor:
            for table in ROLLUP_TABLES:
                cursor.execute(f"TRUNCATE dashboards_{table}")
        result = refresh_rollups()
        log(
            f"Full roll-up refresh: {len(result.weeks)} weeks, {len(result.months)} month buckets "
            f"in {time.monotonic() - started:.1f} s"
        )
        with _connect(DASH_DATABASE) as raw:
            for table in ROLLUP_TABLES:
                raw.execute(f"VACUUM ANALYZE dashboards_{table}")
    started = time.monotonic()
    result = refresh_rollups()
    log(
        f"Incremental refresh (what beat runs every 10 min): {len(result.weeks)} week(s), "
        f"{len(result.months)} month bucket(s) + census "
        f"in {time.monotonic() - started:.2f} s"
    )
    with connection.cursor() as cursor:
        log(f"Roll-up rows measured over (all regions / region {REGION}):")
        for table in ROLLUP_TABLES:
            cursor.execute(
                f"SELECT count(*), count(*) FILTER (WHERE region_id = %s) FROM dashboards_{table}",  # noqa: S608
                [REGION],
            )
            total, region = cursor.fetchone()
            log(f"  {table:<20} {total:>12,} {region:>12,}")


def ars_user():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.models import AccountStatus, Role, User

    user, _ = User.objects.get_or_create(
        email="bench.ars@gomask.fr",
        defaults={"role": Role.ARS_STAFF, "region_id": REGION, "status": AccountStatus.ACTIVE},
    )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="export_dispensations"))
    return user


def measure_page(client, path: str, *, runs: int, label: str, max_ratio: float | None = MAX_RATIO) -> bool:
    return page_against_raw_sql(
        client, path, runs=runs, label=label, target_p95_ms=TARGET_P95_MS, max_ratio=max_ratio
    )


LIVE_SQL = """
SELECT date_trunc('week', d.created_at AT TIME ZONE 'Europe/Paris') AS week, p.profession,
       sum(d.quantity), count(*), count(DISTINCT d.professional_id)
FROM distribution_dispensation d
JOIN pharmacies_pharmacy ph ON ph.id = d.pharmacy_id
JOIN professionals_professional p ON p.id = d.professional_id
WHERE ph.region_id = %(region)s AND d.created_at >= %(start)s AND d.created_at < %(end)s
GROUP BY 1, 2
"""


def measure_live_aggregation(*, runs: int) -> None:
    """What the page would cost without roll-ups: the period's dispensations aggregated live."""
    from django.db import connection
    from django.utils import timezone

    from dashboards.selectors import default_period
    from dashboards.services import week_bounds, week_start_of

    start, end = default_period(timezone.localdate())
    params = {"region": REGION, "start": week_bounds(week_start_of(start))[0], "end": timezone.now()}

    def live():
        with connection.cursor() as cursor:
            cursor.execute(LIVE_SQL, params)
            cursor.fetchall()

    samples = timed(live, [()] * max(3, runs // 5), warmup=0)
    report("live aggregation of raw dispensations (1 panel)", samples)


def measure_export(client) -> None:
    from django.utils import timezone

    from dashboards.models import ExportLog

    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.post("/ars/tableau-de-bord/export-delivrances/", {"month": month})
    assert response.status_code == 200, response.status_code
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    logged = ExportLog.objects.order_by("-pk").first()
    log(
        f"export of region {REGION}, month {month}: {logged.row_count:,} rows, {size / 1e6:.1f} MB in "
        f"{seconds:.1f} s ({logged.row_count / seconds:,.0f} rows/s); peak Python memory during the "
        f"stream {peak / 1e6:.1f} MB (tracemalloc); process peak RSS {rss_before / 1024:.0f} -> "
        f"{rss_after / 1024:.0f} MB"
    )


def main() -> int:
    parser = bench_arguments("Regional dashboard at national scale (roll-ups, page time, streamed export).")
    parser.add_argument("--dispensations", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="Rebuild the roll-ups even if they cover the year.",
    )
    args = parser.parse_args()
    build_base(rebuild=args.rebuild)
    setup_django(DASH_DATABASE)
    generated = generate_activity(dispensations=args.dispensations)
    for label, value in counts().items():
        log(f"  {label:<14} {value:>12,}")
    refresh(full=generated or args.full_refresh)

    from django.db import connection
    from django.test import Client

    from tests.factories import record_second_factor

    if connection.settings_dict["NAME"] != DASH_DATABASE:
        raise SystemExit(f"Django is set on {connection.settings_dict['NAME']}, not {DASH_DATABASE}")
    # No setup_test_environment(): it instruments every template render (a signal and a copy of
    # the context), which production does not pay and the page time would.
    client = Client(SERVER_NAME="localhost")  # in ALLOWED_HOSTS, unlike 'testserver'
    user = ars_user()
    client.force_login(user)
    record_second_factor(client, user)  # the ARS pages want a second factor in the session
    log("")
    met = measure_page(client, "/ars/tableau-de-bord/", runs=args.runs, label="Occitanie, 4 weeks (default)")
    # A département's page, for its time: its SQL is a third of the region's (about 30 ms here),
    # so the ratio mostly shows the fixed cost of any page (session, rendering, ORM) and is
    # printed without the regional page's target.
    met &= measure_page(
        client,
        "/ars/tableau-de-bord/?departement=31",
        runs=args.runs,
        label="Haute-Garonne, 4 weeks",
        max_ratio=None,
    )
    # Any period up to a year must meet the target too (distinct professionals read month buckets).
    met &= measure_page(
        client,
        f"/ars/tableau-de-bord/?start={(date.today() - timedelta(days=364)).isoformat()}",
        runs=args.runs,
        label="Occitanie, 52 weeks",
    )
    met &= measure_page(
        client,
        f"/ars/tableau-de-bord/?start={(date.today() - timedelta(days=180)).isoformat()}",
        runs=args.runs,
        label="Occitanie, 26 weeks",
    )
    measure_live_aggregation(runs=args.runs)
    log("")
    measure_export(client)
    log("")
    log(
        f"Target p95 < {TARGET_P95_MS} ms and within {MAX_RATIO:g}x the raw SQL, for every period: "
        f"{'OK' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(run_bench(main))
