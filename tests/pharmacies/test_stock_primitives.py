import pytest
from django.db import IntegrityError, transaction

from gomask.errors import Conflict
from pharmacies.models import MovementKind, StockLevel, StockMovement
from pharmacies.stock import InsufficientStock, ledger_totals, lock_level, record_movement

pytestmark = pytest.mark.django_db


def _move(pharmacy, product, **change):
    with transaction.atomic():
        level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
        return record_movement(level=level, **change)


def test_every_change_writes_a_ledger_row_and_the_level_equals_the_ledger(riscle_pharmacy, products):
    surgical = products["surgical"]
    _move(riscle_pharmacy, surgical, kind=MovementKind.ARRIVAL, on_hand_delta=100, source="national")
    _move(riscle_pharmacy, surgical, kind=MovementKind.RESERVATION_HOLD, reserved_delta=18)
    _move(riscle_pharmacy, surgical, kind=MovementKind.DISPENSATION, on_hand_delta=-18, reserved_delta=-18)
    _move(riscle_pharmacy, surgical, kind=MovementKind.ADJUSTMENT, on_hand_delta=-2, reason="Boîte abîmée")
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy, product=surgical)
    assert (level.on_hand, level.reserved) == (80, 0)
    assert ledger_totals(level) == (80, 0)
    assert StockMovement.objects.filter(level=level).count() == 4


def test_taking_more_than_is_available_is_refused_and_writes_nothing(riscle_pharmacy, products):
    ffp2 = products["ffp2"]
    _move(riscle_pharmacy, ffp2, kind=MovementKind.ARRIVAL, on_hand_delta=10, source="regional")
    _move(riscle_pharmacy, ffp2, kind=MovementKind.RESERVATION_HOLD, reserved_delta=6)
    with pytest.raises(InsufficientStock, match="4 masques FFP2 disponibles"):
        _move(riscle_pharmacy, ffp2, kind=MovementKind.RESERVATION_HOLD, reserved_delta=5)
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy, product=ffp2)
    assert (level.on_hand, level.reserved) == (10, 6)
    assert level.movements.count() == 2


def test_releasing_a_hold_that_does_not_exist_is_a_conflict(riscle_pharmacy, products):
    with pytest.raises(Conflict):
        _move(riscle_pharmacy, products["surgical"], kind=MovementKind.RESERVATION_RELEASE, reserved_delta=-1)


def test_the_database_refuses_a_negative_stock_even_when_code_bypasses_the_service(riscle_pharmacy, products):
    level = StockLevel.objects.create(pharmacy=riscle_pharmacy, product=products["surgical"], on_hand=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(reserved=6)


def test_an_arrival_without_a_source_is_refused_by_the_database(riscle_pharmacy, products):
    with pytest.raises(IntegrityError), transaction.atomic():
        _move(riscle_pharmacy, products["surgical"], kind=MovementKind.ARRIVAL, on_hand_delta=10)
