"""Sustained handovers per second through the HTTP API, next to pgbench running the same
transaction as raw SQL, at national scale (reuses bench/common.py's national database).

HTTP side: gunicorn (a few workers) on 127.0.0.1, token-authenticated pharmacists of many
pharmacies POST /api/dispensations/ (1 mask each, a fresh Idempotency-Key each) to many
professionals, from client threads, for a bounded duration.

pgbench side: the equivalent transaction in SQL — insert-or-find and lock the quota row,
sum the week's handovers and active options, lock the stock level, update it, insert the
ledger row, insert the dispensation — with the same number of clients and duration, on a
disjoint set of professionals.

Prints both rates and their ratio (target >= 0.25). When short of the target, profiles the
service in process (cProfile) and prints where the time goes.

    GOMASK_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask \\
        .venv/bin/python bench/bench_handover.py [--seconds 20 --clients 8 --workers 4]
"""

import contextlib
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_arguments, database_url, gunicorn_server, prepare_national_database  # noqa: E402

TARGET_RATIO = 0.25
PHARMACIES = 200
PROFESSIONALS_PER_SIDE = 4000


def parse_args():
    parser = bench_arguments("Handovers per second over HTTP vs the same transaction in pgbench")
    parser.add_argument("--seconds", type=int, default=20, help="Duration of each phase (default 20 s).")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients on each side (default 8).")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4).")
    parser.add_argument("--profile-handovers", type=int, default=300, help="Handovers profiled in process.")
    return parser.parse_args()


# --- fixtures in the bench database ---------------------------------------------------------------


def prepare_actors():
    """Pharmacists with tokens at PHARMACIES pharmacies (stock topped up through the ledger), and
    two disjoint sets of professionals with nothing received this week."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import AccountStatus, Role, User
    from distribution.quotas import ensure_default_quota_policies, week_start
    from pharmacies.models import MembershipStatus, MovementKind, Pharmacy, PharmacyMembership, Product
    from pharmacies.stock import lock_level, record_movement
    from professionals.models import Profession, Professional

    ensure_default_quota_policies()
    surgical = Product.objects.get(code="surgical")
    rng = random.Random(2020)
    pharmacy_ids = sorted(Pharmacy.objects.filter(is_active=True).values_list("pk", flat=True))
    chosen = rng.sample(pharmacy_ids, PHARMACIES)
    actors = []
    for index, pharmacy_id in enumerate(chosen):
        email = f"bench.pharmacien.{index}@bench.gomask.fr"
        user, created = User.objects.get_or_create(
            email=email, defaults={"role": Role.PHARMACIST, "status": AccountStatus.ACTIVE}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        PharmacyMembership.objects.filter(user=user).exclude(pharmacy_id=pharmacy_id).delete()
        PharmacyMembership.objects.get_or_create(
            user=user, pharmacy_id=pharmacy_id, defaults={"status": MembershipStatus.ACTIVE, "is_owner": True}
        )
        token, _created = Token.objects.get_or_create(user=user)
        with transaction.atomic():
            level = lock_level(pharmacy_id=pharmacy_id, product_id=surgical.pk)
            if level.available < 50_000:
                record_movement(
                    level=level,
                    kind=MovementKind.ARRIVAL,
                    on_hand_delta=100_000,
                    source="national",
                    reason="Banc d'essai",
                )
        actors.append({"pharmacy": pharmacy_id, "user": user.pk, "token": token.key, "level": level.pk})
    fresh = (
        Professional.objects.filter(
            user__isnull=True,
            profession__in=[Profession.MEDECIN, Profession.INFIRMIER, Profession.PHARMACIEN],
        )
        .exclude(dispensations__period_start=week_start())
        .order_by("?")
        .values_list("pk", flat=True)[: 2 * PROFESSIONALS_PER_SIDE]
    )
    fresh = list(fresh)
    if len(fresh) < 2 * PROFESSIONALS_PER_SIDE:
        raise SystemExit("Not enough professionals left this week: rebuild the bench database (--rebuild).")
    return surgical, actors, fresh[:PROFESSIONALS_PER_SIDE], fresh[PROFESSIONALS_PER_SIDE:]


# --- HTTP phase ---------------------------------------------------------------------------------------


def http_phase(base_url, actors, professionals, *, seconds, clients):
    host, port = base_url.removeprefix("http://").split(":")
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    counts = {"ok": 0}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    cursor = iter(range(10**9))

    def client(index):
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        rng = random.Random(index)
        while time.monotonic() < deadline:
            with lock:
                n = next(cursor)
            actor = actors[rng.randrange(len(actors))]
            body = json.dumps(
                {
                    "pharmacy": actor["pharmacy"],
                    "professional": professionals[n % len(professionals)],
                    "product": "surgical",
                    "quantity": 1,
                    "identity_checked": True,
                }
            )
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Token {actor['token']}",
                "Idempotency-Key": str(uuid.uuid4()),
            }
            started = time.monotonic()
            try:
                connection.request("POST", "/api/dispensations/", body, headers)
                response = connection.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                status, payload = type(exc).__name__, b""
            elapsed = (time.monotonic() - started) * 1000
            with lock:
                if status == 201:
                    counts["ok"] += 1
                    latencies.append(elapsed)
                else:
                    code = str(status)
                    with contextlib.suppress(ValueError, AttributeError):
                        code += " " + json.loads(payload).get("code", "")
                    errors[code] = errors.get(code, 0) + 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return counts["ok"] / elapsed, latencies, errors


# --- pgbench phase ------------------------------------------------------------------------------------

_WHERE_QUOTA = "professional_id = :pro AND product_id = {product} AND period_start = '{week}'"
# One statement per line (pgbench reads SQL up to ";" or a "\\gset" meta-command).
PGBENCH_SCRIPT = "\n".join(
    [
        "\\set n random(1, {pairs})",
        "SELECT pharmacy_id AS ph, level_id AS lv, professional_id AS pro, actor_id AS act"
        " FROM bench_handover_pairs WHERE n = :n \\gset",
        "BEGIN;",
        "INSERT INTO distribution_quotausage (professional_id, product_id, period_start)"
        " VALUES (:pro, {product}, '{week}')"
        " ON CONFLICT (professional_id, product_id, period_start)"
        " DO UPDATE SET period_start = EXCLUDED.period_start RETURNING id;",
        "SELECT COALESCE((SELECT SUM(quantity) FROM distribution_dispensation WHERE "
        + _WHERE_QUOTA
        + "), 0),"
        " COALESCE((SELECT SUM(quantity) FROM distribution_reservation WHERE "
        + _WHERE_QUOTA
        + " AND status = 'active'), 0);",
        "SELECT on_hand, reserved FROM pharmacies_stocklevel WHERE id = :lv FOR UPDATE;",
        "UPDATE pharmacies_stocklevel SET on_hand = on_hand - 1, updated_at = now() WHERE id = :lv"
        " RETURNING on_hand AS oh, reserved AS rs \\gset",
        "INSERT INTO pharmacies_stockmovement (level_id, pharmacy_id, product_id, kind, on_hand_delta,"
        " reserved_delta, on_hand_after, reserved_after, source, reason, actor_id, created_at)"
        " VALUES (:lv, :ph, {product}, 'dispensation', -1, 0, :oh, :rs, '', 'pgbench', :act, now())"
        " RETURNING id AS mv \\gset",
        "INSERT INTO distribution_dispensation (professional_id, pharmacy_id, product_id, quantity,"
        " policy_id, period_start, identity_checked, dispensed_by_id, movement_id, created_at)"
        " VALUES (:pro, :ph, {product}, 1, {policy}, '{week}', true, :act, :mv, now());",
        "END;",
        "",
    ]
)


def pgbench_phase(surgical, actors, professionals, *, seconds, clients):
    from django.db import connection

    from distribution.quotas import local_date, policy_in_force, week_start

    policy = policy_in_force(
        profession="infirmier", product_id=surgical.pk, region_code=None, on=local_date()
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_handover_pairs")
        cursor.execute(
            "CREATE TABLE bench_handover_pairs (n int PRIMARY KEY, pharmacy_id bigint, level_id bigint, "
            "professional_id bigint, actor_id bigint)"
        )
        rows = []
        for n, professional_id in enumerate(professionals, start=1):
            actor = actors[n % len(actors)]
            rows.append((n, actor["pharmacy"], actor["level"], professional_id, actor["user"]))
        cursor.executemany("INSERT INTO bench_handover_pairs VALUES (%s, %s, %s, %s, %s)", rows)
    script = PGBENCH_SCRIPT.format(pairs=len(rows), product=surgical.pk, week=week_start(), policy=policy.pk)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                "pgbench",
                "-n",
                "-c",
                str(clients),
                "-j",
                str(min(clients, 4)),
                "-T",
                str(seconds),
                "-f",
                handle.name,
                database_url(),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_handover_pairs")
    match = re.search(
        r"tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)", output
    )
    if match is None:
        match = re.search(r"tps = ([0-9.]+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    return float(match.group(1)), int(failed.group(1)) if failed else 0


# --- profile ----------------------------------------------------------------------------------------


def profile_service(actors, professionals, count):
    """cProfile of `dispense` in this process, and the SQL queries one handover makes."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from distribution.services import dispense

    users = get_user_model().objects.in_bulk([actor["user"] for actor in actors])
    calls = []
    for n in range(count):
        actor = actors[n % len(actors)]
        calls.append((users[actor["user"]], actor["pharmacy"], professionals[-1 - (n % 500)]))
    with CaptureQueriesContext(connection) as queries:
        user, pharmacy_id, professional_id = calls[0]
        dispense(
            actor=user,
            pharmacy_id=pharmacy_id,
            professional_id=professional_id,
            product_code="surgical",
            quantity=1,
            identity_checked=True,
        )
    profiler = cProfile.Profile()
    started = time.monotonic()
    profiler.enable()
    for user, pharmacy_id, professional_id in calls[1:]:
        dispense(
            actor=user,
            pharmacy_id=pharmacy_id,
            professional_id=professional_id,
            product_code="surgical",
            quantity=1,
            identity_checked=True,
        )
    profiler.disable()
    per_call = (time.monotonic() - started) / max(len(calls) - 1, 1) * 1000
    print(f"\nProfile of distribution.services.dispense in process ({len(calls) - 1} handovers, one client):")
    print(f"  {per_call:.2f} ms per handover, {len(queries)} SQL queries per handover:")
    for query in queries.captured_queries:
        print(f"    {query['time']:>6}s  {query['sql'][:150]}")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
    print("\n".join(stream.getvalue().splitlines()[:60]))


def main():
    args = parse_args()
    prepare_national_database(rebuild=args.rebuild)
    from pharmacies.models import Pharmacy
    from professionals.models import Professional

    print(
        f"Scale: {Pharmacy.objects.count()} pharmacies, {Professional.objects.count()} professionals; "
        f"{PHARMACIES} bench pharmacies, {PROFESSIONALS_PER_SIDE} professionals per side; "
        f"{args.clients} clients, {args.seconds} s per phase.",
        flush=True,
    )
    surgical, actors, http_professionals, sql_professionals = prepare_actors()

    with gunicorn_server(workers=args.workers) as base_url:
        rate, latencies, errors = http_phase(
            base_url, actors, http_professionals, seconds=args.seconds, clients=args.clients
        )
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    print(
        f"HTTP API (gunicorn x{args.workers})        {rate:8.1f} handovers/s"
        f"   p50 {p50:.1f} ms  p95 {p95:.1f} ms"
    )
    if errors:
        print(f"  non-201 answers: {errors}")

    tps, failed = pgbench_phase(
        surgical, actors, sql_professionals, seconds=args.seconds, clients=args.clients
    )
    print(
        f"pgbench (same transaction, raw SQL)   {tps:8.1f} transactions/s"
        + (f"  ({failed} failed)" if failed else "")
    )
    ratio = rate / tps if tps else 0.0
    met = ratio >= TARGET_RATIO
    print(
        f"Ratio HTTP / pgbench                  {ratio:8.2f}"
        f"   target >= {TARGET_RATIO}: {'OK' if met else 'MISSED'}"
    )
    if not met:
        profile_service(actors, http_professionals, args.profile_handovers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
