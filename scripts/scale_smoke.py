"""Scale smoke: the portal on several processes of one machine, as on several machines.

Starts, all on loopback, from Debian's packages and the project's code:
  - the portal's database on the local PostgreSQL (the primary), a streaming replica of it made
    with pg_basebackup on another port, and PgBouncer in transaction mode in front of the primary;
  - two gunicorn web nodes (production settings) behind haproxy;
  - two Celery workers and one Celery beat, on the local Redis.
Then, through the proxy:
  1. the journeys of `make smoke`: every demo role signs in and opens its menu pages; arrival,
     option, handover, dashboard, booking;
  2. the quota race across both nodes (one professional, ten pharmacies, all at once);
  3. kill -9 of one web node during a load of handovers and bookings;
  4. kill -9 of one worker during a bulletin fan-out to 35,000 professionals;
  5. a dashboard read from the replica while writes go on, with its freshness.
Prints one line per step with its figure; exits 1 on any violation.

    make scale-smoke          (by hand for now; needs root for pg_basebackup as the postgres user)

Ports from SCALE_SMOKE_PORT_BASE (17340) up, below the kernel's ephemeral range; Redis databases
SCALE_SMOKE_REDIS_DBS (cache, broker, e-mail sink: 14,15,13); SCALE_SMOKE_REUSE=1 keeps the
database of the last run. Every process group it starts is recorded in SCALE_SMOKE_DIR/pids:
`scale_smoke.py --cleanup` (make's trap) stops them, the replica and the pooler, even after a kill.
"""

import base64
import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
PYTHON = sys.executable
WORK = Path(os.environ.get("SCALE_SMOKE_DIR", "/tmp/gomask-scale-smoke"))
PG_HOST, PG_PORT = "127.0.0.1", int(os.environ.get("PG_PORT", "5432"))
DATABASE = "gomask_scale_smoke"
REDIS_BASE = os.environ.get("SCALE_SMOKE_REDIS", "redis://127.0.0.1:6379")
# Redis databases of the cache, the broker and the e-mail sink (one may serve all three: their
# keys do not overlap and nothing flushes a database).
REDIS_CACHE_DB, REDIS_BROKER_DB, REDIS_SINK_DB = (
    int(n) for n in os.environ.get("SCALE_SMOKE_REDIS_DBS", "14,15,13").split(",")
)
# Listening ports are taken from a fixed range below the kernel's ephemeral range
# (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default), so that an outgoing
# connection of another program can never hold the port between the probe and the bind.
PORT_BASE = int(os.environ.get("SCALE_SMOKE_PORT_BASE", "17340"))
PROFESSIONALS = int(os.environ.get("SCALE_SMOKE_PROFESSIONALS", "35000"))
RACE_PHARMACIES = 10
DEMO_EMAILS = [
    "pharmacien@demo.gomask.fr",
    "infirmiere@demo.gomask.fr",
    "medecin@demo.gomask.fr",
    "ars@demo.gomask.fr",
    "admin@demo.gomask.fr",
    "cpts@demo.gomask.fr",
]
failures: list[str] = []


def step(number: int, label: str, ok: bool, figure: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} step {number}: {label}: {figure}", flush=True)
    if not ok:
        failures.append(f"step {number}: {label}: {figure}")


_taken_ports: set[int] = set()


def free_port() -> int:
    """The next port from PORT_BASE that nothing listens on (nor was given out by this run)."""
    for port in range(PORT_BASE, PORT_BASE + 200):
        if port in _taken_ports:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken_ports.add(port)
        return port
    raise RuntimeError(f"no free port in {PORT_BASE}-{PORT_BASE + 199} (SCALE_SMOKE_PORT_BASE)")


def wait_until(predicate, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(every)
    return False


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's server tools refuse to run as root: run them as its owner."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else name


def stop_servers(work: Path = WORK) -> None:
    """The replica and the pooler of a run, if they run (their pid files are under `work`)."""
    replica = work / "replica"
    if (replica / "postmaster.pid").exists():
        subprocess.run(
            as_postgres([pg_bin("pg_ctl"), "-D", str(replica), "stop", "-m", "immediate"]),
            capture_output=True,
        )
    subprocess.run(
        ["bash", "scripts/pgbouncer.sh", "stop"],
        cwd=ROOT,
        env={**os.environ, "PGBOUNCER_DIR": str(work / "pgbouncer")},
        capture_output=True,
    )


def clean_up_leftovers(work: Path = WORK) -> int:
    """What a run killed without a chance to clean up (kill -9, a lost CI runner) left behind:
    its processes (by the process groups recorded in WORK/pids), its replica and its pooler.
    Run before each run, and by `make scale-smoke`'s trap after it; the number of groups killed."""
    killed = 0
    pids = work / "pids"
    if pids.exists():
        for line in pids.read_text().splitlines():
            pid = int(line.split()[0])
            try:
                # Only a group this script started: its leader is the recorded process, in this tree.
                if os.getpgid(pid) != pid or Path(f"/proc/{pid}/cwd").resolve() != ROOT:
                    continue
                os.killpg(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError, FileNotFoundError):
                continue
        pids.unlink()
    stop_servers(work)
    return killed


def raise_exit(signum, _frame):
    """SIGTERM/SIGHUP (a cancelled CI job) unwind like Ctrl-C: `finally` stops the stack."""
    raise SystemExit(128 + signum)


# --- The stack --------------------------------------------------------------------------


class Stack:
    """Every process of the smoke, each in its own process group (kill -9 takes its children)."""

    def __init__(
        self, *, database: str = DATABASE, work: Path = WORK, web_workers: int = 2, web_threads: int = 4
    ):
        self.database = database
        self.work = work
        self.web_workers, self.web_threads = web_workers, web_threads
        self.proxy_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.pooler_port = free_port()
        self.replica_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.replica_dir = self.work / "replica"

    # Environment of every portal process: production settings on the pooled primary.
    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "GOMASK_ENV": "production",
                "DEBUG": "false",
                "SECRET_KEY": SECRET_KEY,
                "SPECIALISTS_ENCRYPTION_KEY": SPECIALISTS_KEY,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": f"http://127.0.0.1:{self.proxy_port}",
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_HSTS_SECONDS": "0",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pooler_port}/{self.database}",
                "DATABASE_POOL_MODE": "transaction",
                "DATABASE_CONN_MAX_AGE": "0",
                "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{self.replica_port}/{self.database}",
                "REDIS_URL": f"{REDIS_BASE}/{REDIS_CACHE_DB}",
                "CACHE_KEY_PREFIX": "scale-smoke",
                "CELERY_BROKER_URL": f"{REDIS_BASE}/{REDIS_BROKER_DB}",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "TRUSTED_PROXY_COUNT": "1",
                "GEOCODER_BACKEND": "none",
                # One test client stands for many patients behind one address.
                "BOOKING_RATE_LIMIT": "100000",
                "LOGIN_RATE_LIMIT": "1000/m/ip",
                # The e-mail provider: a sink recording each Message-ID in Redis (bench/bench_fanout.py).
                "EMAIL_BACKEND": "bench_fanout.SinkEmailBackend",
                "BENCH_REDIS": REDIS_BASE,
                "BENCH_SINK_URL": f"{REDIS_BASE}/{REDIS_SINK_DB}",
                "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
                # A claim abandoned by a killed worker is taken again after 10 s, relayed every 2 s.
                "NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS": "10",
                "NOTIFICATIONS_REQUEUE_AFTER_SECONDS": "5",
                "NOTIFICATIONS_RELAY_SECONDS": "2",
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "gomask.settings",
            }
        )
        return env

    def direct_environment(self) -> dict[str, str]:
        """The same, straight to the primary with a session: migrations and the smoke's own checks."""
        env = self.environment()
        env["DATABASE_URL"] = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{self.database}"
        env["DATABASE_POOL_MODE"] = "session"
        env.pop("DATABASE_REPLICA_URL")
        return env

    def spawn(self, name: str, command: list[str], env=None) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env or self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        with (self.work / "pids").open("a") as pids:
            pids.write(f"{process.pid} {name}\n")
        return process

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        """Every process this run started, the replica and the pooler (each step on its own:
        one failing does not keep the next from running)."""
        for name in list(self.processes):
            process = self.processes.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        stop_servers(self.work)
        (self.work / "pids").unlink(missing_ok=True)

    # --- PostgreSQL: the database, the replica, the pooler -------------------------------

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(
            f"postgres://postgres@{PG_HOST}:{PG_PORT}/postgres", autocommit=True
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{self.database}"')
            # pg_basebackup connects for replication, which "all" in pg_hba.conf does not cover.
            hba = Path(connection.execute("SHOW hba_file").fetchone()[0])
            rule = "host replication all 127.0.0.1/32 trust"
            if rule not in hba.read_text():
                with hba.open("a") as file:
                    file.write(f"\n# gomask scale smoke (scripts/scale_smoke.py)\n{rule}\n")
                connection.execute("SELECT pg_reload_conf()")

    def database_exists(self) -> bool:
        import psycopg

        with psycopg.connect(f"postgres://postgres@{PG_HOST}:{PG_PORT}/postgres") as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.database]
            ).fetchone()
        return found is not None

    def manage(self, *args: str, production: bool = False) -> None:
        """manage.py on the primary; as in development unless `production` (seed_demo refuses
        production settings: its accounts share the public demo password)."""
        env = self.direct_environment()
        if not production:
            env["GOMASK_ENV"] = "development"
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    def start_replica(self) -> None:
        shutil.rmtree(self.replica_dir, ignore_errors=True)
        self.work.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
        subprocess.run(
            as_postgres(
                [
                    pg_bin("pg_basebackup"),
                    "-h",
                    PG_HOST,
                    "-p",
                    str(PG_PORT),
                    "-U",
                    "postgres",
                    "-D",
                    str(self.replica_dir),
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                ]
            ),
            check=True,
        )
        # Debian keeps the configuration outside the data directory: the copy gets its own.
        (self.replica_dir / "postgresql.conf").write_text(
            "# scale smoke replica: settings on the command line\n"
        )
        (self.replica_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        if os.geteuid() == 0:
            for name in ("postgresql.conf", "pg_hba.conf"):
                shutil.chown(self.replica_dir / name, "postgres", "postgres")
        options = (
            f"-p {self.replica_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.work} "
            "-c hot_standby=on -c hot_standby_feedback=on"
        )
        subprocess.run(
            as_postgres(
                [
                    pg_bin("pg_ctl"),
                    "-D",
                    str(self.replica_dir),
                    "-o",
                    options,
                    "-l",
                    str(self.work / "replica.log"),
                    "-w",
                    "-t",
                    "600",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def pooler_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PGBOUNCER_DIR": str(self.work / "pgbouncer"),
            "PGBOUNCER_PORT": str(self.pooler_port),
        }

    def start_pooler(self) -> None:
        subprocess.run(
            ["bash", "scripts/pgbouncer.sh", "start"],
            cwd=ROOT,
            env=self.pooler_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    # --- The portal's processes ----------------------------------------------------------

    def start_web(self, index: int) -> None:
        self.spawn(
            f"web{index + 1}",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "gomask.wsgi:application",
                f"--bind=127.0.0.1:{self.web_ports[index]}",
                f"--workers={self.web_workers}",
                f"--threads={self.web_threads}",
                "--log-level=warning",
            ],
        )

    def start_proxy(self) -> None:
        config = self.work / "haproxy.cfg"
        servers = "\n".join(
            f"    server web{i + 1} 127.0.0.1:{port} check" for i, port in enumerate(self.web_ports)
        )
        config.write_text(
            f"""global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
    # Only a connection that failed before anything was sent is tried again elsewhere: a
    # request the dead node may have carried out is the client's to retry, with its key.
    retries 3
    option redispatch
    retry-on conn-failure
frontend portal
    bind 127.0.0.1:{self.proxy_port}
    default_backend web
backend web
    balance roundrobin
    http-response set-header X-Served-By %s
    option httpchk
    http-check send meth GET uri /healthz/ready hdr Host 127.0.0.1
    default-server inter 500ms fall 2 rise 2
{servers}
"""
        )
        self.spawn("haproxy", [shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", str(config), "-db"])

    def start_worker(self, index: int) -> None:
        self.spawn(
            f"worker{index}",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "gomask",
                "worker",
                f"--hostname=worker{index}@%h",
                "--concurrency=2",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def start_beat(self) -> None:
        self.spawn(
            "beat",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "gomask",
                "beat",
                "--loglevel=WARNING",
                f"--schedule={self.work / 'celerybeat-schedule'}",
            ],
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"


SECRET_KEY = secrets.token_urlsafe(50)
SPECIALISTS_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # a Fernet key


# --- HTTP through the proxy --------------------------------------------------------------


class AnyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Production cookies are `Secure`; the smoke speaks plain HTTP on loopback."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """A person's session: cookies, CSRF token, forms posted as a browser does."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar(policy=AnyCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        if body is not None:
            request.add_header("Referer", self.base_url + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode(errors="replace")

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def post_form(self, path: str, fields: dict) -> tuple[int, str, str]:
        self.request("GET", path)
        return self.request("POST", path, {"csrfmiddlewaretoken": self.csrf(), **fields})


def api(base_url: str, method: str, path: str, payload=None, *, token=None, key=None, attempts=1):
    """One API call; retried (same Idempotency-Key) on a dropped connection or a 502/503/504."""
    body = json.dumps(payload).encode() if payload is not None else None
    for attempt in range(attempts):
        request = urllib.request.Request(base_url + path, data=body, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Token {token}")
        if key:
            request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return (
                    response.status,
                    json.loads(response.read() or b"null"),
                    response.headers.get("X-Served-By"),
                )
        except urllib.error.HTTPError as error:
            if error.code in {502, 503, 504} and attempt + 1 < attempts:
                time.sleep(0.3)
                continue
            text = error.read()
            try:
                detail = json.loads(text)
            except ValueError:
                detail = text.decode(errors="replace")[:200]
            return error.code, detail, error.headers.get("X-Served-By")
        except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException):
            if attempt + 1 < attempts:
                time.sleep(0.3)
                continue
            return 0, "connection lost", None
    return 0, "no answer", None


def token_for(base_url: str, email: str) -> str:
    from accounts.demo import DEMO_PASSWORD

    status, body, _ = api(base_url, "POST", "/api/token/", {"email": email, "password": DEMO_PASSWORD})
    if status not in {200, 201}:
        raise RuntimeError(f"no API token for {email}: HTTP {status} {body}")
    return body["token"]


# --- Data the steps need (written straight to the primary, as an operator would import it) ---


def seed_professionals(count: int, *, first: int = 0) -> None:
    """`count` professionals of Occitanie with e-mail addresses and no account (bulletin audience)."""
    from gomask.identifiers import make_rpps
    from professionals.models import Profession, Professional
    from territories.models import Commune

    communes = list(Commune.objects.filter(region_id="76").order_by("insee_code")[:500])
    Professional.objects.bulk_create(
        [
            Professional(
                rpps=make_rpps(810_000_000 + index),
                profession=Profession.INFIRMIER if index % 2 else Profession.MEDECIN,
                first_name="Camille",
                last_name=f"Essai{index}",
                search_name=f"essai{index} camille",
                email=f"pro{index}@scale.gomask.fr",
                practice_commune=communes[index % len(communes)],
                latitude=communes[index % len(communes)].latitude,
                longitude=communes[index % len(communes)].longitude,
            )
            for index in range(first, first + count)
        ],
        batch_size=5000,
    )


def seed_race_pharmacies() -> list[tuple[int, str]]:
    """Ten pharmacies with stock and one pharmacist each: [(pharmacy id, pharmacist e-mail)]."""
    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Role, User
    from gomask.identifiers import make_finess
    from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership
    from pharmacies.services import declare_arrival
    from territories.models import Commune

    communes = list(Commune.objects.filter(departement_id="32").order_by("insee_code")[:RACE_PHARMACIES])
    existing = list(
        PharmacyMembership.objects.filter(user__email__endswith="@scale.gomask.fr")
        .order_by("pharmacy_id")
        .values_list("pharmacy_id", "user__email")
    )
    if existing:
        return existing
    from allauth.account.models import EmailAddress

    pharmacies = []
    for index, commune in enumerate(communes):
        pharmacy = Pharmacy.objects.create(
            finess=make_finess("32", 9000 + index),
            name=f"Pharmacie d'essai {index + 1}",
            address="1 place",
            commune=commune,
            departement_id=commune.departement_id,
            region_id=commune.region_id,
            latitude=commune.latitude,
            longitude=commune.longitude,
        )
        email = f"pharmacien{index}@scale.gomask.fr"
        user = User.objects.create_user(email, DEMO_PASSWORD, role=Role.PHARMACIST)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        PharmacyMembership.objects.create(
            user=user, pharmacy=pharmacy, is_owner=True, status=MembershipStatus.ACTIVE
        )
        declare_arrival(
            actor=user, pharmacy_id=pharmacy.pk, product_code="surgical", quantity=5000, source="national"
        )
        pharmacies.append((pharmacy.pk, email))
    return pharmacies


def ensure_free_slots(count: int) -> int:
    """At least `count` free future slots of published missions: a rerun on a kept database has
    booked the last run's (steps 1 and 3). New ones are added as a doctor would publish them,
    beside existing future slots of the same missions (same day, a minute apart); the number added."""
    import datetime

    from consultations.models import Slot

    future = Slot.objects.filter(
        mission__status="published", starts_at__gt=time_now() + datetime.timedelta(hours=2)
    )
    missing = count - future.filter(bookings__isnull=True).count()
    templates = list(future.order_by("starts_at")[: max(missing, 0)])
    if missing <= 0 or not templates:
        return 0
    taken = set(
        Slot.objects.filter(mission__in={t.mission_id for t in templates}).values_list(
            "mission_id", "starts_at"
        )
    )
    new = []
    while len(new) < missing:
        template = templates[len(new) % len(templates)]
        starts = template.starts_at
        while (template.mission_id, starts) in taken:
            starts += datetime.timedelta(minutes=1)
        taken.add((template.mission_id, starts))
        new.append(
            Slot(
                mission_id=template.mission_id,
                starts_at=starts,
                ends_at=starts + (template.ends_at - template.starts_at),
            )
        )
    Slot.objects.bulk_create(new)
    return len(new)


# --- The five steps ----------------------------------------------------------------------


def journeys(stack: Stack) -> None:
    from django.urls import reverse

    from accounts.demo import DEMO_PASSWORD, current_demo_totp_code
    from accounts.models import User
    from accounts.navigation import NAV_BY_ROLE

    pages, bad = 0, []
    served = set()
    sessions = {}
    for email in DEMO_EMAILS:
        browser = Browser(stack.base_url)
        status, url, _ = browser.post_form(
            reverse("account_login"), {"login": email, "password": DEMO_PASSWORD}
        )
        if urllib.parse.urlsplit(url).path == reverse("mfa_authenticate"):
            status, url, _ = browser.post_form(
                reverse("mfa_authenticate"), {"code": current_demo_totp_code()}
            )
        user = User.objects.get(email=email)
        for entry in NAV_BY_ROLE.get(user.role, []):
            name, shown_to = entry[1], entry[2] if len(entry) > 2 else None
            if shown_to is not None and not shown_to(user):
                continue
            status, _url, _body = browser.request("GET", reverse(name))
            pages += 1
            if status != 200:
                bad.append(f"{email} {name}: HTTP {status}")
        sessions[email] = browser

    from consultations.models import Slot
    from pharmacies.demo import DEMO_PHARMACY_FINESS
    from pharmacies.models import Pharmacy

    pharmacy = Pharmacy.objects.get(finess=DEMO_PHARMACY_FINESS)
    doctor = User.objects.get(email="medecin@demo.gomask.fr")
    pharmacist_token = token_for(stack.base_url, "pharmacien@demo.gomask.fr")
    doctor_token = token_for(stack.base_url, doctor.email)
    checks = {
        "arrival": api(
            stack.base_url,
            "POST",
            f"/api/pharmacies/{pharmacy.pk}/arrivals/",
            {"product": "surgical", "quantity": 200, "source": "national"},
            token=pharmacist_token,
            key=str(uuid.uuid4()),
        ),
        "option": api(
            stack.base_url,
            "POST",
            "/api/reservations/",
            {"pharmacy": pharmacy.pk, "product": "surgical", "quantity": 1},
            token=doctor_token,
            key=str(uuid.uuid4()),
        ),
        "handover": api(
            stack.base_url,
            "POST",
            "/api/dispensations/",
            {
                "pharmacy": pharmacy.pk,
                "professional": doctor.professional.pk,
                "product": "surgical",
                "quantity": 1,
                "identity_checked": True,
            },
            token=pharmacist_token,
            key=str(uuid.uuid4()),
        ),
    }
    status, _url, body = sessions["ars@demo.gomask.fr"].request("GET", reverse("dashboards:dashboard"))
    checks["dashboard"] = (status, body[:0], None)
    slot = (
        Slot.objects.filter(bookings__isnull=True, mission__status="published", starts_at__gt=time_now())
        .order_by("starts_at")
        .first()
    )
    if slot is not None:
        checks["booking"] = api(
            stack.base_url,
            "POST",
            "/api/consultations/bookings/",
            {
                "slot": slot.pk,
                "first_name": "Louise",
                "last_name": f"Bernard {RUN}",
                "birth_date": "1950-04-02",
                "phone": patient_phone(9999),
                "email": f"louise.bernard.{RUN.lower()}{RUN_DIGITS}@exemple.fr",
                "commune": slot.mission.site.commune_id,
                "has_regular_doctor": False,
            },
        )
    else:
        bad.append("no free consultation slot in the demo data")
    for name, (status, body, node) in checks.items():
        served.add(node)
        if status not in {200, 201}:
            bad.append(f"{name}: HTTP {status} {body}")
    step(
        1,
        "journeys through the proxy",
        not bad,
        f"{len(DEMO_EMAILS)} roles, {pages} menu pages, {len(checks)} journeys ({', '.join(checks)})"
        + (f"; problems: {bad}" if bad else ""),
    )


def letters(number: int) -> str:
    """A name part for a number (names refuse digits): 0 -> "a", 27 -> "bb"..."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = "abcdefghijklmnopqrstuvwxyz"[digit] + text
        if number == 0:
            return text.capitalize()


# Keeps a rerun's patients apart from the last run's (the booking limit counts a patient's
# bookings by name, phone and e-mail): names from RUN, phones and e-mails from RUN_DIGITS.
RUN_NUMBER = secrets.randbelow(26**4)
RUN = letters(RUN_NUMBER)
RUN_DIGITS = f"{secrets.randbelow(10**3):03d}"


def patient_phone(index: int) -> str:
    """A mobile number of this run: 078 <run digits> <index on 4 digits>.

    078 because French mobiles are 06 and 073 to 079 only, and 06 has unassigned blocks
    (063 9…, 069…): a random "07 0…" or "06 39…" is refused as no number at all.
    """
    return f"07 8{RUN_DIGITS[0]} {RUN_DIGITS[1:]} {index // 100 % 100:02d} {index % 100:02d}"


def time_now():
    from django.utils import timezone

    return timezone.now()


def quota_race(stack: Stack, pharmacies: list[tuple[int, str]]) -> None:
    from django.db.models import Sum

    from distribution.models import Dispensation
    from pharmacies.models import StockLevel, StockMovement
    from professionals.models import Professional

    # A professional with nothing handed over yet (a rerun on a kept database has used the
    # quota of the last run's one); steps 3 and 5 take others (from the 100th on).
    professional = (
        Professional.objects.filter(email__endswith="@scale.gomask.fr", profession="infirmier")
        .exclude(pk__in=Dispensation.objects.values("professional_id"))
        .order_by("pk")
        .first()
    )
    tokens = [token_for(stack.base_url, email) for _pk, email in pharmacies]
    quota = quotas_quantity(professional)
    barrier = threading.Barrier(len(pharmacies))
    answers = [None] * len(pharmacies)

    def hand_over(index: int) -> None:
        barrier.wait()
        answers[index] = api(
            stack.base_url,
            "POST",
            "/api/dispensations/",
            {
                "pharmacy": pharmacies[index][0],
                "professional": professional.pk,
                "product": "surgical",
                "quantity": quota,
                "identity_checked": True,
            },
            token=tokens[index],
            key=str(uuid.uuid4()),
        )

    threads = [threading.Thread(target=hand_over, args=(i,)) for i in range(len(pharmacies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [a for a in answers if a and a[0] == 201]
    nodes = {a[2] for a in answers if a}
    given = (
        Dispensation.objects.filter(professional=professional).aggregate(total=Sum("quantity"))["total"] or 0
    )
    negative = StockLevel.objects.filter(on_hand__lt=0).count()
    drift = [
        level.pk
        for level in StockLevel.objects.all()
        if (
            StockMovement.objects.filter(
                pharmacy_id=level.pharmacy_id, product_id=level.product_id
            ).aggregate(total=Sum("on_hand_delta"))["total"]
            or 0
        )
        != level.on_hand
    ]
    refused_clearly = all(a[0] in {400, 409} and isinstance(a[1], dict) for a in answers if a and a[0] != 201)
    ok = (
        given <= quota
        and len(won) == 1
        and negative == 0
        and not drift
        and refused_clearly
        and len(nodes) == 2
    )
    step(
        2,
        "quota race across both nodes",
        ok,
        f"{len(pharmacies)} pharmacies at once, nodes {sorted(n or '?' for n in nodes)}: "
        f"{len(won)} handover, "
        f"given {given}/{quota} (overrun {max(0, given - quota)}), negative stock {negative}, "
        f"ledger drift {len(drift)}",
    )


def quotas_quantity(professional) -> int:
    """The weekly quota in force for this professional (what the race tries to overrun)."""
    from django.utils import timezone

    from distribution import quotas
    from pharmacies.models import Product

    policy = quotas.policy_in_force(
        profession=professional.profession,
        product_id=Product.objects.get(code="surgical").pk,
        region_code=professional.practice_commune.region_id,
        on=timezone.localdate(),
    )
    return policy.quantity


def kill_web_node(stack: Stack, pharmacies: list[tuple[int, str]]) -> None:
    from consultations.models import Booking, Slot
    from distribution.models import Dispensation
    from gomask.models import IdempotencyKey
    from professionals.models import Professional

    pharmacy_id, email = pharmacies[1]
    token = token_for(stack.base_url, email)
    step_began = time_now()
    professionals = list(
        Professional.objects.filter(email__endswith="@scale.gomask.fr")
        .order_by("pk")
        .values_list("pk", flat=True)[100:260]
    )
    slots = list(
        Slot.objects.filter(bookings__isnull=True, mission__status="published", starts_at__gt=time_now())
        .select_related("mission__site")
        .order_by("starts_at")[:40]
    )
    results: list[tuple[str, str, int, object]] = []
    lock = threading.Lock()

    def handovers(chunk):
        for professional_id in chunk:
            key = str(uuid.uuid4())
            status, body, _node = api(
                stack.base_url,
                "POST",
                "/api/dispensations/",
                {
                    "pharmacy": pharmacy_id,
                    "professional": professional_id,
                    "product": "surgical",
                    "quantity": 1,
                    "identity_checked": True,
                },
                token=token,
                key=key,
                attempts=6,
            )
            with lock:
                results.append(("handover", key, status, body))

    def bookings(chunk):
        for index, slot in chunk:
            status, body, _node = api(
                stack.base_url,
                "POST",
                "/api/consultations/bookings/",
                {
                    "slot": slot.pk,
                    "first_name": "Patient",
                    "last_name": f"Essai {RUN} {letters(index)}",
                    "birth_date": "1960-01-01",
                    "phone": patient_phone(index),
                    "email": f"patient{index}.{RUN.lower()}{RUN_DIGITS}@exemple.fr",
                    "commune": slot.mission.site.commune_id,
                    "has_regular_doctor": False,
                },
                attempts=6,
            )
            with lock:
                results.append(("booking", str(slot.pk), status, body))

    workers = [threading.Thread(target=handovers, args=(professionals[i::4],)) for i in range(4)]
    workers += [threading.Thread(target=bookings, args=(list(enumerate(slots))[i::2],)) for i in range(2)]
    started = time.monotonic()
    for thread in workers:
        thread.start()
    time.sleep(1.5)
    stack.kill("web1")
    killed_at = time.monotonic() - started
    for thread in workers:
        thread.join()
    succeeded = [r for r in results if r[2] in {200, 201}]
    clear_errors = [r for r in results if 400 <= r[2] < 500 and isinstance(r[3], dict)]
    unclear = [r for r in results if r not in succeeded and r not in clear_errors]
    # Each request hands one mask to its own professional, under its own key: a key records
    # the handover it wrote (gomask.idempotency), so a success whose key holds no handover was
    # lost, and a professional with more than one handover of this step got one twice.
    handover_keys = [r[1] for r in succeeded if r[0] == "handover"]
    keys = IdempotencyKey.objects.filter(
        actor__email=email, scope="handover", key__in=[r[1] for r in results if r[0] == "handover"]
    )
    written = dict(keys.exclude(result_id=None).values_list("key", "result_id"))
    handed = Dispensation.objects.filter(
        pharmacy_id=pharmacy_id, professional_id__in=professionals, created_at__gte=step_began
    )
    twice = handed.count() - handed.values("professional_id").distinct().count()
    existing = set(handed.filter(pk__in=written.values()).values_list("pk", flat=True))
    lost = len([key for key in handover_keys if written.get(key) not in existing])
    booked_slots = {r[1] for r in succeeded if r[0] == "booking"}
    booking_rows = Booking.objects.filter(slot_id__in=[s.pk for s in slots])
    bookings_twice = booking_rows.count() - booking_rows.values("slot_id").distinct().count()
    bookings_lost = len(booked_slots - {str(pk) for pk in booking_rows.values_list("slot_id", flat=True)})
    reasons = sorted({f"{r[0]} {r[3].get('code', r[2])}" for r in clear_errors})
    ok = not unclear and twice == 0 and lost == 0 and bookings_twice == 0 and bookings_lost == 0
    step(
        3,
        "kill -9 of a web node under load",
        ok,
        f"web1 killed after {killed_at:.1f} s; {len(results)} requests: {len(succeeded)} succeeded once, "
        f"{len(clear_errors)} clear refusals ({', '.join(reasons) or 'none'}), "
        f"{len(unclear)} without a clear answer; "
        f"written twice {twice + bookings_twice}, lost {lost + bookings_lost}",
    )


def fan_out_with_a_worker_killed(stack: Stack) -> None:
    import redis

    from accounts.models import User
    from notifications.models import CrisisBulletin, Delivery, DeliveryStatus
    from notifications.services import publish_bulletin

    sink = redis.Redis.from_url(f"{REDIS_BASE}/{REDIS_SINK_DB}")
    sink.delete("bench:fanout:received")
    ars = User.objects.get(email="ars@demo.gomask.fr")
    started = time.monotonic()
    bulletin = publish_bulletin(
        author=ars, title="Essai de montée en charge", body="Bulletin d'essai.", severity="info"
    )
    prefix = f"<bulletin.{bulletin.pk}."

    def received() -> list[str]:
        return [
            v.decode() for v in sink.lrange("bench:fanout:received", 0, -1) if v.decode().startswith(prefix)
        ]

    rows = Delivery.objects.filter(bulletin=bulletin)
    # The worker is killed a third of the way through this bulletin's e-mails, whatever the
    # fan-out's progress (on a kept database, a killed run's deliveries may still be going out).
    wait_until(lambda: len(received()) >= PROFESSIONALS // 3, timeout=600, every=0.3)
    stack.kill("worker1")
    killed_after = len(received())
    fanned_out = wait_until(
        lambda: CrisisBulletin.objects.filter(pk=bulletin.pk, fanout_done_at__isnull=False).exists(),
        timeout=600,
        every=0.5,
    )
    expected = rows.count()
    done = wait_until(
        lambda: rows.filter(status=DeliveryStatus.SENT).count() >= expected, timeout=900, every=1
    )
    time.sleep(3)  # a straggling redelivery would show now
    elapsed = time.monotonic() - started
    messages = received()
    duplicates = len(messages) - len(set(messages))
    missing = rows.filter(channel="email").count() - len(set(messages))
    ok = fanned_out and done and duplicates == 0 and missing == 0 and expected >= PROFESSIONALS
    step(
        4,
        "kill -9 of a worker during a bulletin fan-out",
        ok,
        f"{expected:,} deliveries, worker1 killed after {killed_after:,}; all sent by worker2 after "
        f"{elapsed:.0f} s: duplicates {duplicates}, missing {missing}",
    )


def dashboard_from_the_replica(stack: Stack, pharmacies: list[tuple[int, str]]) -> None:
    import psycopg
    from django.urls import reverse

    from accounts.demo import DEMO_PASSWORD, current_demo_totp_code

    stop = threading.Event()
    pharmacy_id, email = pharmacies[2]
    token = token_for(stack.base_url, email)

    def keep_writing():
        while not stop.is_set():
            api(
                stack.base_url,
                "POST",
                f"/api/pharmacies/{pharmacy_id}/arrivals/",
                {"product": "surgical", "quantity": 1, "source": "national"},
                token=token,
                key=str(uuid.uuid4()),
            )

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        browser = Browser(stack.base_url)
        # The ARS login's TOTP code of this 30 s window was used in step 1: wait for the next one.
        used = current_demo_totp_code()
        wait_until(lambda: current_demo_totp_code() != used, timeout=35, every=0.5)
        browser.post_form(
            reverse("account_login"), {"login": "ars@demo.gomask.fr", "password": DEMO_PASSWORD}
        )
        browser.post_form(reverse("mfa_authenticate"), {"code": current_demo_totp_code()})
        status, _url, body = browser.request("GET", reverse("dashboards:dashboard"))
    finally:
        stop.set()
        writer.join()
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{stack.replica_port}/{DATABASE}") as replica:
        in_recovery = replica.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    match = re.search(r'id="replica-freshness">([^<]+)<', body)
    ok = status == 200 and in_recovery and match is not None
    step(
        5,
        "dashboard read from the replica during writes",
        ok,
        f"HTTP {status}, replica in recovery: {in_recovery}; page says: "
        f"{match.group(1).strip() if match else 'no freshness line'}",
    )


# --- Main --------------------------------------------------------------------------------


def main() -> int:
    if not shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists():
        print("haproxy is missing (Debian: apt-get install haproxy).", file=sys.stderr)
        return 2
    if "--cleanup" in sys.argv[1:]:
        killed = clean_up_leftovers()
        print(f"scale smoke: cleaned up ({killed} process groups were left)")
        return 0
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_exit)
    clean_up_leftovers()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    stack = Stack()
    started = time.monotonic()
    try:
        # SCALE_SMOKE_REUSE=1 keeps the database of a previous run (when working on this script).
        reuse = os.environ.get("SCALE_SMOKE_REUSE") == "1" and stack.database_exists()
        if not reuse:
            stack.create_database()
        timings = {}
        for label, args, production in (
            ("migrate", ("migrate", "--noinput", "-v", "0"), False),
            ("territories", ("load_territories", "--regions", "76", "--if-changed"), False),
            ("demo", ("seed_demo", "--quiet-logins"), False),
            ("static", ("collectstatic", "--noinput", "-v", "0"), True),
        ):
            begun = time.monotonic()
            stack.manage(*args, production=production)
            timings[label] = time.monotonic() - begun
        print("ok   prepared: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()), flush=True)
        os.environ.update(stack.direct_environment())
        import django

        django.setup()
        from professionals.models import Professional

        existing = Professional.objects.filter(email__endswith="@scale.gomask.fr").count()
        seed_professionals(PROFESSIONALS - existing, first=existing)
        pharmacies = seed_race_pharmacies()
        ensure_free_slots(45)  # one for step 1, 40 for step 3
        stack.start_replica()
        stack.start_pooler()
        for index in range(2):
            stack.start_web(index)
        stack.start_proxy()
        for index in (1, 2):
            stack.start_worker(index)
        stack.start_beat()
        ready = wait_until(
            lambda: urllib.request.urlopen(f"{stack.base_url}/healthz/ready", timeout=2).status == 200,
            timeout=90,
        )
        from gomask.celery import app

        workers = wait_until(lambda: len(app.control.ping(timeout=1)) >= 2, timeout=90)
        print(
            f"ok   stack up in {time.monotonic() - started:.0f} s: haproxy :{stack.proxy_port} -> web "
            f":{stack.web_ports[0]} :{stack.web_ports[1]}; PgBouncer :{stack.pooler_port}; replica "
            f":{stack.replica_port}; 2 workers, beat; {PROFESSIONALS:,} professionals",
            flush=True,
        )
        if not (ready and workers):
            failures.append(
                f"the stack did not come up (proxy ready: {ready}, workers: {workers}); logs in {WORK}"
            )
            return 1
        journeys(stack)
        quota_race(stack, pharmacies)
        kill_web_node(stack, pharmacies)
        fan_out_with_a_worker_killed(stack)
        dashboard_from_the_replica(stack, pharmacies)
    except BaseException as exc:  # noqa: BLE001 - report (a signal, Ctrl-C too), then clean up
        failures.append(f"interrupted ({exc.__class__.__name__}: {exc})")
        raise
    finally:
        stack.stop()
        if failures:
            print("\nFAILED:\n  " + "\n  ".join(failures) + f"\n(logs in {WORK})", file=sys.stderr)
        else:
            print(f"\nscale smoke passed in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
