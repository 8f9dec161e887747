import random

import pytest

from pharmacies import demo as pharmacies_demo
from pharmacies.models import StockLevel, StockMovement
from pharmacies.stock import ledger_totals
from professionals import demo as professionals_demo
from professionals.models import Referencing

pytestmark = pytest.mark.django_db


def test_demo_stock_gives_most_pharmacies_stock_with_a_matching_ledger_and_is_idempotent(occitanie, products):
    pharmacies = pharmacies_demo.seed(regions=["76"], rng=random.Random(1))
    created = pharmacies_demo.seed_stock(regions=["76"])
    stocked = StockLevel.objects.filter(product__code="surgical").count()
    assert stocked >= 0.75 * pharmacies
    assert StockLevel.objects.filter(sold_out_at__isnull=False).exists()
    assert StockMovement.objects.count() == created == StockLevel.objects.count()
    for level in StockLevel.objects.order_by("?")[:50]:
        assert ledger_totals(level) == (level.on_hand, level.reserved)
    riscle = StockLevel.objects.get(
        pharmacy__finess=pharmacies_demo.DEMO_PHARMACY_FINESS, product__code="surgical"
    )
    assert (riscle.on_hand, riscle.sold_out_at) == (240, None)
    assert pharmacies_demo.seed_stock(regions=["76"]) == 0
    assert StockMovement.objects.count() == created


def test_the_demo_nurse_is_referenced_at_the_riscle_pharmacy_once(occitanie, products):
    pharmacies_demo.seed(regions=["76"], rng=random.Random(1))
    pharmacies_demo.seed_accounts()
    professionals_demo.seed_accounts()
    professionals_demo.seed_referencings()
    professionals_demo.seed_referencings()
    referencing = Referencing.objects.get()
    assert referencing.professional.user.email == "infirmiere@demo.gomask.fr"
    assert referencing.pharmacy.finess == pharmacies_demo.DEMO_PHARMACY_FINESS
