"""Sustained handovers per second through the HTTP API, next to pgbench running the same
transaction as raw SQL, at national scale (reuses bench/common.py's national database).

HTTP side: gunicorn on 127.0.0.1 (sync workers, persistent database connections as in
production), token-authenticated pharmacists of many pharmacies POST /api/dispensations/
(1 mask each, a fresh Idempotency-Key each) to many professionals, from client threads, for a
bounded duration.

pgbench side: the same statements as one handover of the service, one per line (one round trip
each, as pgbench sends them), on a disjoint set of professionals, with the same number of
clients and duration: the token and its user, the pharmacy with the membership check, the
professional with their account and commune, the product with the quota policy in force, then
in one transaction (one commit, as the service) the idempotency-key claim, the quota row lock,
the professional's open options (FOR UPDATE), the stock level (FOR UPDATE), the quota usage,
the level update, the ledger row and the dispensation. The script is printed with --show-sql.

Prints both rates, their ratio (target >= 0.25), the CPU each side spends per handover (Django
in gunicorn, the bench clients, PostgreSQL and the rest of the machine), and, when short of the
target, a profile of the HTTP request in process (WSGI handler, cProfile) saying where the time
goes. Ends with a summary table.

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
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_arguments, database_url, gunicorn_server, prepare_national_database  # noqa: E402

TARGET_RATIO = 0.25
PHARMACIES = 200
PROFESSIONALS_PER_SIDE = 4000
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = bench_arguments("Handovers per second over HTTP vs the same transaction in pgbench")
    parser.add_argument("--seconds", type=int, default=20, help="Duration of each phase (default 20 s).")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients on each side (default 8).")
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="gunicorn sync workers (default 4: two per core, so one waits on PostgreSQL while the "
        "other runs Python).",
    )
    parser.add_argument("--threads", type=int, default=1, help="Threads per gunicorn worker (default 1).")
    parser.add_argument("--profile-handovers", type=int, default=300, help="Requests profiled in process.")
    parser.add_argument("--show-sql", action="store_true", help="Print the pgbench script.")
    return parser.parse_args()


# --- CPU accounting ------------------------------------------------------------------------------


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot."""
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


def _process_ticks(pids) -> int:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError), open(f"/proc/{entry}/stat") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def _gunicorn_pids() -> list[int]:
    """The gunicorn master started by this process and its workers."""
    pids = []
    for child in _descendants(os.getpid()):
        with contextlib.suppress(OSError), open(f"/proc/{child}/cmdline", "rb") as handle:
            if b"gunicorn" in handle.read():
                pids.append(child)
    return pids


def _backend_ticks(database: str) -> dict[int, int]:
    """CPU ticks of each PostgreSQL backend serving `database` (its process title names it)."""
    marker = f" {database} ".encode()
    ticks = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{entry}/cmdline", "rb") as handle:
            title = handle.read()
        if title.startswith(b"postgres: ") and marker in title:
            ticks[int(entry)] = _process_ticks([entry])
    return ticks


class CpuMeter:
    """CPU seconds spent during a phase: the whole machine, this process (the HTTP clients), its
    finished children (pgbench), an optional set of processes (gunicorn) and the PostgreSQL
    backends of the bench database (sampled every 0.2 s, as pgbench's backends end with it).
    What is left of the machine's busy time is everything else (other users of the machine)."""

    def __init__(self, pids=(), *, database: str | None = None):
        self.pids = list(pids)
        self.database = database or os.environ.get("BENCH_DATABASE", "gomask_bench")

    def _sample(self):
        while not self._stop.wait(0.2):
            self._backends.update(_backend_ticks(self.database))

    def __enter__(self):
        self.machine = _machine_ticks()
        self.own = resource.getrusage(resource.RUSAGE_SELF)
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.server = _process_ticks(self.pids)
        self._backends_at_start = _backend_ticks(self.database)
        self._backends = dict(self._backends_at_start)
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        busy, total = _machine_ticks()
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._backends.update(_backend_ticks(self.database))
        self._stop.set()
        self._sampler.join()
        self.elapsed = time.monotonic() - self.started
        self.machine_busy = (busy - self.machine[0]) / TICKS
        self.machine_idle_share = 1 - (busy - self.machine[0]) / max(total - self.machine[1], 1)
        self.own_cpu = (own.ru_utime + own.ru_stime) - (self.own.ru_utime + self.own.ru_stime)
        self.children_cpu = (children.ru_utime + children.ru_stime) - (
            self.children.ru_utime + self.children.ru_stime
        )
        self.server_cpu = (_process_ticks(self.pids) - self.server) / TICKS
        self.database_cpu = (
            sum(ticks - self._backends_at_start.get(pid, 0) for pid, ticks in self._backends.items()) / TICKS
        )
        return False


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


def _warm_up(base_url, workers):
    """Let every gunicorn worker finish booting and load the URL configuration (lazy in Django)."""
    time.sleep(2)

    def hit():
        for _ in range(5):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{base_url}/healthz", timeout=10).read()

    threads = [threading.Thread(target=hit) for _ in range(2 * workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- pgbench phase ------------------------------------------------------------------------------------


def _columns(model, alias: str, *, prefix: str = "") -> str:
    """Every column of `model` as the ORM selects them (aliased when they go to pgbench variables)."""
    return ", ".join(
        f"{alias}.{field.column}" + (f" AS {prefix}{field.column}" if prefix else "")
        for field in model._meta.concrete_fields
    )


def pgbench_script(*, product_id: int, week, pairs: int) -> tuple[str, int]:
    """The statements of one handover (distribution.services.dispense through the API), one per
    line, as pgbench sends them; returns (script, number of round trips)."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from distribution.models import QuotaPolicy, Reservation
    from pharmacies.models import Pharmacy, Product, StockLevel
    from professionals.models import Professional
    from territories.models import Commune

    statements = [
        # DRF TokenAuthentication: the token and its user (the bench pair gives the request's ids).
        f"SELECT p.pharmacy_id AS ph, p.professional_id AS pro, p.level_id AS lv,"
        f" quote_literal(gen_random_uuid()::text) AS ikey, {_columns(Token, 't', prefix='t_')},"
        f" {_columns(User, 'u', prefix='u_')}"
        " FROM bench_handover_pairs p JOIN authtoken_token t ON t.key = p.token_key"
        " JOIN accounts_user u ON u.id = t.user_id WHERE p.n = :n \\gset",
        # pharmacies.selectors.pharmacy_for_member: the pharmacy, its commune, the membership check.
        f"SELECT {_columns(Pharmacy, 'ph')}, EXISTS(SELECT 1 FROM pharmacies_pharmacymembership m"
        " WHERE m.pharmacy_id = ph.id AND m.status = 'active' AND m.user_id = :u_id LIMIT 1) AS is_member,"
        f" {_columns(Commune, 'c')} FROM pharmacies_pharmacy ph"
        " JOIN territories_commune c ON c.insee_code = ph.commune_id WHERE ph.id = :ph LIMIT 21;",
        # distribution.services.eligible_professional: the professional, their account, their commune.
        f"SELECT {_columns(Professional, 'pr', prefix='pr_')}, {_columns(User, 'pu', prefix='pu_')},"
        f" {_columns(Commune, 'pc', prefix='pc_')}, quote_literal(pc.region_id) AS region,"
        " quote_literal(pr.profession) AS profession,"
        " quote_literal('Délivrance à ' || pr.first_name || ' ' || pr.last_name) AS reason"
        " FROM professionals_professional pr LEFT JOIN accounts_user pu ON pu.id = pr.user_id"
        " JOIN territories_commune pc ON pc.insee_code = pr.practice_commune_id WHERE pr.id = :pro"
        " ORDER BY pr.last_name, pr.first_name LIMIT 1 \\gset",
        # The product and the quota policy in force for the profession and region.
        f"SELECT {_columns(QuotaPolicy, 'q', prefix='q_')}, {_columns(Product, 'pd', prefix='pd_')}"
        " FROM distribution_quotapolicy q JOIN pharmacies_product pd ON pd.id = q.product_id"
        " WHERE (q.region_id IS NULL OR q.region_id = :region) AND q.effective_from <= current_date"
        " AND q.profession = :profession AND pd.code = 'surgical' AND pd.is_active"
        " ORDER BY q.region_id ASC NULLS LAST, q.effective_from DESC, q.id DESC LIMIT 1 \\gset",
        "BEGIN;",
        # gomask.idempotency.once: claim the Idempotency-Key (per actor and kind of write), then lock it.
        "INSERT INTO gomask_idempotencykey (actor_id, scope, key, fingerprint, result_id, created_at)"
        " VALUES (:u_id, 'handover', :ikey, md5(:ikey), NULL, now()) ON CONFLICT DO NOTHING;",
        "SELECT id AS ik, fingerprint AS ik_fp, result_id AS ik_result FROM gomask_idempotencykey"
        " WHERE actor_id = :u_id AND scope = 'handover' AND key = :ikey FOR UPDATE \\gset",
        # distribution.quotas.lock_quota
        "INSERT INTO distribution_quotausage (professional_id, product_id, period_start)"
        " VALUES (:pro, {product}, {week}) ON CONFLICT (professional_id, product_id, period_start)"
        " DO UPDATE SET period_start = EXCLUDED.period_start RETURNING id;",
        # The professional's options to fulfil here or to close as expired.
        f"SELECT {_columns(Reservation, 'r')} FROM distribution_reservation r"
        " WHERE r.product_id = {product} AND r.professional_id = :pro AND r.status = 'active'"
        " AND (r.expires_at <= now() OR r.pharmacy_id = :ph) ORDER BY r.id FOR UPDATE;",
        # pharmacies.stock.lock_levels
        f"SELECT {_columns(StockLevel, 'l')}, {_columns(Pharmacy, 'lph')}, {_columns(Product, 'lpd')}"
        " FROM pharmacies_stocklevel l JOIN pharmacies_pharmacy lph ON lph.id = l.pharmacy_id"
        " JOIN pharmacies_product lpd ON lpd.id = l.product_id"
        " WHERE l.pharmacy_id = :ph AND l.product_id = {product}"
        " ORDER BY l.pharmacy_id, l.product_id FOR UPDATE OF l;",
        # distribution.quotas.usage
        "SELECT COALESCE((SELECT SUM(quantity) FROM distribution_dispensation WHERE professional_id = :pro"
        " AND product_id = {product} AND period_start = {week}), 0),"
        " COALESCE((SELECT SUM(quantity) FROM distribution_reservation WHERE professional_id = :pro"
        " AND product_id = {product} AND period_start = {week} AND status = 'active'"
        " AND expires_at > now()), 0);",
        # pharmacies.stock.record_movement: the level, then its ledger row.
        "UPDATE pharmacies_stocklevel SET on_hand = on_hand - 1, reserved = reserved, updated_at = now()"
        " WHERE id = :lv RETURNING on_hand AS oh, reserved AS rs \\gset",
        "INSERT INTO pharmacies_stockmovement (level_id, pharmacy_id, product_id, kind, on_hand_delta,"
        " reserved_delta, on_hand_after, reserved_after, source, reason, counterpart_id, corrects_id,"
        " actor_id, created_at) VALUES (:lv, :ph, {product}, 'dispensation', -1, 0, :oh, :rs, '',"
        " :reason, NULL, NULL, :u_id, now())"
        " RETURNING id AS mv \\gset",
        "INSERT INTO distribution_dispensation (professional_id, pharmacy_id, product_id, quantity,"
        " policy_id, period_start, reservation_id, identity_checked, dispensed_by_id, movement_id,"
        " created_at) VALUES (:pro, :ph, {product}, 1, :q_id, {week}, NULL, true,"
        " :u_id, :mv, now()) RETURNING id AS dp \\gset",
        # The key records what the write produced.
        "UPDATE gomask_idempotencykey SET result_id = :dp WHERE id = :ik;",
        "END;",
    ]
    body = "\n".join(
        statement.replace("{product}", str(product_id)).replace("{week}", f"'{week.isoformat()}'")
        for statement in statements
    )
    return f"\\set n random(1, {pairs})\n{body}\n", len(statements)


def pgbench_phase(surgical, actors, professionals, *, seconds, clients, show_sql=False):
    from django.db import connection

    from distribution.quotas import week_start

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_handover_pairs")
        cursor.execute(
            "CREATE TABLE bench_handover_pairs (n int PRIMARY KEY, pharmacy_id bigint, level_id bigint, "
            "professional_id bigint, token_key varchar(40))"
        )
        rows = []
        for n, professional_id in enumerate(professionals, start=1):
            actor = actors[n % len(actors)]
            rows.append((n, actor["pharmacy"], actor["level"], professional_id, actor["token"]))
        cursor.executemany("INSERT INTO bench_handover_pairs VALUES (%s, %s, %s, %s, %s)", rows)
        cursor.execute("ANALYZE bench_handover_pairs")
    script, statements = pgbench_script(product_id=surgical.pk, week=week_start(), pairs=len(rows))
    if show_sql:
        print(script)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        with CpuMeter() as cpu:
            output = subprocess.run(
                [
                    "pgbench",
                    "-n",
                    "-c",
                    str(clients),
                    "-j",
                    str(min(clients, 2)),
                    "-T",
                    str(seconds),
                    "-f",
                    handle.name,
                    database_url(),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
    finally:
        os.unlink(handle.name)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_handover_pairs")
    if output.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{output.stdout}\n{output.stderr}")
    match = re.search(
        r"tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)",
        output.stdout,
    )
    if match is None:
        match = re.search(r"tps = ([0-9.]+)", output.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", output.stdout)
    return float(match.group(1)), int(failed.group(1)) if failed else 0, statements, cpu


# --- profile ----------------------------------------------------------------------------------------

# Where a request's time goes, by layer: (label, pstats function key pattern). Cumulative times
# overlap (a service calls the ORM), so each line is read on its own, as a share of the request.
PROFILE_LAYERS = [
    ("whole request (WSGI handler)", r"django/core/handlers/wsgi\.py:\d+\(__call__\)"),
    ("  DRF: token authentication (1 query)", r"rest_framework/authentication\.py:\d+\(authenticate\)"),
    ("  DRF: input validation", r"rest_framework/serializers\.py:\d+\(is_valid\)"),
    ("  idempotency key claim (2 statements)", r"gomask/idempotency\.py:\d+\(_claim\)"),
    ("  services.dispense", r"distribution/services/handovers\.py:\d+\(dispense\)"),
    ("    pharmacy + membership (1 query)", r"pharmacies/selectors\.py:\d+\(pharmacy_for_member\)"),
    ("    professional (1 query)", r"distribution/services/policies\.py:\d+\(eligible_professional\)"),
    ("    product + quota policy (1 query)", r"distribution/services/policies\.py:\d+\(product_and_policy\)"),
    ("    quota row lock (1 statement)", r"distribution/quotas\.py:\d+\(lock_quota\)"),
    ("    stock level lock (1 query)", r"pharmacies/stock\.py:\d+\(lock_levels\)"),
    ("    quota usage (1 query)", r"distribution/quotas\.py:\d+\(usage\)"),
    ("    level update + ledger row (2)", r"pharmacies/stock\.py:\d+\(record_movement\)"),
    ("    commit", r"django/db/transaction\.py:\d+\(__exit__\)"),
    ("  DRF: response serializer", r"gomask/api\.py:\d+\(created_or_replayed\)"),
    ("  all SQL round trips (psycopg execute)", r"psycopg/cursor\.py:\d+\(execute\)"),
    ("  all ORM query building (as_sql)", r"django/db/models/sql/compiler\.py:\d+\(as_sql\)"),
]


def profile_http_request(actors, professionals, count):
    """The API request run in process through Django's WSGI handler: its SQL statements, its
    wall and CPU time without a profiler, then cProfile's view of where the time goes."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    # A persistent connection, as the gunicorn workers have (bench/common.py): without it Django
    # would connect to PostgreSQL again for every request.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 600
    application = get_wsgi_application()

    def request(n):
        actor = actors[n % len(actors)]
        body = json.dumps(
            {
                "pharmacy": actor["pharmacy"],
                "professional": professionals[n % len(professionals)],
                "product": "surgical",
                "quantity": 1,
                "identity_checked": True,
            }
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/dispensations/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Token {actor['token']}",
            "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()),
        }
        status = []
        b"".join(application(environ, lambda code, headers, exc_info=None: status.append(code)))
        if not status[0].startswith("201"):
            raise SystemExit(f"profiled request answered {status[0]}")

    request(0)
    # Django empties connection.queries when a request starts, so record through a wrapper.
    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append({"sql": sql, "time": time.perf_counter() - started})

    with connection.execute_wrapper(record):
        request(1)
    half = max(count // 2, 10)
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(2, 2 + half):
        request(n)
    wall = (time.perf_counter() - wall) / half * 1000
    cpu = (time.process_time() - cpu) / half * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(2 + half, 2 + 2 * half):
        request(n)
    profiler.disable()
    print(f"\nProfile of POST /api/dispensations/ in process (WSGI handler, one client, {half} requests):")
    print(f"  without profiler: {wall:.2f} ms per request, of which {cpu:.2f} ms CPU in Python")
    print(f"  {len(queries)} SQL statements per request (plus BEGIN and COMMIT):")
    for query in queries:
        print(f"    {query['time'] * 1000:6.2f} ms  {' '.join(query['sql'].split())[:110]}")
    stats = pstats.Stats(profiler)
    totals = {}
    for (filename, line, name), (_calls, _prim, _tottime, cumtime, _callers) in stats.stats.items():
        key = f"{filename}:{line}({name})"
        for label, pattern in PROFILE_LAYERS:
            if re.search(pattern, key):
                totals[label] = totals.get(label, 0.0) + cumtime
    whole = totals.get(PROFILE_LAYERS[0][0]) or 1.0
    print("  Where the time goes (cProfile, cumulative, share of the request; lines overlap):")
    for label, _pattern in PROFILE_LAYERS:
        if label in totals:
            print(f"    {label:<44} {totals[label] / half * 1000:7.2f} ms  {totals[label] / whole:6.1%}")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    print("  Top functions by own time (cProfile):")
    for line in lines[start : start + 13]:
        print("    " + line.strip()[:150])
    return {"wall": wall, "cpu": cpu, "queries": len(queries), "totals": totals, "count": half}


# --- main ---------------------------------------------------------------------------------------------


def _cpu_line(label, cpu, count, *, http: bool):
    per = 1000 / max(count, 1)
    parts = []
    client = cpu.own_cpu if http else cpu.children_cpu
    if http:
        parts.append(f"gunicorn/Django {cpu.server_cpu * per:5.2f}")
    parts.append(f"PostgreSQL {cpu.database_cpu * per:5.2f}")
    parts.append(f"{'bench clients' if http else 'pgbench'} {client * per:5.2f}")
    other = cpu.machine_busy - cpu.server_cpu - cpu.database_cpu - client
    parts.append(f"rest of the machine {other * per:5.2f}")
    print(
        f"  CPU ms per {label}: " + ", ".join(parts) + f" (machine {cpu.machine_busy * per:.2f},"
        f" idle {cpu.machine_idle_share:.0%})"
    )


def main():
    args = parse_args()
    prepare_national_database(rebuild=args.rebuild)
    from pharmacies.models import Pharmacy
    from professionals.models import Professional

    load = os.getloadavg()
    print(
        f"Scale: {Pharmacy.objects.count()} pharmacies, {Professional.objects.count()} professionals; "
        f"{PHARMACIES} bench pharmacies, {PROFESSIONALS_PER_SIDE} professionals per side; "
        f"{args.clients} clients, {args.seconds} s per phase; {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before the run.",
        flush=True,
    )
    surgical, actors, http_professionals, sql_professionals = prepare_actors()

    with gunicorn_server(workers=args.workers, threads=args.threads) as base_url:
        _warm_up(base_url, args.workers)
        # The meter starts once every worker has booted and loaded the URLs: it counts requests only.
        http_cpu = CpuMeter(_gunicorn_pids())
        with http_cpu:
            rate, latencies, errors = http_phase(
                base_url, actors, http_professionals, seconds=args.seconds, clients=args.clients
            )
    handovers = round(rate * http_cpu.elapsed)
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    print(
        f"HTTP API (gunicorn {args.workers}x{args.threads})    {rate:8.1f} handovers/s"
        f"   p50 {p50:.1f} ms  p95 {p95:.1f} ms",
        flush=True,
    )
    if errors:
        print(f"  non-201 answers: {errors}")
    _cpu_line("handover", http_cpu, handovers, http=True)

    tps, failed, statements, sql_cpu = pgbench_phase(
        surgical,
        actors,
        sql_professionals,
        seconds=args.seconds,
        clients=args.clients,
        show_sql=args.show_sql,
    )
    print(
        f"pgbench ({statements} statements, 1 commit)  {tps:8.1f} transactions/s"
        + (f"  ({failed} failed)" if failed else ""),
        flush=True,
    )
    _cpu_line("transaction", sql_cpu, round(tps * sql_cpu.elapsed), http=False)
    ratio = rate / tps if tps else 0.0
    met = ratio >= TARGET_RATIO
    profile = None
    if not met:
        profile = profile_http_request(actors, http_professionals[::-1], args.profile_handovers)

    print("\nSummary")
    print(f"  {'HTTP API handovers/s':<34} {rate:9.1f}   (p50 {p50:.1f} ms, p95 {p95:.1f} ms)")
    print(f"  {'pgbench transactions/s':<34} {tps:9.1f}   ({statements} statements, one per round trip)")
    print(f"  {'ratio HTTP / pgbench':<34} {ratio:9.2f}")
    print(f"  {'target':<34} {'>= ' + str(TARGET_RATIO):>9}   {'OK' if met else 'MISSED'}")
    transactions = max(round(tps * sql_cpu.elapsed), 1)
    handovers = max(handovers, 1)
    print(
        f"  {'CPU ms per handover, HTTP side':<34}"
        f" {(http_cpu.server_cpu + http_cpu.database_cpu) * 1000 / handovers:9.2f}"
        f"   (Django/gunicorn {http_cpu.server_cpu * 1000 / handovers:.2f},"
        f" PostgreSQL {http_cpu.database_cpu * 1000 / handovers:.2f})"
    )
    print(
        f"  {'CPU ms per transaction, pgbench':<34} {sql_cpu.database_cpu * 1000 / transactions:9.2f}"
        f"   (PostgreSQL)"
    )
    others = [
        (cpu.machine_busy - cpu.server_cpu - cpu.database_cpu - client) / cpu.elapsed
        for cpu, client in ((http_cpu, http_cpu.own_cpu), (sql_cpu, sql_cpu.children_cpu))
    ]
    print(
        f"  {'other load on the machine (cores)':<34} {others[0]:9.2f}   during the HTTP phase,"
        f" {others[1]:.2f} during pgbench; load average {os.getloadavg()[0]:.2f} after the run"
    )
    if profile:
        print(
            f"  {'in process, one request':<34} {profile['wall']:9.2f} ms   "
            f"({profile['cpu']:.2f} ms Python CPU, {profile['queries']} SQL statements + BEGIN, COMMIT)"
        )
        whole = profile["totals"].get(PROFILE_LAYERS[0][0]) or 1.0
        top = sorted(
            (
                (value, label.strip())
                for label, value in profile["totals"].items()
                if label.startswith("    ") or label.startswith("  all")
            ),
            reverse=True,
        )[:5]
        print("  top of the profile (share of the request):")
        for value, label in top:
            print(f"    {label:<42} {value / whole:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
