"""Real threads against PostgreSQL: one active booking per slot, no hoarding under contention."""

import threading
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction

from consultations import services
from consultations.models import Booking, BookingStatus
from gomask.errors import DomainError
from tests.consultations.conftest import make_mission, make_volunteer, patient, publish

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


# The PostgreSQL server (max_connections=100) is shared with other test runs: at most this
# many threads hold a connection at once; all of them still start together and race.
MAX_CONNECTIONS = 30


def _run_threads(count, target):
    barrier = threading.Barrier(count)
    connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
    results = [None] * count

    def worker(index):
        barrier.wait()
        with connections:
            try:
                results[index] = target(index)
            except DomainError as exc:
                results[index] = exc.code
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def ten_slots(doctor, riscle_site, ars_occitanie):
    volunteer = make_volunteer(doctor, riscle_site)
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie)
    return list(mission.slots.order_by("starts_at")[:10])


def _person(index):
    return patient(
        first_name=f"Patient{'abcdefghijklmnopqrstuvwxyz'[index % 26]}",
        last_name=f"Nom{'abcdefghijklmnopqrstuvwxyz'[index // 26]}",
        email=f"patient{index}@exemple.fr",
        phone=f"06{index:08d}",
    )


def test_one_hundred_people_on_ten_slots_give_exactly_ten_bookings(ten_slots):
    results = _run_threads(
        100, lambda i: services.book_slot(slot_id=ten_slots[i % 10].pk, **_person(i)).value.pk
    )
    outcomes = Counter("booked" if isinstance(r, int) else r for r in results)
    assert outcomes == {"booked": 10, "slot_taken": 90}
    active = Booking.objects.filter(status=BookingStatus.BOOKED)
    assert active.count() == 10
    assert sorted(active.values_list("slot_id", flat=True)) == sorted(s.pk for s in ten_slots)


def test_without_the_row_lock_the_constraint_still_refuses_the_second_booking(ten_slots, monkeypatch):
    """Negative control for the lock: with select_for_update and the existence check gone,
    the partial unique constraint is what turns the losers into a clean slot_taken."""
    from consultations.models import Slot

    real_filter = Booking.objects.filter
    monkeypatch.setattr(Slot.objects, "select_for_update", lambda **kwargs: Slot.objects.all())

    class NoExistingBooking:
        def __init__(self, queryset):
            self.queryset = queryset

        def exists(self):
            return False

        def first(self):
            return None

    def filter_without_existence_check(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        if "slot" in kwargs and "status__in" in kwargs:
            return NoExistingBooking(queryset)
        return queryset

    monkeypatch.setattr(Booking.objects, "filter", filter_without_existence_check)
    results = _run_threads(
        40, lambda i: services.book_slot(slot_id=ten_slots[i % 4].pk, **_person(i)).value.pk
    )
    outcomes = Counter("booked" if isinstance(r, int) else r for r in results)
    assert outcomes == {"booked": 4, "slot_taken": 36}


def test_the_database_itself_refuses_two_active_bookings_on_one_slot(ten_slots):
    first = services.book_slot(slot_id=ten_slots[0].pk, **_person(1)).value
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(slot_id=first.slot_id, first_name="X", last_name="Y")


def test_one_person_racing_for_many_slots_gets_at_most_the_limit(ten_slots, settings):
    results = _run_threads(10, lambda i: services.book_slot(slot_id=ten_slots[i].pk, **patient()).value.pk)
    outcomes = Counter("booked" if isinstance(r, int) else r for r in results)
    assert outcomes == {
        "booked": settings.MAX_FUTURE_BOOKINGS,
        "too_many_bookings": 10 - settings.MAX_FUTURE_BOOKINGS,
    }
