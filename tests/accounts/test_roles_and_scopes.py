import pytest
from django.urls import reverse

from accounts.models import AccountStatus, Role
from accounts.permissions import ensure_region_scope
from gomask.errors import NotAllowed
from pharmacies.models import MembershipStatus
from pharmacies.selectors import pharmacy_for_member
from pharmacies.services import approve_membership, request_membership
from tests.factories import PASSWORD, UserFactory, professional_user

pytestmark = pytest.mark.django_db


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("riscle_pharmacist", "pharmacies:home"),
        ("nurse", "professionals:home"),
        ("ars_occitanie", "distribution:ars_home"),
        ("administrator", "accounts:pending_accounts"),
    ],
)
def test_each_role_lands_on_its_own_home_page(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    response = _client_for(client, user).get(reverse("accounts:landing"))
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("persona", "forbidden_page"),
    [
        ("riscle_pharmacist", "professionals:home"),
        ("riscle_pharmacist", "distribution:ars_home"),
        ("nurse", "pharmacies:home"),
        ("nurse", "distribution:ars_home"),
        ("ars_occitanie", "pharmacies:home"),
        ("ars_occitanie", "accounts:pending_accounts"),
    ],
)
def test_other_roles_are_refused_with_403(client, request, persona, forbidden_page):
    user = request.getfixturevalue(persona)
    response = _client_for(client, user).get(reverse(forbidden_page))
    assert response.status_code == 403
    assert "accès" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, occitanie):
    response = client.get(reverse("pharmacies:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_pending_professional_can_log_in_but_cannot_act(client, occitanie):
    pending = professional_user(status=AccountStatus.PENDING)
    _client_for(client, pending)
    landing = client.get(reverse("accounts:landing"))
    assert landing.status_code == 200
    assert "en attente de validation" in landing.content.decode()
    refused = client.get(reverse("professionals:home"))
    assert refused.status_code == 403
    assert "en attente de validation" in refused.content.decode()


def test_a_pharmacist_cannot_act_for_another_pharmacy(riscle_pharmacist, toulouse_pharmacy, riscle_pharmacy):
    assert pharmacy_for_member(riscle_pharmacist, riscle_pharmacy.pk) == riscle_pharmacy
    with pytest.raises(NotAllowed):
        pharmacy_for_member(riscle_pharmacist, toulouse_pharmacy.pk)


def test_only_the_owner_of_the_pharmacy_can_approve_its_staff(
    riscle_pharmacist, toulouse_pharmacist, riscle_pharmacy
):
    newcomer = UserFactory(role=Role.PHARMACIST, status=AccountStatus.PENDING)
    membership = request_membership(user=newcomer, finess=riscle_pharmacy.finess)
    with pytest.raises(NotAllowed):
        approve_membership(approver=toulouse_pharmacist, membership_id=membership.pk)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PENDING

    approve_membership(approver=riscle_pharmacist, membership_id=membership.pk)
    membership.refresh_from_db()
    newcomer.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert newcomer.status == AccountStatus.ACTIVE
    assert newcomer.approved_by == riscle_pharmacist


def test_an_ars_agent_acts_only_in_their_region(ars_occitanie, ars_paca, administrator):
    ensure_region_scope(ars_occitanie, "76")
    ensure_region_scope(administrator, "76")
    with pytest.raises(NotAllowed):
        ensure_region_scope(ars_paca, "76")


def test_an_administrator_validates_a_pending_account_and_the_person_is_told(
    client, administrator, occitanie, mailoutbox, django_capture_on_commit_callbacks
):
    pending = professional_user(status=AccountStatus.PENDING)
    client.force_login(administrator)
    listing = client.get(reverse("accounts:pending_accounts"))
    assert pending.email in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:approve_account", args=[pending.pk]), follow=True)
    assert [message.to for message in mailoutbox] == [[pending.email]]
    assert "votre compte est validé" in mailoutbox[0].subject
    assert "est validé" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == AccountStatus.ACTIVE


def test_an_ars_agent_without_totp_must_enrol_before_using_the_portal(client, occitanie):
    agent = UserFactory(role=Role.ARS_STAFF, region_id="76")
    client.force_login(agent)
    response = client.get(reverse("distribution:ars_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_login_is_rate_limited_after_repeated_failures(client, nurse):
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": nurse.email, "password": "mauvais-mot-de-passe"})
        assert "Trop de tentatives" not in response.content.decode()
    # From the sixth try on, even the right password is refused while the limit holds.
    response = client.post(url, {"login": nurse.email, "password": PASSWORD})
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
