"""Fixtures of the distribution tests: the DGS-urgent quota policies and stocked pharmacies."""

import pytest
from django.db import transaction

from distribution.quotas import ensure_default_quota_policies
from pharmacies.models import MovementKind
from pharmacies.stock import lock_level, record_movement


@pytest.fixture
def quota_policies(products):
    """The DGS-urgent versions of 18 March 2020 (recreated after a transactional flush)."""
    ensure_default_quota_policies()


def stock(pharmacy, product, on_hand: int) -> None:
    """Put `on_hand` masks in a pharmacy through the ledger (a national-stock arrival)."""
    with transaction.atomic():
        level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
        record_movement(level=level, kind=MovementKind.ARRIVAL, on_hand_delta=on_hand, source="national")
