"""Real threads against PostgreSQL: the level and its ledger stay equal under contention."""

import threading
import uuid

import pytest
from django.db import connection, transaction

from gomask.errors import Conflict
from pharmacies.models import MovementKind, StockLevel, StockMovement
from pharmacies.services import declare_arrival, declare_loss
from pharmacies.stock import ledger_totals

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _run_in_threads(work, count):
    barrier = threading.Barrier(count)
    outcomes = []

    def run(index):
        try:
            barrier.wait()
            outcomes.append(("ok", work(index)))
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            outcomes.append(("error", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_fifty_parallel_arrivals_and_losses_keep_the_level_equal_to_the_ledger(
    riscle_pharmacist, riscle_pharmacy, products
):
    declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=100,
        source="national",
    )
    common = {"actor": riscle_pharmacist, "pharmacy_id": riscle_pharmacy.pk, "product_code": "surgical"}

    def work(index):
        if index % 2:
            return declare_loss(**common, quantity=9, reason="Casse")
        return declare_arrival(**common, quantity=3, source="regional")

    outcomes = _run_in_threads(work, 50)
    unexpected = [o for kind, o in outcomes if kind == "error" and not isinstance(o, Conflict)]
    assert unexpected == []
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"])
    arrivals = StockMovement.objects.filter(kind=MovementKind.ARRIVAL).count() - 1
    losses = StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT).count()
    assert arrivals == 25  # arrivals never fail
    assert level.on_hand == 100 + 3 * arrivals - 9 * losses >= 0
    assert ledger_totals(level) == (level.on_hand, level.reserved)
    refused = sum(1 for kind, o in outcomes if kind == "error")
    assert losses + refused == 25


def _six_submissions_of_one_arrival_form(pharmacist, pharmacy, key):
    """The same arrival form sent six times at once (a double click, a retrying client)."""

    def work(_index):
        return declare_arrival.once(
            idempotency_key=key,
            actor=pharmacist,
            pharmacy_id=pharmacy.pk,
            product_code="surgical",
            quantity=50,
            source="national",
        )

    return _run_in_threads(work, 6)


def test_two_simultaneous_submissions_of_one_form_record_one_arrival(
    riscle_pharmacist, riscle_pharmacy, products
):
    outcomes = _six_submissions_of_one_arrival_form(riscle_pharmacist, riscle_pharmacy, str(uuid.uuid4()))
    assert [kind for kind, _ in outcomes] == ["ok"] * 6
    # One wrote; the five others queued on the key's row and got its movement back.
    assert sorted(done.replayed for _, done in outcomes) == [False] + [True] * 5
    assert len({done.value.pk for _, done in outcomes}) == 1
    assert StockMovement.objects.count() == 1
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"]).on_hand == 50


def test_negative_control_the_same_six_submissions_without_a_key_record_six_arrivals(
    riscle_pharmacist, riscle_pharmacy, products
):
    """Without the key's row to queue on, the race above would write every submission."""
    outcomes = _six_submissions_of_one_arrival_form(riscle_pharmacist, riscle_pharmacy, None)
    assert [kind for kind, _ in outcomes] == ["ok"] * 6
    assert StockMovement.objects.count() == 6


def test_negative_control_without_the_lock_concurrent_writes_lose_updates(riscle_pharmacy, products):
    """The same read-modify-write without SELECT FOR UPDATE drifts from its ledger."""
    level = StockLevel.objects.create(pharmacy=riscle_pharmacy, product=products["surgical"])

    def unlocked_arrival(_index):
        with transaction.atomic():
            current = StockLevel.objects.get(pk=level.pk)  # no lock
            barrier_wait()
            StockLevel.objects.filter(pk=level.pk).update(on_hand=current.on_hand + 1)
            StockMovement.objects.create(
                level=current,
                pharmacy_id=current.pharmacy_id,
                product_id=current.product_id,
                kind=MovementKind.ARRIVAL,
                on_hand_delta=1,
                on_hand_after=current.on_hand + 1,
                reserved_after=0,
                source="national",
            )

    gate = threading.Barrier(10)

    def barrier_wait():
        gate.wait()

    outcomes = _run_in_threads(unlocked_arrival, 10)
    assert all(kind == "ok" for kind, _ in outcomes)
    level.refresh_from_db()
    assert ledger_totals(level)[0] == 10
    assert level.on_hand < 10  # lost updates: exactly what lock_level prevents
