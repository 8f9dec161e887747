"""Booking under a rush through HTTP (500 concurrent clients on 100 slots), next to its ceiling.

Builds (each run, from scratch) a small dedicated database (default gomask_bench_booking:
migrated, Occitanie territories, one site with a published mission of 100 slots, plus the
slots of the ceiling), then, in the same run:

1. **Ceiling.** Books one slot through `services.book_slot` in this process and records the
   exact SQL of its transaction (statements and parameters, `connection.execute_wrapper`).
   Then BENCH_CEILING_CLIENTS raw psycopg connections (opened before the clock starts, as
   pgbench does) replay that transaction, with each patient's own values, (a) once per fresh
   slot: bookings/s of the bare SQL; (b) 500 attempts on 100 slots, 5 per slot, where a
   loser stops at the statement that finds the slot's holder, as the service does: answers/s.
2. **HTTP.** gunicorn on 127.0.0.1:<random port>, sync workers as the Dockerfile runs it
   (BENCH_WORKERS, default 2 per core + 2; BENCH_THREADS=1), Celery not eager (the outbox
   rows are written, their delivery is left to a worker, as in production). Before the clock,
   a warm-up books spare slots from every worker (database connections open, the booking path
   run once). Then 500 clients at once, in a shuffled order of arrival, each a different
   person, 5 per slot, one POST /api/consultations/bookings/ each on its own connection. The
   clients are asyncio tasks in this process's one thread: a load generator that takes little
   CPU from the server it measures (500 client threads took much more, and delayed the
   answers they timed). A client put in the waiting room (429 `waiting_room`) sends the same
   request again with its ticket after `retry_after`, until a final answer (booked or refused).

Prints answers/s over ALL final answers (from the start to the last answer, not to the last
booking), the ratio to the ceiling, p50/p95 of the first answer each client got (a booking, a
refusal or a place in the queue) and of the final answer, the checks (exactly 100 bookings, no
slot booked twice, every other client answered 409 slot_taken) and the machine's load before
and after. The booking rate limit is off for the run (all clients share 127.0.0.1). The waiting
room is on (BENCH_WAITING_ROOM=0 to turn it off), at WAITING_ROOM_RATE admissions per second
(default 600 here) with WAITING_ROOM_BURST straight through (default 10), and none while
WAITING_ROOM_CONCURRENCY admitted requests are in progress (default: the workers less 2).
Ends by itself; exit status 1 if a check fails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask .venv/bin/python bench/bench_booking.py
"""

import asyncio
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import create_database, gunicorn_server, load, manage, percentile, setup_django  # noqa: E402

DATABASE = os.environ.get("BENCH_BOOKING_DATABASE", "gomask_bench_booking")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "500"))
SLOTS = int(os.environ.get("BENCH_SLOTS", "100"))
if not 1 <= SLOTS <= 100 or CLIENTS < SLOTS:
    raise SystemExit("BENCH_SLOTS must be 1..100 and BENCH_CLIENTS at least BENCH_SLOTS")
REQUEST_TIMEOUT = 60.0
CEILING_CLIENTS = int(os.environ.get("BENCH_CEILING_CLIENTS", "16"))
CEILING_FRESH = int(os.environ.get("BENCH_CEILING_FRESH", "500"))
WAITING_ROOM = os.environ.get("BENCH_WAITING_ROOM", "1") != "0"
WAITING_ROOM_RATE = os.environ.get("WAITING_ROOM_RATE", "600")
WAITING_ROOM_BURST = os.environ.get("WAITING_ROOM_BURST", "10")
# gunicorn as the Dockerfile runs it: sync workers (one request per process), here 2 per core + 2.
# Threads (the gthread worker) do worse for this CPU-bound work: under load the thread that
# accepts connections waits for the GIL behind the requests, and new arrivals wait unanswered.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 2)))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
WARM_UP_SLOTS = 3 * WORKERS * THREADS
# Admitted requests in progress beyond which the room admits nobody: fewer than the workers, so
# that some stay free to answer the crowd with its place.
WAITING_ROOM_CONCURRENCY = os.environ.get("WAITING_ROOM_CONCURRENCY", str(max(1, WORKERS * THREADS - 2)))
WARM_UP_FIRST_PATIENT = 100_000  # the warm-up's patients share no phone with the measured ones


def prepare() -> tuple[list[int], list[int]]:
    """Fresh database with one published mission of SLOTS slots, and the ceiling's slots (one to
    capture, CEILING_FRESH fresh ones, SLOTS contended ones, then WARM_UP_SLOTS for the server's
    warm-up); returns both id lists."""
    print(f"Preparing the database {DATABASE}…", flush=True)
    create_database(DATABASE, drop=True)
    manage("migrate", "--noinput", "-v", "0", name=DATABASE)
    manage("load_territories", "--regions", "76", name=DATABASE)
    setup_django(DATABASE)

    from datetime import time as clock

    from django.utils import timezone

    from accounts.models import Role, User
    from consultations import services
    from consultations.models import Availability, PriorityZone, Site, SiteKind, Volunteer
    from gomask.identifiers import make_rpps
    from professionals.models import Profession, Professional
    from territories.models import Commune

    riscle = Commune.objects.get(insee_code="32344")
    ars = User.objects.create_user(
        email="ars.bench@exemple.fr", password="bench-Password-1", role=Role.ARS_STAFF, region_id="76"
    )
    doctor = User.objects.create_user(
        email="medecin.bench@exemple.fr", password="bench-Password-1", role=Role.PROFESSIONAL
    )
    professional = Professional.objects.create(
        user=doctor,
        rpps=make_rpps(42),
        profession=Profession.MEDECIN,
        first_name="Marc",
        last_name="Banc",
        practice_commune=riscle,
        latitude=riscle.latitude,
        longitude=riscle.longitude,
    )
    zone = PriorityZone.objects.create(epci=riscle.epci, region_id="76", designated_at=date.today())
    site = Site.objects.create(
        name="Cabinet médical de Riscle",
        kind=SiteKind.CABINET,
        zone=zone,
        address="Centre-bourg",
        commune=riscle,
        latitude=riscle.latitude,
        longitude=riscle.longitude,
    )
    volunteer = Volunteer.objects.create(professional=professional, max_days_per_month=2)
    volunteer.sites.add(site)
    start = timezone.localdate() + timedelta(days=3)
    Availability.objects.create(volunteer=volunteer, start_date=start, end_date=start + timedelta(days=1))
    mission = services.create_mission(
        user=ars,
        volunteer_id=volunteer.pk,
        site_id=site.pk,
        start_date=start,
        end_date=start + timedelta(days=1),
    )
    # 2 days x 10 hours x 5 slots of 12 minutes = 100 slots; published long enough ago that
    # the priority window is over (every client may book).
    services.publish_slots(
        user=ars,
        mission_id=mission.pk,
        day_start=clock(8, 0),
        day_end=clock(18, 0),
        slot_minutes=12,
        now=timezone.now() - timedelta(days=3),
    )
    slot_ids = list(mission.slots.order_by("starts_at").values_list("pk", flat=True))[:SLOTS]
    if len(slot_ids) != SLOTS:
        raise SystemExit(f"expected {SLOTS} slots, got {len(slot_ids)}")
    from consultations.models import Slot

    first = timezone.now() + timedelta(days=20)
    extra = Slot.objects.bulk_create(
        Slot(
            mission=mission,
            starts_at=first + timedelta(minutes=i),
            ends_at=first + timedelta(minutes=i + 1),
        )
        for i in range(1 + CEILING_FRESH + SLOTS + WARM_UP_SLOTS)
    )
    return slot_ids, [slot.pk for slot in extra]


# --- The ceiling: the exact SQL of one booking, replayed raw -------------------------------

CAPTURE = {
    "first_name": "Capture",
    "last_name": "Plafond",
    "email": "plafond@exemple.fr",
    "phone": "+33699999999",
}


def capture(slot_id: int) -> tuple[list[tuple[str, tuple]], int, dict]:
    """Book `slot_id` through the service, recording the statements of its transaction.

    Returns (statements, index of the statement that finds the slot's holder, the captured
    values to substitute)."""
    from django.db import connection

    from consultations import services
    from gomask.locks import advisory_key

    recorded: list[tuple[str, tuple, bool]] = []

    def recorder(execute, sql, params, many, context):
        recorded.append((sql, tuple(params or ()), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(recorder):
        booking = services.book_slot(
            slot_id=slot_id,
            first_name=CAPTURE["first_name"],
            last_name=CAPTURE["last_name"],
            birth_date=date(1970, 1, 1),
            phone=CAPTURE["phone"],
            email=CAPTURE["email"],
            commune_code="32344",
            has_regular_doctor=False,
        ).value
    statements = [(sql, params) for sql, params, atomic in recorded if atomic]
    holder = next(
        i for i, (sql, _params) in enumerate(statements) if sql.startswith('SELECT "consultations_booking"')
    )
    person = services.identity_key(CAPTURE["first_name"], CAPTURE["last_name"], date(1970, 1, 1))
    values = {
        "slot": slot_id,
        "public_id": booking.public_id,
        "person": person,
        "keys": {
            advisory_key("booking-patient", f"email:{CAPTURE['email']}"): "email",
            advisory_key("booking-patient", f"phone:{CAPTURE['phone']}"): "phone",
            advisory_key("booking-patient", f"identity:{person}"): "identity",
        },
    }
    return statements, holder, values


def substitute(statements, values, *, slot_id: int, index: int):
    """The captured statements with patient `index`'s own values and slot `slot_id`."""
    import uuid

    from gomask.locks import advisory_key

    public_id = uuid.uuid4()
    email = f"plafond{index}@exemple.fr"
    phone = f"+336{index:08d}"
    person = values["person"].replace("plafond|", f"plafond{index}|")
    keys = {
        "email": advisory_key("booking-patient", f"email:{email}"),
        "phone": advisory_key("booking-patient", f"phone:{phone}"),
        "identity": advisory_key("booking-patient", f"identity:{person}"),
    }
    swaps = [
        (str(values["public_id"]), str(public_id)),
        (CAPTURE["email"], email),
        (CAPTURE["phone"], phone),
        (values["person"], person),
    ]

    def one(value):
        if isinstance(value, bool):
            return value
        if isinstance(value, list):
            # The patient's advisory keys, locked in one statement: the new keys, in key order
            # as the service sorts them (otherwise every replay would queue on the captured ones).
            return sorted(one(item) for item in value)
        if isinstance(value, int):
            if value == values["slot"]:
                return slot_id
            if value in values["keys"]:
                return keys[values["keys"][value]]
            return value
        if isinstance(value, uuid.UUID):
            return public_id if value == values["public_id"] else value
        if isinstance(value, str):
            for old, new in swaps:
                value = value.replace(old, new)
            return value
        return value

    return [(sql, tuple(one(v) for v in params)) for sql, params in statements]


def ceiling(statements, holder: int, values, attempts: list[tuple[int, int]]) -> tuple[float, int]:
    """Replay the booking transaction for each (slot, patient) of `attempts` on CEILING_CLIENTS
    raw connections opened before the clock; returns (wall seconds, bookings committed)."""
    import psycopg
    from common import database_url

    plans = [substitute(statements, values, slot_id=slot, index=who) for slot, who in attempts]
    connections = [psycopg.connect(database_url(DATABASE)) for _ in range(CEILING_CLIENTS)]
    for connection in connections:
        connection.execute("SELECT 1")
        connection.commit()
    lock = threading.Lock()
    queue = list(reversed(plans))
    booked = [0]
    barrier = threading.Barrier(CEILING_CLIENTS + 1)

    def worker(connection) -> None:
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    return
                plan = queue.pop()
            won = True
            with connection.cursor() as cursor:
                for i, (sql, params) in enumerate(plan):
                    cursor.execute(sql, params or None)
                    if i == holder and cursor.fetchone() is not None:
                        won = False  # the slot's holder: the service refuses here
                        break
            if won:
                connection.commit()
                with lock:
                    booked[0] += 1
            else:
                connection.rollback()

    threads = [threading.Thread(target=worker, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return wall, booked[0]


# --- HTTP ----------------------------------------------------------------------------------


def _patient(index: int, slot_id: int, *, prefix: str = "Banc") -> bytes:
    """Patient `index`: a person of their own (name, birth date, e-mail and phone)."""
    letters = "".join(chr(97 + index // 26**rank % 26) for rank in range(3))
    return json.dumps(
        {
            "slot": slot_id,
            "first_name": "Patient",
            "last_name": f"{prefix}-{letters}",
            "birth_date": (date(1930, 1, 1) + timedelta(days=index % 20_000)).isoformat(),
            "phone": f"06{index:08d}",
            "email": f"{prefix.lower()}{index}@exemple.fr",
            "commune": "32344",
            "has_regular_doctor": False,
        }
    ).encode()


async def _post(port: int, body: bytes, ticket: str | None) -> tuple[int, dict]:
    """One POST on a fresh connection (as a patient's phone makes it), raw HTTP/1.1."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (
            "POST /api/consultations/bookings/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
            + (f"X-Waiting-Room-Ticket: {ticket}\r\n" if ticket else "")
            + "\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    header, _sep, payload = answer.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in header.lower():
        payload = _unchunk(payload)
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, {"code": "not-json"}


def _unchunk(payload: bytes) -> bytes:
    """The body of a chunked HTTP/1.1 answer (gunicorn chunks one that has no Content-Length)."""
    body, rest = b"", payload
    while rest:
        size_line, _sep, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        body, rest = body + rest[:size], rest[size + 2 :]
    return body


async def _client(port: int, body: bytes, index: int, started: float) -> dict:
    """A patient: one request, then the same again with the waiting room's ticket after
    `retry_after`, until a final answer (booked or refused)."""
    first_ms, ticket, requests, queued = None, None, 0, False
    while True:
        requests += 1
        try:
            status, data = await asyncio.wait_for(_post(port, body, ticket), REQUEST_TIMEOUT)
        except (TimeoutError, OSError) as error:
            status, data = 0, {"code": f"network:{type(error).__name__}"}
        now = time.perf_counter()
        if first_ms is None:
            first_ms = (now - started) * 1000
        code = "booked" if status in (200, 201) else data.get("code", "?")
        if code == "waiting_room" and now - started < REQUEST_TIMEOUT:
            queued = True
            ticket = data["ticket"]
            # Spread the retries a little, as people's phones do.
            await asyncio.sleep(min(float(data.get("retry_after", 1)), 5.0) * (0.8 + 0.4 * (index % 10) / 10))
            continue
        return {
            "status": status,
            "code": code,
            "first_ms": first_ms,
            "final_ms": (now - started) * 1000,
            "requests": requests,
            "queued": queued,
            "at": now,
        }


def warm_up(port: int, connections: int, slot_ids: list[int]) -> None:
    """Before the clock, as a server that has been up for a while: `connections` patients at
    once, three times, each booking a spare slot (through the waiting room if it is on). Every
    worker then has its database connection open and has run the whole booking path once
    (translations, serializers, the outbox, the broker's connection), which a worker's first
    request otherwise pays inside the measure."""

    async def rounds():
        for round_ in range(3):
            started = time.perf_counter()
            batch = slot_ids[round_ * connections : (round_ + 1) * connections]
            await asyncio.gather(
                *(
                    _client(port, _patient(i, slot, prefix="Chauffe"), i, started)
                    for i, slot in enumerate(batch, start=WARM_UP_FIRST_PATIENT + round_ * connections)
                )
            )

    asyncio.run(rounds())


def fire(port: int, slot_ids: list[int]) -> tuple[list[dict], float]:
    """All clients start together (asyncio in this process's one thread: a load generator that
    takes little CPU from the server it measures); each goes on through the waiting room to a
    final answer.

    Returns one record per client (status, code, first answer ms, final answer ms, requests
    made, seconds from the start to the final answer) and the wall time."""
    bodies = [_patient(index, slot_ids[index % len(slot_ids)]) for index in range(CLIENTS)]
    # People arrive in no particular order: not the 100 first-comers on 100 different slots, then
    # everyone else (a fixed seed, so that two runs compare).
    order = list(range(CLIENTS))
    random.Random(2021).shuffle(order)

    async def everyone():
        started = time.perf_counter()
        results = await asyncio.gather(*(_client(port, bodies[index], index, started) for index in order))
        return started, results

    wall_started, results = asyncio.run(everyone())
    done = [{**r, "at": r["at"] - wall_started} for r in results]
    wall = max(r["at"] for r in done)
    return done, wall


def main() -> int:
    os.environ["BOOKING_RATE_LIMIT"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    # The outbox rows are written in the request; their delivery is a worker's job (none runs
    # here: they stay queued), as in production. Eager tasks would deliver inside the request.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["WAITING_ROOM_ENABLED"] = "true" if WAITING_ROOM else "false"
    os.environ["WAITING_ROOM_RATE"] = WAITING_ROOM_RATE
    os.environ["WAITING_ROOM_BURST"] = WAITING_ROOM_BURST
    os.environ["WAITING_ROOM_CONCURRENCY"] = WAITING_ROOM_CONCURRENCY
    # Its own keys in Redis (waiting room, "slot taken" markers), apart from anything else there.
    os.environ["CACHE_KEY_PREFIX"] = f"bench-booking-{os.getpid()}"
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("The bench needs REDIS_URL (broker, cache, waiting room).")
    print(f"machine load before     {load()}", flush=True)
    slot_ids, extra = prepare()

    from consultations import waiting_room

    statements, holder, values = capture(extra[0])
    fresh = extra[1 : 1 + CEILING_FRESH]
    contended = extra[1 + CEILING_FRESH : 1 + CEILING_FRESH + SLOTS]
    warm = extra[1 + CEILING_FRESH + SLOTS :]
    print(f"one booking's transaction: {len(statements)} statements (captured from the service)")
    fresh_attempts = [(slot, i) for i, slot in enumerate(fresh)]
    fresh_wall, fresh_booked = ceiling(statements, holder, values, fresh_attempts)
    ceiling_rate = fresh_booked / fresh_wall
    attempts = [(contended[i % len(contended)], 10_000 + i) for i in range(CLIENTS)]
    contended_wall, contended_booked = ceiling(statements, holder, values, attempts)
    ceiling_answers = CLIENTS / contended_wall
    print(
        f"ceiling (raw SQL, {CEILING_CLIENTS} connections)  {ceiling_rate:.0f} bookings/s "
        f"({fresh_booked} on fresh slots in {fresh_wall:.2f} s); {CLIENTS} attempts on "
        f"{len(contended)} slots: {ceiling_answers:.0f} answers/s, {contended_booked} bookings"
    )

    waiting_room.reset()
    workers, threads = WORKERS, THREADS
    with gunicorn_server(workers=workers, threads=threads, name=DATABASE, timeout=300) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        warm_up(port, workers * threads, warm)
        waiting_room.reset()
        print(
            f"gunicorn {workers} workers x {threads} threads on {base_url}; {CLIENTS} clients, "
            f"{len(slot_ids)} slots; waiting room "
            + (
                f"on at {WAITING_ROOM_RATE}/s, burst {WAITING_ROOM_BURST}, at most "
                f"{WAITING_ROOM_CONCURRENCY} admitted requests in progress"
                if WAITING_ROOM
                else "off"
            )
        )
        results, wall = fire(port, slot_ids)

    from django.db import connection

    from consultations.models import ACTIVE_BOOKING_STATUSES, Booking

    connection.close()
    active = Booking.objects.filter(status__in=ACTIVE_BOOKING_STATUSES, slot_id__in=slot_ids)
    booked_in_db = active.count()
    per_slot = Counter(active.values_list("slot_id", flat=True))
    double = sum(1 for count in per_slot.values() if count > 1)
    outcomes = Counter(r["code"] for r in results)
    statuses = Counter(r["status"] for r in results)
    booked_answers = outcomes.get("booked", 0)
    answers_rate = CLIENTS / wall
    first = [r["first_ms"] for r in results]
    final = [r["final_ms"] for r in results]
    queued = sum(1 for r in results if r["queued"])
    requests = sum(r["requests"] for r in results)

    print(f"final answers by status {dict(sorted(statuses.items()))}")
    print(f"final answers by code   {dict(outcomes.most_common())}")
    print(f"queued in waiting room  {queued} clients; {requests} requests in all")
    print(
        f"throughput              {answers_rate:.1f} answers/s ({CLIENTS} final answers in {wall:.2f} s, "
        f"the last answer ends the clock); {booked_answers / wall:.1f} bookings/s"
    )
    print(
        f"ratio to the ceiling    {answers_rate / ceiling_rate:.2f} of {ceiling_rate:.0f} bookings/s "
        f"(target >= 0.25); {answers_rate / ceiling_answers:.2f} of the same 500 attempts raw"
    )
    print(
        f"first answer            p50 {percentile(first, 0.5):.0f} ms   p95 {percentile(first, 0.95):.0f} ms "
        "(booking, refusal or place in the queue; target p95 < 1000 ms)"
    )
    print(
        f"final answer            p50 {percentile(final, 0.5):.0f} ms   p95 {percentile(final, 0.95):.0f} ms"
    )
    checks = {
        f"exactly {len(slot_ids)} bookings in the database": booked_in_db == len(slot_ids),
        f"exactly {len(slot_ids)} '201 booked' answers": booked_answers == len(slot_ids),
        "no slot booked twice": double == 0,
        "every other client got 409 slot_taken": outcomes.get("slot_taken", 0) == CLIENTS - len(slot_ids),
    }
    for label, ok in checks.items():
        print(f"  [{'OK' if ok else 'FAILED'}] {label}")
    print(f"double bookings         {double}")
    print(f"machine load after      {load()}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
