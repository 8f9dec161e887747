"""The CPTS crisis console in a browser: a drill activated with acknowledgements from the signed
link, and a request for reinforcement accepted by a nurse; desktop and phone (390x844)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis import services
from crisis.models import Acceptance, Acknowledgement, Activation
from notifications import services as notifications
from notifications.models import Delivery
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.crisis.conftest import available
from tests.factories import professional_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RISCLE = "32344"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_drill_activation_with_acknowledgements(browser, live_server, cpts, viewport):
    nurse = professional_user(email="infirmiere.riscle@exemple.fr", insee_code=RISCLE)
    professional_user(email="infirmier2.riscle@exemple.fr", insee_code=RISCLE)
    context = signed_in_context(browser, live_server, cpts, viewport=viewport)
    page = context.new_page()
    page.goto("/crise/")
    page.get_by_role("button", name="Activer le plan de crise").click()
    page.get_by_label("Niveau").select_option("2")
    page.get_by_label("Volet ORSAN").select_option("clim")
    page.get_by_label("Situation").fill("Canicule : renfort des soins à domicile.")
    page.get_by_label("Exercice").check()
    page.get_by_role("button", name="Activer").click()
    page.get_by_role("heading", name=re.compile("Console de crise")).wait_for()
    assert "EXERCICE" in page.locator("h1").inner_text()
    activation = Activation.objects.get()
    assert activation.is_drill

    page.get_by_role("button", name="Publier un bulletin").click()
    page.get_by_label("Titre").fill("Canicule : consignes")
    page.get_by_label("Message").fill("Hydratez vos patients âgés.")
    page.get_by_role("button", name="Publier et envoyer").click()
    page.get_by_text("Bulletin publié : envoi en cours").wait_for()
    bulletin = activation.bulletins.get()
    notifications.fan_out_bulletin(bulletin_id=bulletin.pk)  # the worker's job

    # The nurse opens the link of her e-mail (no session needed): that click is the only one.
    url = Delivery.objects.get(bulletin=bulletin, professional=nurse.professional, channel="email").url
    visitor = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=viewport).new_page()
    visitor.goto(url)
    visitor.get_by_text("Merci : le bulletin est pris en compte.").wait_for()
    visitor.get_by_text("EXERCICE").first.wait_for()
    assert visitor.locator("form[data-auto-submit]").count() == 0
    assert Acknowledgement.objects.count() == 1
    assert page_width(visitor) <= viewport["width"]
    visitor.goto(url)
    visitor.get_by_text(re.compile(r"Pris en compte le \d\d/\d\d/\d{4} à \d\d:\d\d")).wait_for()
    visitor.context.close()
    assert Acknowledgement.objects.count() == 1

    page.clock.install()
    page.goto(f"/crise/{activation.pk}/")
    article = page.locator(f'[data-bulletin="{bulletin.pk}"]')
    assert article.locator('[data-field="targeted"]').inner_text() == "2"
    assert article.locator('[data-field="acknowledged"]').inner_text() == "1"
    # The console refreshes itself: a second acknowledgement shows up without reloading.
    other = Delivery.objects.exclude(professional=nurse.professional).filter(bulletin=bulletin).first()
    services.acknowledge(token=other.url.rstrip("/").rsplit("/", 1)[1])
    page.clock.run_for(31_000)
    expect(article.locator('[data-field="acknowledged"]')).to_have_text("2")
    assert "Mis à jour à" in page.locator("#console-updated").inner_text()
    assert page_width(page) <= viewport["width"]
    page.get_by_role("link", name="Rapport d'exercice").click()
    page.get_by_role("heading", name=re.compile("Rapport d'exercice")).wait_for()
    assert page_width(page) <= viewport["width"]
    context.close()


def test_without_javascript_the_link_shows_the_button_and_a_scanner_fetch_acknowledges_nothing(
    browser, live_server, cpts
):
    nurse = professional_user(email="infirmiere.riscle@exemple.fr", insee_code=RISCLE)
    activation = services.activate(actor=cpts, level=2, track="clim", summary="Canicule.")
    bulletin = services.publish_activation_bulletin(
        actor=cpts, activation_id=activation.pk, title="Consignes", body="Hydratez.", severity="warning"
    )
    notifications.fan_out_bulletin(bulletin_id=bulletin.pk)
    url = Delivery.objects.get(bulletin=bulletin, professional=nurse.professional, channel="email").url
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=PHONE, java_script_enabled=False
    )
    # A link scanner: fetches without running scripts.
    assert context.request.get(url).ok and context.request.head(url).ok
    visitor = context.new_page()
    visitor.goto(url)
    assert not Acknowledgement.objects.exists()
    visitor.get_by_role("button", name="Pris en compte").click()
    visitor.get_by_text("Merci : le bulletin est pris en compte.").wait_for()
    assert Acknowledgement.objects.count() == 1
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_reinforcement_request_accepted_by_a_nurse(browser, live_server, cpts, viewport):
    nurse = professional_user(email="infirmiere.riscle@exemple.fr", insee_code=RISCLE, first_name="Claire")
    activation = services.activate(actor=cpts, level=3, track="amavi", summary="Accident collectif")
    start = available(nurse, activation).starts_at
    coordinator = signed_in_context(browser, live_server, cpts, viewport=viewport)
    page = coordinator.new_page()
    page.goto(f"/crise/{activation.pk}/renfort/")
    begin = timezone.localtime(start + timedelta(hours=2))
    page.get_by_label("Lieu").fill("Gymnase municipal")
    page.get_by_label("Commune").fill("Riscle (32400)")
    page.get_by_label("Début").fill(begin.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Fin").fill((begin + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Profession").select_option("infirmier")
    page.get_by_role("button", name="Publier la demande").click()
    page.get_by_text("1 professionnel(s) disponible(s) sollicité(s)").wait_for()
    assert page_width(page) <= viewport["width"]

    professional = signed_in_context(browser, live_server, nurse, viewport=viewport).new_page()
    professional.goto("/crise/")
    professional.get_by_role("link", name=re.compile("Gymnase municipal")).click()
    professional.get_by_role("button", name="J'accepte ce renfort").click()
    professional.get_by_text("vous êtes attendu(e) sur place").wait_for()
    assert page_width(professional) <= viewport["width"]
    assert Acceptance.objects.get().professional == nurse.professional

    page.goto(f"/crise/{activation.pk}/")
    page.get_by_text(re.compile("Pourvue")).first.wait_for()
    assert "Claire" in page.locator("body").inner_text()
    professional.context.close()
    coordinator.close()
