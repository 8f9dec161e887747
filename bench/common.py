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


def prepare_national_database(*, rebuild: bool = False, name: str = BENCH_DATABASE) -> None:
    """Build (or reuse) the national-scale database, then set Django up on it."""
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
