"""A pharmacist switches the portal to English from the header, works in English (server texts
and the JavaScript catalogue), then switches back to French, through Chromium."""

import pytest

from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pharmacist_switches_to_english_declares_an_arrival_and_switches_back(
    page, riscle_pharmacist, riscle_pharmacy, products
):
    log_in(page, riscle_pharmacist.email)
    page.goto("/officine/")
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_label("Langue du site").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    page.get_by_role("link", name="My pharmacy").first.wait_for()
    assert page.url.endswith("/officine/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Site language").input_value() == "en"

    page.get_by_role("link", name="Stock: arrivals, stock count, losses").click()
    arrival = page.locator("#arrival")
    arrival.get_by_label("Product").select_option("surgical")
    arrival.get_by_label("Quantity received").fill("40")
    arrival.get_by_label("Unit").select_option("mask")
    arrival.get_by_label("Source").select_option("regional")
    arrival.get_by_role("button", name="Save the arrival").click()
    page.get_by_text("Arrival recorded: 40").wait_for()
    # The close button added by portal.js takes its text from the JavaScript catalogue.
    page.get_by_role("button", name="Close the message").wait_for()

    page.get_by_label("Site language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    page.get_by_role("link", name="Mon officine").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="Se déconnecter").wait_for()  # visible (waits for the page)
