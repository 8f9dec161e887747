"""Pharmacist and professional journeys of issue 10 through Chromium, on a desktop and a phone:
the ledger with portal-made movements, the counter's ranking and allowance, the option form
limited to what may be reserved, and an arrival sent twice."""

import time
from datetime import timedelta

import pytest

from distribution import services
from distribution.models import Dispensation, Reservation
from pharmacies.models import StockLevel
from professionals.models import Referencing
from tests.browser.helpers import log_in
from tests.distribution.conftest import stock
from tests.factories import ProfessionalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def screen(request, page):
    page.set_viewport_size(request.param)
    return request.param


def _no_horizontal_overflow(page):
    """No sideways scroll once the page has settled (a loaded machine may still be laying it out).

    Polled with `evaluate`, not `wait_for_function`: the latter builds its predicate with
    `new Function` in the page, which the portal's CSP (no 'unsafe-eval') refuses at times."""
    fits = "document.documentElement.scrollWidth <= window.innerWidth + 1"
    deadline = time.monotonic() + 3
    while not page.evaluate(fits):
        if time.monotonic() > deadline:
            raise AssertionError("page overflows")
        page.wait_for_timeout(100)


def _within_two_screens(page, locator, screen):
    box = locator.bounding_box()
    assert box is not None and box["y"] < 2 * screen["height"], box


def test_the_ledger_opens_and_names_portal_movements_systeme(
    page, screen, riscle_pharmacist, riscle_pharmacy, nurse, products
):
    stock(riscle_pharmacy, products["surgical"], 40)  # no acting person, like the demo arrivals
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=6
    )
    services.expire_reservations(now=option.expires_at + timedelta(minutes=1))
    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/{riscle_pharmacy.pk}/mouvements/")
    rows = page.locator("#ledger tbody tr")
    assert rows.count() == 3
    assert "Système" in rows.nth(0).inner_text()
    assert "Claire Lafitte" in rows.nth(1).inner_text() or "infirmiere" in rows.nth(1).inner_text()
    _within_two_screens(page, page.locator("#ledger"), screen)
    _no_horizontal_overflow(page)


def test_the_counter_ranks_the_local_nurse_first_shows_what_can_be_handed_over_and_hands_over(
    page, screen, riscle_pharmacist, riscle_pharmacy, nurse, products
):
    for index in range(21):
        ProfessionalFactory(last_name="Lafitte", first_name=f"A{index:02d}", insee_code="31555")
    Referencing.objects.create(professional=nurse.professional, pharmacy=riscle_pharmacy)
    stock(riscle_pharmacy, products["surgical"], 100)
    services.reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=6)
    log_in(page, riscle_pharmacist.email)
    page.goto("/officine/comptoir/")
    field = page.get_by_label("Numéro RPPS / ADELI ou nom du professionnel")
    assert field.evaluate("element => element === document.activeElement")
    field.fill("Lafitte")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_text("Plus de 20 professionnels correspondent").wait_for()
    first = page.locator("#counter-results li").first
    assert "LAFITTE Claire" in first.inner_text() and "référencé dans votre officine" in first.inner_text()
    _no_horizontal_overflow(page)

    first.get_by_role("link").click()
    allowance = page.get_by_test_id("can-hand-over-surgical")
    assert allowance.get_attribute("data-count") == "18"  # 12 left + the 6 of the option here
    _within_two_screens(page, allowance, screen)
    page.get_by_label("Nombre de masques remis").fill("13")
    page.get_by_label("Identité vérifiée").check()
    button = page.get_by_role("button", name="Enregistrer la délivrance")
    _within_two_screens(page, button, screen)
    button.click()
    page.get_by_text(
        "Délivrance enregistrée : 13 masques chirurgicaux (type II/IIR) remis à Claire Lafitte."
    ).wait_for()
    assert Dispensation.objects.get().quantity == 13
    assert page.get_by_test_id("can-hand-over-surgical").get_attribute("data-count") == "5"
    _no_horizontal_overflow(page)


def test_nothing_left_at_the_counter_is_said_and_the_form_is_disabled(
    page, screen, riscle_pharmacist, riscle_pharmacy, nurse, products
):
    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/comptoir/{nurse.professional.pk}/?pharmacie={riscle_pharmacy.pk}")
    alert = page.get_by_role("alert").filter(has_text="Rien ne peut être remis maintenant")
    alert.wait_for()
    _within_two_screens(page, alert, screen)
    assert page.get_by_role("button", name="Enregistrer la délivrance").is_disabled()
    alert.get_by_role("link").first.click()
    page.wait_for_url(f"**/officine/{riscle_pharmacy.pk}/stock-a-proximite/**")
    _no_horizontal_overflow(page)


def test_the_option_form_offers_only_what_the_nurse_may_reserve(
    page, screen, nurse, riscle_pharmacy, products
):
    stock(riscle_pharmacy, products["surgical"], 100)
    stock(riscle_pharmacy, products["ffp2"], 100)
    log_in(page, nurse.email)
    page.goto("/professionnel/trouver-des-masques/?product=surgical")
    link = page.get_by_role("link", name="Réserver une option").first
    _within_two_screens(page, page.locator("#pharmacy-results"), screen)
    link.click()
    product = page.get_by_label("Produit")
    assert product.locator("option").all_inner_texts() == [
        "Masque chirurgical (type II/IIR) — il vous reste 18 masques chirurgicaux (type II/IIR) cette semaine"
    ]
    page.get_by_label("Nombre de masques").fill("19")
    page.get_by_role("button", name="Poser l'option").click()
    page.get_by_text("Il vous reste 18 masques cette semaine").wait_for()
    page.get_by_label("Nombre de masques").fill("18")
    page.get_by_role("button", name="Poser l'option").click()
    page.get_by_text("Option enregistrée : 18 masques chirurgicaux (type II/IIR)").wait_for()
    _no_horizontal_overflow(page)

    page.goto(f"/professionnel/options/nouvelle/?pharmacy={riscle_pharmacy.pk}")
    page.get_by_role("alert").filter(has_text="Votre quota de la semaine est atteint").wait_for()
    assert page.get_by_role("button", name="Poser l'option").count() == 0
    page.goto("/professionnel/trouver-des-masques/")
    assert page.get_by_role("link", name="Réserver une option").count() == 0
    assert Reservation.objects.count() == 1


def test_an_arrival_sent_again_after_back_asks_for_confirmation_and_boxes_are_converted_before_saving(
    page, screen, riscle_pharmacist, riscle_pharmacy, products
):
    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/{riscle_pharmacy.pk}/stock/")
    arrival = page.locator("#arrival")
    arrival.get_by_label("Produit").select_option("ffp2")
    arrival.get_by_label("Unité").select_option("box")
    arrival.get_by_label("Quantité reçue").fill("3")
    page.locator("#arrival-conversion").filter(has_text="3 boîtes de 20 = 60 masques").wait_for()
    arrival.get_by_label("Provenance").select_option("national")
    arrival.get_by_role("button", name="Enregistrer l’arrivée").click()
    page.get_by_text("Arrivée enregistrée : 60 masques FFP2 (3 boîtes de 20).").wait_for()

    page.go_back()
    page.reload()
    arrival = page.locator("#arrival")
    arrival.get_by_label("Produit").select_option("ffp2")
    arrival.get_by_label("Unité").select_option("box")
    arrival.get_by_label("Quantité reçue").fill("3")
    arrival.get_by_label("Provenance").select_option("national")
    arrival.get_by_role("button", name="Enregistrer l’arrivée").click()
    page.get_by_text("Vous avez déjà enregistré une arrivée identique").wait_for()
    assert StockLevel.objects.get(product=products["ffp2"]).on_hand == 60
    page.get_by_label("Oui, c'est une seconde livraison").check()
    page.locator("#arrival").get_by_role("button", name="Enregistrer l’arrivée").click()
    page.get_by_text("Arrivée enregistrée : 60 masques FFP2").wait_for()
    assert StockLevel.objects.get(product=products["ffp2"]).on_hand == 120
    _no_horizontal_overflow(page)
