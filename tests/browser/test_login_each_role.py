"""Each demo role logs in through Chromium and reaches its own landing page."""

import pytest

from tests.browser.helpers import log_in
from tests.factories import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("persona", "needs_totp", "landing_path", "heading"),
    [
        ("riscle_pharmacist", False, "/officine/", "Mon officine"),
        ("nurse", False, "/professionnel/", "Mon espace professionnel"),
        ("ars_occitanie", True, "/ars/", "Espace ARS — Occitanie"),
        ("administrator", True, "/compte/a-valider/", "Comptes à valider"),
    ],
)
def test_a_user_of_each_role_logs_in_and_lands_on_their_home_page(
    page, request, persona, needs_totp, landing_path, heading
):
    user = request.getfixturevalue(persona)
    log_in(page, user.email, totp_secret=TOTP_SECRET if needs_totp else None)
    page.wait_for_url(f"**{landing_path}")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_role("button", name="Se déconnecter").is_visible()


def test_a_patient_logs_in_and_reaches_the_consultations(page, occitanie):
    from accounts.models import Role
    from tests.factories import UserFactory

    patient = UserFactory(role=Role.PATIENT, email="patiente@exemple.fr")
    log_in(page, patient.email)
    page.wait_for_url("**/consultations/")


def test_a_wrong_password_shows_a_french_error_and_stays_logged_out(page, nurse):
    log_in(page, nurse.email, password="pas-le-bon")
    assert page.get_by_role("alert").first.is_visible()
    assert "ne sont pas corrects" in page.content() or "incorrect" in page.content()
    assert page.get_by_role("link", name="Se connecter").is_visible()
