"""Nearest-pharmacies-with-stock search at national scale (~20,500 officines).

Builds (once) the national bench database, gives the officines stock (the demo stock:
most have surgical masks, some are sold out), then measures the search latency:
- in process: `pharmacies.selectors.nearest_pharmacies_with_stock` at 1,000 random points
  of metropolitan France (target p95 < 20 ms);
- over HTTP: GET /api/availability/ through gunicorn on 127.0.0.1 (target p95 < 50 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask .venv/bin/python bench/bench_search.py [--rebuild]
"""

import http.client
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_arguments, gunicorn_server, prepare_national_database, report  # noqa: E402

IN_PROCESS_TARGET_MS = 20
HTTP_TARGET_MS = 50
QUERIES = 1000
HTTP_TIME_BUDGET_S = 180
RADIUS_KM = 20
LIMIT = 20
# Metropolitan France, roughly: where the random search points fall.
MIN_LAT, MAX_LAT, MIN_LNG, MAX_LNG = 42.4, 51.0, -4.7, 8.2
BENCH_USER = "bench.recherche@exemple.fr"


def random_points(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Half near real communes (where people search from), half uniform over the mainland box."""
    from territories.models import Commune

    communes = list(
        Commune.objects.filter(
            latitude__range=(MIN_LAT, MAX_LAT), longitude__range=(MIN_LNG, MAX_LNG)
        ).values_list("latitude", "longitude")
    )
    points = []
    for index in range(count):
        if index % 2:
            points.append((rng.uniform(MIN_LAT, MAX_LAT), rng.uniform(MIN_LNG, MAX_LNG)))
        else:
            lat, lng = rng.choice(communes)
            points.append((lat + rng.uniform(-0.02, 0.02), lng + rng.uniform(-0.02, 0.02)))
    return points


def give_stock() -> None:
    from pharmacies.demo import seed_stock
    from pharmacies.models import StockLevel

    started = time.monotonic()
    created = seed_stock(regions=None)
    levels = StockLevel.objects.count()
    print(f"Stock: {levels} levels ({created} created now, {time.monotonic() - started:.1f} s).")


def bench_in_process(points) -> tuple[list[float], list[int]]:
    from django.db import connection

    from pharmacies.selectors import nearest_pharmacies_with_stock

    def search(lat, lng):
        return nearest_pharmacies_with_stock(
            latitude=lat, longitude=lng, product_code="surgical", radius_km=RADIUS_KM, limit=LIMIT
        )

    for lat, lng in points[:20]:  # warm the connection and PostgreSQL's caches
        search(lat, lng)
    samples, found = [], []
    for lat, lng in points:
        started = time.perf_counter()
        rows = search(lat, lng)
        samples.append((time.perf_counter() - started) * 1000)
        found.append(len(rows))
    connection.close()
    return samples, found


def api_token() -> str:
    from rest_framework.authtoken.models import Token

    from accounts.models import AccountStatus, Role, User

    user, _created = User.objects.get_or_create(
        email=BENCH_USER, defaults={"role": Role.PHARMACIST, "status": AccountStatus.ACTIVE}
    )
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def bench_http(base_url: str, token: str, points) -> list[float]:
    address = urlsplit(base_url)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Connection": "keep-alive"}
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)

    def get(lat, lng):
        nonlocal connection
        query = urlencode({"latitude": f"{lat:.5f}", "longitude": f"{lng:.5f}", "radius": RADIUS_KM})
        for attempt in range(2):
            try:
                connection.request("GET", f"/api/availability/?{query}", headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                break
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
                if attempt:
                    raise
        if response.status != 200:
            raise SystemExit(f"/api/availability/ answered {response.status}: {body[:300]!r}")
        return json.loads(body)

    for lat, lng in points[:20]:
        get(lat, lng)
    samples = []
    deadline = time.monotonic() + HTTP_TIME_BUDGET_S
    for lat, lng in points:
        started = time.perf_counter()
        get(lat, lng)
        samples.append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            print(f"  (HTTP time budget of {HTTP_TIME_BUDGET_S} s reached after {len(samples)} requests)")
            break
    connection.close()
    return samples


def main() -> int:
    args = bench_arguments(__doc__.splitlines()[0]).parse_args()
    prepare_national_database(rebuild=args.rebuild)
    from pharmacies.models import Pharmacy

    print(f"Officines: {Pharmacy.objects.count()}")
    give_stock()
    points = random_points(QUERIES, random.Random(2020))

    samples, found = bench_in_process(points)
    print(
        f"Results per search: mean {sum(found) / len(found):.1f}, "
        f"{sum(1 for n in found if n == 0)} searches with none within {RADIUS_KM} km"
    )
    ok_process = report("nearest-with-stock, in process", samples, target_p95_ms=IN_PROCESS_TARGET_MS)

    token = api_token()
    with gunicorn_server(workers=2) as base_url:
        http_samples = bench_http(base_url, token, points)
    ok_http = report(
        "nearest-with-stock, HTTP (gunicorn, 1 client)", http_samples, target_p95_ms=HTTP_TARGET_MS
    )
    return 0 if ok_process and ok_http else 1


if __name__ == "__main__":
    sys.exit(main())
