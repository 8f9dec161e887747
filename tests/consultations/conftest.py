"""Consultations personas: the Riscle priority zone and site, a volunteer doctor with a
published mission, a patient of the zone without a médecin traitant."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from consultations import services
from consultations.models import Availability, Mission, PriorityZone, Site, SiteKind, Volunteer
from gomask.celery import app as celery_app
from professionals.models import Profession
from tests.factories import commune, professional_user

RISCLE = "32344"
MARCIAC = "32233"
TOULOUSE = "31555"


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process right after commit, as with CELERY_TASK_ALWAYS_EAGER."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


def make_zone(insee_code: str) -> PriorityZone:
    member = commune(insee_code)
    zone, _ = PriorityZone.objects.get_or_create(
        epci_id=member.epci_id, defaults={"region_id": member.region_id, "designated_at": date(2025, 10, 1)}
    )
    return zone


def make_site(insee_code: str, name: str, kind=SiteKind.CABINET) -> Site:
    place = commune(insee_code)
    return Site.objects.create(
        name=name,
        kind=kind,
        zone=make_zone(insee_code),
        address="1 place de la Mairie",
        commune=place,
        latitude=place.latitude,
        longitude=place.longitude,
        equipment="Table d'examen, ECG",
        lodging_options="Gîte communal",
    )


@pytest.fixture
def riscle_site(occitanie):
    return make_site(RISCLE, "Cabinet médical de Riscle")


@pytest.fixture
def marciac_site(occitanie):
    return make_site(MARCIAC, "Cabinet médical de Marciac")


def make_doctor(email: str, **fields):
    return professional_user(profession=Profession.MEDECIN, email=email, **fields)


@pytest.fixture
def doctor(occitanie):
    return make_doctor("medecin.solidaire@exemple.fr", first_name="Marc", last_name="Daguzan")


def make_volunteer(user, *sites: Site, days: int = 60) -> Volunteer:
    volunteer = Volunteer.objects.create(professional=user.professional, max_days_per_month=2)
    volunteer.sites.set(sites)
    today = timezone.localdate()
    Availability.objects.create(volunteer=volunteer, start_date=today, end_date=today + timedelta(days=days))
    return volunteer


@pytest.fixture
def volunteer(doctor, riscle_site):
    return make_volunteer(doctor, riscle_site)


def publish(mission: Mission, user, *, open_to_all: bool = True, day_start=time(9, 0), day_end=time(13, 0)):
    """Publish 20-minute slots; open_to_all puts the priority window in the past."""
    now = timezone.now() - timedelta(hours=49) if open_to_all else timezone.now()
    services.publish_slots(user=user, mission_id=mission.pk, day_start=day_start, day_end=day_end, now=now)
    mission.refresh_from_db()
    return mission


def make_mission(volunteer, site, creator, *, days_ahead: int = 2, length: int = 1) -> Mission:
    start = timezone.localdate() + timedelta(days=days_ahead)
    return services.create_mission(
        user=creator,
        volunteer_id=volunteer.pk,
        site_id=site.pk,
        start_date=start,
        end_date=start + timedelta(days=length - 1),
    )


@pytest.fixture
def mission(volunteer, riscle_site, ars_occitanie):
    return publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie)


@pytest.fixture
def slots(mission):
    return list(mission.slots.order_by("starts_at"))


def patient(**overrides) -> dict:
    """A resident of Riscle without a médecin traitant, as book_slot takes it."""
    data = {
        "first_name": "Jeanne",
        "last_name": "Lacoste",
        "birth_date": date(1950, 3, 14),
        "phone": "06 11 22 33 44",
        "email": "jeanne.lacoste@exemple.fr",
        "commune_code": RISCLE,
        "has_regular_doctor": False,
    }
    data.update(overrides)
    return data


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service and run its on-commit side effects (tasks, e-mails) right away."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def booking_form(**overrides) -> dict:
    """The booking page's fields as the same patient types them (postal code, spaced phone)."""
    data = {
        "commune": "Riscle",
        "has_regular_doctor": "non",
        "first_name": "Jeanne",
        "last_name": "Lacoste",
        "birth_date": "1950-03-14",
        "phone": "06 11 22 33 44",
        "email": "jeanne.lacoste@exemple.fr",
    }
    data.update(overrides)
    return data
