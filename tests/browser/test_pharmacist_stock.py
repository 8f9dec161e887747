"""A pharmacist's stock journeys through Chromium."""

import pytest

from pharmacies.models import StockLevel
from pharmacies.services import declare_arrival
from tests.browser.helpers import log_in
from tests.factories import PharmacyFactory, pharmacist_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pharmacist_declares_an_arrival_then_an_inventory_count_and_sees_the_ledger(
    page, riscle_pharmacist, riscle_pharmacy, products
):
    log_in(page, riscle_pharmacist.email)
    page.goto("/officine/")
    page.get_by_role("link", name="Stock : arrivées, inventaire, pertes").click()

    arrival = page.locator("#arrival")
    arrival.get_by_label("Produit").select_option("surgical")
    arrival.get_by_label("Quantité reçue").fill("3")
    arrival.get_by_label("Unité").select_option("box")
    arrival.get_by_label("Provenance").select_option("regional")
    arrival.get_by_role("button", name="Enregistrer l’arrivée").click()
    page.get_by_text("Arrivée enregistrée : 150").wait_for()
    surgical_row = page.locator('#stock-levels tr[data-product="surgical"]')
    assert surgical_row.locator("td").first.inner_text() == "150"

    count = page.locator("#count")
    count.get_by_label("Produit").select_option("surgical")
    count.get_by_label("Masques comptés en rayon").fill("147")
    count.get_by_role("button", name="Enregistrer l’inventaire").click()
    page.get_by_text("Inventaire enregistré : 147").wait_for()
    assert surgical_row.locator("td").first.inner_text() == "147"

    page.get_by_role("link", name="Mouvements", exact=True).click()
    rows = page.locator("#ledger tbody tr")
    assert rows.count() == 2
    assert "Inventaire" in rows.nth(0).inner_text() and "-3" in rows.nth(0).inner_text()
    assert "Arrivée" in rows.nth(1).inner_text() and "+150" in rows.nth(1).inner_text()
    assert "Stock régional de l'ARS" in rows.nth(1).inner_text()


def test_a_bad_quantity_is_explained_next_to_the_field(page, riscle_pharmacist, riscle_pharmacy, products):
    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/{riscle_pharmacy.pk}/stock/")
    loss = page.locator("#loss")
    loss.get_by_label("Masques perdus ou abîmés").fill("5")
    loss.get_by_label("Motif").fill("Cartons mouillés")
    loss.get_by_role("button", name="Enregistrer la perte").click()
    page.locator("#loss").get_by_text("Stock insuffisant").wait_for()
    assert not StockLevel.objects.filter(on_hand__gt=0).exists()


def test_a_pharmacist_marks_sold_out_and_sees_the_nearest_stock(
    page, riscle_pharmacist, riscle_pharmacy, products
):
    declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=10,
        source="national",
    )
    for insee_code, name, quantity in [
        ("32296", "Pharmacie de Nogaro", 80),
        ("32398", "Pharmacie de Saint-Mont", 20),
    ]:
        other = PharmacyFactory(insee_code=insee_code, name=name, phone="05 62 00 00 01")
        declare_arrival(
            actor=pharmacist_of(other),
            pharmacy_id=other.pk,
            product_code="surgical",
            quantity=quantity,
            source="national",
        )
    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/{riscle_pharmacy.pk}/stock/")
    page.get_by_role("button", name="Marquer épuisé : Masque chirurgical (type II/IIR)").click()
    page.get_by_text("apparaît désormais « épuisé »").wait_for()
    assert "Épuisé" in page.locator('#stock-levels tr[data-product="surgical"]').inner_text()

    page.get_by_role("link", name="Stock à proximité").click()
    rows = page.locator("#nearby-stock tbody tr")
    assert rows.count() == 2
    assert "Pharmacie de Saint-Mont" in rows.nth(0).inner_text()
    assert "km" in rows.nth(0).inner_text()
    assert "Pharmacie de Nogaro" in rows.nth(1).inner_text()
    assert rows.nth(0).get_by_role("link", name="05 62 00 00 01").get_attribute("href") == "tel:+33562000001"
