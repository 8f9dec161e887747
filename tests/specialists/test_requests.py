"""Requests for advice: sent by first-line professionals, owned by the first specialist to accept,
widened when nobody does, encrypted at rest, read by the two participants only (logged), purged."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gomask.errors import InvalidInput, NotAllowed, NotFound
from notifications.models import Delivery
from professionals.models import Profession
from specialists import crypto, services
from specialists.models import AccessAction, AccessLogEntry, AdviceRequest, Attachment, RequestStatus
from tests.factories import professional_user
from tests.specialists.conftest import JPEG, PDF, PNG, QUESTION, send, specialist

pytestmark = pytest.mark.django_db


def pdf(name="bilan.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


# --- the directory ------------------------------------------------------------------------------


def test_a_specialist_opts_in_from_their_page_with_radius_and_commitment(client, occitanie):
    doctor = specialist("32296", "cardio@exemple.fr", opt_in=False)
    client.force_login(doctor)
    assert client.get(reverse("specialists:profile")).status_code == 200
    response = client.post(
        reverse("specialists:profile"), {"is_active": "on", "radius_km": "45", "response_hours": "24"}
    )
    assert response.status_code == 302
    profile = doctor.professional.specialist_profile
    assert (profile.specialty, profile.radius_km, profile.response_hours, profile.is_active) == (
        "SM04",
        45,
        24,
        True,
    )
    client.post(reverse("specialists:profile"), {"radius_km": "45", "response_hours": "24"})
    profile.refresh_from_db()
    assert profile.is_active is False


def test_a_general_practitioner_or_a_nurse_cannot_opt_in(client, nurse):
    gp = professional_user(profession=Profession.MEDECIN, email="generaliste@exemple.fr")
    for user in (gp, nurse):
        client.force_login(user)
        response = client.post(
            reverse("specialists:profile"), {"is_active": "on", "radius_km": "45", "response_hours": "24"}
        )
        assert response.status_code == 403
        with pytest.raises(NotAllowed):
            services.save_profile(user=user, is_active=True, radius_km=45, response_hours=24)


def test_an_out_of_range_radius_is_refused_next_to_the_field(client, occitanie):
    doctor = specialist("32296", "cardio@exemple.fr", opt_in=False)
    client.force_login(doctor)
    response = client.post(
        reverse("specialists:profile"), {"is_active": "on", "radius_km": "900", "response_hours": "24"}
    )
    assert response.status_code == 400
    assert (
        not hasattr(doctor.professional, "specialist_profile")
        or doctor.professional.specialist_profile is None
    )


# --- sending, accepting, answering ------------------------------------------------------------------


def test_a_nurse_sends_a_request_and_nearby_specialists_get_a_link_without_health_content(
    nurse, cardiologist_nogaro, cardiologist_toulouse
):
    advice = send(nurse, files=[pdf()])
    assert advice.status == RequestStatus.SENT and advice.radius_km == 30
    (mail,) = Delivery.objects.filter(kind="advice_request")
    assert mail.address == "cardio.nogaro@exemple.fr"
    assert reverse("specialists:request_detail", args=[advice.pk]) in mail.body
    assert "souffle" not in mail.body + mail.subject and "Cardiologie" not in mail.body + mail.subject


def test_the_first_specialist_accepts_then_answers_and_the_requester_reads_the_answer(
    client, nurse, cardiologist_nogaro
):
    advice = send(nurse)
    detail = reverse("specialists:request_detail", args=[advice.pk])
    client.force_login(cardiologist_nogaro)
    offered = client.get(detail).content.decode()
    assert "Accepter cette demande" in offered and "souffle" not in offered  # metadata only before accepting
    assert client.post(reverse("specialists:accept", args=[advice.pk])).status_code == 302
    assert "souffle systolique" in client.get(detail).content.decode()
    client.post(
        reverse("specialists:answer", args=[advice.pk]), {"answer": "Oui, échocardiographie sous 15 jours."}
    )

    client.force_login(nurse)
    page = client.get(detail).content.decode()
    assert "Oui, échocardiographie sous 15 jours." in page
    assert "répondue par le Dr" in page
    advice.refresh_from_db()
    assert advice.status == RequestStatus.ANSWERED and advice.accepted_by == cardiologist_nogaro.professional
    subjects = set(Delivery.objects.filter(kind="advice_answer").values_list("subject", flat=True))
    assert subjects == {"Votre demande d'avis a été acceptée", "Réponse à votre demande d'avis"}


def test_the_requester_sees_the_state_of_each_request_in_their_list(client, nurse, cardiologist_nogaro):
    advice = send(nurse)
    client.force_login(nurse)
    assert (
        "envoyée aux spécialistes à moins de 30 km"
        in client.get(reverse("specialists:home")).content.decode()
    )
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    assert "acceptée par le Dr" in client.get(reverse("specialists:home")).content.decode()


def test_a_second_specialist_cannot_accept_a_request_already_taken(
    nurse, cardiologist_nogaro, cardiologist_auch
):
    advice = send(nurse)
    AdviceRequest.objects.filter(pk=advice.pk).update(radius_km=60, circle=1)
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    with pytest.raises(services.RequestTaken):
        services.accept_request(user=cardiologist_auch, request_id=advice.pk)


def test_a_specialist_outside_the_circle_or_of_another_specialty_cannot_see_or_accept(
    client, nurse, cardiologist_toulouse, occitanie
):
    dermatologist = specialist("32296", "dermato@exemple.fr", specialty="SM15")
    advice = send(nurse)
    for user in (cardiologist_toulouse, dermatologist):
        client.force_login(user)
        assert client.get(reverse("specialists:request_detail", args=[advice.pk])).status_code == 404
        assert client.post(reverse("specialists:accept", args=[advice.pk])).status_code == 404
    assert AdviceRequest.objects.get(pk=advice.pk).status == RequestStatus.SENT


def test_a_pharmacist_professional_cannot_send_a_request(client, occitanie):
    pharmacist = professional_user(profession=Profession.PHARMACIEN, email="pharma.pro@exemple.fr")
    client.force_login(pharmacist)
    assert client.get(reverse("specialists:new_request")).status_code == 403
    with pytest.raises(NotAllowed):
        send(pharmacist)


def test_a_question_too_short_is_refused_and_nothing_is_written(client, nurse):
    client.force_login(nurse)
    response = client.post(
        reverse("specialists:new_request"), {"specialty": "SM04", "urgency": "day", "question": "aide"}
    )
    assert response.status_code == 400
    assert AdviceRequest.objects.count() == 0


# --- attachments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [("bilan.pdf", PDF), ("ecg.png", PNG), ("photo.JPG", JPEG), ("photo.jpeg", JPEG)],
)
def test_pdf_jpeg_and_png_attachments_are_accepted(nurse, cardiologist_nogaro, name, data):
    advice = send(nurse, files=[SimpleUploadedFile(name, data)])
    assert advice.attachments.count() == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bilan.pdf", b"MZ\x90\x00 an executable renamed"),  # the name says PDF, the content does not
        ("ecg.jpg", PNG),  # a PNG named .jpg
        ("notes.txt", b"%PDF-1.4 but named .txt"),
        ("script.html", b"<script>alert(1)</script>"),
    ],
)
def test_an_attachment_is_checked_by_its_content_not_only_its_name(
    client, nurse, cardiologist_nogaro, name, data
):
    client.force_login(nurse)
    response = client.post(
        reverse("specialists:new_request"),
        {
            "specialty": "SM04",
            "urgency": "day",
            "question": QUESTION,
            "attachments": [SimpleUploadedFile(name, data)],
        },
    )
    assert response.status_code == 400
    assert f"« {name} » n&#x27;est pas un fichier PDF, JPEG ou PNG" in response.content.decode()
    assert AdviceRequest.objects.count() == 0 and Attachment.objects.count() == 0


@override_settings(SPECIALISTS_ATTACHMENT_MAX_BYTES=1024)
def test_an_attachment_over_the_size_limit_is_refused(client, nurse):
    client.force_login(nurse)
    big = SimpleUploadedFile("scanner.pdf", PDF + b"0" * 2000)
    response = client.post(
        reverse("specialists:new_request"),
        {"specialty": "SM04", "urgency": "day", "question": QUESTION, "attachments": [big]},
    )
    assert response.status_code == 400
    assert "dépasse la taille autorisée" in response.content.decode()
    assert AdviceRequest.objects.count() == 0


def test_more_than_three_attachments_are_refused(nurse):
    with pytest.raises(InvalidInput) as error:
        send(nurse, files=[pdf(f"bilan{i}.pdf") for i in range(4)])
    assert error.value.code == "attachment_count"
    assert AdviceRequest.objects.count() == 0


def test_the_attachment_is_downloaded_by_the_participants_with_its_name_and_type(
    client, nurse, cardiologist_nogaro
):
    advice = send(nurse, files=[pdf("bilan sanguin.pdf")])
    attachment = advice.attachments.get()
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    url = reverse("specialists:attachment", args=[advice.pk, attachment.pk])
    for user in (nurse, cardiologist_nogaro):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "bilan%20sanguin.pdf" in response["Content-Disposition"]


# --- confidentiality -------------------------------------------------------------------------------


def test_the_database_holds_no_plaintext_of_question_answer_or_attachment(nurse, cardiologist_nogaro):
    advice = send(nurse, files=[pdf("compte-rendu-dupont.pdf")])
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    services.answer_request(user=cardiologist_nogaro, request_id=advice.pk, answer="Adressez en urgence.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT question_token, answer_token FROM specialists_advicerequest WHERE id = %s", [advice.pk]
        )
        question, answer = cursor.fetchone()
        cursor.execute(
            "SELECT name_token, data_token FROM specialists_attachment WHERE request_id = %s", [advice.pk]
        )
        name, data = cursor.fetchone()
    assert "souffle" not in question and "urgence" not in answer and "dupont" not in name
    assert b"%PDF" not in bytes(data) and b"Catalog" not in bytes(data)
    assert crypto.decrypt_text(question) == QUESTION


def test_every_read_of_the_content_is_logged_with_who_and_what(client, nurse, cardiologist_nogaro):
    advice = send(nurse, files=[pdf()])
    attachment = advice.attachments.get()
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    client.force_login(cardiologist_nogaro)
    client.get(reverse("specialists:request_detail", args=[advice.pk]))
    client.get(reverse("specialists:attachment", args=[advice.pk, attachment.pk]))
    client.force_login(nurse)
    client.get(reverse("specialists:request_detail", args=[advice.pk]))
    log = list(
        AccessLogEntry.objects.order_by("at", "pk").values_list("user__email", "action", "attachment_id")
    )
    assert log == [
        ("cardio.nogaro@exemple.fr", AccessAction.READ_REQUEST, None),
        ("cardio.nogaro@exemple.fr", AccessAction.READ_ATTACHMENT, attachment.pk),
        ("infirmiere.riscle@exemple.fr", AccessAction.READ_REQUEST, None),
    ]


def test_a_specialist_only_offered_the_request_reads_no_content_and_leaves_no_log(
    client, nurse, cardiologist_nogaro
):
    advice = send(nurse)
    client.force_login(cardiologist_nogaro)
    client.get(reverse("specialists:request_detail", args=[advice.pk]))
    assert AccessLogEntry.objects.count() == 0


def test_key_rotation_reencrypts_with_the_new_key(nurse, cardiologist_nogaro, settings):
    advice = send(nurse, files=[pdf()])
    old_key = settings.SPECIALISTS_ENCRYPTION_KEY
    new_key = Fernet.generate_key().decode()
    settings.SPECIALISTS_ENCRYPTION_KEY, settings.SPECIALISTS_ENCRYPTION_OLD_KEYS = new_key, [old_key]
    assert services.rotate_encryption() == 1
    settings.SPECIALISTS_ENCRYPTION_OLD_KEYS = []
    advice.refresh_from_db()
    assert crypto.decrypt_text(advice.question_token) == QUESTION
    assert crypto.decrypt_bytes(advice.attachments.get().data_token) == PDF


# --- widening, expiry, purge -----------------------------------------------------------------------


def test_without_acceptance_the_request_widens_circle_by_circle_then_expires(
    nurse, cardiologist_auch, settings
):
    settings.SPECIALISTS_WIDEN_AFTER_MINUTES = 60
    start = timezone.now() - timedelta(hours=5)
    advice = send(nurse, now=start)
    assert not Delivery.objects.filter(kind="advice_request").exists()  # nobody within 30 km

    assert services.widen_due_requests(now=start + timedelta(minutes=30)) == 0  # not yet due
    assert services.widen_due_requests(now=start + timedelta(minutes=61)) == 1
    advice.refresh_from_db()
    assert (advice.circle, advice.radius_km) == (1, 60)
    assert list(Delivery.objects.filter(kind="advice_request").values_list("address", flat=True)) == [
        "cardio.auch@exemple.fr"
    ]

    services.widen_due_requests(now=start + timedelta(minutes=122))
    advice.refresh_from_db()
    assert (advice.circle, advice.radius_km) == (2, 120)
    assert Delivery.objects.filter(kind="advice_request").count() == 1  # Auch is not mailed twice

    services.widen_due_requests(now=start + timedelta(minutes=183))
    advice.refresh_from_db()
    assert advice.status == RequestStatus.EXPIRED
    assert Delivery.objects.filter(kind="advice_answer", address="infirmiere.riscle@exemple.fr").exists()


def test_an_accepted_request_does_not_widen(nurse, cardiologist_nogaro):
    start = timezone.now() - timedelta(hours=5)
    advice = send(nurse, now=start)
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    assert services.widen_due_requests(now=start + timedelta(hours=3)) == 0
    advice.refresh_from_db()
    assert (advice.status, advice.circle) == (RequestStatus.ACCEPTED, 0)


def test_the_retention_purge_deletes_content_and_keeps_metadata_for_figures(
    client, nurse, cardiologist_nogaro, settings
):
    settings.SPECIALISTS_RETENTION_DAYS = 30
    old = send(nurse, files=[pdf()], now=timezone.now() - timedelta(days=31))
    services.accept_request(user=cardiologist_nogaro, request_id=old.pk)
    services.answer_request(user=cardiologist_nogaro, request_id=old.pk, answer="Avis donné.")
    recent = send(nurse, files=[pdf()])
    assert services.purge_content() == 1
    old.refresh_from_db()
    assert old.question_token == "" and old.answer_token == "" and old.content_purged_at is not None
    assert old.status == RequestStatus.ANSWERED and old.answered_at is not None
    assert not old.attachments.exists() and recent.attachments.exists()
    client.force_login(nurse)
    assert "a été effacé" in client.get(reverse("specialists:request_detail", args=[old.pk])).content.decode()
    assert services.purge_content() == 0


def test_a_suspended_requester_cannot_send(nurse):
    professional = nurse.professional
    professional.left_directory_at = timezone.now()
    professional.save()
    with pytest.raises(NotAllowed):
        send(nurse)


def test_a_missing_request_is_not_found(nurse):
    with pytest.raises(NotFound):
        services.request_for(user=nurse, request_id=987654)
