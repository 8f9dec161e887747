"""The one HTML error path seen in Chromium on a phone: a form's address opened directly."""

import pytest

from distribution.models import Reservation, ReservationStatus
from distribution.services import reserve
from tests.browser.helpers import log_in
from tests.distribution.conftest import stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_opening_the_cancel_address_of_an_option_on_a_phone_explains_it_in_french_and_leads_back(
    phone, live_server, nurse, riscle_pharmacy, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 10)
    option = reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=2)
    log_in(phone, nurse.email)
    # As if followed from the list of options (a typed or bookmarked address has no referer).
    response = phone.goto(
        f"/professionnel/options/{option.pk}/annuler/", referer=f"{live_server.url}/professionnel/options/"
    )
    assert response.status == 405
    phone.get_by_role("heading", name="Cette adresse ne s'ouvre pas directement").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    phone.get_by_role("button", name="Revenir à la page précédente").click()
    phone.wait_for_url("**/professionnel/options/")
    assert Reservation.objects.get(pk=option.pk).status == ReservationStatus.ACTIVE
