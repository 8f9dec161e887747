"""Who changed what and when: users (role, status), pharmacies, professionals, priority zones,
sites and quota policies keep a history, shown in the admin."""

import pytest
from django.urls import reverse

from accounts.models import AccountStatus, Role, User
from audit.models import TRACKED
from pharmacies.models import Pharmacy
from tests.factories import PASSWORD, UserFactory, professional_user

pytestmark = pytest.mark.django_db


def user_history(user):
    return list(user.history.order_by("history_date"))


def test_an_administrator_validating_an_account_is_recorded_as_the_author(client, administrator):
    pending = professional_user(status=AccountStatus.PENDING)
    client.force_login(administrator)

    client.post(reverse("accounts:approve_account", args=[pending.pk]))

    latest = user_history(pending)[-1]
    assert latest.status == AccountStatus.ACTIVE
    assert latest.history_user == administrator
    assert latest.history_type == "~"
    assert latest.prev_record.status == AccountStatus.PENDING


def test_a_role_changed_in_the_admin_is_in_the_users_history_page(client, administrator, occitanie):
    agent = UserFactory(role=Role.PATIENT, email="futur.agent@exemple.fr")
    client.force_login(administrator)
    form = {
        "email": agent.email,
        "first_name": "Paul",
        "last_name": "Agent",
        "phone": "",
        "role": Role.ARS_STAFF,
        "status": AccountStatus.ACTIVE,
        "region": "76",
        "is_active": "on",
    }

    response = client.post(reverse("admin:accounts_user_change", args=[agent.pk]), form)

    assert response.status_code == 302, response.content.decode()[:2000]
    latest = user_history(agent)[-1]
    assert (latest.role, latest.region_id, latest.history_user) == (Role.ARS_STAFF, "76", administrator)
    page = client.get(reverse("admin:accounts_user_history", args=[agent.pk])).content.decode()
    assert administrator.email in page
    assert "Rôle" in page or "rôle" in page


def test_the_history_keeps_no_password_hash_and_a_login_adds_no_entry(client, nurse):
    assert "password" not in {field.name for field in User.history.model._meta.get_fields()}
    before = len(user_history(nurse))

    client.post(reverse("account_login"), {"login": nurse.email, "password": PASSWORD})
    nurse.refresh_from_db()

    assert nurse.last_login is not None
    assert len(user_history(nurse)) == before


def test_a_pharmacy_edited_in_code_records_the_change_and_the_old_value_stays(riscle_pharmacy):
    riscle_pharmacy.name = "Pharmacie du Pont"
    riscle_pharmacy.save()

    names = [entry.name for entry in Pharmacy.history.filter(id=riscle_pharmacy.pk).order_by("history_date")]
    assert names == ["Pharmacie de l'Adour", "Pharmacie du Pont"]


@pytest.fixture
def one_of_each(administrator, riscle_pharmacy, nurse, products):
    from distribution.models import QuotaPolicy
    from distribution.quotas import ensure_default_quota_policies
    from tests.consultations.conftest import make_site, make_zone

    ensure_default_quota_policies()
    return {
        "accounts.User": administrator,
        "pharmacies.Pharmacy": riscle_pharmacy,
        "professionals.Professional": nurse.professional,
        "consultations.PriorityZone": make_zone("32344"),
        "consultations.Site": make_site("32344", "Maison de santé de Riscle"),
        "distribution.QuotaPolicy": QuotaPolicy.objects.first(),
    }


@pytest.mark.parametrize("model", list(TRACKED), ids=lambda model: model._meta.label)
def test_every_tracked_record_has_a_history_page_in_the_admin(client, administrator, one_of_each, model):
    record = one_of_each[model._meta.label]
    record.save()  # an edit (records made by bulk inserts have no history yet)
    client.force_login(administrator)

    response = client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[record.pk])
    )

    assert response.status_code == 200
    assert model.history.filter(id=record.pk).exists()
