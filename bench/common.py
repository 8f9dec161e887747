"""Shared helpers for the bench/ scripts: a national-scale PostgreSQL database, Django set up
on it, a gunicorn server on a random local port, and figures printed next to their targets.

Usage from a script in bench/:

    from common import bench_arguments, prepare_national_database, gunicorn_server, report

    args = bench_arguments("What this bench measures").parse_args()
    prepare_national_database(rebuild=args.rebuild)   # also sets Django up on that database
    with gunicorn_server() as base_url:
        ...

The database (default name gomask_bench, override with BENCH_DATABASE) is built once:
created, migrated, territories loaded, `seed_demo --national` run; later runs reuse it
unless --rebuild is given. The server comes from DATABASE_URL (same server, other name).
"""

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/gomask"
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "gomask_bench")
# Pharmacies in the national demo data: fewer means the build did not finish.
NATIONAL_MIN_PHARMACIES = 19_000


def bench_arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--rebuild", action="store_true", help="Drop and rebuild the national bench database."
    )
    return parser


def database_url(name: str = BENCH_DATABASE) -> str:
    """DATABASE_URL with its database name replaced by `name`."""
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_environment(name: str = BENCH_DATABASE) -> dict[str, str]:
    """The environment of every process of the bench (manage.py, gunicorn, this script)."""
    env = dict(os.environ)
    env.update(
        {
            "GOMASK_ENV": "test",
            "DEBUG": "false",
            "DATABASE_URL": database_url(name),
            "GEOCODER_BACKEND": "none",
            "DJANGO_SETTINGS_MODULE": "gomask.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    return env


def _admin_connection():
    import psycopg

    return psycopg.connect(database_url("postgres"), autocommit=True)


def database_exists(name: str = BENCH_DATABASE) -> bool:
    with _admin_connection() as connection:
        return (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        )


def create_database(name: str = BENCH_DATABASE, *, drop: bool = False) -> None:
    from psycopg import sql

    with _admin_connection() as connection:
        if drop:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(*args: str, name: str = BENCH_DATABASE) -> float:
    """Run `manage.py args` on the bench database; returns the seconds it took."""
    started = time.monotonic()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=bench_environment(name), check=True)
    return time.monotonic() - started


def setup_django(name: str = BENCH_DATABASE) -> None:
    """Configure this process's Django on the bench database."""
    os.environ.update(bench_environment(name))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _pharmacy_count(name: str) -> int:
    import psycopg

    try:
        with psycopg.connect(database_url(name)) as connection:
            return connection.execute("SELECT count(*) FROM pharmacies_pharmacy").fetchone()[0]
    except psycopg.Error:
        return 0


def prepare_national_database(
    *, rebuild: bool = False, name: str = BENCH_DATABASE, setup: bool = True
) -> None:
    """Build (or reuse) the national-scale database, then (unless `setup` is false: a bench that
    works on a copy) set this process's Django up on it."""
    if rebuild or not database_exists(name) or _pharmacy_count(name) < NATIONAL_MIN_PHARMACIES:
        print(f"Building the national bench database {name} (once; --rebuild to start over)…", flush=True)
        create_database(name, drop=True)
        timings = {
            "migrate": manage("migrate", "--noinput", "-v", "0", name=name),
            "load_territories": manage("load_territories", name=name),
            "seed_demo --national": manage("seed_demo", "--national", "--quiet-logins", name=name),
        }
        for step, seconds in timings.items():
            print(f"  {step:<24} {seconds:7.1f} s")
    else:
        print(f"Reusing the national bench database {name} ({_pharmacy_count(name)} pharmacies).")
        manage("migrate", "--noinput", "-v", "0", name=name)
    if setup:
        setup_django(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(*, workers: int = 2, threads: int = 1, name: str = BENCH_DATABASE, timeout: float = 60):
    """gunicorn serving the portal on 127.0.0.1:<random port>; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = bench_environment(name)
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["DATABASE_CONN_MAX_AGE"] = "600"
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "gomask.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {process.returncode}")
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer /healthz in time") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(samples: list[float], fraction: float) -> float:
    """The `fraction` quantile (0..1) of samples, by linear interpolation."""
    if not samples:
        raise ValueError("no samples")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(fraction * 100) - 1]


def report(label: str, samples_ms: list[float], *, target_p95_ms: float | None = None) -> bool:
    """Print p50/p95 of latencies in milliseconds; returns whether p95 meets the target."""
    p50, p95 = percentile(samples_ms, 0.50), percentile(samples_ms, 0.95)
    line = f"{label:<44} n={len(samples_ms):<6} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms"
    met = True
    if target_p95_ms is not None:
        met = p95 <= target_p95_ms
        line += f"   target p95 < {target_p95_ms:g} ms: {'OK' if met else 'MISSED'}"
    print(line, flush=True)
    return met


# --- The machine ------------------------------------------------------------------------------


def load() -> str:
    """The machine's load average: the figures of a run mean little when it is busy."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def run_bench(main) -> int:
    """Run a bench's main(), printing the machine's load before and after; its exit status."""
    print(f"Before: {load()}", flush=True)
    try:
        status = main()
    finally:
        print(f"After: {load()}", flush=True)
    return int(status or 0)


# --- Timing loops -----------------------------------------------------------------------------


def timed(call, items, *, warmup: int = 20, budget_s: float | None = None) -> list[float]:
    """Milliseconds of `call(*item)` for each item, after `warmup` untimed calls; stops early
    (and says so) when `budget_s` is spent."""
    items = list(items)
    for item in items[:warmup]:
        call(*item)
    samples = []
    deadline = time.monotonic() + budget_s if budget_s else None
    for item in items:
        started = time.perf_counter()
        call(*item)
        samples.append((time.perf_counter() - started) * 1000)
        if deadline and time.monotonic() > deadline:
            print(f"  (time budget of {budget_s:g} s reached after {len(samples)} calls)", flush=True)
            break
    return samples


def timed_concurrently(make_call, items, *, clients: int, warmup: int = 5) -> tuple[list[float], float]:
    """`clients` threads share `items`; each thread gets its own callable from `make_call()`
    (its own connection) and makes `warmup` untimed calls before the clock starts. Returns the
    latencies in milliseconds and the wall-clock seconds of the whole run. Django connections
    the threads opened are closed at their end."""
    import queue
    import threading

    items = list(items)
    work: queue.Queue = queue.Queue()
    for item in items:
        work.put(item)
    samples: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    calls = [make_call() for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def client(call):
        mine = []
        try:
            for item in items[:warmup]:
                call(*item)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)
        start.wait()
        try:
            while True:
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    break
                began = time.perf_counter()
                call(*item)
                mine.append((time.perf_counter() - began) * 1000)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)
        with lock:
            samples.extend(mine)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=client, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    for call in calls:
        close = getattr(call, "close", None)
        if close:
            close()
    if errors:
        raise errors[0]
    return samples, wall


def print_ratio(label: str, measured: list[float], floor: list[float]) -> None:
    """The ratio of two sets of latencies (what is compared between machines)."""
    print(
        f"  ratio {label}: p50 {percentile(measured, 0.5) / percentile(floor, 0.5):.2f}   "
        f"p95 {percentile(measured, 0.95) / percentile(floor, 0.95):.2f}",
        flush=True,
    )


# --- HTTP and pages ---------------------------------------------------------------------------


class HttpClient:
    """One keep-alive HTTP/1.1 connection to the bench's gunicorn; reconnects once if dropped."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 10):
        import http.client

        self._http = http.client
        address = urlsplit(base_url)
        self.host, self.port, self.timeout = address.hostname, address.port, timeout
        self.headers = {"Accept": "application/json", "Connection": "keep-alive", **(headers or {})}
        self.connection = self._connect()

    def _connect(self):
        return self._http.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def get(self, path: str) -> bytes:
        """GET path; its body (SystemExit on anything but 200)."""
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                break
            except (ConnectionError, self._http.HTTPException):
                self.connection.close()
                self.connection = self._connect()
                if attempt:
                    raise
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: {body[:300]!r}")
        return body

    def close(self) -> None:
        self.connection.close()


def replay_raw(statements: list[str], *, runs: int) -> list[float]:
    """Milliseconds of running `statements` (SQL as captured, parameters inlined) through a bare
    cursor of Django's connection, fetching every row: the floor under an ORM path."""
    from django.db import connection

    samples = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            for statement in statements:
                cursor.execute(statement)
                if cursor.description:
                    cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def as_web_worker() -> None:
    """This process set up as a gunicorn worker is, before its pages are timed through the test
    client: gomask/wsgi.py loads the application and freezes the long-lived objects out of the
    garbage collector's generations (an import: done once per process)."""
    import gomask.wsgi  # noqa: F401


def captured_statements(call) -> tuple[object, list[str]]:
    """(call()'s result, the SQL statements it ran on Django's default connection)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, [query["sql"] for query in captured.captured_queries]


def page_against_raw_sql(
    client, path: str, *, runs: int, label: str, target_p95_ms: float, max_ratio: float | None = None
) -> bool:
    """p50/p95 of a page through Django's test client, next to the same SQL statements (captured
    from one render) replayed raw, one run of each in turn, and their ratio; returns whether the
    page meets the target (and, with `max_ratio`, whether its p95 is within that many times the
    raw SQL's)."""

    as_web_worker()

    def get():
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        return body

    body, statements = captured_statements(get)
    get()  # warm-up
    # Page and raw SQL alternate, so that a drift of the machine weighs on both alike.
    page_ms, sql_ms = [], []
    for _ in range(runs):
        page_ms += timed(get, [()], warmup=0)
        sql_ms += replay_raw(statements, runs=1)
    met = report(f"page {label}", page_ms, target_p95_ms=target_p95_ms)
    report(f"  same {len(statements)} SQL statements, raw", sql_ms)
    print_ratio("page / raw SQL", page_ms, sql_ms)
    ratio = percentile(page_ms, 0.95) / percentile(sql_ms, 0.95)
    line = f"  {len(body) // 1024} KiB"
    if max_ratio is not None:
        within = ratio <= max_ratio
        met &= within
        line += f"; target p95 ratio <= {max_ratio:g}: {'OK' if within else 'MISSED'}"
    print(line, flush=True)
    return met


# --- Search points and API users ----------------------------------------------------------------

# Metropolitan France, roughly: where the random search points fall.
MIN_LAT, MAX_LAT, MIN_LNG, MAX_LNG = 42.4, 51.0, -4.7, 8.2


def random_points(count: int, rng) -> list[tuple[float, float]]:
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


def api_token(email: str, role: str) -> str:
    """The API token of an active bench user with this role (created the first time)."""
    from rest_framework.authtoken.models import Token

    from accounts.models import AccountStatus, User

    user, _created = User.objects.get_or_create(
        email=email, defaults={"role": role, "status": AccountStatus.ACTIVE}
    )
    token, _created = Token.objects.get_or_create(user=user)
    return token.key
