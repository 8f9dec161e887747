"""The API gives a professional the state of their requests, and the content to the two
participants only (logged), like the pages."""

import pytest
from rest_framework.test import APIClient

from specialists import services
from specialists.models import AccessLogEntry
from tests.specialists.conftest import QUESTION, send

pytestmark = pytest.mark.django_db

LIST = "/api/avis-specialise/demandes/"


def _client(user=None):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_a_requester_lists_their_requests_with_state_and_no_content(nurse, other_nurse, cardiologist_nogaro):
    advice = send(nurse)
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    (row,) = _client(nurse).get(LIST).json()["results"]
    assert row["id"] == advice.pk and row["status"] == "accepted"
    assert row["accepted_by_name"] == cardiologist_nogaro.professional.full_name
    assert "question" not in row
    assert _client(other_nurse).get(LIST).json()["results"] == []


def test_the_detail_gives_the_content_to_the_participants_only(
    nurse, other_nurse, cardiologist_nogaro, cardiologist_auch, ars_occitanie
):
    advice = send(nurse)
    url = f"{LIST}{advice.pk}/"
    offered = _client(cardiologist_nogaro).get(url)
    assert offered.status_code == 200 and "question" not in offered.json()
    services.accept_request(user=cardiologist_nogaro, request_id=advice.pk)
    services.answer_request(user=cardiologist_nogaro, request_id=advice.pk, answer="Avis favorable.")
    for user in (nurse, cardiologist_nogaro):
        data = _client(user).get(url).json()
        assert (data["question"], data["answer"], data["status"]) == (QUESTION, "Avis favorable.", "answered")
    assert AccessLogEntry.objects.count() == 2
    assert _client(other_nurse).get(url).status_code == 404
    assert _client(cardiologist_auch).get(url).status_code == 404
    assert _client(ars_occitanie).get(url).status_code == 403
    assert _client().get(url).status_code == 401
    assert AccessLogEntry.objects.count() == 2
