import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD, TOTP_SECRET


def current_totp(secret: str = TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def log_in(page, email: str, password: str = PASSWORD, totp_secret: str | None = None):
    page.goto("/accounts/login/")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    # A click does not wait for the page it posts to: callers look at that page next.
    with page.expect_navigation():
        page.get_by_role("button", name="Connexion").click()
    if totp_secret:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        # A code is right only in its own 30-second period (no tolerance): one typed in the last
        # seconds of a period can reach the server in the next one and be refused, as a person's
        # would. Wait for a fresh period rather than race it.
        period = mfa_settings.TOTP_PERIOD
        left = period - time.time() % period
        if left < 4:
            time.sleep(left + 0.2)
        page.get_by_label("Code").fill(current_totp(totp_secret))
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def signed_in_context(browser, live_server, user, *, viewport, javascript=True):
    """A browser context holding the session of `user` (the login journey has its own tests)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=viewport, java_script_enabled=javascript
    )
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def page_width(page) -> int:
    # Measured once the stylesheets have loaded: an unstyled table is wider than the phone.
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")
