"""Nearest-pharmacies-with-stock search at national scale (~20,500 officines).

Builds (once) the national bench database, gives the officines stock (the demo stock:
most have surgical masks, some are sold out), then measures the search latency:
- in process: `pharmacies.selectors.nearest_pharmacies_with_stock` at 1,000 random points
  of metropolitan France (target p95 < 20 ms);
- next to it, the same SQL statements (captured from each search) replayed raw through a bare
  psycopg connection: the ratio is the ORM's and Python's share; the statements per search
  are printed (one per widening of the search box);
- the same two with 16 concurrent clients (threads, one connection each);
- over HTTP: GET /api/availability/ through gunicorn on 127.0.0.1 (target p95 < 50 ms), one
  client, then 16 concurrent clients (their p95 next to the raw SQL's with 16 threads).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask .venv/bin/python bench/bench_search.py [--rebuild]
"""

import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH_DATABASE,
    HttpClient,
    api_token,
    bench_arguments,
    captured_statements,
    database_url,
    gunicorn_server,
    prepare_national_database,
    print_ratio,
    random_points,
    report,
    run_bench,
    timed,
    timed_concurrently,
)

IN_PROCESS_TARGET_MS = 20
HTTP_TARGET_MS = 50
QUERIES = 1000
HTTP_TIME_BUDGET_S = 180
RADIUS_KM = 20
LIMIT = 20
# Concurrent clients of the second run (threads in process, connections over HTTP).
CLIENTS = 16
BENCH_USER = "bench.recherche@exemple.fr"


def give_stock() -> None:
    from pharmacies.demo import seed_stock
    from pharmacies.models import StockLevel

    started = time.monotonic()
    created = seed_stock(regions=None)
    levels = StockLevel.objects.count()
    print(f"Stock: {levels} levels ({created} created now, {time.monotonic() - started:.1f} s).")


def search(lat, lng):
    from pharmacies.selectors import nearest_pharmacies_with_stock

    return nearest_pharmacies_with_stock(
        latitude=lat, longitude=lng, product_code="surgical", radius_km=RADIUS_KM, limit=LIMIT
    )


def capture(points) -> tuple[list[list[str]], list[int]]:
    """The SQL statements of each search (parameters inlined) and the rows each one found."""
    statements, found = [], []
    for lat, lng in points:
        rows, sql = captured_statements(lambda lat=lat, lng=lng: search(lat, lng))
        statements.append(sql)
        found.append(len(rows))
    return statements, found


class RawReplay:
    """The captured statements of a search, run through one bare psycopg connection."""

    def __init__(self):
        import psycopg

        self.connection = psycopg.connect(database_url(BENCH_DATABASE), autocommit=True)

    def __call__(self, statements):
        with self.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                cursor.fetchall()

    def close(self):
        self.connection.close()


def bench_in_process(points, statements) -> dict[str, list[float]]:
    """The selector (ORM) and the same SQL replayed raw, one client then CLIENTS threads."""
    samples = {"orm": timed(search, points)}
    replay = RawReplay()
    samples["raw"] = timed(replay, [(sql,) for sql in statements])
    replay.close()
    samples["orm_concurrent"], wall = timed_concurrently(lambda: search, points, clients=CLIENTS)
    print(f"  {CLIENTS} threads, selector: {len(points) / wall:,.0f} searches/s", flush=True)
    samples["raw_concurrent"], wall = timed_concurrently(
        RawReplay, [(sql,) for sql in statements], clients=CLIENTS
    )
    print(f"  {CLIENTS} threads, raw SQL: {len(points) / wall:,.0f} searches/s", flush=True)
    from django.db import connection

    connection.close()
    return samples


def bench_http(base_url: str, token: str, points) -> tuple[list[float], list[float]]:
    """GET /api/availability/ by one client, then by CLIENTS concurrent clients."""

    def path(lat, lng):
        query = urlencode({"latitude": f"{lat:.5f}", "longitude": f"{lng:.5f}", "radius": RADIUS_KM})
        return f"/api/availability/?{query}"

    def client():
        http = HttpClient(base_url, {"Authorization": f"Token {token}"})

        def get(lat, lng):
            return json.loads(http.get(path(lat, lng)))

        get.close = http.close
        return get

    one = client()
    single = timed(one, points, budget_s=HTTP_TIME_BUDGET_S)
    one.close()
    concurrent, wall = timed_concurrently(client, points, clients=CLIENTS)
    print(f"  {CLIENTS} HTTP clients: {len(points) / wall:,.0f} searches/s", flush=True)
    return single, concurrent


def main() -> int:
    args = bench_arguments(__doc__.splitlines()[0]).parse_args()
    prepare_national_database(rebuild=args.rebuild)
    from accounts.models import Role
    from pharmacies.models import Pharmacy

    print(f"Officines: {Pharmacy.objects.count()}")
    give_stock()
    points = random_points(QUERIES, random.Random(2020))
    statements, found = capture(points)
    print(
        f"Results per search: mean {sum(found) / len(found):.1f}, "
        f"{sum(1 for n in found if n == 0)} searches with none within {RADIUS_KM} km; "
        f"SQL statements per search: mean {sum(map(len, statements)) / len(statements):.2f}, "
        f"max {max(map(len, statements))}"
    )
    samples = bench_in_process(points, statements)
    ok_process = report("nearest-with-stock, in process", samples["orm"], target_p95_ms=IN_PROCESS_TARGET_MS)
    report("  same SQL replayed raw", samples["raw"])
    print_ratio("selector / raw SQL", samples["orm"], samples["raw"])
    report(f"in process, {CLIENTS} threads", samples["orm_concurrent"])
    report(f"  same SQL replayed raw, {CLIENTS} threads", samples["raw_concurrent"])
    print_ratio(
        f"selector / raw SQL, {CLIENTS} threads", samples["orm_concurrent"], samples["raw_concurrent"]
    )

    token = api_token(BENCH_USER, Role.PHARMACIST)
    with gunicorn_server(workers=2) as base_url:
        http_single, http_concurrent = bench_http(base_url, token, points)
    ok_http = report(
        "nearest-with-stock, HTTP (gunicorn, 1 client)", http_single, target_p95_ms=HTTP_TARGET_MS
    )
    report(f"nearest-with-stock, HTTP ({CLIENTS} clients)", http_concurrent)
    print_ratio(
        f"HTTP {CLIENTS} clients / raw SQL {CLIENTS} threads", http_concurrent, samples["raw_concurrent"]
    )
    return 0 if ok_process and ok_http else 1


if __name__ == "__main__":
    sys.exit(run_bench(main))
