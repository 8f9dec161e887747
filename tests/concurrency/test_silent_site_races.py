"""Real threads against PostgreSQL: workers flagging silent care sites at the same moment.

The hourly job may run twice at once (a slow run overlapping the next, two beat processes).
Each silent site must be flagged by exactly one of them: the status row is claimed with
`FOR UPDATE SKIP LOCKED` and re-checked. A pause inside the flagging transaction makes the
workers overlap; the negative control claims without the lock and must flag twice or more.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Delivery, DeliveryKind
from referrals import selectors, services
from referrals.models import SiteStatus
from tests.concurrency.test_quota_races import run_in_threads
from tests.referrals.conftest import make_site, set_status

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

WORKERS = 6


@pytest.fixture
def silent_site(occitanie, ars_occitanie):
    site = make_site("32344", name="Centre COVID de Riscle")
    set_status(site, at=timezone.now() - timedelta(hours=60))
    return site


@pytest.fixture
def slow_messages(monkeypatch):
    real = services.queue_staff_messages

    def slow(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(services, "queue_staff_messages", slow)


def _flag_at_once(now):
    results = run_in_threads([lambda: services.flag_silent_sites(now=now) for _ in range(WORKERS)])
    assert all(ok for ok, _value in results)
    return sum(value for _ok, value in results)


def test_concurrent_workers_flag_a_silent_site_exactly_once(silent_site, slow_messages):
    now = timezone.now()
    assert _flag_at_once(now) == 1
    assert SiteStatus.objects.get(site=silent_site).silence_flagged_at is not None
    assert (
        Delivery.objects.filter(kind=DeliveryKind.SITE_SILENT).count() == 2
    )  # the ARS agent: portal + e-mail


def test_negative_control_without_the_row_lock_the_site_is_flagged_several_times(
    silent_site, slow_messages, monkeypatch
):
    def claim_without_lock(site_pk, *, now):
        return selectors.silent_sites(now=now).filter(site_id=site_pk).first()

    monkeypatch.setattr(services, "_claim_silent_status", claim_without_lock)
    assert _flag_at_once(timezone.now()) > 1
