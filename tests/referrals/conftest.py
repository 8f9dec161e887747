"""Personas of the care-site tests: a CPTS coordinator in the Gers (Riscle's EPCI), one in
Toulouse, a doctor managing the Riscle centre, another managing a Toulouse centre."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from distribution.models import CareSite, CareSiteKind
from notifications.models import CoordinatorScope
from professionals.models import Profession
from referrals.models import SiteState, SiteStatus, StatusReport
from territories.models import Commune
from tests.factories import UserFactory, professional_user

RISCLE, TOULOUSE, AUCH = "32344", "31555", "32013"


def make_site(
    insee_code, *, name, manager=None, kind=CareSiteKind.COVID_CENTRE, email="accueil@centre.fr", **extra
):
    commune = Commune.objects.get(pk=insee_code)
    return CareSite.objects.create(
        kind=kind,
        name=name,
        commune=commune,
        region_id=commune.region_id,
        latitude=commune.latitude,
        longitude=commune.longitude,
        manager=manager,
        email=email,
        **extra,
    )


def set_status(
    site, *, state=SiteState.OPEN, accepts=True, covid=True, non_covid=False, capacity=10, at=None
):
    values = {
        "state": state,
        "accepts_referrals": accepts,
        "covid_track": covid,
        "non_covid_track": non_covid,
        "capacity_left": capacity,
        "declared_at": at or timezone.now(),
    }
    StatusReport.objects.create(site=site, **values)
    SiteStatus.objects.update_or_create(site=site, defaults=values)
    return site


@pytest.fixture
def cpts_gers(occitanie):
    user = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="coordination@cpts-adour.fr")
    scope = CoordinatorScope.objects.create(user=user, name="CPTS Adour-Armagnac")
    scope.epcis.add(Commune.objects.get(pk=RISCLE).epci)
    return user


@pytest.fixture
def cpts_toulouse(occitanie):
    user = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="coordination@cpts-toulouse.fr")
    scope = CoordinatorScope.objects.create(user=user, name="CPTS Toulouse Centre")
    scope.epcis.add(Commune.objects.get(pk=TOULOUSE).epci)
    return user


@pytest.fixture
def manager(occitanie):
    return professional_user(
        profession=Profession.MEDECIN, email="dr.lacoste@exemple.fr", first_name="Marc", last_name="Lacoste"
    )


@pytest.fixture
def other_manager(occitanie):
    return professional_user(
        profession=Profession.MEDECIN, insee_code=TOULOUSE, email="dr.toulouse@exemple.fr", last_name="Roux"
    )


@pytest.fixture
def riscle_site(manager):
    return make_site(RISCLE, name="Centre COVID de Riscle", manager=manager, phone="+33562690101")


@pytest.fixture
def toulouse_site(other_manager):
    return make_site(TOULOUSE, name="Centre COVID de Toulouse Purpan", manager=other_manager)


@pytest.fixture
def hours_ago():
    return lambda hours: timezone.now() - timedelta(hours=hours)
