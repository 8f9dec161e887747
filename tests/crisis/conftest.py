"""Personas of the crisis console: the CPTS Adour-Armagnac (Riscle's EPCI, Gers) and its
coordinator, another CPTS (Toulouse), professionals in Riscle and Toulouse."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from crisis import services
from notifications import sms
from professionals.models import Profession
from tests.factories import coordinator_of, professional_user

RISCLE, TOULOUSE = "32344", "31555"


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    settings.CRISIS_REINFORCEMENT_RADII_KM = [10, 25, 50]
    settings.CRISIS_ESCALATION_MINUTES = 15
    mail.outbox = []
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def cpts_toulouse(occitanie):
    return coordinator_of(TOULOUSE, email="coordination@cpts-toulouse.fr", name="CPTS Toulouse Centre")


@pytest.fixture
def cpts_paca(occitanie):
    return coordinator_of("00000", email="coordination@cpts-nice.fr", name="CPTS Nice", region_id="93")


@pytest.fixture
def riscle_nurse(occitanie):
    return professional_user(email="infirmiere.riscle@exemple.fr", insee_code=RISCLE, first_name="Claire")


@pytest.fixture
def riscle_doctor(occitanie):
    return professional_user(
        profession=Profession.MEDECIN, email="medecin.riscle@exemple.fr", insee_code=RISCLE, first_name="Paul"
    )


@pytest.fixture
def toulouse_nurse(occitanie):
    return professional_user(email="infirmier.toulouse@exemple.fr", insee_code=TOULOUSE)


def activate(actor, **fields):
    values = {"level": 2, "track": "clim", "summary": "Canicule : renfort des soins à domicile."}
    values.update(fields)
    return services.activate(actor=actor, **values)


def window(hours_from_now: float = 1, length: float = 4):
    start = timezone.now() + timedelta(hours=hours_from_now)
    return start, start + timedelta(hours=length)


def available(user, activation, *, commune=None, hours=(0, 12), skills="vaccination"):
    start = timezone.now() + timedelta(hours=hours[0])
    return services.declare_availability(
        user=user,
        activation_id=activation.pk,
        starts_at=start,
        ends_at=start + timedelta(hours=hours[1]),
        commune=commune,
        skills=skills,
    )


@pytest.fixture
def site_manager(occitanie):
    """The doctor named manager of the Riscle care site (any approved account may be one)."""
    return professional_user(
        profession=Profession.MEDECIN, email="direction@centre-riscle.fr", insee_code=RISCLE
    )


@pytest.fixture
def riscle_site(site_manager):
    from tests.referrals.conftest import make_site

    return make_site(RISCLE, name="Centre de consultation de Riscle", manager=site_manager)
