"""Allocation by need: largest-remainder split, needs from quotas and stock, confirmation."""

import pytest

from distribution.models import CareSite, Shipment
from gomask.errors import InvalidInput, NotAllowed
from planning import services
from planning.allocation import propose_split, recipients_by_need, split_by_need
from planning.forecast import compute_forecast
from tests.factories import PharmacyFactory, UserFactory, commune
from tests.planning.conftest import RISCLE, TODAY, TOULOUSE, reference, set_stock


def test_largest_remainder_adds_up_exactly():
    assert split_by_need(10, [1, 1, 1]) == [4, 3, 3]
    assert split_by_need(100, [50, 30, 20]) == [50, 30, 20]
    assert split_by_need(7, [2, 3, 5]) == [1, 2, 4]  # 1.4, 2.1, 3.5 -> remainders .4 .1 .5
    assert split_by_need(5, [0, 0]) == [0, 0]
    assert sum(split_by_need(1_000_003, [7, 11, 13, 17, 19])) == 1_000_003


@pytest.fixture
def region_scene(occitanie, surgical):
    """Riscle: 7 nurses (18 a week: 36 masks over 14 days each -> 252), 52 in stock: need 200.
    Toulouse: 3 doctors (3 x 36 = 108), nothing in stock: need 108. A COVID centre that
    received 56 masks in the last 4 weeks: need 28."""
    riscle = PharmacyFactory(insee_code=RISCLE, name="Pharmacie de l'Adour")
    toulouse = PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie du Capitole")
    reference(riscle, 7)
    reference(toulouse, 3, profession="medecin", insee_code=TOULOUSE)
    set_stock(riscle, surgical, 52)
    site = CareSite.objects.create(
        kind="covid_centre", name="Centre COVID d'Auch", commune=commune("32013"), region_id="76"
    )
    agent = UserFactory(role="ars_staff", region_id="76")
    Shipment.objects.create(
        region_id="76", product=surgical, quantity=56, source="national", care_site=site, created_by=agent
    )
    compute_forecast(today=TODAY)
    return riscle, toulouse, site


@pytest.mark.django_db
def test_needs_come_from_quotas_stock_and_recent_shipments(region_scene, surgical):
    riscle, toulouse, site = region_scene
    needs = {(r.kind, r.pk): r.need for r in recipients_by_need(region_code="76", product=surgical)}
    assert needs == {("pharmacy", riscle.pk): 200, ("pharmacy", toulouse.pk): 108, ("care_site", site.pk): 28}


@pytest.mark.django_db
def test_a_lot_is_split_in_proportion_to_need_and_adds_up(region_scene, surgical):
    riscle, toulouse, site = region_scene
    split = {
        (r.kind, r.pk): r.proposed for r in propose_split(region_code="76", product=surgical, quantity=1000)
    }
    # 1000 x 200/336 = 595.24, x 108/336 = 321.43, x 28/336 = 83.33 -> 595, 322, 83
    assert split == {("pharmacy", riscle.pk): 595, ("pharmacy", toulouse.pk): 322, ("care_site", site.pk): 83}


@pytest.mark.django_db
def test_confirming_the_adjusted_split_creates_one_shipment_per_destination(region_scene, ars_occitanie):
    riscle, toulouse, site = region_scene
    lines = {f"pharmacy-{riscle.pk}": "600", f"pharmacy-{toulouse.pk}": "0", f"care_site-{site.pk}": "1 000"}
    shipments = services.confirm_allocation(
        actor=ars_occitanie, product_code="surgical", source="national", lines=lines
    )
    assert {(s.pharmacy_id, s.care_site_id, s.quantity) for s in shipments} == {
        (riscle.pk, None, 600),
        (None, site.pk, 1000),
    }


@pytest.mark.django_db
def test_a_bad_line_writes_nothing(region_scene, ars_occitanie):
    riscle, _toulouse, _site = region_scene
    before = Shipment.objects.count()
    with pytest.raises(InvalidInput):
        services.confirm_allocation(
            actor=ars_occitanie,
            product_code="surgical",
            source="national",
            lines={f"pharmacy-{riscle.pk}": "10", "pharmacy-abc": "5"},
        )
    with pytest.raises(InvalidInput):
        services.confirm_allocation(
            actor=ars_occitanie,
            product_code="surgical",
            source="national",
            lines={f"pharmacy-{riscle.pk}": "-3"},
        )
    assert Shipment.objects.count() == before


@pytest.mark.django_db
def test_another_region_destination_is_refused_and_nothing_is_written(region_scene, ars_paca):
    riscle, _toulouse, _site = region_scene
    before = Shipment.objects.count()
    with pytest.raises(NotAllowed):
        services.confirm_allocation(
            actor=ars_paca, product_code="surgical", source="national", lines={f"pharmacy-{riscle.pk}": "10"}
        )
    assert Shipment.objects.count() == before
