"""Planning pages in Chromium, desktop and phone (390x844): the list of pharmacies at risk,
filtered by département, and a quota simulation."""

import pytest

from planning import services
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.factories import PharmacyFactory
from tests.planning.conftest import RISCLE, TOULOUSE, every_day, reference, set_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def at_risk(occitanie, products, quota_policies):
    from gomask.clock import local_date

    today = local_date()
    surgical = products["surgical"]
    riscle = PharmacyFactory(insee_code=RISCLE, name="Pharmacie de l'Adour")
    toulouse = PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie du Capitole")
    for pharmacy, stock, daily in ((riscle, 20, 10), (toulouse, 30, 5)):
        set_stock(pharmacy, surgical, stock)
        every_day(pharmacy, surgical, daily, today=today)
    reference(riscle, 6)
    services.refresh_forecast(today=today)
    return riscle, toulouse


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_ars_agent_filters_the_pharmacies_at_risk(browser, live_server, ars_occitanie, at_risk, viewport):
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=viewport)
    page = context.new_page()
    page.goto("/ars/anticipation/")
    table = page.locator("#at-risk")
    assert "Pharmacie de l'Adour" in table.inner_text()
    assert "Pharmacie du Capitole" in table.inner_text()
    page.get_by_label("Département").select_option("31")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**departement=31**")
    assert "Pharmacie du Capitole" in page.locator("#at-risk").inner_text()
    assert "Pharmacie de l'Adour" not in page.locator("#at-risk").inner_text()
    assert page_width(page) <= viewport["width"]
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_ars_agent_simulates_a_lower_quota(browser, live_server, ars_occitanie, at_risk, viewport):
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=viewport)
    page = context.new_page()
    page.goto("/ars/anticipation/simulateur/")
    page.get_by_label("Produit").select_option("surgical")
    page.get_by_label("Semaines passées").fill("4")
    page.get_by_label("Infirmier : masques par semaine (projet)").fill("10")
    page.get_by_role("button", name="Simuler").click()
    page.locator("#simulation").wait_for()
    quotas = page.locator("#quota-lines").inner_text()
    assert "Infirmier" in quotas and "18" in quotas and "10" in quotas
    assert page.locator("#simulation tbody tr").count() >= 1
    assert page_width(page) <= viewport["width"]
    context.close()
