"""A small Occitanie built through the other apps' services: arrivals, handovers, referencing,
one priority zone with consultations. Tests compute their expected figures from it."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Role
from dashboards.services import week_start_of
from distribution import services as distribution
from distribution.quotas import ensure_default_quota_policies
from gomask.clock import PARIS
from pharmacies import services as pharmacies
from professionals.models import Profession, Referencing
from tests.dashboards import portable
from tests.factories import (
    PharmacyFactory,
    ProfessionalFactory,
    UserFactory,
    enrol_totp,
    pharmacist_of,
)

AUCH = "32013"
RISCLE = "32344"
TOULOUSE = "31555"


@dataclass
class World:
    riscle: object
    toulouse: object
    auch: object
    riscle_pharmacist: object
    toulouse_pharmacist: object
    nurse: object  # Professional, Riscle
    physio: object  # Professional, Riscle (6 a week)
    doctor: object  # Professional, Toulouse
    this_week: object
    last_week: object
    dispensations: list = field(default_factory=list)


def dispense(pharmacist, pharmacy, professional, quantity, *, when):
    return distribution.dispense(
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        professional_id=professional.pk,
        product_code="surgical",
        quantity=quantity,
        identity_checked=True,
        now=when,
    )


def arrive(pharmacist, pharmacy, quantity, *, source="national", product="surgical"):
    return pharmacies.declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code=product, quantity=quantity, source=source
    )


@pytest.fixture
def world(occitanie, products):
    """Riscle (32): 200 national + 50 donated surgical masks; Toulouse (31): 300 regional surgical,
    100 national FFP2; Auch (32): 20 surgical. Handovers: last week Riscle→nurse 10, Toulouse→doctor
    18; this week Riscle→nurse 8, Riscle→physio 6, Toulouse→nurse 5."""
    ensure_default_quota_policies()
    riscle = PharmacyFactory(insee_code=RISCLE, name="Pharmacie de l'Adour")
    toulouse = PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie du Capitole")
    auch = PharmacyFactory(insee_code=AUCH, name="Pharmacie de la Cathédrale")
    riscle_pharmacist = pharmacist_of(riscle)
    toulouse_pharmacist = pharmacist_of(toulouse)
    auch_pharmacist = pharmacist_of(auch)
    nurse = ProfessionalFactory(insee_code=RISCLE, profession=Profession.INFIRMIER)
    physio = ProfessionalFactory(insee_code=RISCLE, profession=Profession.MASSEUR_KINESITHERAPEUTE)
    doctor = ProfessionalFactory(insee_code=TOULOUSE, profession=Profession.MEDECIN)
    Referencing.objects.create(professional=nurse, pharmacy=riscle)
    Referencing.objects.create(professional=doctor, pharmacy=toulouse)
    arrive(riscle_pharmacist, riscle, 200)
    arrive(riscle_pharmacist, riscle, 50, source="company_donation")
    arrive(toulouse_pharmacist, toulouse, 300, source="regional")
    arrive(toulouse_pharmacist, toulouse, 100, product="ffp2")
    arrive(auch_pharmacist, auch, 20)
    now = timezone.now()
    this_week = week_start_of(now)
    # Wednesday noon of last week: safely inside it whatever the day the tests run.
    last_wednesday = datetime.combine(this_week - timedelta(days=5), time(12), tzinfo=PARIS)
    world = World(
        riscle,
        toulouse,
        auch,
        riscle_pharmacist,
        toulouse_pharmacist,
        nurse,
        physio,
        doctor,
        this_week,
        this_week - timedelta(days=7),
    )
    world.dispensations = [
        dispense(riscle_pharmacist, riscle, nurse, 10, when=last_wednesday),
        dispense(toulouse_pharmacist, toulouse, doctor, 18, when=last_wednesday),
        dispense(riscle_pharmacist, riscle, nurse, 8, when=now),
        dispense(riscle_pharmacist, riscle, physio, 6, when=now),
        dispense(toulouse_pharmacist, toulouse, nurse, 5, when=now),
    ]
    return world


@pytest.fixture
def exporting_ars(ars_occitanie):
    ars_occitanie.user_permissions.add(
        Permission.objects.get(content_type__app_label="dashboards", codename="export_dispensations")
    )
    return ars_occitanie


@pytest.fixture
def other_roles(occitanie):
    """One approved user of every role that must be refused, plus a pending ARS agent."""
    from accounts.models import AccountStatus
    from tests.factories import professional_user

    pharmacy = PharmacyFactory(insee_code=RISCLE)
    pending = UserFactory(role=Role.ARS_STAFF, region_id="76", status=AccountStatus.PENDING)
    enrol_totp(pending)
    return {
        "pharmacist": pharmacist_of(pharmacy),
        "professional": professional_user(),
        "patient": UserFactory(role=Role.PATIENT),
        "cpts_coordinator": UserFactory(role=Role.CPTS_COORDINATOR, region_id="76"),
        "pending_ars": pending,
    }


@pytest.fixture
def zone_consultations(occitanie, ars_occitanie):
    """A priority zone (Riscle's EPCI) with 4 published slots this week: 3 booked (1 attended and
    found a médecin traitant, 1 no-show, 1 booked), 2 of them by patients without a médecin traitant."""
    return portable.consultations_in_zone(created_by=ars_occitanie, now=timezone.now())
