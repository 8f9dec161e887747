"""Care sites through Chromium (tiles blocked): a manager updates the status from a phone, a
nurse refers a patient from the map in three clicks (desktop and 390x844 phone)."""

import pytest

from notifications.models import Delivery, DeliveryKind
from professionals.models import Profession
from referrals.models import Referral, SiteStatus
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.factories import professional_user
from tests.referrals.conftest import make_site, set_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def riscle_centre(occitanie):
    manager = professional_user(
        profession=Profession.MEDECIN, email="dr.lacoste@exemple.fr", last_name="Lacoste"
    )
    return make_site("32344", name="Centre COVID de Riscle", manager=manager, phone="+33562690101")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_manager_declares_the_site_saturated_from_a_phone(browser, live_server, riscle_centre, viewport):
    set_status(riscle_centre)
    context = signed_in_context(browser, live_server, riscle_centre.manager, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/mon-site/")
    page.get_by_role("button", name="Mettre à jour le statut : Centre COVID de Riscle").click()
    page.get_by_label("Saturé").check()
    page.get_by_label("Places restantes aujourd'hui").fill("0")
    page.get_by_role("button", name="Enregistrer le statut").click()
    page.get_by_text("Statut enregistré pour Centre COVID de Riscle").wait_for()
    assert "Saturé" in page.locator("#current-status").inner_text()
    assert "mis à jour il y a" in page.locator("#current-status").inner_text()
    assert page_width(page) <= viewport["width"]
    status = SiteStatus.objects.get(site=riscle_centre)
    assert (status.state, status.capacity_left) == ("saturated", 0)
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_nurse_refers_a_patient_from_the_map_in_three_clicks(
    browser, live_server, riscle_centre, nurse, viewport
):
    set_status(riscle_centre)
    context = signed_in_context(browser, live_server, nurse, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/professionnel/adresser/")
    assert "Centre COVID de Riscle" in page.locator("#site-results").inner_text()
    page.locator("#care-site-map[data-ready='true']").wait_for()
    assert page.locator("#care-site-map").bounding_box()["height"] > 200
    page.locator("#care-site-map .leaflet-marker-icon[title='Centre COVID de Riscle']").click()  # 1
    page.locator("#care-site-map a.map-refer-link").click()  # 2
    page.get_by_label("Motif en quelques mots").fill("fièvre, toux depuis 3 jours")
    page.get_by_role("button", name="Créer la fiche et l'envoyer au site").click()  # 3
    page.get_by_role("heading", name="Fiche d'adressage n°").wait_for()
    slip = page.locator("#referral-slip").inner_text()
    assert "fièvre, toux depuis 3 jours" in slip and "Centre COVID de Riscle" in slip
    page.get_by_role("button", name="Imprimer la fiche").wait_for(state="visible")
    assert page_width(page) <= viewport["width"]
    referral = Referral.objects.get()
    assert Delivery.objects.filter(
        kind=DeliveryKind.REFERRAL_SLIP, delivery_key=f"referral:{referral.pk}"
    ).exists()
    context.close()
