"""ARS staff publish a crisis bulletin; a targeted professional reads it; the public sees a public one."""

import pytest

from notifications.models import CrisisBulletin
from tests.browser.helpers import PHONE, log_in, page_width, signed_in_context
from tests.factories import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ars_publishes_a_public_bulletin_that_professionals_and_the_population_see(
    page, browser, live_server, ars_occitanie, nurse
):
    log_in(page, ars_occitanie.email, totp_secret=TOTP_SECRET)
    page.goto("/notifications/bulletins/")
    page.get_by_role("button", name="Publier un bulletin").click()
    page.get_by_label("Titre").fill("Tension sur les masques FFP2 dans le Gers")
    page.get_by_label("Message").fill("Réservez les FFP2 aux actes à risque.\nMerci à tous.")
    page.get_by_label("Vigilance").check()
    page.get_by_label("Afficher aussi ce bulletin au public").check()
    page.get_by_label("Gers (32)").check()
    page.get_by_role("button", name="Vérifier avant l'envoi").click()
    # The preview: nothing sent yet, the nurse of Riscle counted on e-mail and in the portal.
    page.get_by_role("heading", name="Vérifier le bulletin avant l'envoi").wait_for()
    assert page.locator('[data-count="email"]').inner_text() == "1"
    assert not CrisisBulletin.objects.exists()
    page.get_by_role("button", name="Confirmer l'envoi à 1 professionnel").click()
    page.get_by_text(
        "Bulletin « Tension sur les masques FFP2 dans le Gers » publié : envoi en cours à 1"
    ).wait_for()
    bulletin = CrisisBulletin.objects.get()
    assert list(bulletin.departements.values_list("pk", flat=True)) == ["32"]

    # Without a title: a clear refusal next to the form, nothing published (oversized: see test_bulletins).
    page.goto("/notifications/bulletins/publier/")
    page.get_by_label("Message").fill("Un message sans titre")
    page.get_by_role("button", name="Vérifier avant l'envoi").click()
    page.get_by_text("Ce champ est obligatoire").wait_for()
    assert CrisisBulletin.objects.count() == 1

    professional = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    log_in(professional, nurse.email)
    professional.get_by_role("link", name="Bulletins").click()
    professional.get_by_role("heading", name="Tension sur les masques FFP2 dans le Gers").wait_for()
    professional.context.close()

    visitor = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    visitor.goto("/")
    visitor.get_by_role("heading", name="Tension sur les masques FFP2 dans le Gers").wait_for()
    assert "vigilance" in visitor.locator("#bulletins").inner_text().lower()
    visitor.context.close()


def test_on_a_phone_the_bulletin_preview_and_its_confirmation_fit_the_screen(
    browser, live_server, ars_occitanie, nurse
):
    context = signed_in_context(browser, live_server, ars_occitanie, viewport=PHONE)
    page = context.new_page()
    page.goto("/notifications/bulletins/publier/")
    page.get_by_label("Titre").fill("Rupture de FFP2")
    page.get_by_label("Message").fill("Priorité aux soins à domicile.")
    page.get_by_role("button", name="Vérifier avant l'envoi").click()
    confirm = page.get_by_role("button", name="Confirmer l'envoi à 1 professionnel")
    confirm.wait_for()
    assert page_width(page) <= PHONE["width"]
    assert confirm.bounding_box()["y"] < 2 * PHONE["height"]
    confirm.click()
    page.get_by_text("envoi en cours à 1 professionnel(s)").wait_for()
    assert page_width(page) <= PHONE["width"]
    context.close()
