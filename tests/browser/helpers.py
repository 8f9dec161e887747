from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from tests.factories import PASSWORD, TOTP_SECRET


def current_totp(secret: str = TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def log_in(page, email: str, password: str = PASSWORD, totp_secret: str | None = None):
    page.goto("/accounts/login/")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    if totp_secret:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.get_by_label("Code").fill(current_totp(totp_secret))
        page.get_by_role("button", name="Connexion").click()
