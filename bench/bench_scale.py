"""Handovers per second through haproxy with one web node, then with two, next to pgbench running
the same transaction as raw SQL, all in one run: the figures the sizing of docs/deploy.md rests on.

The stack is the scale smoke's (scripts/scale_smoke.py, `Stack`): production settings, PgBouncer
in transaction mode in front of the local PostgreSQL, gunicorn web nodes behind haproxy, all on
loopback, ports from SCALE_BENCH_PORT_BASE (17540) up. The load and the SQL are
bench/bench_handover.py's: token-authenticated pharmacists of many pharmacies POST
/api/dispensations/ (1 mask, a fresh Idempotency-Key each) to professionals with nothing
received this week, from client threads, for a bounded duration; pgbench runs the statements
of one handover (one per round trip, one commit) straight on PostgreSQL, with as many clients.

Phases, each `--seconds` long:
  1. one web node behind haproxy;
  2. two web nodes behind haproxy (the second started, haproxy restarted with both);
  3. pgbench, the same SQL without Python, HTTP nor pooler (the ceiling of this machine).
Each phase prints its rate, its latencies, and the CPU spent per handover by Django (gunicorn),
by PostgreSQL, by haproxy + PgBouncer, by the bench clients and by the rest of the machine
(other work on it: under load, the rates mean little, the CPU per handover still does).
The load average is printed before and after.

Database: the national one of bench/common.py (gomask_bench, built once), or with --small an
Occitanie one (gomask_scale_bench: the demo region and --professionals professionals without
account, built once), for a quick run on a loaded machine:

    GOMASK_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask \\
        .venv/bin/python bench/bench_scale.py [--small] [--seconds 20 --clients 16]

Needs Debian's haproxy and pgbouncer, pgbench, and the local Redis (SCALE_SMOKE_REDIS, databases
SCALE_SMOKE_REDIS_DBS as for the smoke). The stack is stopped at the end, on an error or on
SIGTERM; what a killed run left is stopped at the start of the next (SCALE_BENCH_DIR/pids).
"""

import argparse
import contextlib
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "scripts"), str(ROOT)]

SMALL_DATABASE = "gomask_scale_bench"
WORK = Path(os.environ.get("SCALE_BENCH_DIR", "/tmp/gomask-scale-bench"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="Drop and rebuild the bench database.")
    parser.add_argument(
        "--small",
        action="store_true",
        help=f"Occitanie database ({SMALL_DATABASE}) instead of the national one.",
    )
    parser.add_argument(
        "--professionals", type=int, default=20_000, help="With --small: professionals seeded."
    )
    parser.add_argument("--seconds", type=int, default=20, help="Duration of each phase (default 20 s).")
    parser.add_argument(
        "--clients", type=int, default=16, help="Concurrent clients in each phase (default 16)."
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=3,
        help="gunicorn workers per web node (default 3, as a web replica of docs/deploy.md).",
    )
    parser.add_argument("--web-threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
    parser.add_argument("--pharmacies", type=int, default=200, help="Pharmacies handing over (default 200).")
    parser.add_argument(
        "--per-phase",
        type=int,
        default=4000,
        help="Professionals per phase (default 4000; each gets one mask, a second only if the phase "
        "hands over more than this).",
    )
    parser.add_argument("--show-sql", action="store_true", help="Print the pgbench script.")
    return parser.parse_args()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- The database -------------------------------------------------------------------------------


def prepare_small_database(name: str, professionals: int, *, rebuild: bool) -> None:
    """Occitanie with its demo data and `professionals` professionals without account (built once)."""
    from common import create_database, database_exists, manage, setup_django

    if rebuild or not database_exists(name):
        print(f"Building the bench database {name} (once; --rebuild to start over)…", flush=True)
        create_database(name, drop=True)
        for args in (
            ("migrate", "--noinput", "-v", "0"),
            ("load_territories", "--regions", "76", "--if-changed"),
            ("seed_demo", "--quiet-logins"),
        ):
            print(f"  {args[0]:<20} {manage(*args, name=name):7.1f} s", flush=True)
    else:
        manage("migrate", "--noinput", "-v", "0", name=name)
    setup_django(name)
    import scale_smoke

    from professionals.models import Professional

    existing = Professional.objects.filter(email__endswith="@scale.gomask.fr").count()
    if existing < professionals:
        scale_smoke.seed_professionals(professionals - existing, first=existing)


# --- The stack ----------------------------------------------------------------------------------


def wait_for_nodes(stack, nodes: int, timeout: float = 90) -> set[str]:
    """Until haproxy answers ready and has served from `nodes` distinct web nodes."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(seen) < nodes:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{stack.base_url}/healthz/ready", timeout=5) as response,
        ):
            if response.status == 200 and response.headers.get("X-Served-By"):
                seen.add(response.headers["X-Served-By"])
        time.sleep(0.2)
    if len(seen) < nodes:
        raise SystemExit(f"haproxy served from {sorted(seen)} only, {nodes} expected: logs in {stack.work}")
    return seen


def side_pids(stack) -> list[int]:
    """haproxy and PgBouncer: the machinery a web node does not have on one machine."""
    pids = [stack.processes["haproxy"].pid]
    with contextlib.suppress(OSError, ValueError):
        pids.append(int((stack.work / "pgbouncer" / "pgbouncer.pid").read_text()))
    return pids


def http_phase(label: str, stack, actors, professionals, args, *, nodes: int) -> dict:
    import bench_handover as handover

    served = wait_for_nodes(stack, nodes)
    handover._warm_up(stack.base_url, args.web_workers * nodes)
    sides = side_pids(stack)
    sides_before = handover._process_ticks(sides)
    cpu = handover.CpuMeter(handover._gunicorn_pids(), database=os.environ["BENCH_DATABASE"])
    with cpu:
        rate, latencies, errors = handover.http_phase(
            stack.base_url, actors, professionals, seconds=args.seconds, clients=args.clients
        )
    sides_cpu = (handover._process_ticks(sides) - sides_before) / handover.TICKS
    latencies.sort()
    count = max(round(rate * cpu.elapsed), 1)
    result = {
        "label": label,
        "rate": rate,
        "p50": latencies[len(latencies) // 2] if latencies else float("nan"),
        "p95": latencies[int(len(latencies) * 0.95)] if latencies else float("nan"),
        "django": cpu.server_cpu * 1000 / count,
        "database": cpu.database_cpu * 1000 / count,
        "sides": sides_cpu * 1000 / count,
        "clients": cpu.own_cpu * 1000 / count,
        "other": (cpu.machine_busy - cpu.server_cpu - cpu.database_cpu - cpu.own_cpu - sides_cpu)
        / cpu.elapsed,
        "idle": cpu.machine_idle_share,
    }
    print(
        f"{label:<28} {rate:8.1f} handovers/s   p50 {result['p50']:.1f} ms  p95 {result['p95']:.1f} ms"
        f"   (nodes {', '.join(sorted(served))}; load average {load()})",
        flush=True,
    )
    print(
        f"  CPU ms per handover: Django {result['django']:.2f}, PostgreSQL {result['database']:.2f}, "
        f"haproxy + PgBouncer {result['sides']:.2f}, bench clients {result['clients']:.2f}; "
        f"other work on the machine {result['other']:.2f} cores, idle {result['idle']:.0%}",
        flush=True,
    )
    if errors:
        print(f"  non-201 answers: {errors}", flush=True)
    result["errors"] = sum(errors.values())
    return result


def main() -> int:
    args = parse_args()
    name = SMALL_DATABASE if args.small else os.environ.get("BENCH_DATABASE", "gomask_bench")
    # bench/common.py and bench_handover.py read the database's name when imported.
    os.environ["BENCH_DATABASE"] = name
    os.environ.setdefault("SCALE_SMOKE_PORT_BASE", os.environ.get("SCALE_BENCH_PORT_BASE", "17540"))
    import bench_handover as handover
    import scale_smoke
    from common import prepare_national_database

    if not scale_smoke.shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists():
        print("haproxy is missing (Debian: apt-get install haproxy).", file=sys.stderr)
        return 2
    started = time.monotonic()
    load_before = load()
    if args.small:
        prepare_small_database(name, args.professionals, rebuild=args.rebuild)
    else:
        prepare_national_database(rebuild=args.rebuild)
    from pharmacies.models import Pharmacy
    from professionals.models import Professional

    handover.PHARMACIES = min(args.pharmacies, Pharmacy.objects.filter(is_active=True).count())
    handover.PROFESSIONALS_PER_SIDE = 2 * args.per_phase
    print(
        f"bench_scale on {name}: {Pharmacy.objects.count():,} pharmacies, {Professional.objects.count():,} "
        f"professionals; {handover.PHARMACIES} pharmacies handing over; {args.clients} clients, "
        f"{args.seconds} s per phase; web node: gunicorn {args.web_workers} workers x {args.web_threads} "
        f"threads; {os.cpu_count()} CPUs; load average {load_before} before the run.",
        flush=True,
    )
    surgical, actors, http_professionals, sql_professionals = handover.prepare_actors()
    one_node, two_nodes = http_professionals[: args.per_phase], http_professionals[args.per_phase :]

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, scale_smoke.raise_exit)
    scale_smoke.clean_up_leftovers(WORK)
    scale_smoke.shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    stack = scale_smoke.Stack(
        database=name, work=WORK, web_workers=args.web_workers, web_threads=args.web_threads
    )
    both_ports = list(stack.web_ports)
    try:
        stack.start_pooler()
        stack.web_ports = both_ports[:1]
        stack.start_web(0)
        stack.start_proxy()
        first = http_phase("1 web node behind haproxy", stack, actors, one_node, args, nodes=1)
        stack.kill("haproxy")
        stack.web_ports = both_ports
        stack.start_web(1)
        stack.start_proxy()
        second = http_phase("2 web nodes behind haproxy", stack, actors, two_nodes, args, nodes=2)
    finally:
        stack.stop()
    tps, failed, statements, sql_cpu = handover.pgbench_phase(
        surgical,
        actors,
        sql_professionals,
        seconds=args.seconds,
        clients=args.clients,
        show_sql=args.show_sql,
    )
    transactions = max(round(tps * sql_cpu.elapsed), 1)
    print(
        f"{'pgbench, the same SQL':<28} {tps:8.1f} transactions/s ({statements} statements, 1 commit)"
        + (f", {failed} failed" if failed else "")
        + f"   (load average {load()})",
        flush=True,
    )
    print(
        f"  CPU ms per transaction: PostgreSQL {sql_cpu.database_cpu * 1000 / transactions:.2f}, "
        f"pgbench {sql_cpu.children_cpu * 1000 / transactions:.2f}; idle {sql_cpu.machine_idle_share:.0%}",
        flush=True,
    )

    print("\nSummary (docs/deploy.md, Sizing, takes its figures from these lines)")
    for result in (first, second):
        print(
            f"  {result['label']:<30} {result['rate']:9.1f} handovers/s  p95 {result['p95']:.0f} ms;"
            f" CPU ms per handover: Django {result['django']:.2f}, PostgreSQL {result['database']:.2f},"
            f" haproxy + PgBouncer {result['sides']:.2f}"
        )
    print(f"  {'pgbench (ceiling)':<30} {tps:9.1f} transactions/s")
    print(f"  {'2 nodes / 1 node':<30} {second['rate'] / max(first['rate'], 1e-9):9.2f}")
    print(f"  {'1 node / pgbench':<30} {first['rate'] / max(tps, 1e-9):9.2f}")
    print(
        f"  {'load average':<30} {load_before} before, {load()} after; {os.cpu_count()} CPUs;"
        f" run took {time.monotonic() - started:.0f} s"
    )
    return 1 if first["errors"] or second["errors"] or failed else 0


if __name__ == "__main__":
    sys.exit(main())
