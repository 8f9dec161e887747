"""Fan-out of notifications through Celery and Redis, with one worker, and a kill -9 run.

The worker runs BENCH_FANOUT_CONCURRENCY processes (default: one per core, prefork, each taking
one task at a time); the ceiling runs as many raw connections over the same batches.

Measures, on its own database (gomask_bench_fanout: Occitanie, 35,000 professionals
without portal accounts, so one e-mail delivery each):
  1. one arrival at a pharmacy with 10,000 referenced professionals: declaration time
     (the outbox rows are written in its transaction) and time until all are delivered;
  2. a bulletin to the 35,000 professionals of the region: time until all are delivered
     (target: within 60 s);
  3. the ceiling, the same work without the portal's code: the bulletin's 35,000 rows put back
     to pending, then claimed in batches of 1,000 (the same CLAIM_SQL, chunks of 100) and marked
     one by one in raw SQL, each Message-ID pushed to the same Redis sink; the ratio bulletin /
     ceiling is printed;
  4. the same bulletin fan-out with the worker killed (kill -9) mid-way and restarted,
     the relay (what beat runs) republishing what was lost: duplicates and missing must be 0.

"Delivered" messages are received by a sink e-mail backend that appends each message's
Message-ID to a Redis list (outside the worker, so it survives the kill): duplicates are
Message-IDs received twice, missing are recipients with none.

    GOMASK_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask \\
        .venv/bin/python bench/bench_fanout.py
"""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import redis  # noqa: E402
from common import (  # noqa: E402
    PYTHON,
    ROOT,
    bench_arguments,
    bench_environment,
    create_database,
    database_exists,
    manage,
    run_bench,
)

DATABASE = os.environ.get("BENCH_FANOUT_DATABASE", "gomask_bench_fanout")
REDIS_BASE = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
BROKER_URL = f"{REDIS_BASE}/12"
SINK_URL = os.environ.get("BENCH_SINK_URL", f"{REDIS_BASE}/13")
SINK_KEY = "bench:fanout:received"
PROFESSIONALS = 35_000
REFERENCED = 10_000
TARGET_SECONDS = 60.0
CONCURRENCY = int(os.environ.get("BENCH_FANOUT_CONCURRENCY", str(os.cpu_count() or 1)))


def environment() -> dict[str, str]:
    env = bench_environment(DATABASE)
    env.update(
        {
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": BROKER_URL,
            "REDIS_URL": f"{REDIS_BASE}/11",
            "EMAIL_BACKEND": "bench_fanout.SinkEmailBackend",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
            "LOG_LEVEL": "WARNING",
            # The kill -9 run: a claim abandoned by the killed worker is taken again after 10 s.
            "NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS": "10",
            "NOTIFICATIONS_REQUEUE_AFTER_SECONDS": "5",
        }
    )
    return env


# --- Pieces imported by the worker process -------------------------------------------------

if __name__ != "__main__":  # the worker (and the bench's own import) define them once
    from django.core.mail.backends.base import BaseEmailBackend

    class SinkEmailBackend(BaseEmailBackend):
        """Stands in for the SMTP server: records each accepted message's Message-ID in Redis."""

        client = None

        def send_messages(self, messages):
            if SinkEmailBackend.client is None:
                SinkEmailBackend.client = redis.Redis.from_url(SINK_URL)
            for message in messages:
                SinkEmailBackend.client.rpush(SINK_KEY, message.extra_headers["Message-ID"])
            return len(messages)

        def already_accepted(self, message_id: str) -> bool:
            """Provider lookup by Message-ID, asked only for rows taken over from a dead worker."""
            if SinkEmailBackend.client is None:
                SinkEmailBackend.client = redis.Redis.from_url(SINK_URL)
            return SinkEmailBackend.client.lpos(SINK_KEY, message_id) is not None


# --- The bench ------------------------------------------------------------------------------


def prepare(rebuild: bool) -> None:
    if rebuild or not database_exists(DATABASE):
        create_database(DATABASE, drop=True)
        manage("migrate", "--noinput", name=DATABASE)
        manage("load_territories", "--regions", "76", name=DATABASE)
    else:
        manage("migrate", "--noinput", name=DATABASE)
    os.environ.update(environment())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    seed()


def seed() -> None:
    """35,000 professionals in Occitanie; 10,000 of them referenced at one pharmacy. Idempotent."""
    from accounts.models import Role, User
    from gomask.identifiers import make_rpps
    from pharmacies.catalogue import ensure_products
    from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership
    from professionals.models import Profession, Professional, Referencing
    from territories.models import Commune

    ensure_products()
    if Professional.objects.count() >= PROFESSIONALS:
        return
    riscle = Commune.objects.get(insee_code="32344")
    pharmacy = Pharmacy.objects.create(
        finess="320000018",
        name="Pharmacie du banc d'essai",
        address="1 place de la Mairie",
        commune=riscle,
        departement_id=riscle.departement_id,
        region_id=riscle.region_id,
        latitude=riscle.latitude,
        longitude=riscle.longitude,
    )
    pharmacist = User.objects.create_user(
        "pharmacien@bench.gomask.fr", "bench-password", role=Role.PHARMACIST
    )
    PharmacyMembership.objects.create(
        user=pharmacist, pharmacy=pharmacy, is_owner=True, status=MembershipStatus.ACTIVE
    )
    User.objects.create_user("ars@bench.gomask.fr", "bench-password", role=Role.ARS_STAFF, region_id="76")
    communes = list(Commune.objects.filter(region_id="76").order_by("insee_code"))
    rows = []
    for index in range(PROFESSIONALS):
        commune = communes[index % len(communes)]
        rows.append(
            Professional(
                rpps=make_rpps(800_000_000 + index),
                profession=Profession.INFIRMIER if index % 2 else Profession.MEDECIN,
                first_name="Camille",
                last_name=f"Banc{index}",
                search_name=f"banc{index} camille",
                email=f"pro{index}@bench.gomask.fr",
                practice_commune=commune,
                latitude=commune.latitude,
                longitude=commune.longitude,
            )
        )
    Professional.objects.bulk_create(rows, batch_size=5000)
    ids = list(Professional.objects.order_by("pk").values_list("pk", flat=True)[:REFERENCED])
    Referencing.objects.bulk_create(
        [Referencing(professional_id=i, pharmacy=pharmacy) for i in ids], batch_size=5000
    )
    print(f"Seeded {PROFESSIONALS} professionals, {REFERENCED} referenced at {pharmacy.name}.")


class Worker:
    """One Celery worker: CONCURRENCY processes (prefork; solo when 1), one task each at a time."""

    def __init__(self):
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "gomask",
                "worker",
                *(
                    ["--pool=solo"]
                    if CONCURRENCY == 1
                    else [
                        "--pool=prefork",
                        f"--concurrency={CONCURRENCY}",
                        "--prefetch-multiplier=1",
                        "-O",
                        "fair",
                    ]
                ),
                "--loglevel=WARNING",
                "--include=bench_fanout",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname=bench@%h",
            ],
            cwd=ROOT,
            env=environment(),
            start_new_session=True,
        )
        from gomask.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                return
        raise SystemExit("The worker did not start.")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def sink():
    return redis.Redis.from_url(SINK_URL)


def reset_sink():
    sink().delete(SINK_KEY)
    from gomask.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("celery")


def wait_for(predicate, timeout: float, every: float = 0.2, tick=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if predicate():
            return True
        time.sleep(every)
    return False


def received(prefix: str) -> tuple[int, int]:
    """(messages received, distinct Message-IDs) for delivery keys starting with `prefix`."""
    values = [v.decode() for v in sink().lrange(SINK_KEY, 0, -1)]
    mine = [v for v in values if v.startswith(f"<{prefix}")]
    return len(mine), len(set(mine))


CEILING_KEY = "bench:fanout:ceiling"
MARK_SQL = (
    "UPDATE notifications_delivery SET status = 'sent', sent_at = %s, claim_token = NULL, last_error = '', "
    "updated_at = %s WHERE id = %s AND claim_token = %s"
)


def _ceiling_lane(batches: list[list[int]], claim_sql: str, claim_chunk: int) -> int:
    """What one worker process does with its batches, in raw SQL; returns the rows marked. Runs in
    a fresh process (no Django there: the claim's SQL and chunk size are given)."""
    import uuid
    from datetime import UTC, datetime, timedelta

    import psycopg

    client, delivered = sink(), 0
    with psycopg.connect(bench_environment(DATABASE)["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("SET synchronous_commit TO off")
        stale = timedelta(seconds=3600)
        for batch in batches:
            for chunk_start in range(0, len(batch), claim_chunk):
                chunk = batch[chunk_start : chunk_start + claim_chunk]
                now, token = datetime.now(UTC), uuid.uuid4()
                claimed = connection.execute(
                    claim_sql.format(ids=", ".join(["%s"] * len(chunk))),
                    [token, now, now, *chunk, now, now - stale],
                ).fetchall()
                for row in claimed:
                    client.rpush(CEILING_KEY, f"<{row[3].replace(':', '.')}@gomask.notifications>")
                    now = datetime.now(UTC)
                    delivered += connection.execute(MARK_SQL, [now, now, row[0], token]).rowcount
    return delivered


def ceiling(bulletin_id: int) -> float:
    """The bulletin's deliveries done again without the portal's code: its rows put back to
    pending, then, in batches of NOTIFICATIONS_BATCH_SIZE, the same claims (CLAIM_SQL, chunks of
    CLAIM_CHUNK) and the same per-row marks in raw SQL, by CONCURRENCY processes (one psycopg
    connection each, synchronous_commit off, as the worker's), each message's Message-ID pushed
    to the Redis sink.
    What it leaves out: the broker, the task, building each e-mail, the ORM."""

    import psycopg
    from django.conf import settings

    client = sink()
    client.delete(CEILING_KEY)
    with psycopg.connect(bench_environment(DATABASE)["DATABASE_URL"], autocommit=True) as connection:
        ids = [
            row[0]
            for row in connection.execute(
                "UPDATE notifications_delivery SET status = 'pending', claim_token = NULL, "
                "claimed_at = NULL, sent_at = NULL, attempts = 0, "
                "next_attempt_at = now() - interval '1 second' "
                "WHERE bulletin_id = %s RETURNING id",
                [bulletin_id],
            ).fetchall()
        ]
        ids.sort()
    batches = [
        ids[start : start + settings.NOTIFICATIONS_BATCH_SIZE]
        for start in range(0, len(ids), settings.NOTIFICATIONS_BATCH_SIZE)
    ]
    from notifications.delivery import CLAIM_CHUNK, CLAIM_SQL

    lanes = [batches[lane::CONCURRENCY] for lane in range(CONCURRENCY)]
    # Processes, as the worker's (threads would share one interpreter lock), started before the
    # clock and waiting for their batches.
    with ProcessPoolExecutor(CONCURRENCY, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(abs, range(CONCURRENCY)))  # every process up
        started = time.monotonic()
        delivered = sum(
            pool.map(_ceiling_lane, lanes, [CLAIM_SQL] * CONCURRENCY, [CLAIM_CHUNK] * CONCURRENCY)
        )
    elapsed = time.monotonic() - started
    received_count = client.llen(CEILING_KEY)
    print(
        f"  {delivered:,} of {len(ids):,} claimed, sent to the sink and marked in {elapsed:.1f} s "
        f"by {CONCURRENCY} connection(s) "
        f"({delivered / elapsed:,.0f}/s); sink received {received_count:,}"
    )
    return elapsed


def run_arrival() -> float:
    from accounts.models import User
    from notifications.models import ArrivalNotice, Delivery, DeliveryStatus
    from pharmacies.models import Pharmacy
    from pharmacies.services import declare_arrival

    reset_sink()
    pharmacy = Pharmacy.objects.get(finess="320000018")
    pharmacist = User.objects.get(email="pharmacien@bench.gomask.fr")
    Delivery.objects.filter(kind="stock_arrival").delete()  # so the 12 h window does not apply
    started = time.monotonic()
    movement = declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code="surgical", quantity=500, source="national"
    )
    declared = time.monotonic() - started
    notice = ArrivalNotice.objects.get(movement=movement)
    rows = Delivery.objects.filter(arrival=notice)
    total = rows.count()
    ok = wait_for(lambda: rows.filter(status=DeliveryStatus.SENT).count() >= total, timeout=600, every=0.5)
    elapsed = time.monotonic() - started
    count, distinct = received(f"arrival.{notice.pk}.")
    print(f"  declare_arrival (with {total:,} outbox rows) took {declared:.2f} s")
    print(
        f"  {'all' if ok else 'NOT all'} {total:,} delivered after {elapsed:.1f} s "
        f"({total / elapsed:,.0f}/s); "
        f"received {count:,}, duplicates {count - distinct}, missing {total - distinct}"
    )
    return elapsed


def publish_bulletin(title: str):
    from accounts.models import User
    from notifications.services import publish_bulletin as publish

    ars = User.objects.get(email="ars@bench.gomask.fr")
    return publish(author=ars, title=title, body="Bulletin du banc d'essai.", severity="info")


def run_bulletin() -> tuple[float, int]:
    from notifications.models import Delivery, DeliveryStatus

    reset_sink()
    started = time.monotonic()
    bulletin = publish_bulletin("Banc d'essai : diffusion")
    rows = Delivery.objects.filter(bulletin=bulletin)
    ok = wait_for(
        lambda: rows.filter(status=DeliveryStatus.SENT).count() >= PROFESSIONALS, timeout=900, every=0.5
    )
    elapsed = time.monotonic() - started
    count, distinct = received(f"bulletin.{bulletin.pk}.")
    verdict = "OK" if ok and elapsed <= TARGET_SECONDS else "ABOVE TARGET"
    print(
        f"  {'all' if ok else 'NOT all'} {PROFESSIONALS:,} delivered after {elapsed:.1f} s "
        f"({PROFESSIONALS / elapsed:,.0f}/s; target {TARGET_SECONDS:.0f} s: {verdict}); "
        f"received {count:,}, duplicates {count - distinct}, missing {PROFESSIONALS - distinct}"
    )
    return elapsed, bulletin.pk


def run_kill(worker: Worker, kill_after: int) -> tuple[int, int]:
    from notifications import delivery
    from notifications.models import Delivery, DeliveryStatus

    reset_sink()
    started = time.monotonic()
    bulletin = publish_bulletin("Banc d'essai : worker tué")
    prefix = f"bulletin.{bulletin.pk}."
    wait_for(lambda: received(prefix)[0] >= kill_after, timeout=600, every=0.05)
    worker.kill()
    killed_at = received(prefix)[0]
    rows = Delivery.objects.filter(bulletin=bulletin)
    stranded = rows.filter(status=DeliveryStatus.SENDING).count()
    print(
        f"  kill -9 after {killed_at:,} received ({time.monotonic() - started:.1f} s); "
        f"{stranded} row(s) left claimed ('sending')"
    )
    worker.start()
    last = [0.0]

    def relay_every_two_seconds():
        if time.monotonic() - last[0] >= 2:
            last[0] = time.monotonic()
            delivery.relay()

    ok = wait_for(
        lambda: rows.filter(status=DeliveryStatus.SENT).count() >= PROFESSIONALS,
        timeout=900,
        every=0.5,
        tick=relay_every_two_seconds,
    )
    # Give any straggling redelivery its chance to (wrongly) send twice before counting.
    delivery.relay()
    time.sleep(3)
    elapsed = time.monotonic() - started
    count, distinct = received(prefix)
    duplicates, missing = count - distinct, PROFESSIONALS - distinct
    print(
        f"  {'all' if ok else 'NOT all'} {PROFESSIONALS:,} delivered after {elapsed:.1f} s "
        "including the restart; "
        f"received {count:,}: duplicates {duplicates}, missing {missing} "
        f"({'OK' if duplicates == 0 and missing == 0 else 'FAILED'})"
    )
    return duplicates, missing


def main():
    global PROFESSIONALS, REFERENCED
    parser = bench_arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--professionals",
        type=int,
        default=PROFESSIONALS,
        help="Recipients of the bulletin (reduced scale: use a fresh BENCH_FANOUT_DATABASE).",
    )
    args = parser.parse_args()
    PROFESSIONALS, REFERENCED = args.professionals, min(REFERENCED, args.professionals)
    prepare(args.rebuild)
    worker = Worker()
    worker.start()
    try:
        print(f"== One arrival, {REFERENCED:,} referenced professionals")
        run_arrival()
        print(f"== Bulletin to {PROFESSIONALS:,} professionals of Occitanie")
        bulletin_seconds, bulletin_id = run_bulletin()
        print("== Ceiling: the same deliveries without the portal's code (raw SQL claims and marks, sink)")
        ceiling_seconds = ceiling(bulletin_id)
        print(
            f"  ratio bulletin / ceiling: {bulletin_seconds / ceiling_seconds:.2f} "
            f"(the bulletin also writes its {PROFESSIONALS:,} outbox rows and goes through the broker)"
        )
        print("== Bulletin again, worker killed (kill -9) mid-way and restarted")
        duplicates, missing = run_kill(worker, kill_after=PROFESSIONALS // 3)
    finally:
        worker.stop()
    return 0 if duplicates == 0 and missing == 0 else 1


if __name__ == "__main__":
    sys.exit(run_bench(main))
