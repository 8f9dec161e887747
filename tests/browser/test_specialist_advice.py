"""A nurse asks a cardiologist for advice, with a PDF; the cardiologist accepts and answers; the
nurse reads the answer. On a desktop and on a 390x844 phone."""

import pytest

from specialists.models import AdviceRequest, RequestStatus
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.specialists.conftest import NOGARO, PDF, specialist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_request_is_sent_accepted_and_answered(browser, live_server, nurse, tmp_path, viewport):
    cardiologist = specialist(NOGARO, "cardio.nogaro@exemple.fr")
    report = tmp_path / "ecg.pdf"
    report.write_bytes(PDF)

    requester = signed_in_context(browser, live_server, nurse, viewport=viewport).new_page()
    requester.goto("/avis-specialise/")
    requester.get_by_role("link", name="Demander un avis").click()
    requester.get_by_label("Spécialité").select_option(label="Cardiologie et maladies vasculaires")
    requester.get_by_label("Urgence").select_option(label="Sous 24 heures")
    requester.get_by_label("Votre question").fill(
        "Douleur thoracique atypique, ECG joint : avis sur la suite ?"
    )
    requester.get_by_label("Pièces jointes (facultatif)").set_input_files(str(report))
    requester.get_by_role("button", name="Envoyer la demande").click()
    requester.get_by_text("Votre demande d'avis est envoyée aux spécialistes de votre secteur.").wait_for()
    assert "envoyée aux spécialistes à moins de 30 km" in requester.locator("[data-state]").inner_text()
    if viewport == PHONE:
        assert page_width(requester) <= PHONE["width"]
    advice = AdviceRequest.objects.get()

    answering = signed_in_context(browser, live_server, cardiologist, viewport=viewport).new_page()
    answering.goto("/avis-specialise/")
    answering.get_by_role("link", name="Cardiologie et maladies vasculaires · Riscle").click()
    assert "Douleur thoracique" not in answering.content()  # content only once accepted
    answering.get_by_role("button", name="Accepter cette demande").click()
    answering.get_by_text("Douleur thoracique atypique, ECG joint").wait_for()
    answering.get_by_role("link", name="ecg.pdf").wait_for()
    answering.get_by_label("Votre avis").fill("ECG sans signe d'ischémie ; test d'effort dans le mois.")
    answering.get_by_role("button", name="Envoyer mon avis").click()
    answering.get_by_text("Votre avis est envoyé au demandeur.").wait_for()
    if viewport == PHONE:
        assert page_width(answering) <= PHONE["width"]

    requester.reload()
    requester.get_by_text("ECG sans signe d'ischémie ; test d'effort dans le mois.").wait_for()
    assert "répondue par le Dr" in requester.locator("[data-state]").inner_text()
    advice.refresh_from_db()
    assert advice.status == RequestStatus.ANSWERED
    requester.context.close()
    answering.context.close()
