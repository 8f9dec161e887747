"""The same small Occitanie on either database the portal supports, and what the dashboard shows.

`make run` uses SQLite, `make test` PostgreSQL: a dashboard that reads raw SQL can differ
between them (types a cursor returns, date arithmetic). `snapshot()` gives every panel's rows
for a set of filters in a database-neutral form; the test compares PostgreSQL's with the one
this module prints when run as a script on a scratch SQLite database:

    GOMASK_ENV=development DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m tests.dashboards.portable
"""

import json
import os
import sys
from datetime import date, datetime, time, timedelta

# Rows carry database ids that differ from one database to the other.
UNPORTABLE_KEYS = {"pharmacy_id"}


def build_scenario(now: datetime) -> None:
    """Riscle (32) and Toulouse (31) pharmacies with arrivals and handovers this week and last
    week, one in Auch (32) sold out, then the roll-ups refreshed."""
    from accounts.models import Role, User
    from dashboards.services import refresh_rollups
    from distribution import services as distribution
    from distribution.quotas import ensure_default_quota_policies
    from gomask.clock import PARIS
    from gomask.clock import week_start as week_start_of
    from gomask.identifiers import make_finess
    from pharmacies import services as pharmacies
    from pharmacies.catalogue import ensure_products
    from professionals.models import Profession, Referencing
    from tests.factories import PharmacyFactory, ProfessionalFactory, pharmacist_of

    ensure_products()
    ensure_default_quota_policies()
    places = {"riscle": "32344", "toulouse": "31555", "auch": "32013"}
    shops, staff = {}, {}
    for serial, (key, insee) in enumerate(places.items(), start=7100):
        shops[key] = PharmacyFactory(
            insee_code=insee, name=f"Pharmacie {key}", finess=make_finess(insee[:2], serial)
        )
        staff[key] = pharmacist_of(shops[key], email=f"{key}@portable.example")
    nurse = ProfessionalFactory(insee_code=places["riscle"], profession=Profession.INFIRMIER)
    doctor = ProfessionalFactory(insee_code=places["toulouse"], profession=Profession.MEDECIN)
    midwife = ProfessionalFactory(insee_code=places["auch"], profession=Profession.SAGE_FEMME)
    Referencing.objects.create(professional=nurse, pharmacy=shops["riscle"])
    Referencing.objects.create(professional=doctor, pharmacy=shops["toulouse"])
    for key, quantity, source, product in [
        ("riscle", 200, "national", "surgical"),
        ("riscle", 50, "company_donation", "surgical"),
        ("toulouse", 300, "regional", "surgical"),
        ("toulouse", 100, "national", "ffp2"),
        ("auch", 4, "national", "surgical"),
    ]:
        pharmacies.declare_arrival(
            actor=staff[key],
            pharmacy_id=shops[key].pk,
            product_code=product,
            quantity=quantity,
            source=source,
        )
    last_wednesday = datetime.combine(week_start_of(now) - timedelta(days=5), time(12), tzinfo=PARIS)
    for key, professional, quantity, when in [
        ("riscle", nurse, 10, last_wednesday),
        ("toulouse", doctor, 18, last_wednesday),
        ("auch", midwife, 4, last_wednesday),
        ("riscle", nurse, 8, now),
        ("toulouse", nurse, 5, now),
    ]:
        distribution.dispense(
            actor=staff[key],
            pharmacy_id=shops[key].pk,
            professional_id=professional.pk,
            product_code="surgical",
            quantity=quantity,
            identity_checked=True,
            now=when,
        )
    agent = User.objects.create(email="ars@portable.example", role=Role.ARS_STAFF, region_id="76")
    consultations_in_zone(created_by=agent, now=now)
    refresh_rollups(now=now)


def consultations_in_zone(*, created_by, now: datetime):
    """A priority zone (Riscle's EPCI) with 4 published slots this week: 3 booked (1 attended and
    found a médecin traitant, 1 no-show, 1 booked) and 1 cancelled; 3 of the 4 patients have no
    médecin traitant."""
    from consultations.models import (
        Booking,
        BookingStatus,
        Mission,
        MissionStatus,
        PriorityZone,
        Site,
        Slot,
        Volunteer,
    )
    from gomask.clock import PARIS
    from gomask.clock import week_start as week_start_of
    from professionals.models import Profession
    from tests.factories import ProfessionalFactory, commune

    riscle = commune("32344")
    today = now.astimezone(PARIS).date()
    zone = PriorityZone.objects.create(epci=riscle.epci, region_id="76", designated_at=today)
    site = Site.objects.create(
        name="Cabinet médical de Riscle",
        kind="cabinet",
        zone=zone,
        address="1 rue du Stade",
        commune=riscle,
        latitude=riscle.latitude,
        longitude=riscle.longitude,
    )
    doctor = ProfessionalFactory(insee_code="31555", profession=Profession.MEDECIN)
    mission = Mission.objects.create(
        volunteer=Volunteer.objects.create(professional=doctor),
        site=site,
        start_date=today,
        end_date=today,
        status=MissionStatus.PUBLISHED,
        created_by=created_by,
        published_at=now,
        priority_until=now,
    )
    monday = datetime.combine(week_start_of(now), time(9), tzinfo=PARIS)
    slots = [
        Slot.objects.create(
            mission=mission,
            starts_at=monday + timedelta(minutes=20 * i),
            ends_at=monday + timedelta(minutes=20 * (i + 1)),
        )
        for i in range(4)
    ]
    Booking.objects.create(
        slot=slots[0], status=BookingStatus.ATTENDED, has_regular_doctor=False, became_regular_doctor=True
    )
    Booking.objects.create(slot=slots[1], status=BookingStatus.NO_SHOW, has_regular_doctor=False)
    Booking.objects.create(slot=slots[2], status=BookingStatus.BOOKED, has_regular_doctor=True)
    Booking.objects.create(
        slot=slots[3], status=BookingStatus.CANCELLED, cancelled_at=now, has_regular_doctor=False
    )
    return zone


def _portable(value):
    if isinstance(value, datetime):
        # The moment itself depends on when the scenario ran; what must hold is that it is
        # aware and shown in Paris time.
        return "aware" if value.utcoffset() is not None else "naive"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool):
        return int(value)
    return value


def filter_sets() -> list[dict]:
    from territories.models import Commune

    riscle_epci = Commune.objects.get(insee_code="32344").epci_id
    return [{}, {"departement": "32"}, {"departement": "31"}, {"epci": riscle_epci}, {"product": "ffp2"}]


def snapshot(today: date) -> dict:
    """{filters: {panel: rows}} with dates as ISO strings and timestamps as their awareness."""
    from accounts.models import Role, User
    from dashboards import panels
    from dashboards.forms import DashboardFilterForm

    agent = User(role=Role.ARS_STAFF, region_id="76")
    result = {}
    for query in filter_sets():
        form = DashboardFilterForm(query, user=agent, today=today)
        filters = form.get_filters()
        result[json.dumps(query, sort_keys=True)] = {
            slug: [
                {key: _portable(value) for key, value in row.items() if key not in UNPORTABLE_KEYS}
                for row in panels.panel_rows(slug, filters)
            ]
            for slug in panels.PANELS
        }
    return result


def pages(agent_email: str) -> dict:
    """The dashboard page's HTTP status for each filter set, as the agent sees it."""
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from tests.factories import record_second_factor

    client = Client(raise_request_exception=False)
    agent = User.objects.get(email=agent_email)
    client.force_login(agent)
    record_second_factor(client, agent)  # as the TOTP step would (no conftest in this process)
    return {
        json.dumps(query, sort_keys=True): client.get(reverse("dashboards:dashboard"), query).status_code
        for query in filter_sets()
    }


def main() -> None:  # pragma: no cover - run in a subprocess by the test
    import django
    from django.conf import settings
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gomask.settings")
    django.setup()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        sys.exit("run on a scratch SQLite database")
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from accounts.models import Role
    from territories.services import load_territories
    from tests.factories import UserFactory, enrol_totp

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    load_territories(regions=["76"])
    now = datetime.fromisoformat(sys.argv[1])
    build_scenario(now)
    agent = UserFactory(role=Role.ARS_STAFF, region_id="76", email="agent@portable.example")
    enrol_totp(agent)
    print(json.dumps({"snapshot": snapshot(timezone.localdate(now)), "pages": pages(agent.email)}))


if __name__ == "__main__":
    main()
