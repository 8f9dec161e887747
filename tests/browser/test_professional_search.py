"""A professional references themselves and finds masks through Chromium (tiles blocked)."""

import pytest

from pharmacies.services import declare_arrival
from professionals.models import Referencing
from tests.browser.helpers import log_in
from tests.factories import PharmacyFactory, pharmacist_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stocked(insee_code, name, quantity):
    pharmacy = PharmacyFactory(insee_code=insee_code, name=name)
    declare_arrival(
        actor=pharmacist_of(pharmacy),
        pharmacy_id=pharmacy.pk,
        product_code="surgical",
        quantity=quantity,
        source="national",
    )
    return pharmacy


def test_a_professional_references_themselves_and_finds_stock_on_the_map_page(
    page, nurse, riscle_pharmacy, products
):
    _stocked("32001", "Pharmacie d'Aignan", 150)  # 14 km
    _stocked("32398", "Pharmacie de Saint-Mont", 12)  # 3 km
    _stocked("32296", "Pharmacie de Nogaro", 45)  # 12 km
    log_in(page, nurse.email)
    page.goto("/professionnel/")
    page.get_by_role("button", name="Choisir mon officine").click()
    page.get_by_role("button", name="Me référencer ici : Pharmacie de Saint-Mont").click()
    page.get_by_text("est désormais votre officine de référence").wait_for()
    assert "Pharmacie de Saint-Mont" in page.locator("#home-pharmacy").inner_text()
    assert Referencing.objects.get(ended_at__isnull=True).pharmacy.name == "Pharmacie de Saint-Mont"

    page.get_by_role("link", name="Trouver des masques", exact=True).first.click()
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("#pharmacy-results > li")
    assert results.count() == 3
    names = [results.nth(i).locator("h3").inner_text() for i in range(3)]
    assert names == ["Pharmacie de Saint-Mont", "Pharmacie de Nogaro", "Pharmacie d'Aignan"]
    assert "1 à 29 masques" in results.nth(0).inner_text()
    assert "indicatif" in results.nth(0).inner_text()
    # The map drew its markers although every tile request was blocked.
    page.locator("#availability-map[data-ready='true']").wait_for()
    assert page.locator("#availability-map path.leaflet-interactive").count() == 4  # 3 officines + the origin
    # ...and it is visible: a map squashed to nothing by a later stylesheet would still hold markers.
    assert page.locator("#availability-map").bounding_box()["height"] > 200
    assert page.get_by_text("GeoNames, geonames.org").is_visible()

    page.get_by_label("Rayon").select_option("5")
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#pharmacy-results > li").first.wait_for()
    assert page.locator("#pharmacy-results > li").count() == 1


def test_a_professional_searches_around_a_postal_code(page, nurse, toulouse_pharmacy, products):
    declare_arrival(
        actor=pharmacist_of(toulouse_pharmacy),
        pharmacy_id=toulouse_pharmacy.pk,
        product_code="surgical",
        quantity=500,
        source="national",
    )
    log_in(page, nurse.email)
    page.goto("/professionnel/trouver-des-masques/")
    page.get_by_label("Commune ou code postal").fill("31000")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("heading", name="1 officine avec du stock à moins de 20 km — Toulouse").wait_for()
    assert "100 masques et plus" in page.locator("#pharmacy-results").inner_text()
    page.get_by_label("Commune ou code postal").fill("Zzzzville")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_text("Aucune commune ne correspond").wait_for()
