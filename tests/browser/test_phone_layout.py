"""The portal on a phone (390x844): a one-line header with a folded menu, no page wider than
the screen; on a desktop (1366x900) the menu is shown without a click."""

import pytest

from dashboards.services import refresh_rollups
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.dashboards.conftest import world  # noqa: F401 (the dashboards data fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_on_a_phone_the_header_is_one_line_and_the_menu_unfolds_on_demand(
    browser, live_server, ars_occitanie, javascript
):
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=PHONE, javascript=javascript)
    page = context.new_page()
    page.goto("/ars/")
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= PHONE["height"] / 6  # was 455 px, more than half the screen
    dashboard_link = page.get_by_role("link", name="Tableau de bord", exact=True).first
    assert not dashboard_link.is_visible()
    page.locator("header summary", has_text="Menu").click()
    assert dashboard_link.is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    # The opened menu lies over the page and stays within the screen.
    assert page_width(page) <= PHONE["width"]
    dashboard_link.click()
    page.wait_for_url("**/ars/tableau-de-bord/")
    context.close()


def test_on_a_desktop_the_menu_is_shown_without_a_click(browser, live_server, ars_occitanie):
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=DESKTOP)
    page = context.new_page()
    page.goto("/ars/")
    assert page.get_by_role("link", name="Tableau de bord", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert not page.locator("header summary").is_visible()
    assert page.locator("header.site-header").bounding_box()["height"] < 200
    context.close()


def test_on_a_phone_the_ars_pages_fit_the_screen_and_the_dashboard_figures_come_early(
    browser,
    live_server,
    ars_occitanie,
    world,  # noqa: F811
):
    refresh_rollups()
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=PHONE)
    page = context.new_page()
    for path in (
        "/ars/",
        "/ars/tableau-de-bord/",
        "/ars/tableau-de-bord/?departement=32",
        "/notifications/bulletins/",
        "/notifications/bulletins/publier/",
    ):
        page.goto(path)
        assert page_width(page) <= PHONE["width"], path
    # The first panel's table starts within the first two screens, below the filters.
    page.goto("/ars/tableau-de-bord/?departement=32")
    first_table = page.locator("#panel-stock table").bounding_box()
    assert first_table["y"] < 2 * PHONE["height"]
    context.close()
