"""Menus never disagree with permissions: every entry a role sees opens for that role."""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.navigation import NAV_BY_ROLE, PUBLIC_NAV
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpts_coordinator(occitanie):
    from notifications.models import CoordinatorScope
    from territories.models import Commune

    user = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="coordination@cpts.fr")
    scope = CoordinatorScope.objects.create(user=user, name="CPTS Adour-Armagnac")
    scope.epcis.add(Commune.objects.get(pk="32344").epci)
    return user


@pytest.fixture
def patient(occitanie):
    return UserFactory(role=Role.PATIENT)


PERSONA_BY_ROLE = {
    Role.PHARMACIST: "riscle_pharmacist",
    Role.PROFESSIONAL: "nurse",
    Role.ARS_STAFF: "ars_occitanie",
    Role.CPTS_COORDINATOR: "cpts_coordinator",
    Role.PATIENT: "patient",
    Role.ADMIN: "administrator",
}


@pytest.fixture
def doctor(occitanie):
    from professionals.models import Profession
    from tests.factories import professional_user

    return professional_user(profession=Profession.MEDECIN, email="medecin@exemple.fr")


@pytest.mark.parametrize(
    ("role", "url_name"),
    [(role, entry[1]) for role, entries in NAV_BY_ROLE.items() for entry in entries],
)
def test_every_menu_entry_opens_for_its_role(client, request, role, url_name):
    user = request.getfixturevalue(PERSONA_BY_ROLE[role])
    if role == Role.PROFESSIONAL and url_name == "consultations:volunteer_home":
        user = request.getfixturevalue("doctor")
    client.force_login(user)
    response = client.get(reverse(url_name), follow=True)
    assert response.status_code == 200, f"{role} cannot open its menu entry {url_name}"


def test_the_menu_shows_each_entry_only_to_whom_it_opens(client, request):
    nurse = request.getfixturevalue("nurse")
    doctor = request.getfixturevalue("doctor")
    volunteer_url = reverse("consultations:volunteer_home")
    client.force_login(nurse)
    assert volunteer_url not in client.get(reverse("professionals:home")).content.decode()
    client.force_login(doctor)
    assert volunteer_url in client.get(reverse("professionals:home")).content.decode()


def test_every_role_has_a_landing_page_that_opens(client, request):
    for role, persona in PERSONA_BY_ROLE.items():
        client.force_login(request.getfixturevalue(persona))
        response = client.get(reverse("accounts:landing"), follow=True)
        assert response.status_code == 200, role


@pytest.mark.parametrize("url_name", [entry[1] for entry in PUBLIC_NAV])
def test_public_menu_entries_open_for_anonymous_visitors(client, occitanie, url_name):
    assert client.get(reverse(url_name)).status_code == 200


def test_only_the_most_specific_menu_entry_is_marked_current(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("distribution:find_masks"))
    current = [item["label"] for item in response.context["nav_items"] if item["active"]]
    assert current == ["Trouver des masques"]
