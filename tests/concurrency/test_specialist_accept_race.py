"""Real threads against PostgreSQL: 100 specialists accept one request for advice at once, and
exactly one owns it.

The accept locks the request row (SELECT ... FOR UPDATE), re-checks its state, and claims it
with a conditional UPDATE that must change one row. The server's connections are shared with
other test runs, so the 100 threads start together at a barrier but at most RACE_CONNECTIONS
of them hold a database connection at a time; a short pause after the locking read keeps their
transactions overlapping. The negative control reads without the lock, waits until every
thread has read the request "on offer", and claims unconditionally: several specialists are
then told they own it, which the real code never allows.
"""

import os
import threading
import time

import pytest
from django.db import connection

from accounts.models import Role, User
from gomask.identifiers import make_rpps
from professionals.models import Profession, Professional
from specialists import services
from specialists.models import AdviceRequest, RequestStatus, SpecialistProfile
from tests.factories import commune
from tests.specialists.conftest import NOGARO, send

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

RACE_CONNECTIONS = int(os.environ.get("RACE_CONNECTIONS", "20"))


def _specialists(count: int) -> list[User]:
    """`count` cardiologists in Nogaro who opted in (built in bulk: no password hashing)."""
    nogaro = commune(NOGARO)
    users = User.objects.bulk_create(
        User(email=f"cardio{i}@exemple.fr", role=Role.PROFESSIONAL, password="!") for i in range(count)
    )
    professionals = Professional.objects.bulk_create(
        Professional(
            user=user,
            rpps=make_rpps(50_000 + i),
            profession=Profession.MEDECIN,
            first_name="Paul",
            last_name=f"Cardio{i}",
            search_name=f"cardio{i} paul",
            practice_commune=nogaro,
            latitude=nogaro.latitude,
            longitude=nogaro.longitude,
            specialty_code="SM04",
        )
        for i, user in enumerate(users)
    )
    SpecialistProfile.objects.bulk_create(
        SpecialistProfile(professional=p, specialty="SM04", radius_km=60) for p in professionals
    )
    return list(User.objects.filter(pk__in=[u.pk for u in users]).select_related("professional"))


def _race(calls, *, connections: int):
    start = threading.Barrier(len(calls))
    slots = threading.BoundedSemaphore(connections)
    results = [None] * len(calls)

    def worker(index, call):
        try:
            start.wait(timeout=60)
            with slots:
                try:
                    results[index] = (True, call())
                except services.RequestTaken as exc:
                    results[index] = (False, exc)
                finally:
                    connection.close()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = (None, exc)

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(result is not None for result in results), "a worker thread did not finish"
    unexpected = [value for ok, value in results if ok is None]
    assert not unexpected, unexpected
    return results


@pytest.fixture
def requester(occitanie):
    from tests.factories import professional_user

    return professional_user(email="infirmiere.riscle@exemple.fr")


def test_one_hundred_specialists_accepting_at_once_leave_exactly_one_owner(requester, monkeypatch):
    specialists = _specialists(100)
    advice = send(requester)
    real_locked = services._locked

    def slow_locked(request_id):
        found = real_locked(request_id)
        time.sleep(0.005)
        return found

    monkeypatch.setattr(services, "_locked", slow_locked)

    results = _race(
        [lambda user=user: services.accept_request(user=user, request_id=advice.pk) for user in specialists],
        connections=RACE_CONNECTIONS,
    )

    owners = [value.accepted_by_id for ok, value in results if ok]
    assert len(owners) == 1
    assert sum(1 for ok, _value in results if ok is False) == 99
    advice.refresh_from_db()
    assert advice.status == RequestStatus.ACCEPTED and advice.accepted_by_id == owners[0]


def test_negative_control_without_the_lock_and_the_conditional_claim_several_specialists_own_it(
    requester, monkeypatch
):
    count = min(20, RACE_CONNECTIONS)
    specialists = _specialists(count)
    advice = send(requester)
    everyone_has_read = threading.Barrier(count)

    def unlocked_read(request_id):
        found = AdviceRequest.objects.select_related("commune").get(pk=request_id)
        everyone_has_read.wait(timeout=60)
        return found

    def unconditional_claim(found, professional, now):
        return AdviceRequest.objects.filter(pk=found.pk).update(
            status=RequestStatus.ACCEPTED, accepted_by=professional, accepted_at=now
        )

    monkeypatch.setattr(services, "_locked", unlocked_read)
    monkeypatch.setattr(services, "_claim", unconditional_claim)

    results = _race(
        [lambda user=user: services.accept_request(user=user, request_id=advice.pk) for user in specialists],
        connections=count,
    )

    told_they_own_it = [value for ok, value in results if ok]
    assert len(told_they_own_it) > 1
