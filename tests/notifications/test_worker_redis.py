"""Proofs with a real Celery worker (a thread of this process) on real Redis."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import delivery, services
from notifications.models import ArrivalNotice, Channel, Delivery, DeliveryStatus, Notification
from pharmacies.services import declare_arrival
from tests.notifications.conftest import broker, drain, referenced_users, wait_until, worker_thread

pytestmark = [pytest.mark.django_db(transaction=True)]


def arrive(pharmacist, pharmacy, quantity=100):
    return declare_arrival(
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        product_code="surgical",
        quantity=quantity,
        source="national",
    )


def sent_count():
    return Delivery.objects.filter(status=DeliveryStatus.SENT).count()


def test_an_arrival_produces_one_message_per_referenced_professional(
    worker, riscle_pharmacy, riscle_pharmacist, products
):
    users = referenced_users(riscle_pharmacy, 5)
    arrive(riscle_pharmacist, riscle_pharmacy)
    wait_until(lambda: sent_count() == 10, message="10 deliveries")
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(u.pk for u in users)


def test_a_rolled_back_arrival_produces_no_message(worker, riscle_pharmacy, riscle_pharmacist, products):
    referenced_users(riscle_pharmacy, 3)
    with pytest.raises(RuntimeError), transaction.atomic():
        arrive(riscle_pharmacist, riscle_pharmacy)
        raise RuntimeError("rolled back")
    drain()
    assert mail.outbox == []
    assert not Delivery.objects.exists() and not Notification.objects.exists()


def test_rerunning_the_delivery_task_sends_nothing_twice(
    worker, riscle_pharmacy, riscle_pharmacist, products
):
    from notifications.tasks import deliver_batch

    users = referenced_users(riscle_pharmacy, 4)
    arrive(riscle_pharmacist, riscle_pharmacy)
    wait_until(lambda: sent_count() == 8, message="8 deliveries")
    ids = list(Delivery.objects.values_list("pk", flat=True))
    for _ in range(3):  # a retried task, a message redelivered after the visibility timeout...
        deliver_batch.delay(ids)
    delivery.relay()
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert Notification.objects.count() == 4


def test_a_claim_left_by_a_dead_worker_is_delivered_once_by_the_relay(
    worker, riscle_pharmacy, riscle_pharmacist, products, settings, monkeypatch
):
    users = referenced_users(riscle_pharmacy, 3)
    with monkeypatch.context() as patched:
        patched.setattr(delivery, "publish", lambda ids: False)  # the message is lost with the dead worker
        arrive(riscle_pharmacist, riscle_pharmacy)
    victim = Delivery.objects.filter(channel=Channel.EMAIL).order_by("pk").first()
    assert delivery.claim(victim.pk) is not None  # claimed, then the worker is killed before sending
    Delivery.objects.filter(pk=victim.pk).update(
        claimed_at=timezone.now() - settings.NOTIFICATIONS_CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    Delivery.objects.exclude(pk=victim.pk).update(enqueued_at=None)

    assert delivery.relay() == 6
    wait_until(lambda: sent_count() == 6, message="6 deliveries")
    delivery.relay()
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


def test_with_redis_stopped_the_arrival_succeeds_and_nothing_is_lost_once_it_is_back(
    celery_app, spare_redis, riscle_pharmacy, riscle_pharmacist, products
):
    users = referenced_users(riscle_pharmacy, 3)
    with broker(celery_app, spare_redis.url):
        spare_redis.stop()
        movement = arrive(riscle_pharmacist, riscle_pharmacy)  # must not raise

        notice = ArrivalNotice.objects.get(movement=movement)
        assert Delivery.objects.filter(arrival=notice, status=DeliveryStatus.PENDING).count() == 6
        assert not Delivery.objects.filter(enqueued_at__isnull=False).exists()  # left to the relay
        assert delivery.relay() == 6  # still down: the relay cannot publish either...
        assert not Delivery.objects.filter(enqueued_at__isnull=False).exists()  # ...and says so
        assert mail.outbox == []

        spare_redis.start()
        with worker_thread(celery_app):
            assert delivery.relay() == 6
            wait_until(lambda: sent_count() == 6, message="6 deliveries after Redis came back")
            delivery.relay()
            drain()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert Notification.objects.count() == 3


def test_a_bulletin_fans_out_to_every_targeted_professional_through_the_worker(
    worker, ars_occitanie, riscle_pharmacy
):
    users = referenced_users(riscle_pharmacy, 6)
    services.publish_bulletin(
        author=ars_occitanie, title="Alerte canicule", body="Hydratez vos patients.", severity="warning"
    )
    wait_until(lambda: sent_count() == 12, message="12 bulletin deliveries")
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert all(m.subject == "[Vigilance] Alerte canicule" for m in mail.outbox)
