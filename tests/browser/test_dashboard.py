"""ARS staff read the regional dashboard in Chromium: filter to a département, read a figure."""

import re

import pytest
from django.db.models import Sum

from dashboards.services import refresh_rollups
from pharmacies.models import StockLevel
from tests.browser.helpers import log_in
from tests.dashboards.conftest import world  # noqa: F401, F811 (the dashboards data fixture)
from tests.factories import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def gers_on_hand() -> int:
    return StockLevel.objects.filter(pharmacy__departement_id="32", product__code="surgical").aggregate(
        total=Sum("on_hand")
    )["total"]


def stock_cell(page, departement: str, key: str):
    row = page.locator("#panel-stock tbody tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{departement}$"))
    )
    return row.locator(f'td[data-key="{key}"]')


def test_ars_agent_filters_the_dashboard_to_a_departement_and_reads_its_stock(page, ars_occitanie, world):  # noqa: F811
    refresh_rollups()
    expected = gers_on_hand()
    assert expected == 226 + 20
    log_in(page, ars_occitanie.email, totp_secret=TOTP_SECRET)
    page.wait_for_url("**/ars/")
    page.get_by_role("link", name="Tableau de bord", exact=True).first.click()
    page.wait_for_url("**/ars/tableau-de-bord/")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord — Occitanie"
    page.get_by_label("Département", exact=True).select_option("32")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**departement=32**")
    assert stock_cell(page, "32", "on_hand").inner_text() == str(expected)
    assert page.locator("#panel-stock tbody tr").count() == 1
    # Charts drawn by Chart.js next to their tables; the map shows the at-risk pharmacies.
    assert page.locator("#panel-flows .chart-drawn canvas").count() == 1
    page.locator("#dashboard-map.leaflet-container").wait_for()
    assert (
        page.locator("#dashboard-map path.leaflet-interactive").count()
        == page.locator("#panel-pharmacies tbody tr").count()
    )
    assert page.get_by_text("Données arrêtées au").first.is_visible()


def test_without_javascript_the_tables_still_show_the_figures(browser, live_server, ars_occitanie, world):  # noqa: F811
    refresh_rollups()
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", java_script_enabled=False)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, ars_occitanie.email, totp_secret=TOTP_SECRET)
        page.wait_for_url("**/ars/")
        page.goto("/ars/tableau-de-bord/?departement=32")
        assert stock_cell(page, "32", "on_hand").inner_text() == str(gers_on_hand())
        professions = page.locator("#panel-professions tbody")
        assert "Infirmier" in professions.inner_text()
    finally:
        context.close()
