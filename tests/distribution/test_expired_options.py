"""An option past its expiry stops holding masks at once, before the periodic sweep runs, and
`make run` runs the beat schedule's jobs in-process."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from distribution import quotas, selectors, services
from distribution.models import Reservation, ReservationStatus
from distribution.scheduler import beat_jobs, run_due_jobs
from pharmacies.models import StockLevel
from tests.distribution.conftest import stock
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def lapsed_option(nurse, riscle_pharmacy, products, quota_policies):
    """An option of 6 masks whose hold ended an hour ago, not yet swept."""
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=6
    )
    Reservation.objects.filter(pk=option.pk).update(
        created_at=option.created_at - timedelta(hours=49), expires_at=option.created_at - timedelta(hours=1)
    )
    return Reservation.objects.get(pk=option.pk)


def test_an_option_past_its_expiry_no_longer_counts_against_the_quota_before_the_sweep(nurse, lapsed_option):
    status = quotas.quota_status(nurse.professional, lapsed_option.product)
    assert lapsed_option.status == ReservationStatus.ACTIVE
    assert status.held == 0
    assert status.remaining == 18


def test_my_options_page_shows_an_option_past_its_expiry_as_expired_without_a_cancel_button(
    client, nurse, lapsed_option
):
    assert client.login(email=nurse.email, password=PASSWORD)
    page = client.get(reverse("distribution:my_reservations")).content.decode()
    assert "<td>Expirée</td>" in page
    assert "<td>Active</td>" not in page
    assert reverse("distribution:cancel_reservation", args=[lapsed_option.pk]) not in page


def test_the_api_reports_an_option_past_its_expiry_as_expired(client, nurse, lapsed_option):
    assert client.login(email=nurse.email, password=PASSWORD)
    rows = client.get("/api/reservations/").json()["results"]
    assert [row["status"] for row in rows] == ["expired"]


def test_the_counter_does_not_offer_to_convert_an_option_past_its_expiry(
    nurse, lapsed_option, riscle_pharmacy
):
    assert list(selectors.active_reservations(nurse.professional, pharmacy=riscle_pharmacy)) == []


def test_a_handover_may_use_the_masks_of_an_option_past_its_expiry(
    nurse, lapsed_option, riscle_pharmacy, riscle_pharmacist
):
    dispensation = services.dispense(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        professional_id=nurse.professional.pk,
        product_code="surgical",
        quantity=18,
        identity_checked=True,
    )
    assert dispensation.reservation is None
    lapsed_option.refresh_from_db()
    assert lapsed_option.status == ReservationStatus.EXPIRED
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=lapsed_option.product).reserved == 0


def test_run_scheduled_jobs_once_releases_the_stock_of_lapsed_options(lapsed_option, riscle_pharmacy):
    call_command("run_scheduled_jobs", "--once", verbosity=0)
    lapsed_option.refresh_from_db()
    assert lapsed_option.status == ReservationStatus.EXPIRED
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=lapsed_option.product).reserved == 0


def test_the_in_process_scheduler_runs_every_beat_job_on_its_own_schedule(settings):
    from celery.schedules import crontab

    settings.CELERY_BEAT_SCHEDULE = {
        "every-5-minutes": {
            "task": "distribution.tasks.expire_reservations_task",
            "schedule": timedelta(minutes=5),
        },
        "at-7": {
            "task": "distribution.tasks.expire_reservations_task",
            "schedule": crontab(hour=7, minute=0),
        },
    }
    jobs = beat_jobs()
    start = datetime(2026, 3, 2, 6, 58, tzinfo=PARIS)
    assert run_due_jobs(jobs, now=start) == ["every-5-minutes"]
    for job in jobs:
        job.timing.nowfun = lambda: start + timedelta(minutes=3)
    assert run_due_jobs(jobs, now=start + timedelta(minutes=3)) == ["at-7"]
    for job in jobs:
        job.timing.nowfun = lambda: start + timedelta(minutes=6)
    assert run_due_jobs(jobs, now=start + timedelta(minutes=6)) == ["every-5-minutes"]


def test_the_in_process_scheduler_knows_every_job_of_the_real_beat_schedule(settings):
    from django.utils.module_loading import import_string

    jobs = beat_jobs()
    assert {job.name for job in jobs} == set(settings.CELERY_BEAT_SCHEDULE)
    for job in jobs:
        assert callable(import_string(job.task_path).apply)
