import pytest

from pharmacies import selectors
from pharmacies.selectors import nearest_pharmacies, nearest_pharmacies_with_stock, stock_band
from pharmacies.services import declare_arrival, mark_sold_out
from territories.models import Commune
from tests.factories import PharmacyFactory, pharmacist_of

pytestmark = pytest.mark.django_db

RISCLE = "32344"
SAINT_MONT = "32398"  # 3 km from Riscle
NOGARO = "32296"  # 12 km
MARCIAC = "32233"  # 23 km
AUCH = "32013"  # 55 km


@pytest.mark.parametrize(
    "available, sold_out, band",
    [
        (0, False, "none"),
        (-3, False, "none"),
        (1, False, "low"),
        (29, False, "low"),
        (30, False, "medium"),
        (99, False, "medium"),
        (100, False, "high"),
        (5000, False, "high"),
        (500, True, "none"),
    ],
)
def test_stock_band_thresholds(available, sold_out, band):
    assert stock_band(available, sold_out) == band


def _stocked(insee_code, quantity, name=None, product="surgical"):
    pharmacy = PharmacyFactory(insee_code=insee_code, **({"name": name} if name else {}))
    pharmacist = pharmacist_of(pharmacy)
    if quantity:
        declare_arrival(
            actor=pharmacist,
            pharmacy_id=pharmacy.pk,
            product_code=product,
            quantity=quantity,
            source="national",
        )
    return pharmacy, pharmacist


def _riscle():
    return Commune.objects.get(insee_code=RISCLE)


def test_search_returns_pharmacies_with_stock_nearest_first_with_distance_band_and_update_time(
    occitanie, products
):
    marciac, _ = _stocked(MARCIAC, 150, "Marciac")
    saint_mont, _ = _stocked(SAINT_MONT, 12, "Saint-Mont")
    nogaro, _ = _stocked(NOGARO, 45, "Nogaro")
    _stocked(NOGARO, 0, "Sans stock")
    riscle = _riscle()
    rows = nearest_pharmacies_with_stock(
        latitude=riscle.latitude, longitude=riscle.longitude, product_code="surgical", radius_km=50
    )
    assert [row["pharmacy_id"] for row in rows] == [saint_mont.pk, nogaro.pk, marciac.pk]
    assert [row["band"] for row in rows] == ["low", "medium", "high"]
    assert rows[0]["distance_km"] < rows[1]["distance_km"] < rows[2]["distance_km"]
    assert 2 < rows[0]["distance_km"] < 5
    assert all(row["updated_at"] and row["sold_out"] is False for row in rows)
    assert {"phone", "address", "commune", "latitude", "longitude", "available"} <= rows[0].keys()


def test_search_respects_the_radius_the_product_the_limit_and_the_excluded_pharmacy(occitanie, products):
    saint_mont, _ = _stocked(SAINT_MONT, 10)
    nogaro, _ = _stocked(NOGARO, 10)
    _stocked(AUCH, 10)
    _stocked(SAINT_MONT, 10, product="ffp2")
    riscle = _riscle()
    common = {"latitude": riscle.latitude, "longitude": riscle.longitude}
    assert [
        r["pharmacy_id"]
        for r in nearest_pharmacies_with_stock(**common, product_code="surgical", radius_km=5)
    ] == [saint_mont.pk]
    assert len(nearest_pharmacies_with_stock(**common, product_code="surgical", radius_km=50)) == 2
    assert len(nearest_pharmacies_with_stock(**common, product_code="ffp2", radius_km=50)) == 1
    assert len(nearest_pharmacies_with_stock(**common, product_code="surgical", radius_km=50, limit=1)) == 1
    rows = nearest_pharmacies_with_stock(
        **common, product_code="surgical", radius_km=50, exclude_pharmacy_id=saint_mont.pk
    )
    assert [r["pharmacy_id"] for r in rows] == [nogaro.pk]
    assert nearest_pharmacies_with_stock(**common, product_code="gants", radius_km=50) == []


def test_the_search_widens_beyond_the_first_box_until_the_radius(occitanie, products):
    assert selectors.INITIAL_SEARCH_KM < 23
    marciac, _ = _stocked(MARCIAC, 10)
    riscle = _riscle()
    rows = nearest_pharmacies_with_stock(
        latitude=riscle.latitude, longitude=riscle.longitude, product_code="surgical", radius_km=50
    )
    assert [r["pharmacy_id"] for r in rows] == [marciac.pk]


def test_sold_out_and_fully_reserved_pharmacies(occitanie, products):
    from django.db import transaction

    from pharmacies.models import MovementKind
    from pharmacies.stock import lock_level, record_movement

    sold_out, pharmacist = _stocked(SAINT_MONT, 200)
    mark_sold_out(actor=pharmacist, pharmacy_id=sold_out.pk, product_code="surgical")
    reserved, _ = _stocked(NOGARO, 20)
    with transaction.atomic():
        level = lock_level(pharmacy_id=reserved.pk, product_id=products["surgical"].pk)
        record_movement(level=level, kind=MovementKind.RESERVATION_HOLD, reserved_delta=20)
    closed, _ = _stocked(SAINT_MONT, 20)
    closed.is_active = False
    closed.save()
    riscle = _riscle()
    common = {
        "latitude": riscle.latitude,
        "longitude": riscle.longitude,
        "product_code": "surgical",
        "radius_km": 50,
    }
    rows = nearest_pharmacies_with_stock(**common)
    assert [(r["pharmacy_id"], r["band"], r["sold_out"]) for r in rows] == [(sold_out.pk, "none", True)]
    assert nearest_pharmacies_with_stock(**common, include_sold_out=False) == []


def test_nearest_pharmacies_lists_open_pharmacies_with_or_without_stock(occitanie, products):
    saint_mont = PharmacyFactory(insee_code=SAINT_MONT)
    nogaro = PharmacyFactory(insee_code=NOGARO)
    PharmacyFactory(insee_code=NOGARO, is_active=False)
    riscle = _riscle()
    rows = nearest_pharmacies(latitude=riscle.latitude, longitude=riscle.longitude, radius_km=20)
    assert [r["pharmacy_id"] for r in rows] == [saint_mont.pk, nogaro.pk]
