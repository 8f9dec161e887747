"""The pharmacist's counter through Chromium: find, check the quota, hand over."""

import pytest

from distribution import services
from distribution.models import Dispensation, Reservation, ReservationStatus
from pharmacies.models import StockLevel
from tests.browser.helpers import log_in
from tests.distribution.conftest import stock
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _find(page, query):
    page.goto("/officine/comptoir/")
    page.get_by_label("Numéro RPPS / ADELI ou nom du professionnel").fill(query)
    page.get_by_role("button", name="Rechercher").click()


def test_a_pharmacist_finds_the_professional_and_hands_over_fulfilling_the_option(
    page, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 100)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=12
    )
    log_in(page, riscle_pharmacist.email, PASSWORD)
    _find(page, nurse.professional.rpps)  # one card number: straight to the professional
    page.get_by_role("heading", name="Claire LAFITTE").wait_for()
    # 18 - 12 held here + the 12 of the option here, which the handover converts
    assert page.get_by_test_id("can-hand-over-surgical").get_attribute("data-count") == "18"
    page.get_by_text("Option active ici : 12 masques").wait_for()
    assert page.get_by_label("Nombre de masques remis").input_value() == "12"
    page.get_by_label("Identité vérifiée").check()
    page.get_by_role("button", name="Enregistrer la délivrance").click()
    page.get_by_text("Délivrance enregistrée : 12").wait_for()
    assert page.get_by_test_id("can-hand-over-surgical").get_attribute("data-count") == "6"
    page.get_by_role("list", name="Masques déjà remis cette semaine").wait_for()

    option.refresh_from_db()
    assert option.status == ReservationStatus.FULFILLED
    assert Dispensation.objects.get().reservation == option
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy)
    assert (level.on_hand, level.reserved) == (88, 0)


def test_a_refusal_is_stated_plainly_when_the_quota_is_used_up_elsewhere(
    page,
    riscle_pharmacist,
    riscle_pharmacy,
    toulouse_pharmacy,
    toulouse_pharmacist,
    nurse,
    quota_policies,
    products,
):
    stock(riscle_pharmacy, products["surgical"], 100)
    stock(toulouse_pharmacy, products["surgical"], 100)
    services.dispense(
        actor=toulouse_pharmacist,
        pharmacy_id=toulouse_pharmacy.pk,
        professional_id=nurse.professional.pk,
        product_code="surgical",
        quantity=18,
        identity_checked=True,
    )
    log_in(page, riscle_pharmacist.email, PASSWORD)
    _find(page, "Lafitte")
    page.get_by_role("link", name="LAFITTE Claire").click()
    assert page.get_by_test_id("can-hand-over-surgical").get_attribute("data-count") == "0"
    page.get_by_text("Pharmacie du Capitole").wait_for()  # history across pharmacies
    page.get_by_role("alert").filter(has_text="Rien ne peut être remis maintenant").wait_for()
    page.get_by_text("Limité par le quota de la semaine.").wait_for()
    assert page.get_by_role("button", name="Enregistrer la délivrance").is_disabled()
    assert Dispensation.objects.count() == 1
    assert Reservation.objects.count() == 0
