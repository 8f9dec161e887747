"""A rush through Chromium: the waiting room (with and without JavaScript, desktop and phone)
and leaving a "tell me when a slot opens" alert."""

import pytest

from consultations import waiting_room
from consultations.models import WaitingListEntry
from tests.browser.helpers import PHONE
from tests.consultations.conftest import make_doctor, make_mission, make_site, make_volunteer, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def riscle_site(occitanie):
    return make_site("32344", "Cabinet médical de Riscle")


@pytest.fixture
def slot(riscle_site, ars_occitanie):
    doctor = make_doctor("medecin.solidaire@exemple.fr", first_name="Marc", last_name="Daguzan")
    mission = publish(
        make_mission(make_volunteer(doctor, riscle_site), riscle_site, ars_occitanie), ars_occitanie
    )
    return mission.slots.order_by("starts_at").first()


@pytest.fixture
def rush(settings):
    settings.WAITING_ROOM_ENABLED = True
    settings.WAITING_ROOM_RATE = 1
    settings.WAITING_ROOM_BURST = 0
    waiting_room.reset()
    yield
    waiting_room.reset()


def _context(browser, live_server, *, viewport, javascript):
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=viewport, java_script_enabled=javascript
    )
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    return context


@pytest.mark.parametrize(
    ("viewport", "javascript"), [(DESKTOP, True), (PHONE, False)], ids=["desktop", "phone"]
)
def test_a_patient_waits_their_turn_then_reaches_the_booking_form(
    browser, live_server, slot, rush, viewport, javascript
):
    context = _context(browser, live_server, viewport=viewport, javascript=javascript)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"/consultations/creneau/{slot.pk}/reserver/")
    assert "/consultations/file-d-attente/" in page.url
    page.get_by_role("heading", name="File d'attente").wait_for()
    assert page.get_by_text("Votre position : 1").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # The page refreshes by itself (meta refresh, also without JavaScript) until admitted.
    page.get_by_label("Prénom").wait_for()
    assert page.url.endswith(f"/consultations/creneau/{slot.pk}/reserver/")
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_patient_leaves_an_alert_for_their_postal_code(browser, live_server, riscle_site, viewport):
    context = _context(browser, live_server, viewport=viewport, javascript=True)
    page = context.new_page()
    page.goto("/consultations/")
    page.locator("#id_place").fill("32400")  # the search form above has a "…code postal" label too
    page.get_by_label("ou numéro de mobile (SMS)").fill("06 12 34 56 78")
    page.get_by_role("button", name="Créer mon alerte").click()
    page.get_by_text("C'est noté").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    entry = WaitingListEntry.objects.get()
    assert entry.commune_id == "32344" and entry.phone == "+33612345678"
    context.close()
