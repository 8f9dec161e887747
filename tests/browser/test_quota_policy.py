"""An ARS agent adds a quota version through Chromium."""

import pytest

from distribution.models import QuotaPolicy
from tests.browser.helpers import log_in
from tests.factories import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_ars_agent_adds_the_next_version_for_their_region(page, ars_occitanie, quota_policies):
    log_in(page, ars_occitanie.email, totp_secret=TOTP_SECRET)
    page.goto("/ars/")
    page.get_by_role("link", name="Ajouter une version").click()
    page.get_by_label("Profession").select_option("medecin")
    page.get_by_label("Produit").select_option("surgical")
    page.get_by_label("Masques par semaine").fill("24")
    page.get_by_label("En vigueur à partir du").fill("2020-05-11")
    page.get_by_label("Référence").fill("Décision ARS Occitanie")
    page.get_by_role("button", name="Enregistrer la version").click()
    page.get_by_text("Nouvelle version enregistrée").wait_for()
    row = page.get_by_role("row").filter(has_text="Décision ARS Occitanie")
    assert "24" in row.inner_text() and "Occitanie" in row.inner_text()
    policy = QuotaPolicy.objects.get(region_id="76")
    assert (policy.profession, policy.quantity, str(policy.effective_from)) == ("medecin", 24, "2020-05-11")
