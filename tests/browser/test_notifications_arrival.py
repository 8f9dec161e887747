"""A pharmacist declares an arrival; the referenced professional sees it in the portal and reserves."""

import pytest

from distribution.models import Reservation
from notifications.models import Notification
from professionals.models import Referencing
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_arrival_reaches_the_referenced_professional_who_reserves_from_the_notification(
    page, browser, live_server, riscle_pharmacy, riscle_pharmacist, nurse, products, quota_policies
):
    Referencing.objects.create(professional=nurse.professional, pharmacy=riscle_pharmacy)

    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/{riscle_pharmacy.pk}/stock/")
    arrival = page.locator("#arrival")
    arrival.get_by_label("Produit").select_option("surgical")
    arrival.get_by_label("Quantité reçue").fill("200")
    arrival.get_by_label("Provenance").select_option("national")
    arrival.get_by_role("button", name="Enregistrer l’arrivée").click()
    page.get_by_text("Arrivée enregistrée : 200").wait_for()

    # The pharmacist's call list names the professional to phone, and records the call.
    page.get_by_role("link", name="Appels après arrivage").click()
    page.get_by_role("link", name="Liste d'appel").first.click()
    row = page.get_by_role("row").filter(has_text=nurse.last_name)
    assert "06 12 34 56 78" in row.inner_text()
    row.get_by_role("button", name="Marquer joint").click()
    page.get_by_text("Appel noté.").wait_for()
    assert "1 joint(s) sur 1" in page.locator("#reached-count").inner_text()

    professional = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    log_in(professional, nurse.email)
    assert professional.locator("#unread-count").inner_text() == "1"
    professional.get_by_role("link", name="Notifications").click()
    professional.get_by_role("heading", name="Masques disponibles à Pharmacie de l'Adour").wait_for()
    professional.get_by_role("button", name="Voir : Masques disponibles à Pharmacie de l'Adour").click()
    assert "200 masques" in professional.locator("#available-now").inner_text()
    assert professional.locator("#unread-count").count() == 0
    assert Notification.objects.get(user=nurse).read_at is not None

    professional.get_by_role("button", name="Réserver des masques").click()
    professional.get_by_label("Nombre de masques").fill("10")
    professional.get_by_role("button", name="Poser l'option").click()
    professional.get_by_text("Option enregistrée : 10").wait_for()
    reservation = Reservation.objects.get()
    assert (reservation.pharmacy_id, reservation.quantity) == (riscle_pharmacy.pk, 10)
    professional.context.close()
