"""On a phone, the footer's accessibility link opens the statement."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_footer_link_opens_the_accessibility_statement(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")

    link = page.get_by_role("link", name="Accessibilité : non conforme")
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    link.click()

    page.wait_for_url("**/accessibilite/")
    assert page.get_by_role("heading", level=1).inner_text() == "Déclaration d'accessibilité"
    assert page.get_by_role("heading", name="État de conformité").is_visible()
    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
