"""Phone numbers on a phone: SMS refused for a landline; referenced professionals' numbers readable."""

import pytest

from notifications.models import NotificationPreference
from professionals.models import Professional, Referencing
from tests.browser.helpers import log_in
from tests.factories import ProfessionalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_VIEWPORT = {"width": 390, "height": 844}


def test_a_professional_with_a_landline_is_told_why_sms_cannot_be_chosen(page, nurse):
    Professional.objects.filter(user=nurse).update(phone="+33562690000")
    page.set_viewport_size(PHONE_VIEWPORT)
    log_in(page, nurse.email)
    page.goto("/notifications/preferences/")
    page.get_by_label("Par SMS").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Ce numéro n'est pas un numéro de mobile").wait_for()
    assert not NotificationPreference.objects.filter(sms=True).exists()
    # The message fits the phone's width: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def test_a_pharmacist_reads_a_reunion_mobile_as_people_write_it_and_can_dial_it(
    page, riscle_pharmacy, riscle_pharmacist
):
    professional = ProfessionalFactory(phone="0692 12 34 56", last_name="Payet")
    Referencing.objects.create(professional=professional, pharmacy=riscle_pharmacy)
    page.set_viewport_size(PHONE_VIEWPORT)
    log_in(page, riscle_pharmacist.email)
    page.goto(f"/officine/{riscle_pharmacy.pk}/professionnels/")
    link = page.get_by_role("link", name="0692 12 34 56")
    link.wait_for()
    assert link.get_attribute("href") == "tel:+262692123456"
