"""Nearest 5 care sites accepting referrals, at national scale (~30,000 FINESS-like sites).

Builds (once) its own database (default gomask_referral_bench, override with
REFERRAL_BENCH_DATABASE): migrated, every territory loaded, 30,000 care sites spread over the
communes of France (kinds, positions a few hundred metres around the commune) with a status
(75 % open and accepting, 10 % saturated, 10 % closed, 5 % never declared). Then, in the same
run and at the same random points of metropolitan France:
- raw SQL: the bounding-box query of the search through a bare cursor, widened like the
  selector, distances in Python (the floor under the ORM);
- in process: `referrals.selectors.nearest_accepting_sites` (limit 5);
- over HTTP: GET /api/sites-de-soins/proches/?latitude=&longitude=&limit=5 through gunicorn
  on 127.0.0.1 (target p95 < 50 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask .venv/bin/python bench/bench_referral.py
"""

import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    HttpClient,
    api_token,
    bench_arguments,
    create_database,
    database_exists,
    gunicorn_server,
    manage,
    print_ratio,
    random_points,
    report,
    run_bench,
    setup_django,
    timed,
)

DATABASE = os.environ.get("REFERRAL_BENCH_DATABASE", "gomask_referral_bench")
SITES = 30_000
QUERIES = 500
LIMIT = 5
HTTP_TARGET_MS = 50
HTTP_TIME_BUDGET_S = 120
BENCH_USER = "bench.adressage@exemple.fr"


def _site_count() -> int:
    import psycopg
    from common import database_url

    try:
        with psycopg.connect(database_url(DATABASE)) as connection:
            return connection.execute("SELECT count(*) FROM distribution_caresite").fetchone()[0]
    except psycopg.Error:
        return 0


def prepare(rebuild: bool) -> None:
    if rebuild or not database_exists(DATABASE) or _site_count() < SITES:
        print(f"Building the referral bench database {DATABASE} (once; --rebuild to start over)…", flush=True)
        create_database(DATABASE, drop=True)
        print(f"  migrate                  {manage('migrate', '--noinput', '-v', '0', name=DATABASE):7.1f} s")
        print(f"  load_territories         {manage('load_territories', name=DATABASE):7.1f} s")
        setup_django(DATABASE)
        started = time.monotonic()
        generate_sites(random.Random(2020))
        print(f"  {SITES} sites + statuses {time.monotonic() - started:7.1f} s")
    else:
        manage("migrate", "--noinput", "-v", "0", name=DATABASE)
        setup_django(DATABASE)
        print(f"Reusing {DATABASE} ({_site_count()} care sites).")


def generate_sites(rng: random.Random) -> None:
    from django.db import transaction
    from django.utils import timezone

    from distribution.models import CareSite, CareSiteKind
    from referrals.models import SiteStatus
    from territories.models import Commune

    communes = list(Commune.objects.values_list("insee_code", "region_id", "latitude", "longitude"))
    kinds = CareSiteKind.values
    now = timezone.now()
    with transaction.atomic():
        sites = []
        for index in range(SITES):
            code, region, lat, lng = rng.choice(communes)
            sites.append(
                CareSite(
                    kind=rng.choice(kinds),
                    name=f"Site de soins {index:05d}",
                    commune_id=code,
                    region_id=region,
                    latitude=lat + rng.uniform(-0.01, 0.01),
                    longitude=lng + rng.uniform(-0.01, 0.01),
                )
            )
        CareSite.objects.bulk_create(sites, batch_size=2000)
        statuses = []
        for site in CareSite.objects.only("pk").iterator():
            draw = rng.random()
            if draw < 0.05:
                continue
            state = "open" if draw < 0.80 else ("saturated" if draw < 0.90 else "closed")
            statuses.append(
                SiteStatus(
                    site=site,
                    state=state,
                    capacity_left=rng.randint(0, 40),
                    covid_track=rng.random() < 0.7,
                    non_covid_track=rng.random() < 0.7,
                    accepts_referrals=state != "closed",
                    declared_at=now - timedelta(hours=rng.uniform(0, 60)),
                )
            )
        SiteStatus.objects.bulk_create(statuses, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE distribution_caresite; ANALYZE referrals_sitestatus;")


RAW_SQL = """
SELECT s.id, s.latitude, s.longitude
FROM distribution_caresite s
JOIN referrals_sitestatus st ON st.site_id = s.id
WHERE s.is_active AND st.accepts_referrals AND st.state <> 'closed'
  AND s.latitude BETWEEN %s AND %s AND s.longitude BETWEEN %s AND %s
"""


def bench_raw_sql(points) -> list[float]:
    from django.db import connection

    from pharmacies.selectors import SEARCH_WIDENING
    from referrals.selectors import NEAREST_INITIAL_KM, NEAREST_RADIUS_KM
    from territories.geo import bounding_box, haversine_km

    def search(lat, lng):
        current = NEAREST_INITIAL_KM
        with connection.cursor() as cursor:
            while True:
                cursor.execute(RAW_SQL, bounding_box(lat, lng, current))
                found = [
                    (d, pk)
                    for pk, a, b in cursor.fetchall()
                    if (d := haversine_km(lat, lng, a, b)) <= current
                ]
                if len(found) >= LIMIT or current >= NEAREST_RADIUS_KM:
                    return sorted(found)[:LIMIT]
                current = min(current * SEARCH_WIDENING, NEAREST_RADIUS_KM)

    return timed(search, points)


def bench_in_process(points) -> tuple[list[float], list[int]]:
    from referrals.selectors import nearest_accepting_sites

    found = []

    def search(lat, lng):
        found.append(len(nearest_accepting_sites(latitude=lat, longitude=lng, limit=LIMIT)))

    samples = timed(search, points)
    return samples, found[-len(samples) :]


def bench_http(base_url: str, token: str, points) -> list[float]:
    client = HttpClient(base_url, {"Authorization": f"Token {token}"})

    def get(lat, lng):
        query = urlencode({"latitude": f"{lat:.5f}", "longitude": f"{lng:.5f}", "limit": LIMIT})
        return json.loads(client.get(f"/api/sites-de-soins/proches/?{query}"))

    try:
        return timed(get, points, budget_s=HTTP_TIME_BUDGET_S)
    finally:
        client.close()


def main() -> int:
    args = bench_arguments(__doc__.splitlines()[0]).parse_args()
    prepare(args.rebuild)
    from django.db import connection

    from distribution.models import CareSite
    from referrals.models import SiteStatus

    print(
        f"Care sites: {CareSite.objects.count()}, accepting referrals: "
        f"{SiteStatus.objects.filter(accepts_referrals=True).count()}"
    )
    points = random_points(QUERIES, random.Random(2020))
    raw = bench_raw_sql(points)
    orm, found = bench_in_process(points)
    print(f"Sites per search: mean {sum(found) / len(found):.1f} (limit {LIMIT})")
    from accounts.models import Role

    token = api_token(BENCH_USER, Role.PROFESSIONAL)
    connection.close()
    with gunicorn_server(workers=1, name=DATABASE) as base_url:
        http_samples = bench_http(base_url, token, points)
    report("raw SQL (cursor, same boxes)", raw)
    report("in process (selector)", orm)
    print_ratio("selector / raw SQL", orm, raw)
    met = report("HTTP GET /api/sites-de-soins/proches/", http_samples, target_p95_ms=HTTP_TARGET_MS)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(run_bench(main))
