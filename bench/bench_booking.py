"""Booking contention through HTTP: 500 concurrent clients on 100 slots.

Builds (each run, from scratch) a small dedicated database (default gomask_bench_booking:
migrated, Occitanie territories, one site with a published mission of 100 slots), starts
gunicorn on 127.0.0.1:<random port>, then fires 500 clients at once (threads, http.client,
one POST /api/consultations/bookings/ each, 5 clients per slot, each a different person).

Prints bookings/s, the correctness checks (exactly 100 bookings, no slot booked twice,
every loser answered 409 slot_taken) and p50/p95 latency. The booking rate limit is
turned off for the run (all clients share 127.0.0.1); gunicorn logs each expected 409 as a
warning line ("Conflict: ..."). Ends by itself; exit status 1 if a
correctness check fails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask .venv/bin/python bench/bench_booking.py
"""

import http.client
import json
import os
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import create_database, gunicorn_server, manage, percentile, setup_django  # noqa: E402

DATABASE = os.environ.get("BENCH_BOOKING_DATABASE", "gomask_bench_booking")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "500"))
SLOTS = int(os.environ.get("BENCH_SLOTS", "100"))
if not 1 <= SLOTS <= 100 or CLIENTS < SLOTS:
    raise SystemExit("BENCH_SLOTS must be 1..100 and BENCH_CLIENTS at least BENCH_SLOTS")
REQUEST_TIMEOUT = 60.0


def prepare() -> list[int]:
    """Fresh database with one published mission of SLOTS slots; returns the slot ids."""
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
    return slot_ids


def fire(port: int, slot_ids: list[int]) -> tuple[list[tuple[int, str, float, float]], float]:
    """All clients start together; returns (status, code, latency ms, seconds from the start
    to the answer) per client, and the wall time."""
    barrier = threading.Barrier(CLIENTS + 1)
    results: list[tuple[int, str, float, float] | None] = [None] * CLIENTS

    def client(index: int) -> None:
        body = json.dumps(
            {
                "slot": slot_ids[index % len(slot_ids)],
                "first_name": "Patient",
                "last_name": f"Banc-{chr(97 + index % 26)}{chr(97 + index // 26 % 26)}",
                "birth_date": (date(1940, 1, 1) + timedelta(days=index)).isoformat(),
                "phone": f"06{index:08d}",
                "email": f"patient{index}@exemple.fr",
                "commune": "32344",
                "has_regular_doctor": False,
            }
        )
        barrier.wait()
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            connection.request(
                "POST",
                "/api/consultations/bookings/",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            payload = response.read()
            connection.close()
            try:
                code = json.loads(payload).get("code", "booked" if response.status == 201 else "?")
            except ValueError:
                code = "not-json"
            if response.status == 201:
                code = "booked"
            finished = time.perf_counter()
            results[index] = (response.status, code, (finished - started) * 1000, finished)
        except OSError as error:
            finished = time.perf_counter()
            results[index] = (0, f"network:{type(error).__name__}", (finished - started) * 1000, finished)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    wall_started = time.perf_counter()
    deadline = time.monotonic() + REQUEST_TIMEOUT + 30
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    wall = time.perf_counter() - wall_started
    done = [
        (r[0], r[1], r[2], r[3] - wall_started) if r is not None else (0, "unfinished", wall * 1000, wall)
        for r in results
    ]
    return done, wall


def main() -> int:
    os.environ["BOOKING_RATE_LIMIT"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    slot_ids = prepare()
    workers, threads = int(os.environ.get("BENCH_WORKERS", "3")), int(os.environ.get("BENCH_THREADS", "8"))
    with gunicorn_server(workers=workers, threads=threads, name=DATABASE) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        print(
            f"gunicorn {workers} workers x {threads} threads on {base_url}; "
            f"{CLIENTS} clients, {len(slot_ids)} slots"
        )
        results, wall = fire(port, slot_ids)

    from django.db import connection

    from consultations.models import ACTIVE_BOOKING_STATUSES, Booking

    connection.close()
    active = Booking.objects.filter(status__in=ACTIVE_BOOKING_STATUSES)
    booked_in_db = active.count()
    per_slot = Counter(active.values_list("slot_id", flat=True))
    double = sum(1 for count in per_slot.values() if count > 1)
    outcomes = Counter(code for _status, code, _ms, _at in results)
    statuses = Counter(status for status, _code, _ms, _at in results)
    latencies = [ms for _status, _code, ms, _at in results]
    booked_answers = outcomes.get("booked", 0)
    last_booking_at = max((at for _status, code, _ms, at in results if code == "booked"), default=wall)

    print(f"answers by status      {dict(sorted(statuses.items()))}")
    print(f"answers by code        {dict(outcomes.most_common())}")
    print(f"wall time              {wall:.2f} s for {CLIENTS} requests ({CLIENTS / wall:.1f} requests/s)")
    print(
        f"bookings/s             {booked_answers / last_booking_at:.1f} "
        f"({booked_answers} bookings, the last one {last_booking_at:.2f} s after the start)"
    )
    print(
        f"latency                p50 {percentile(latencies, 0.5):.0f} ms   "
        f"p95 {percentile(latencies, 0.95):.0f} ms"
    )
    checks = {
        f"exactly {len(slot_ids)} bookings in the database": booked_in_db == len(slot_ids),
        f"exactly {len(slot_ids)} '201 booked' answers": booked_answers == len(slot_ids),
        "no slot booked twice": double == 0,
        "every other client got 409 slot_taken": outcomes.get("slot_taken", 0) == CLIENTS - len(slot_ids),
    }
    for label, ok in checks.items():
        print(f"  [{'OK' if ok else 'FAILED'}] {label}")
    print(f"double bookings        {double}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
