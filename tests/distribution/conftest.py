"""Helpers of the distribution tests: stocked pharmacies (the quota policies: tests/conftest.py)."""

from django.db import transaction

from pharmacies.models import MovementKind
from pharmacies.stock import lock_level, record_movement


def stock(pharmacy, product, on_hand: int) -> None:
    """Put `on_hand` masks in a pharmacy through the ledger (a national-stock arrival)."""
    with transaction.atomic():
        level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
        record_movement(level=level, kind=MovementKind.ARRIVAL, on_hand_delta=on_hand, source="national")
