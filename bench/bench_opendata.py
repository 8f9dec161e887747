"""Open-data feeds: requests per second through gunicorn, next to a static file (the ceiling).

Builds (once) a database with the regional demo data (`seed_demo`: Occitanie, about 1,800
officines with stock), starts gunicorn (sync workers) with the Redis cache, then loads with `wrk`
(Debian package; a small Python thread client when wrk is missing):
- the pharmacies feed of one département (Gers), JSON, full 200 responses;
- the same feed answered 304 (the client sends the ETag, as a polling application does);
- the whole region's pharmacies feed in GeoJSON;
- a static file served by WhiteNoise in the same gunicorn: the ceiling of this machine.
It prints requests/s of each next to the target (1,000/s for the feed), with the machine's
load average and CPU use by others before and after, since the 2 cores may be shared.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/bench_opendata.py [--rebuild] [--seconds 10] [--workers 4]

The rate limit stays on (a high limit, so every request still counts in Redis).
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    bench_arguments,
    create_database,
    database_exists,
    gunicorn_server,
    manage,
    setup_django,
)

TARGET_RPS = 1000
DATABASE = os.environ.get("BENCH_OPENDATA_DATABASE", "gomask_bench_opendata")
FEED = "/api/donnees-ouvertes/officines/"
STATIC = "/static/css/portal.css"


def prepare_database(*, rebuild: bool) -> None:
    """The regional demo data in its own database (built once, reused unless --rebuild)."""
    if rebuild or not database_exists(DATABASE):
        print(f"Building the bench database {DATABASE} (once; --rebuild to start over)…", flush=True)
        create_database(DATABASE, drop=True)
        manage("migrate", "--noinput", "-v", "0", name=DATABASE)
        manage("load_territories", name=DATABASE)
        manage("seed_demo", name=DATABASE)
    else:
        manage("migrate", "--noinput", "-v", "0", name=DATABASE)
    setup_django(DATABASE)


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def machine_state(label: str) -> None:
    busy1, total1 = cpu_times()
    time.sleep(2)
    busy2, total2 = cpu_times()
    share = 100 * (busy2 - busy1) / max(total2 - total1, 1)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"machine {label}: load average {load}; CPU busy over 2 s (others, no bench load): {share:.0f} %")


def run_wrk(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> float:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        print(f"  warning: {non_2xx.group(1)} responses were neither 2xx nor 3xx")
    latency = re.search(r"99%\s+(\S+)", output)
    p99 = latency.group(1) if latency else "?"
    print(f"  wrk: {output.strip().splitlines()[-2].strip()}; p99 latency {p99}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def run_threads(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> float:
    """The fallback load generator: `connections` threads, one request after another each."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    deadline = time.monotonic() + seconds
    counts = [0] * connections

    def client(index: int) -> None:
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
            connection.close()
            counts[index] += 1

    threads = [threading.Thread(target=client, args=(index,)) for index in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = bench_arguments("Open-data feeds: requests/s through gunicorn next to a static file.")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers (keep-alive)")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL (the feeds are served from the Redis cache).")
    os.environ["OPENDATA_RATE_LIMIT"] = "1000000000"
    # Its own keys in Redis: the test suite's rate counters on the same database stay apart.
    os.environ["CACHE_KEY_PREFIX"] = "gomask-bench-opendata"
    prepare_database(rebuild=args.rebuild)
    load = run_wrk if shutil.which("wrk") else run_threads
    print(f"load generator: {'wrk' if load is run_wrk else 'Python threads (wrk not installed)'}")

    from pharmacies.models import Pharmacy

    print(
        f"data: {Pharmacy.objects.filter(is_active=True).count()} open officines, "
        f"{Pharmacy.objects.filter(is_active=True, departement_id='32').count()} in the Gers"
    )
    machine_state("before")
    results = {}
    with gunicorn_server(workers=args.workers, threads=args.threads, name=DATABASE) as base_url:
        gers = f"{base_url}{FEED}?departement=32"
        region = f"{base_url}{FEED}?format=geojson"
        with urllib.request.urlopen(gers) as response:  # warms the cache
            etag = response.headers["ETag"]
            size = len(response.read())
        with urllib.request.urlopen(region) as response:
            region_size = len(response.read())
        runs = [
            (f"feed, Gers, JSON 200 ({size / 1024:.0f} KB)", gers, {}),
            ("feed, Gers, 304 (If-None-Match)", gers, {"If-None-Match": etag}),
            (f"feed, Occitanie, GeoJSON 200 ({region_size / 1024:.0f} KB)", region, {}),
            ("static file (WhiteNoise), the ceiling", f"{base_url}{STATIC}", {}),
        ]
        for label, url, headers in runs:
            print(f"{label} …", flush=True)
            results[label] = load(url, seconds=args.seconds, connections=args.connections, headers=headers)
    machine_state("after")
    print(
        f"\ngunicorn {args.workers} workers × {args.threads} thread(s), {args.connections} connections, "
        f"{args.seconds} s each, {os.cpu_count()} cores"
    )
    ceiling = results[runs[-1][0]]
    for label, rps in results.items():
        line = f"{label:<48} {rps:9.0f} requests/s   {100 * rps / ceiling:5.0f} % of the static file"
        if label.startswith("feed, Gers"):
            line += f"   target {TARGET_RPS}/s: {'OK' if rps >= TARGET_RPS else 'MISSED'}"
        print(line)


if __name__ == "__main__":
    main()
