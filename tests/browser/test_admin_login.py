"""The Django admin is entered through the portal's login and its TOTP step (issue 9)."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password_step(page, email):
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")


def test_an_administrator_opening_the_admin_logs_in_with_totp_and_comes_back_to_it(
    page, administrator, one_totp_period
):
    page.goto("/admin/pharmacies/pharmacy/")
    page.wait_for_url("**/accounts/login/?next=*")
    _password_step(page, administrator.email)
    page.get_by_label("Code").fill(one_totp_period)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/admin/pharmacies/pharmacy/")
    assert page.get_by_role("heading", level=1).count() >= 1


def test_on_a_phone_a_reused_totp_code_says_to_wait_for_the_next_one(
    browser, live_server, administrator, one_totp_period
):
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        code = one_totp_period
        page.goto("/accounts/login/")
        _password_step(page, administrator.email)
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_url("**/compte/a-valider/")
        page.locator("header summary", has_text="Menu").click()  # the phone menu is folded
        page.get_by_role("button", name="Se déconnecter").first.click()

        page.goto("/accounts/login/")
        _password_step(page, administrator.email)
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Connexion").click()
        # Waits for the answer to the submission (is_visible() would not wait for it).
        message = page.get_by_text("Ce code a déjà été utilisé")
        expect(message).to_be_visible()
        expect(message).to_contain_text("code suivant")
    finally:
        context.close()
