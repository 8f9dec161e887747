"""Professionals of a small Gers built by the tests, and the observatory computed over them."""

import pytest

from professionals.models import Profession
from tests.factories import ProfessionalFactory, UserFactory

RISCLE = "32344"
AUCH = "32013"
TOULOUSE = "31555"


def gp(insee_code, **fields):
    return ProfessionalFactory(
        insee_code=insee_code,
        profession=Profession.MEDECIN,
        directory_profession_code="10",
        specialty_code="SM54",
        **fields,
    )


@pytest.fixture
def directory(occitanie):
    """Riscle: 2 GPs, 1 nurse, 1 cardiologist (not a GP), 1 GP who left the directory (not
    counted); Auch: 1 GP; Toulouse: 1 GP and 2 nurses."""
    from django.utils import timezone

    gps = [gp(RISCLE), gp(RISCLE), gp(AUCH), gp(TOULOUSE)]
    gp(RISCLE, left_directory_at=timezone.now())
    ProfessionalFactory(insee_code=RISCLE, profession=Profession.INFIRMIER)
    ProfessionalFactory(
        insee_code=RISCLE,
        profession=Profession.MEDECIN,
        directory_profession_code="10",
        specialty_code="SM04",
    )
    ProfessionalFactory(insee_code=TOULOUSE, profession=Profession.INFIRMIER)
    ProfessionalFactory(insee_code=TOULOUSE, profession=Profession.INFIRMIER)
    return gps


@pytest.fixture
def computed(directory):
    from observatory.services import compute_access

    return compute_access()


@pytest.fixture
def cpts_gers(occitanie):
    """A CPTS coordinator whose territory is Riscle's EPCI."""
    from notifications.models import CoordinatorScope
    from tests.factories import commune

    user = UserFactory(role="cpts_coordinator", region_id="76", email="cpts@adour.fr")
    scope = CoordinatorScope.objects.create(user=user, name="CPTS Adour")
    scope.epcis.add(commune(RISCLE).epci)
    return user


# A priority zone (Riscle's EPCI) with its solidarity consultations, shared with the dashboards' tests.
from tests.dashboards.conftest import zone_consultations  # noqa: E402, F401
