"""Observatory of access to care at national scale: the nightly computation, and the region page
next to its raw SQL.

    .venv/bin/python bench/bench_observatory.py [--rebuild] [--professionals 300000] [--runs 20]

Builds (once) its own PostgreSQL database, gomask_bench_obs (BENCH_OBS_DATABASE): migrated, all
of France's territories loaded (34,875 communes, 1,255 EPCIs), and --professionals professionals
generated with set-based SQL (INSERT ... SELECT over generate_series), each practising in a
commune drawn in proportion to its population, with the professions' rough shares and a general-
medicine savoir-faire for about half of the doctors. Then it measures:

- the computation of every commune and EPCI (compute_access: reads, NumPy 2SFCA, table rewrite);
- the observatory page of the region with the most communes (Grand Est, by default) for an ARS
  agent, at EPCI level, at commune level (its rows and legend cached per run), the map's points
  (compact JSON fetched by the page, cached) and the CSV export: p50/p95 over --runs, next to
  the same SQL statements replayed raw; the commune page once with a cold cache.

It prints the machine's load average before and after (the machine may be shared).
Target: page p95 < 500 ms.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    bench_arguments,
    create_database,
    database_exists,
    database_url,
    manage,
    page_against_raw_sql,
    run_bench,
    setup_django,
)

OBS_DATABASE = os.environ.get("BENCH_OBS_DATABASE", "gomask_bench_obs")
TARGET_P95_MS = 500

GENERATE = """
CREATE TEMP TABLE bench_cumulative AS
SELECT insee_code, latitude, longitude,
       (sum(greatest(population, 1)) OVER (ORDER BY insee_code))::float8 AS upto
FROM territories_commune;
CREATE INDEX ON bench_cumulative (upto);
ANALYZE bench_cumulative;
INSERT INTO professionals_professional (
    rpps, profession, first_name, last_name, search_name, phone, email, practice_address,
    practice_commune_id, latitude, longitude, directory_profession_code, specialty_code,
    specialty_label, created_at)
SELECT lpad((80000000000 + g.i)::text, 11, '0'),
       CASE WHEN g.r < 0.20 THEN 'medecin' WHEN g.r < 0.55 THEN 'infirmier'
            WHEN g.r < 0.65 THEN 'pharmacien' WHEN g.r < 0.80 THEN 'masseur_kinesitherapeute'
            WHEN g.r < 0.88 THEN 'chirurgien_dentiste' WHEN g.r < 0.93 THEN 'sage_femme'
            ELSE 'orthophoniste' END,
       'Camille', 'Bench' || g.i, 'bench' || g.i || ' camille', '', '', '',
       c.insee_code, c.latitude, c.longitude,
       CASE WHEN g.r < 0.20 THEN '10' ELSE '' END,
       CASE WHEN g.r < 0.11 THEN 'SM54' WHEN g.r < 0.20 THEN 'SM04' ELSE '' END,
       '', now()
FROM (SELECT i, random() AS r, random() * (SELECT max(upto) FROM bench_cumulative) AS pick
      FROM generate_series(1, %(count)s) AS i) AS g
CROSS JOIN LATERAL (
    SELECT insee_code, latitude, longitude FROM bench_cumulative
    WHERE upto >= g.pick ORDER BY upto LIMIT 1) AS c;
"""


def log(message: str) -> None:
    print(message, flush=True)


def _count(name: str, table: str) -> int:
    import psycopg

    try:
        with psycopg.connect(database_url(name)) as connection:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    except psycopg.Error:
        return 0


def prepare(*, rebuild: bool, professionals: int) -> None:
    import psycopg

    if rebuild or not database_exists(OBS_DATABASE) or _count(OBS_DATABASE, "territories_commune") < 30_000:
        log(f"Building {OBS_DATABASE} (once; --rebuild to start over)…")
        create_database(OBS_DATABASE, drop=True)
        log(f"  migrate           {manage('migrate', '--noinput', '-v', '0', name=OBS_DATABASE):7.1f} s")
        log(f"  load_territories  {manage('load_territories', name=OBS_DATABASE):7.1f} s")
    existing = _count(OBS_DATABASE, "professionals_professional")
    if existing != professionals:
        started = time.monotonic()
        with psycopg.connect(database_url(OBS_DATABASE), autocommit=True) as connection:
            connection.execute("DELETE FROM professionals_professional")
            for statement in filter(str.strip, GENERATE.split(";\n")):
                params = {"count": professionals} if "%(count)s" in statement else None
                connection.execute(statement, params)
            connection.execute("VACUUM ANALYZE professionals_professional")
        log(f"  {professionals} professionals generated in {time.monotonic() - started:.1f} s")
    setup_django(OBS_DATABASE)


def ars_client(region: str):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    from accounts.models import AccountStatus, Role, User
    from tests.factories import record_second_factor

    user, _ = User.objects.get_or_create(
        email="bench.observatoire@gomask.fr",
        defaults={"role": Role.ARS_STAFF, "region_id": region, "status": AccountStatus.ACTIVE},
    )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client(SERVER_NAME="localhost")  # in ALLOWED_HOSTS, unlike 'testserver'
    client.force_login(user)
    record_second_factor(client, user)
    return client


def measure_page(client, path: str, *, runs: int, label: str) -> bool:
    return page_against_raw_sql(client, path, runs=runs, label=label, target_p95_ms=TARGET_P95_MS)


def main() -> int:
    parser = bench_arguments("Observatory of access to care at national scale (computation, region page).")
    parser.add_argument("--professionals", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--region", default="44", help="region code (default: Grand Est, the most communes)")
    args = parser.parse_args()
    prepare(rebuild=args.rebuild, professionals=args.professionals)

    from observatory.models import CommuneAccess
    from observatory.services import compute_access

    started = time.monotonic()
    result = compute_access()
    log(
        f"compute_access: {result.communes} communes, {result.epcis} EPCIs, {result.general_practitioners} "
        f"GPs in {result.supply_communes} communes: {time.monotonic() - started:.1f} s"
    )
    communes = CommuneAccess.objects.filter(region_id=args.region).count()
    log(f"Region {args.region}: {communes} communes")
    client = ars_client(args.region)
    met = measure_page(client, "/observatoire/", runs=args.runs, label="EPCI level")
    # The rows and the legend are cached per run and filters; the first request below (not timed)
    # fills the cache, as the first visitor after a nightly run does. Then the cold cost once:
    from django.core.cache import cache

    cache.clear()
    started = time.perf_counter()
    client.get("/observatoire/?level=commune")
    log(f"page commune level, cold cache (once): {(time.perf_counter() - started) * 1000:.0f} ms")
    met &= measure_page(client, "/observatoire/?level=commune", runs=args.runs, label="commune level (all)")
    met &= measure_page(
        client, "/observatoire/carte.json?level=commune", runs=args.runs, label="map points JSON (commune)"
    )
    measure_page(client, "/observatoire/export.csv?level=commune", runs=max(3, args.runs // 4), label="CSV")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(run_bench(main))
