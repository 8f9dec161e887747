import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_api_refuses_anonymous_callers_with_a_json_error():
    response = APIClient().get(reverse("api-me"))
    assert response.status_code in {401, 403}
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]


def test_a_logged_in_professional_gets_a_token_and_uses_it(nurse):
    session = APIClient()
    session.force_login(nurse)
    token = session.post(reverse("api-token")).json()["token"]

    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = by_token.get(reverse("api-me")).json()
    assert me == {"email": nurse.email, "role": "professional", "status": "active", "region": None}


def test_rotating_the_token_revokes_the_previous_one(nurse):
    session = APIClient()
    session.force_login(nurse)
    old = session.post(reverse("api-token")).json()["token"]
    session.post(reverse("api-token"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get(reverse("api-me")).status_code == 401


def test_an_ars_agent_without_totp_is_refused_by_the_api_too(occitanie):
    from accounts.models import Role
    from tests.factories import UserFactory

    agent = UserFactory(role=Role.ARS_STAFF, region_id="76")
    client = APIClient()
    client.force_login(agent)
    response = client.get(reverse("api-me"))
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_the_openapi_schema_is_served(nurse):
    client = APIClient()
    client.force_login(nurse)
    response = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/me/" in response.json()["paths"]
