"""Every page works under the strict Content-Security-Policy: no page of any role makes Chromium
report a violation (securitypolicyviolation event, "Refused to ..." console error) or a script
error, maps and charts included."""

import pytest
from django.urls import reverse

from accounts.navigation import NAV_BY_ROLE
from dashboards.services import refresh_rollups
from tests.browser.helpers import log_in
from tests.dashboards.conftest import world  # noqa: F401 (the dashboards data fixture)
from tests.factories import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of each page (Playwright's init scripts are not subject to the CSP).
LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def watched_page(page):
    """The page, and the list of problems Chromium reported while it was used."""
    problems = []
    page.context.add_init_script(LISTENER)

    def on_console(message):
        # Blocked off-machine requests (map tiles) fail to load by design; anything else counts.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return page, problems


def visit(page, problems, path):
    response = page.goto(path)
    assert response.status < 400, path
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # let deferred scripts run (maps, charts)
    problems.extend(f"{path}: {violation}" for violation in page.evaluate("window.__cspViolations"))


def menu_paths(role):
    """The menu of the role, without the entries kept for some of its members (volunteer doctors)."""
    return [reverse(entry[1]) for entry in NAV_BY_ROLE[role] if len(entry) == 2]


def test_public_pages_report_no_content_security_policy_violation(watched_page, occitanie):
    page, problems = watched_page
    for path in [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accessibilite/",
        reverse("consultations:patient_home"),
        "/api/docs/",
    ]:
        visit(page, problems, path)
    page.locator(".swagger-ui .information-container").wait_for()
    assert problems == []


def test_professional_pages_and_the_stock_map_report_no_violation(
    watched_page, nurse, riscle_pharmacy, quota_policies
):
    """(The search form is offered to a professional with a quota.)"""
    page, problems = watched_page
    log_in(page, nurse.email)
    page.wait_for_url("**/professionnel/")
    for path in menu_paths("professional"):
        visit(page, problems, path)
    page.goto(reverse("distribution:find_masks"))
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#availability-map[data-ready='true']").wait_for()
    problems.extend(page.evaluate("window.__cspViolations"))
    assert problems == []


def test_pharmacist_pages_report_no_violation(watched_page, riscle_pharmacist):
    page, problems = watched_page
    log_in(page, riscle_pharmacist.email)
    page.wait_for_url("**/officine/")
    for path in menu_paths("pharmacist"):
        visit(page, problems, path)
    assert problems == []


def test_administrator_pages_dashboard_chart_and_admin_report_no_violation(
    watched_page,
    administrator,
    world,  # noqa: F811
):
    refresh_rollups()
    page, problems = watched_page
    log_in(page, administrator.email, totp_secret=TOTP_SECRET)
    page.wait_for_url("**/compte/a-valider/")
    for path in menu_paths("admin"):
        visit(page, problems, path)
    visit(page, problems, reverse("admin:accounts_user_change", args=[administrator.pk]))
    visit(page, problems, reverse("admin:accounts_user_history", args=[administrator.pk]))
    visit(page, problems, reverse("admin:territories_geocodingfallback_changelist"))
    assert problems == []
