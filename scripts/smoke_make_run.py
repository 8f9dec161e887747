"""Smoke check of the `make run` configuration: SQLite, tasks in-process, demo data.

The test suite runs on PostgreSQL; this script proves the portal a newcomer starts with
`make run` works too: every menu page of every demo role opens, every page reachable from
them with every filter value answers without error (tests/crawler.py, with Chromium and
axe-core on one page per URL pattern), and the main journeys (arrival, option, handover,
dashboard refresh, booking) go through on SQLite.
Run after `make demo`: `.venv/bin/python scripts/smoke_make_run.py`. Exits 1 on a failure.
"""

import os
import sys
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gomask.settings")
# Playwright's sync API runs an event loop in this thread; the database calls around it are
# ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.navigation import NAV_BY_ROLE, PUBLIC_NAV  # noqa: E402

DEMO_EMAILS = [
    "pharmacien@demo.gomask.fr",
    "infirmiere@demo.gomask.fr",
    "medecin@demo.gomask.fr",
    "ars@demo.gomask.fr",
    "admin@demo.gomask.fr",
    "patient@demo.gomask.fr",
    "cpts@demo.gomask.fr",
]
failures: list[str] = []


def check(label: str, response, expected=(200,)):
    if response.status_code not in expected:
        failures.append(f"{label}: HTTP {response.status_code}")
    else:
        print(f"ok   {label}")


_signed_in: dict[str, Client] = {}


def signed_in(email: str) -> Client:
    """A client logged in through the portal's login page and, for ARS and administrators, its
    TOTP step, as a person would; kept per account (a TOTP code may be used once)."""
    from accounts.demo import DEMO_PASSWORD, current_demo_totp_code

    if email not in _signed_in:
        client = Client()
        response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
        if response.get("Location") == reverse("mfa_authenticate"):
            response = client.post(reverse("mfa_authenticate"), {"code": current_demo_totp_code()})
        if "_auth_user_id" not in client.session:
            failures.append(f"{email}: login failed (HTTP {response.status_code})")
        _signed_in[email] = client
    return _signed_in[email]


def visit_menus(client: Client) -> None:
    for entry in PUBLIC_NAV:
        check(f"anonymous {entry[1]}", client.get(reverse(entry[1])))
    check("anonymous home", client.get(reverse("home")))
    for email in DEMO_EMAILS:
        user = User.objects.get(email=email)
        user_client = signed_in(email)
        check(f"{email} landing", user_client.get(reverse("accounts:landing"), follow=True))
        for _label, url_name, *condition in NAV_BY_ROLE[user.role]:
            if condition and not condition[0](user):
                continue
            check(f"{email} {url_name}", user_client.get(reverse(url_name), follow=True))


def run_journeys(client: Client) -> None:
    from consultations.models import Slot
    from consultations.services import book_slot
    from dashboards.services import refresh_rollups
    from distribution.services import dispense, reserve
    from pharmacies.demo import DEMO_PHARMACY_FINESS
    from pharmacies.models import Pharmacy
    from pharmacies.services import declare_arrival

    pharmacist = User.objects.get(email="pharmacien@demo.gomask.fr")
    doctor = User.objects.get(email="medecin@demo.gomask.fr")
    pharmacy = Pharmacy.objects.get(finess=DEMO_PHARMACY_FINESS)

    declare_arrival.once(
        idempotency_key=str(uuid.uuid4()),
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        product_code="surgical",
        quantity=2,
        unit="box",
        source="national",
    )
    print("ok   arrival declared (notifications recorded and delivered in-process)")
    option = reserve.once(
        idempotency_key=str(uuid.uuid4()),
        actor=doctor,
        pharmacy_id=pharmacy.pk,
        product_code="surgical",
        quantity=1,
    ).value
    print(f"ok   option {option.pk} reserved")
    handover = dispense.once(
        idempotency_key=str(uuid.uuid4()),
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        professional_id=doctor.professional.pk,
        product_code="surgical",
        quantity=1,
        identity_checked=True,
    ).value
    print(f"ok   handover {handover.pk} recorded")
    refresh_rollups()
    print("ok   dashboard roll-ups refreshed")

    check(
        "ARS dashboard after the journeys",
        signed_in("ars@demo.gomask.fr").get(reverse("dashboards:dashboard")),
    )
    check("pharmacist stock page", signed_in(pharmacist.email).get(reverse("pharmacies:home"), follow=True))

    slot = (
        Slot.objects.filter(
            bookings__isnull=True, starts_at__gt=handover.created_at, mission__status="published"
        )
        .order_by("starts_at")
        .first()
    )
    if slot is None:
        failures.append("no free consultation slot in the demo data")
        return
    booking = book_slot(
        slot_id=slot.pk,
        first_name="Louise",
        last_name="Bernard",
        birth_date=date(1950, 4, 2),
        phone="06 12 34 56 78",
        email="louise.bernard@exemple.fr",
        # Lives in the priority zone without a médecin traitant: may book inside the priority window.
        commune_code=slot.mission.site.commune_id,
        has_regular_doctor=False,
    ).value
    print(f"ok   consultation booked ({booking.pk})")


def serve_in_thread():
    """The portal on a free local port (static files included), for Chromium."""
    import threading

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def crawl_every_page() -> None:
    """Issue 10: every page and filter value of every demo role (tests/crawler.py), then one
    page per URL pattern in Chromium: no 5xx, no broken link, no JavaScript error, no serious
    accessibility violation, on SQLite."""
    import shutil

    from playwright.sync_api import sync_playwright

    from tests import crawler

    report = crawler.crawl()
    print(f"ok   crawled {report.visits} pages ({len(report.patterns)} URL patterns)")
    failures.extend(report.failures)
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        failures.append("Chromium is missing: run `make chromium` (Debian: apt-get install chromium).")
        return
    server, base_url = serve_in_thread()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--headless", "--no-sandbox"]
            )
            pages = crawler.browser_pages(report)
            failures.extend(crawler.check_in_browser(browser, base_url, pages))
            browser.close()
        print(f"ok   {len(pages)} pages checked in Chromium (JavaScript errors, axe-core)")
    finally:
        server.shutdown()


def main() -> int:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        print("This smoke check is for the SQLite configuration of `make run`.", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    client = Client()
    visit_menus(client)
    crawl_every_page()
    try:
        run_journeys(client)
    except Exception as exc:  # noqa: BLE001 - report every failure, not only the first
        failures.append(f"journeys: {exc.__class__.__name__}: {exc}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("\nmake run smoke check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
