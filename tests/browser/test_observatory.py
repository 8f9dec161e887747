"""ARS staff and a CPTS coordinator read the observatory in Chromium, on a desktop and on a phone:
a map of circles coloured as the legend, the table beside it, the CSV link, the method."""

import pytest

from observatory.models import EpciAccess
from territories.models import Commune
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.observatory.conftest import RISCLE, computed, cpts_gers, directory  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_ars_agent_reads_the_map_and_the_table_of_their_region(
    browser,
    live_server,
    ars_occitanie,
    computed,  # noqa: F811
    viewport,
):
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)  # a shared, loaded machine
    try:
        page.goto("/observatoire/")
        title = page.get_by_role("heading", level=1).inner_text()
        assert title == "Observatoire de l'accès aux soins — Occitanie"
        # The points are fetched after the page (observatory:map): drawn when aria-busy is false.
        page.locator('#observatory-map.leaflet-container[aria-busy="false"]').wait_for()
        # One circle per EPCI of the region, drawn without any tile.
        circles = page.locator("#observatory-map path.leaflet-interactive")
        assert circles.count() == EpciAccess.objects.filter(region_id="76").count()
        fills = set(circles.evaluate_all("els => els.map(e => e.getAttribute('fill'))"))
        assert fills <= {"#440154", "#3b528b", "#21918c", "#5ec962", "#fde725", "#bdbdbd"}
        assert page.locator(".observatory-legend li").count() >= 2
        assert page.get_by_role("table").first.is_visible()
        assert page.get_by_role("link", name="Exporter tout le tableau en CSV").is_visible()
        assert page.get_by_role("heading", name="Méthode").is_visible()
        # Filter to the Gers communes: Riscle's row, with its 2 general practitioners.
        page.get_by_label("Niveau").select_option("commune")
        page.get_by_label("Département", exact=True).select_option("32")
        page.get_by_role("button", name="Afficher").click()
        page.wait_for_url("**departement=32**")
        page.locator('#observatory-map.leaflet-container[aria-busy="false"]').wait_for()
        gers = Commune.objects.filter(departement_id="32").count()
        assert f"{gers} territoires" in page.locator("table caption").first.inner_text()
        assert page.locator("#observatory-map path.leaflet-interactive").count() == gers
        assert page_width(page) <= viewport["width"]
    finally:
        context.close()


def test_a_cpts_coordinator_sees_the_epci_of_their_territory_on_a_phone(
    browser,
    live_server,
    cpts_gers,  # noqa: F811
    computed,  # noqa: F811
):
    context = signed_in_context(browser, live_server, cpts_gers, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)  # a shared, loaded machine
    try:
        page.goto("/observatoire/")
        assert page.get_by_text("Vous voyez le territoire de votre CPTS").is_visible()
        # The points are fetched after the page (observatory:map): drawn when aria-busy is false.
        page.locator('#observatory-map.leaflet-container[aria-busy="false"]').wait_for()
        assert page.locator("#observatory-map path.leaflet-interactive").count() == 1
        epci = Commune.objects.get(pk=RISCLE).epci
        assert epci.name in page.locator("table").first.inner_text()
        assert page_width(page) <= PHONE["width"]
    finally:
        context.close()
