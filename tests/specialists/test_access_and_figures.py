"""Only the requester and the accepting specialist reach a request: every other role, every other
professional and the administrators (admin site included) are refused. Coordinators read figures
of their own territory only."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from notifications.models import CoordinatorScope
from specialists import services
from specialists.models import AccessLogEntry
from tests.factories import UserFactory, commune, pharmacist_of
from tests.specialists.conftest import PDF, QUESTION, send

pytestmark = pytest.mark.django_db

ANSWER = "Échographie cardiaque conseillée sous huit jours."


@pytest.fixture
def answered(nurse, cardiologist_nogaro):
    advice = send(nurse, files=[SimpleUploadedFile("ecg.pdf", PDF)])
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    services.answer_request(user=cardiologist_nogaro, request_id=advice.pk, answer=ANSWER)
    return advice


def _request_urls(advice):
    attachment = advice.attachments.get()
    return [
        ("get", reverse("specialists:request_detail", args=[advice.pk])),
        ("get", reverse("specialists:attachment", args=[advice.pk, attachment.pk])),
        ("post", reverse("specialists:accept", args=[advice.pk])),
        ("post", reverse("specialists:answer", args=[advice.pk])),
    ]


@pytest.fixture
def outsiders(occitanie, riscle_pharmacy, other_nurse, cardiologist_auch, ars_occitanie, administrator):
    cpts = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="cpts@exemple.fr")
    return {
        "another nurse of Riscle": (other_nurse, 404),
        "another cardiologist of the area": (cardiologist_auch, 404),
        "a pharmacist": (pharmacist_of(riscle_pharmacy), 403),
        "the ARS of the region": (ars_occitanie, 403),
        "a CPTS coordinator": (cpts, 403),
        "a patient": (UserFactory(role=Role.PATIENT), 403),
        "an administrator": (administrator, 403),
    }


def test_every_other_account_is_refused_on_every_page_of_a_request(client, answered, outsiders):
    for label, (user, status) in outsiders.items():
        client.force_login(user)
        for method, url in _request_urls(answered):
            response = getattr(client, method)(url, {"answer": "intrusion"} if method == "post" else None)
            assert response.status_code == status, (label, url, response.status_code)
            assert QUESTION not in response.content.decode()
    answered.refresh_from_db()
    assert answered.status == "answered" and answered.accepted_by.user.email == "cardio.nogaro@exemple.fr"
    assert services.crypto.decrypt_text(answered.answer_token) == ANSWER
    assert AccessLogEntry.objects.count() == 0


def test_anonymous_visitors_are_sent_to_the_login_page(client, answered):
    for method, url in _request_urls(answered):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_pending_professional_is_refused(client, answered, nurse):
    nurse.status = "pending"
    nurse.save()
    client.force_login(nurse)
    assert client.get(reverse("specialists:request_detail", args=[answered.pk])).status_code == 403


def test_the_admin_site_shows_no_request_content(client, answered, administrator, cardiologist_nogaro):
    client.force_login(cardiologist_nogaro)
    client.get(reverse("specialists:request_detail", args=[answered.pk]))  # one access log entry
    client.force_login(administrator)
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/specialists/" in index
    assert client.get("/admin/specialists/advicerequest/").status_code == 404
    assert client.get(f"/admin/specialists/advicerequest/{answered.pk}/change/").status_code == 404
    assert client.get("/admin/specialists/attachment/").status_code == 404
    for url in ["/admin/specialists/accesslogentry/", "/admin/specialists/specialistprofile/"]:
        page = client.get(url)
        assert page.status_code == 200
        assert QUESTION not in page.content.decode() and ANSWER not in page.content.decode()


def test_a_professional_opens_the_specialists_home_and_a_specialist_sees_the_offers(
    client, nurse, cardiologist_nogaro
):
    send(nurse)
    client.force_login(cardiologist_nogaro)
    page = client.get(reverse("specialists:home")).content.decode()
    assert "Demandes à prendre en charge" in page and "Riscle" in page


# --- figures -------------------------------------------------------------------------------------


def _history(nurse, cardiologist, *, accept_after, answer_after, ago=timedelta(days=2)):
    start = timezone.now() - ago
    advice = send(nurse, now=start)
    services.accept_request(user=cardiologist, request_id=advice.pk, now=start + accept_after)
    if answer_after is not None:
        services.answer_request(
            user=cardiologist, request_id=advice.pk, answer="Avis.", now=start + answer_after
        )
    return advice


def test_the_ars_reads_median_delays_and_the_share_answered_within_3_hours(
    client, nurse, cardiologist_nogaro, ars_occitanie
):
    _history(nurse, cardiologist_nogaro, accept_after=timedelta(minutes=20), answer_after=timedelta(hours=2))
    _history(nurse, cardiologist_nogaro, accept_after=timedelta(minutes=40), answer_after=timedelta(hours=4))
    client.force_login(ars_occitanie)
    response = client.get(reverse("specialists:figures"))
    (row,) = response.context["figures"]["rows"]
    assert row["specialty"] == "Cardiologie et maladies vasculaires" and row["departement"] == "Gers (32)"
    assert row["count"] == 2
    assert row["median_accept_minutes"] == 30.0
    assert row["median_answer_minutes"] == 180.0
    assert row["share_within_3h"] == 50
    assert QUESTION not in response.content.decode()


def test_figures_stay_within_the_coordinators_territory(
    client, nurse, cardiologist_nogaro, ars_paca, occitanie
):
    _history(nurse, cardiologist_nogaro, accept_after=timedelta(minutes=20), answer_after=timedelta(hours=1))
    riscle_cpts = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="cpts.adour@exemple.fr")
    CoordinatorScope.objects.create(user=riscle_cpts, name="CPTS Adour").epcis.add(commune("32344").epci)
    toulouse_cpts = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="cpts.toulouse@exemple.fr")
    CoordinatorScope.objects.create(user=toulouse_cpts, name="CPTS Toulouse").communes.add(commune("31555"))
    for user, rows in [(riscle_cpts, 1), (toulouse_cpts, 0), (ars_paca, 0)]:
        client.force_login(user)
        assert len(client.get(reverse("specialists:figures")).context["figures"]["rows"]) == rows, user.email


def test_professionals_cannot_read_the_figures(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("specialists:figures")).status_code == 403
