"""Real threads against PostgreSQL: two computations of the observatory at once (the beat and an
administrator's `compute_observatory`) leave exactly one row per commune.

Each run replaces the tables (delete, then insert) under the advisory lock `observatory-compute`.
Both threads meet at a barrier right where the lock is taken; the negative control replaces the
lock with the barrier alone, and the second rewrite must then collide with the first (a
duplicate primary key)."""

import threading

import pytest
from django.db import IntegrityError, connection

from observatory import services
from observatory.models import AccessRun, CommuneAccess, EpciAccess
from territories.models import Commune
from tests.observatory.conftest import directory  # noqa: F401

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def run_two_computations(monkeypatch, *, with_lock: bool):
    barrier = threading.Barrier(2)
    real_lock = services.advisory_lock

    def lock_at_the_same_moment(*args):
        barrier.wait(timeout=60)
        if with_lock:
            real_lock(*args)

    monkeypatch.setattr(services, "advisory_lock", lock_at_the_same_moment)
    results = [None, None]

    def worker(index):
        try:
            results[index] = (True, services.compute_access())
        except Exception as exc:  # noqa: BLE001 - the negative control expects a database error
            results[index] = (False, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(result is not None for result in results), "a worker thread did not finish"
    return results


def test_two_overlapping_computations_both_finish_with_one_row_per_commune(
    monkeypatch,
    directory,  # noqa: F811
):
    results = run_two_computations(monkeypatch, with_lock=True)
    assert [ok for ok, _ in results] == [True, True]
    assert CommuneAccess.objects.count() == Commune.objects.count()
    assert EpciAccess.objects.count() == results[0][1].epcis
    assert AccessRun.objects.count() == 2


def test_negative_control_without_the_lock_the_second_rewrite_collides(
    monkeypatch,
    directory,  # noqa: F811
):
    results = run_two_computations(monkeypatch, with_lock=False)
    failures = [value for ok, value in results if not ok]
    assert len(failures) == 1 and isinstance(failures[0], IntegrityError)
