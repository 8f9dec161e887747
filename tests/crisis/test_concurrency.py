"""Real threads against PostgreSQL: 100 professionals accept one request at once, exactly one
wins; the negative control (without the request's row lock) catches a double winner.

PostgreSQL of the test machine allows 100 connections, shared: at most 20 threads hold a
connection at once (a semaphore, after a common start barrier), which keeps 20 transactions
racing on the request row at every moment.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crisis import services
from crisis.models import Acceptance, ReinforcementRequest, RequestCall
from gomask.errors import DomainError
from notifications.models import CoordinatorScope
from professionals.models import Profession
from territories.models import Commune
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

RISCLE = "32344"
AT_ONCE = 20


def run_in_threads(calls, *, at_once=AT_ONCE):
    start = threading.Barrier(len(calls))
    gate = threading.BoundedSemaphore(at_once)
    results = [None] * len(calls)

    def worker(index, call):
        try:
            start.wait(timeout=60)
            with gate:
                try:
                    results[index] = (True, call())
                except DomainError as exc:
                    results[index] = (False, exc)
                finally:
                    connection.close()
        except threading.BrokenBarrierError as exc:
            results[index] = (False, exc)

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(result is not None for result in results), "a worker thread did not finish"
    return results


def _request_with_callers(count: int):
    from accounts.models import Role

    coordinator = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="cpts@exemple.fr")
    scope = CoordinatorScope.objects.create(user=coordinator, name="CPTS Adour-Armagnac")
    scope.epcis.add(Commune.objects.get(pk=RISCLE).epci)
    activation = services.activate(actor=coordinator, level=3, track="amavi", summary="Accident collectif")
    start = timezone.now() + timedelta(hours=1)
    request = ReinforcementRequest.objects.create(
        activation=activation,
        place="Gymnase",
        commune_id=RISCLE,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        profession=Profession.INFIRMIER,
        needed=1,
        radius_km=10,
        requested_by=coordinator,
    )
    users = []
    for index in range(count):
        user = UserFactory(role="professional", email=f"renfort{index}@exemple.fr")
        professional = ProfessionalFactory(user=user, insee_code=RISCLE)
        RequestCall.objects.create(request=request, professional=professional, radius_km=10)
        users.append(user)
    return request, users


def test_one_hundred_professionals_accepting_at_once_make_exactly_one_winner(occitanie):
    request, users = _request_with_callers(100)
    calls = [lambda user=user: services.accept_request(user=user, request_id=request.pk) for user in users]
    results = run_in_threads(calls)
    winners = [value for ok, value in results if ok]
    refusals = [value for ok, value in results if not ok]
    assert len(winners) == 1
    assert all(isinstance(error, services.RequestTaken | services.Conflict) for error in refusals), refusals
    assert Acceptance.objects.filter(request=request).count() == 1
    request.refresh_from_db()
    assert request.status == "filled"


def test_negative_control_without_the_request_lock_the_same_race_has_several_winners(occitanie, monkeypatch):
    """Proves the test can fail: read the request without its row lock, and let every thread
    count the acceptances before any writes (a barrier): several professionals win."""
    request, users = _request_with_callers(AT_ONCE)
    everyone_has_counted = threading.Barrier(AT_ONCE)
    real_count = services._accepted_count

    def unlocked(request_id):
        return ReinforcementRequest.objects.filter(pk=request_id).first()

    def counted_together(request):
        value = real_count(request)
        everyone_has_counted.wait(timeout=60)
        return value

    monkeypatch.setattr(services, "_lock_request", unlocked)
    monkeypatch.setattr(services, "_accepted_count", counted_together)
    calls = [lambda user=user: services.accept_request(user=user, request_id=request.pk) for user in users]
    results = run_in_threads(calls)
    winners = [value for ok, value in results if ok]
    assert len(winners) > 1
    assert Acceptance.objects.filter(request=request).count() > 1
