"""Every way into a session goes through the same login, failed-login limit and second factor
(issue 9, item 1): allauth's pages, the Django admin, the API token endpoint, the TOTP step."""

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccountStatus, Role
from tests.browser.helpers import current_totp
from tests.factories import PASSWORD, UserFactory, professional_user

pytestmark = pytest.mark.django_db

WRONG = "mauvais-mot-de-passe"
TOO_MANY = "Trop de tentatives"


def _log_in_with_password(client, user, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _strip_second_factor(client):
    """A session that has a logged-in user but never passed the TOTP step."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "password", "at": 0}]
    session.save()


# --- The Django admin has no door of its own ------------------------------------------------


def test_the_admin_login_page_sends_to_the_portal_login_and_back(client, administrator):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_posting_an_administrators_password_to_the_admin_login_opens_no_session(client, administrator):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": administrator.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not _is_logged_in(client)
    assert client.get("/admin/").status_code == 302


def test_the_admin_login_does_not_send_a_logged_in_non_administrator_round_in_circles(client, nurse):
    client.force_login(nurse)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_an_administrator_reaches_the_admin_only_after_the_totp_step(client, administrator):
    response = _log_in_with_password(client, administrator)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not _is_logged_in(client)
    assert client.get("/admin/").status_code == 302

    client.post(reverse("mfa_authenticate"), {"code": current_totp()})
    assert _is_logged_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_session_that_skipped_the_totp_step_is_asked_for_the_code_before_anything(client, administrator):
    client.force_login(administrator)
    _strip_second_factor(client)

    page = client.get(reverse("accounts:pending_accounts"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("mfa_reauthenticate"))
    assert client.get("/admin/").status_code == 302
    api = client.get(reverse("api-quota-policies"))
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_required"

    client.post(reverse("mfa_reauthenticate"), {"code": current_totp()})
    assert client.get(reverse("accounts:pending_accounts")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_staff_account_of_any_role_must_pass_the_second_factor_too(client, occitanie):
    staff = UserFactory(role=Role.PATIENT, is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_enrolling_totp_counts_as_passing_the_second_factor_for_this_session(
    client, occitanie, django_capture_on_commit_callbacks
):
    agent = UserFactory(role=Role.ARS_STAFF, region_id="76")
    _log_in_with_password(client, agent)
    assert client.get(reverse("distribution:ars_home"))["Location"] == reverse("mfa_activate_totp")

    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # allauth asks before enrolling
    activation = client.get(reverse("mfa_activate_totp"))
    secret = activation.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert client.get(reverse("distribution:ars_home")).status_code == 200


# --- The API token endpoint -------------------------------------------------------------------


def _token(client, **data):
    return client.post(reverse("api-token"), data, format="json")


def test_a_professional_gets_a_token_with_email_and_password(nurse):
    response = _token(APIClient(), email=nurse.email, password=PASSWORD)
    assert response.status_code == 201
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert by_token.get(reverse("api-me")).json()["email"] == nurse.email


def test_the_api_token_endpoint_refuses_a_wrong_password_with_a_json_error(nurse):
    response = _token(APIClient(), email=nurse.email, password=WRONG)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_the_api_gives_no_token_to_an_administrator_without_a_totp_code(administrator):
    response = _token(APIClient(), email=administrator.email, password=PASSWORD)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    wrong_code = _token(APIClient(), email=administrator.email, password=PASSWORD, totp_code="000000")
    assert wrong_code.status_code == 400
    good = _token(APIClient(), email=administrator.email, password=PASSWORD, totp_code=current_totp())
    assert good.status_code == 201


def test_the_api_gives_no_token_to_an_ars_agent_who_has_not_enrolled_totp(occitanie):
    agent = UserFactory(role=Role.ARS_STAFF, region_id="76")
    response = _token(APIClient(), email=agent.email, password=PASSWORD, totp_code="123456")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_the_api_token_endpoint_refuses_an_unverified_email_address(occitanie):
    from allauth.account.models import EmailAddress

    person = UserFactory(role=Role.PATIENT)
    EmailAddress.objects.filter(user=person).update(verified=False)
    response = _token(APIClient(), email=person.email, password=PASSWORD)
    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"


# --- Brute force: the same limit on every path --------------------------------------------------


def test_the_api_token_endpoint_is_limited_like_the_login_page(nurse):
    client = APIClient()
    for _ in range(5):
        assert _token(client, email=nurse.email, password=WRONG).status_code == 400
    limited = _token(client, email=nurse.email, password=PASSWORD)
    assert limited.status_code == 429
    assert limited.json()["code"] == "too_many_attempts"


def test_failures_at_the_api_count_against_the_login_page_and_back(client, nurse):
    api = APIClient()
    for _ in range(5):
        _token(api, email=nurse.email, password=WRONG)
    page = _log_in_with_password(client, nurse)
    assert TOO_MANY in page.content.decode()
    assert not _is_logged_in(client)


def test_failures_at_the_login_page_block_the_api_token_endpoint(client, nurse):
    for _ in range(5):
        _log_in_with_password(client, nurse, WRONG)
    assert _token(APIClient(), email=nurse.email, password=PASSWORD).status_code == 429


def test_the_admin_login_never_checks_a_password_so_it_cannot_be_brute_forced(client, administrator):
    for password in [WRONG] * 10 + [PASSWORD]:
        response = client.post("/admin/login/", {"username": administrator.email, "password": password})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not _is_logged_in(client)


def test_the_totp_step_is_limited_after_repeated_wrong_codes(client, administrator):
    _log_in_with_password(client, administrator)
    for _ in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert TOO_MANY not in response.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp()})
    assert TOO_MANY in response.content.decode()
    assert not _is_logged_in(client)


def test_the_totp_code_sent_to_the_api_is_limited_like_the_totp_step(administrator):
    client = APIClient()
    for _ in range(5):
        response = _token(client, email=administrator.email, password=PASSWORD, totp_code="000000")
        assert response.status_code == 400
    limited = _token(client, email=administrator.email, password=PASSWORD, totp_code=current_totp())
    assert limited.status_code == 429


# --- A TOTP code used twice (issue 10, item 17) ---------------------------------------------------


def test_reusing_a_totp_code_within_its_period_says_it_was_already_used(
    client, administrator, one_totp_period
):
    code = one_totp_period
    _log_in_with_password(client, administrator)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert _is_logged_in(client)
    client.post(reverse("account_logout"))

    _log_in_with_password(client, administrator)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    page = response.content.decode()
    assert "déjà été utilisé" in page
    assert "code suivant" in page
    assert "incorrect" not in page.lower()
    assert not _is_logged_in(client)


def test_a_wrong_totp_code_is_still_called_incorrect(client, administrator):
    _log_in_with_password(client, administrator)
    page = client.post(reverse("mfa_authenticate"), {"code": "000000"}).content.decode()
    assert "déjà été utilisé" not in page


def test_the_api_also_says_when_a_totp_code_was_already_used(administrator, one_totp_period):
    code = one_totp_period
    assert (
        _token(APIClient(), email=administrator.email, password=PASSWORD, totp_code=code).status_code == 201
    )
    again = _token(APIClient(), email=administrator.email, password=PASSWORD, totp_code=code)
    assert again.status_code == 400
    assert again.json()["code"] == "code_already_used"


# --- Pending and suspended accounts (issue 9, item 5) -----------------------------------------------


def test_a_pending_pharmacists_token_reads_its_status_but_not_the_quota_policies(riscle_pharmacy):
    from pharmacies.services import request_membership

    pending = UserFactory(role=Role.PHARMACIST, status=AccountStatus.PENDING)
    request_membership(user=pending, finess=riscle_pharmacy.finess)
    token = _token(APIClient(), email=pending.email, password=PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api-me")).json()["status"] == "pending"
    refused = client.get(reverse("api-quota-policies"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_pending"


def test_a_suspended_professional_sees_its_status_and_nothing_else(client, occitanie):
    suspended = professional_user(status=AccountStatus.SUSPENDED)
    client.force_login(suspended)
    status_page = client.get(reverse("accounts:landing"))
    assert status_page.status_code == 200
    assert "suspendu" in status_page.content.decode()
    refused = client.get(reverse("api-quota-policies"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_suspended"
    assert client.get(reverse("notifications:bulletins")).status_code == 403
    assert client.post(reverse("account_logout")).status_code == 302
    assert not _is_logged_in(client)


def test_a_session_that_skipped_the_totp_step_cannot_remove_the_totp_device(client, administrator):
    client.force_login(administrator)
    _strip_second_factor(client)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=administrator, type=Authenticator.Type.TOTP).exists()
