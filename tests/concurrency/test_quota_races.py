"""Real threads against PostgreSQL: the weekly quota and the stock hold under concurrent requests.

Each worker thread has its own database connection (closed at the end). A `widened` usage
read (a short pause after reading the quota usage) makes overlapping transactions likely;
the negative control replaces the pause with a barrier (every thread has read the usage
before any writes) and skips the quota-row lock, and must then catch an oversell.
"""

import threading
import time

import pytest
from django.db import connection

from distribution import quotas, services
from distribution.models import Dispensation, Reservation, ReservationStatus
from gomask.errors import DomainError
from pharmacies.models import StockLevel
from pharmacies.stock import InsufficientStock, ledger_totals
from tests.distribution.conftest import stock
from tests.factories import PharmacyFactory, ProfessionalFactory, pharmacist_of, professional_user

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

TOULOUSE = "31555"


def run_in_threads(calls):
    """Run every call at the same moment in its own thread; return (ok, value_or_error) each."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            start.wait(timeout=30)
            results[index] = (True, call())
        except DomainError as exc:
            results[index] = (False, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results), "a worker thread did not finish"
    return results


@pytest.fixture
def widened_usage(monkeypatch):
    """Pause briefly after reading the usage so that racing transactions overlap."""
    real_usage = quotas.usage

    def slow_usage(**kwargs):
        value = real_usage(**kwargs)
        time.sleep(0.02)
        return value

    monkeypatch.setattr(quotas, "usage", slow_usage)


def _ten_pharmacies_with_pharmacists(surgical, masks=100):
    pairs = []
    for index in range(10):
        pharmacy = PharmacyFactory(insee_code=TOULOUSE, name=f"Pharmacie {index}")
        stock(pharmacy, surgical, masks)
        pairs.append((pharmacy, pharmacist_of(pharmacy)))
    return pairs


def _handover_calls(pairs, professional, *, count, quantity):
    calls = []
    for index in range(count):
        pharmacy, pharmacist = pairs[index % len(pairs)]
        calls.append(
            lambda pharmacy=pharmacy, pharmacist=pharmacist: services.dispense(
                actor=pharmacist,
                pharmacy_id=pharmacy.pk,
                professional_id=professional.pk,
                product_code="surgical",
                quantity=quantity,
                identity_checked=True,
            )
        )
    return calls


def test_twenty_parallel_handovers_at_ten_pharmacies_never_exceed_the_weekly_quota(
    occitanie, products, quota_policies, widened_usage
):
    pairs = _ten_pharmacies_with_pharmacists(products["surgical"])
    nurse = ProfessionalFactory()  # infirmier: 18 surgical masks a week

    results = run_in_threads(_handover_calls(pairs, nurse, count=20, quantity=3))

    successes = [value for ok, value in results if ok]
    refusals = [value for ok, value in results if not ok]
    assert len(successes) == 6  # 6 x 3 = 18, the quota
    assert all(isinstance(error, services.QuotaExceeded) for error in refusals), refusals
    assert sum(Dispensation.objects.filter(professional=nurse).values_list("quantity", flat=True)) == 18
    for level in StockLevel.objects.all():
        assert level.on_hand >= 0
        assert ledger_totals(level) == (level.on_hand, level.reserved)
    assert sum(100 - level.on_hand for level in StockLevel.objects.all()) == 18


def test_negative_control_without_the_quota_lock_the_same_race_oversells(
    occitanie, products, quota_policies, monkeypatch
):
    """Proves the race test can fail: skip the quota-row lock and every handover passes.

    One handover per pharmacy (10), so the threads only share the quota, and each waits
    until all have read the usage before writing: the widest possible race window.
    """
    pairs = _ten_pharmacies_with_pharmacists(products["surgical"])
    nurse = ProfessionalFactory()
    everyone_has_read = threading.Barrier(10)
    real_usage = quotas.usage

    def usage_then_wait_for_all(**kwargs):
        value = real_usage(**kwargs)
        everyone_has_read.wait(timeout=30)
        return value

    monkeypatch.setattr(quotas, "usage", usage_then_wait_for_all)
    monkeypatch.setattr(services.policies, "LOCK_QUOTA_ROW", False)

    results = run_in_threads(_handover_calls(pairs, nurse, count=10, quantity=3))

    received = sum(Dispensation.objects.filter(professional=nurse).values_list("quantity", flat=True))
    assert sum(ok for ok, _value in results) == 10
    assert received == 30 > 18  # the oversell the quota lock prevents


def test_fifty_parallel_options_on_a_pharmacy_with_one_hundred_masks_never_overdraw(
    occitanie, products, quota_policies
):
    pharmacy = PharmacyFactory(insee_code=TOULOUSE)
    stock(pharmacy, products["surgical"], 100)
    people = [professional_user(insee_code=TOULOUSE) for _ in range(50)]
    calls = [
        lambda user=user: services.reserve(
            actor=user, pharmacy_id=pharmacy.pk, product_code="surgical", quantity=3
        )
        for user in people
    ]

    results = run_in_threads(calls)

    successes = [value for ok, value in results if ok]
    refusals = [value for ok, value in results if not ok]
    assert len(successes) == 33  # 33 x 3 = 99 <= 100
    assert all(isinstance(error, InsufficientStock) for error in refusals), refusals
    level = StockLevel.objects.get(pharmacy=pharmacy, product=products["surgical"])
    assert (level.on_hand, level.reserved) == (100, 99)
    assert ledger_totals(level) == (100, 99)
    assert sum(Reservation.objects.filter(status="active").values_list("quantity", flat=True)) == 99


def test_an_option_and_a_handover_racing_for_the_same_professional_cannot_both_pass_the_quota(
    occitanie, products, quota_policies, widened_usage
):
    surgical = products["surgical"]
    here, there = PharmacyFactory(insee_code=TOULOUSE), PharmacyFactory(insee_code=TOULOUSE)
    stock(here, surgical, 50)
    stock(there, surgical, 50)
    pharmacist = pharmacist_of(there)
    nurse_user = professional_user(insee_code=TOULOUSE)
    nurse = nurse_user.professional

    results = run_in_threads(
        [
            lambda: services.reserve(
                actor=nurse_user, pharmacy_id=here.pk, product_code="surgical", quantity=12
            ),
            lambda: services.dispense(
                actor=pharmacist,
                pharmacy_id=there.pk,
                professional_id=nurse.pk,
                product_code="surgical",
                quantity=12,
                identity_checked=True,
            ),
        ]
    )

    assert sorted(ok for ok, _value in results) == [False, True]
    assert isinstance(next(value for ok, value in results if not ok), services.QuotaExceeded)
    received, held = quotas.usage(
        professional_id=nurse.pk, product_id=surgical.pk, period_start=quotas.week_start()
    )
    assert received + held == 12
    for level in StockLevel.objects.all():
        assert ledger_totals(level) == (level.on_hand, level.reserved)


def test_a_cancel_and_a_handover_of_the_same_option_racing_settle_one_way_with_consistent_stock(
    occitanie, products, quota_policies
):
    surgical = products["surgical"]
    pharmacy = PharmacyFactory(insee_code=TOULOUSE)
    stock(pharmacy, surgical, 20)
    pharmacist = pharmacist_of(pharmacy)
    nurse_user = professional_user(insee_code=TOULOUSE)
    option = services.reserve(actor=nurse_user, pharmacy_id=pharmacy.pk, product_code="surgical", quantity=10)

    run_in_threads(
        [
            lambda: services.cancel_reservation(actor=nurse_user, reservation_id=option.pk),
            lambda: services.dispense(
                actor=pharmacist,
                pharmacy_id=pharmacy.pk,
                professional_id=nurse_user.professional.pk,
                product_code="surgical",
                quantity=10,
                identity_checked=True,
            ),
        ]
    )

    option.refresh_from_db()
    level = StockLevel.objects.get(pharmacy=pharmacy, product=surgical)
    assert option.status in {ReservationStatus.CANCELLED, ReservationStatus.FULFILLED}
    # Either order ends with one handover of 10 and no hold left: never a double release.
    assert (level.on_hand, level.reserved) == (10, 0)
    assert Dispensation.objects.count() == 1
    assert ledger_totals(level) == (level.on_hand, level.reserved)


def test_twenty_parallel_handovers_to_different_people_never_make_the_stock_negative(
    occitanie, products, quota_policies
):
    surgical = products["surgical"]
    pharmacy = PharmacyFactory(insee_code=TOULOUSE)
    stock(pharmacy, surgical, 30)
    pharmacist = pharmacist_of(pharmacy)
    people = [ProfessionalFactory(insee_code=TOULOUSE) for _ in range(20)]
    calls = [
        lambda person=person: services.dispense(
            actor=pharmacist,
            pharmacy_id=pharmacy.pk,
            professional_id=person.pk,
            product_code="surgical",
            quantity=3,
            identity_checked=True,
        )
        for person in people
    ]

    results = run_in_threads(calls)

    assert sum(ok for ok, _value in results) == 10
    assert all(isinstance(value, InsufficientStock) for ok, value in results if not ok)
    level = StockLevel.objects.get(pharmacy=pharmacy, product=surgical)
    assert (level.on_hand, level.reserved) == (0, 0)
    assert ledger_totals(level) == (0, 0)
