"""Demo data, beat schedule and the periodic messages (stock-out summaries, option reminders)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from distribution.models import Reservation
from notifications import demo, services
from notifications.models import CrisisBulletin, Delivery, DeliveryKind
from pharmacies.services import declare_arrival, mark_sold_out

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent(occitanie):
    demo.seed()
    demo.seed()
    assert CrisisBulletin.objects.count() == 2
    assert CrisisBulletin.objects.filter(is_public=True).count() == 1


def test_beat_schedules_the_relay_the_periodic_messages_and_option_expiry():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "notifications.tasks.relay_outbox",
        "notifications.tasks.remind_expiring_options",
        "notifications.tasks.send_stockout_summaries",
        "distribution.tasks.expire_reservations_task",
    } <= tasks


def test_tasks_are_registered_with_the_celery_app():
    from gomask.celery import app

    app.loader.import_default_modules()
    assert {"notifications.tasks.deliver_batch", "notifications.tasks.relay_outbox"} <= set(app.tasks)


def test_each_ars_agent_receives_the_daily_stock_out_summary_of_their_region_once(
    ars_occitanie, ars_paca, riscle_pharmacy, riscle_pharmacist, products
):
    declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=10,
        source="national",
    )
    mark_sold_out(actor=riscle_pharmacist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical")
    services.queue_stockout_summaries()
    services.queue_stockout_summaries()  # beat ran twice the same day
    rows = Delivery.objects.filter(kind=DeliveryKind.STOCKOUT_SUMMARY)
    assert {(r.user_id, r.channel) for r in rows} == {
        (ars_occitanie.pk, "email"),
        (ars_occitanie.pk, "portal"),
        (ars_paca.pk, "email"),
        (ars_paca.pk, "portal"),
    }
    occitanie_summary = rows.get(user=ars_occitanie, channel="email")
    assert "Pharmacie de l'Adour" in occitanie_summary.body and "épuisée" in occitanie_summary.body
    assert "Pharmacie de l'Adour" not in rows.get(user=ars_paca, channel="email").body


def test_option_reminder_is_queued_once_the_day_before_expiry(nurse, riscle_pharmacy, products):
    now = timezone.now()
    soon = Reservation.objects.create(
        professional=nurse.professional,
        pharmacy=riscle_pharmacy,
        product=products["surgical"],
        quantity=6,
        period_start=now.date(),
        created_at=now - timedelta(hours=30),
        expires_at=now + timedelta(hours=18),
    )
    Reservation.objects.create(
        professional=nurse.professional,
        pharmacy=riscle_pharmacy,
        product=products["ffp2"],
        quantity=6,
        period_start=now.date(),
        created_at=now,
        expires_at=now + timedelta(hours=40),
    )
    services.queue_option_reminders()
    services.queue_option_reminders()
    rows = Delivery.objects.filter(kind=DeliveryKind.OPTION_REMINDER)
    assert {r.delivery_key for r in rows} == {
        f"option_reminder:{soon.pk}:email",
        f"option_reminder:{soon.pk}:portal",
    }
    assert "expire le" in rows.first().body
