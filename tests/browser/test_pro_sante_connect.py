"""Sign-in with Pro Santé Connect in Chromium, against the local OpenID Connect provider."""

import pytest
from django.utils import timezone

from accounts.models import AccountStatus
from tests.browser.helpers import DESKTOP, PHONE, page_width
from tests.factories import ProfessionalFactory
from tests.prosanteconnect.mock_provider import national_claims

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RPPS = "10000000009"


def _context(browser, live_server, mock, viewport):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=viewport)
    # The portal and the local Pro Santé Connect; nothing else.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith((live_server.url, mock.url)) else route.abort()
        ),
    )
    return context


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_professional_of_the_directory_signs_in_with_pro_sante_connect(
    browser,
    live_server,
    mock_psc,
    occitanie,
    viewport,
):
    professional = ProfessionalFactory(rpps=RPPS, directory_seen_at=timezone.now(), first_name="Marie")
    mock_psc.add_user("psc-navigateur", national_claims("8" + RPPS, email="marie@exemple.fr"))
    context = _context(browser, live_server, mock_psc, viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/accounts/login/")
        assert page.get_by_role("heading", name="Professionnels de santé").is_visible(), page.content()
        assert page_width(page) <= viewport["width"]
        page.get_by_role("button", name="Se connecter avec Pro Santé Connect").click()
        # At the service: the CPS card or e-CPS step, here the mock's form.
        page.wait_for_url(f"{mock_psc.url}/**")
        page.get_by_placeholder("sub").fill("psc-navigateur")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{live_server.url}/professionnel/**")
        assert "votre compte est validé" in page.content()
        assert page.get_by_role("heading", level=1).inner_text() == "Mon espace professionnel"
        assert page_width(page) <= viewport["width"]
    finally:
        context.close()
    professional.refresh_from_db()
    assert professional.user.email == "marie@exemple.fr"
    assert professional.user.status == AccountStatus.ACTIVE


def test_a_wrong_acr_shows_the_refusal_in_the_browser(browser, live_server, mock_psc, occitanie):
    mock_psc.add_user("psc-faible", national_claims("8" + RPPS, acr="eidas0", email="faible@exemple.fr"))
    context = _context(browser, live_server, mock_psc, PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/accounts/login/")
        page.get_by_role("button", name="Se connecter avec Pro Santé Connect").click()
        page.wait_for_url(f"{mock_psc.url}/**")
        page.get_by_placeholder("sub").fill("psc-faible")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{live_server.url}/accounts/psc/**")
        alert = page.get_by_role("alert").first.inner_text()
        assert "carte CPS ou e-CPS" in alert and "eidas0" in alert
        assert page.get_by_role("link", name="Retour à l'accueil").is_visible()
    finally:
        context.close()
