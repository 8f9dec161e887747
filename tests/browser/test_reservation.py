"""A professional puts an option on masks and cancels it, through Chromium."""

import pytest

from distribution.models import Reservation, ReservationStatus
from pharmacies.models import StockLevel
from tests.browser.helpers import log_in
from tests.distribution.conftest import stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_professional_reserves_an_option_then_cancels_it(
    page, nurse, riscle_pharmacy, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 100)
    log_in(page, nurse.email)
    page.goto(f"/professionnel/options/nouvelle/?pharmacy={riscle_pharmacy.pk}&product=surgical")
    assert page.get_by_test_id("remaining-surgical").inner_text() == "18"
    assert page.get_by_test_id("available-surgical").inner_text() == "100"
    page.get_by_label("Nombre de masques").fill("12")
    page.get_by_role("button", name="Poser l'option").click()
    page.get_by_text("Option enregistrée : 12").wait_for()
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).reserved == 12

    page.get_by_role("button", name="Annuler l'option à Pharmacie de l'Adour").click()
    page.get_by_text("Option annulée").wait_for()
    assert Reservation.objects.get().status == ReservationStatus.CANCELLED
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).reserved == 0

    page.goto("/professionnel/historique/")
    assert page.get_by_test_id("remaining-surgical").inner_text() == "18"


def test_an_option_beyond_the_quota_is_refused_plainly(
    page, nurse, riscle_pharmacy, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 100)
    log_in(page, nurse.email)
    page.goto(f"/professionnel/options/nouvelle/?pharmacy={riscle_pharmacy.pk}&product=surgical")
    page.get_by_label("Nombre de masques").fill("30")
    page.get_by_role("button", name="Poser l'option").click()
    page.get_by_text("Il vous reste 18 masques cette semaine : demandez-en au plus 18.").wait_for()
    assert Reservation.objects.count() == 0
