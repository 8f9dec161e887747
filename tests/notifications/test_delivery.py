"""Delivering the outbox: claim, send, mark; retries with back-off; never twice."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import delivery, sms
from notifications.models import Channel, Delivery, DeliveryStatus, Notification
from notifications.tokens import read_unsubscribe_token
from pharmacies.services import declare_arrival
from tests.notifications import backends
from tests.notifications.conftest import referenced_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrival(riscle_pharmacy, riscle_pharmacist, products):
    def make(quantity=100):
        return declare_arrival(
            actor=riscle_pharmacist,
            pharmacy_id=riscle_pharmacy.pk,
            product_code="surgical",
            quantity=quantity,
            source="national",
        )

    return make


def all_ids():
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


def test_each_row_is_delivered_once_even_when_the_task_runs_again(riscle_pharmacy, arrival):
    users = referenced_users(riscle_pharmacy, 3)
    arrival()
    assert delivery.deliver_many(all_ids()) == 6
    assert delivery.deliver_many(all_ids()) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert Notification.objects.count() == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_row_can_be_claimed_only_once(riscle_pharmacy, arrival):
    referenced_users(riscle_pharmacy, 1)
    arrival()
    row = Delivery.objects.filter(channel=Channel.EMAIL).get()
    assert delivery.claim(row.pk) is not None
    assert delivery.claim(row.pk) is None


def test_a_claim_abandoned_by_a_killed_worker_is_taken_again_after_the_timeout(
    riscle_pharmacy, arrival, settings
):
    referenced_users(riscle_pharmacy, 1)
    arrival()
    row = Delivery.objects.filter(channel=Channel.EMAIL).get()
    assert delivery.claim(row.pk) is not None  # the worker dies before sending
    assert delivery.deliver_many([row.pk]) == 0
    Delivery.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - settings.NOTIFICATIONS_CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    assert delivery.deliver_many([row.pk]) == 1
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2


def test_a_message_the_provider_accepted_before_its_worker_died_is_not_sent_again(
    riscle_pharmacy, arrival, settings
):
    from notifications.services import set_preferences

    (user,) = referenced_users(riscle_pharmacy, 1)
    set_preferences(professional=user.professional, email=True, sms=True, portal=False)
    arrival()
    for row in Delivery.objects.all():
        claimed = delivery.claim(row.pk)
        if row.channel == Channel.SMS:  # the provider accepted it; the worker died before the mark
            sms.get_sms_backend().send(to=row.address, body="…", key=row.delivery_key)
        assert claimed is not None
    Delivery.objects.update(
        claimed_at=timezone.now() - settings.NOTIFICATIONS_CLAIM_TIMEOUT - timedelta(seconds=1)
    )

    delivery.deliver_many(all_ids())

    assert len(sms.outbox) == 1  # looked up by its reference: marked, not resent
    assert len(mail.outbox) == 1  # plain SMTP cannot be asked: sent (it had not been), same Message-ID
    assert set(Delivery.objects.values_list("status", "recovered")) == {(DeliveryStatus.SENT, True)}


def test_a_late_worker_cannot_mark_a_row_it_no_longer_owns(riscle_pharmacy, arrival, settings):
    referenced_users(riscle_pharmacy, 1)
    arrival()
    row = Delivery.objects.filter(channel=Channel.EMAIL).get()
    first = delivery.claim(row.pk)
    Delivery.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - settings.NOTIFICATIONS_CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    second = delivery.claim(row.pk)
    assert second is not None
    assert delivery._mark_sent(first) is False
    assert delivery._mark_sent(second) is True


def test_smtp_failure_for_one_recipient_is_retried_with_back_off_and_others_are_delivered(
    riscle_pharmacy, arrival, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakySmtpBackend"
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    refused, ok1, ok2 = referenced_users(riscle_pharmacy, 3)
    backends.refusals.clear()
    backends.refusals[refused.email] = 2
    arrival()

    delivery.deliver_many(all_ids())

    assert sorted(m.to[0] for m in mail.outbox) == sorted([ok1.email, ok2.email])
    failed = Delivery.objects.get(channel=Channel.EMAIL, address=refused.email)
    assert failed.status == DeliveryStatus.PENDING and failed.attempts == 1
    assert "SMTPRecipientsRefused" in failed.last_error
    assert failed.next_attempt_at > timezone.now() + timedelta(seconds=25)
    # Not due yet: a rerun does not hammer the server.
    assert delivery.deliver_many([failed.pk]) == 0

    Delivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    delivery.deliver_many([failed.pk])
    failed.refresh_from_db()
    assert failed.attempts == 2 and failed.next_attempt_at > timezone.now() + timedelta(seconds=55)

    Delivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):  # published once the relay commits
        assert delivery.relay() == 1  # the relay republishes due retries (in-process here)
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT and failed.attempts == 3
    assert [m.to[0] for m in mail.outbox].count(refused.email) == 1


def test_delivery_gives_up_after_the_maximum_attempts(riscle_pharmacy, arrival, settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakySmtpBackend"
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    (user,) = referenced_users(riscle_pharmacy, 1)
    backends.refusals.clear()
    backends.refusals[user.email] = 10
    arrival()
    row = Delivery.objects.get(channel=Channel.EMAIL)
    for _ in range(5):
        delivery.deliver_many([row.pk])
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 3
    assert mail.outbox == []


def test_email_carries_its_delivery_key_and_a_signed_unsubscribe_link(riscle_pharmacy, arrival):
    (user,) = referenced_users(riscle_pharmacy, 1)
    arrival()
    delivery.deliver_many(all_ids())
    (message,) = mail.outbox
    row = Delivery.objects.get(channel=Channel.EMAIL)
    assert (
        message.extra_headers["Message-ID"] == f"<{row.delivery_key.replace(':', '.')}@gomask.notifications>"
    )
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (user.professional.pk, "email")
    assert "/notifications/arrivee/" in message.body


def test_sms_goes_through_the_configured_backend_with_its_key(riscle_pharmacy, arrival):
    from notifications.services import set_preferences

    (user,) = referenced_users(riscle_pharmacy, 1)
    set_preferences(professional=user.professional, email=False, sms=True, portal=False)
    arrival()
    delivery.deliver_many(all_ids())
    (message,) = sms.outbox
    assert message["to"] == "+33612345678"  # E.164, the form an SMS provider dials
    assert message["key"].startswith("arrival:") and "Pharmacie de l'Adour" in message["body"]


@pytest.fixture
def no_publish(monkeypatch):
    """Keep the after-commit publication from delivering (eagerly) before the threads start."""
    monkeypatch.setattr(delivery, "publish", lambda ids: True)


def run_workers(ids, count=4):
    barrier = threading.Barrier(count)

    def work():
        try:
            barrier.wait()
            delivery.deliver_many(ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_four_workers_delivering_the_same_batch_at_once_send_each_message_once(
    riscle_pharmacy, arrival, no_publish
):
    referenced_users(riscle_pharmacy, 20)
    arrival()
    run_workers(all_ids())
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 20 and len(set(recipients)) == 20
    assert Notification.objects.count() == 20
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_negative_control_check_then_send_without_the_atomic_claim_sends_twice(
    riscle_pharmacy, arrival, no_publish, monkeypatch
):
    referenced_users(riscle_pharmacy, 20)
    arrival()

    def racy_claim_many(delivery_ids):
        claimed = []
        for delivery_id in delivery_ids:
            row = (
                Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
                .values(*delivery.CLAIM_COLUMNS)
                .first()
            )
            if row is None:
                continue
            time.sleep(0.02)  # the gap between the check and the write that the conditional UPDATE closes
            Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SENDING)
            claimed.append(delivery.ClaimedDelivery(**row, claim_token=None))
        return claimed

    monkeypatch.setattr(delivery, "claim_many", racy_claim_many)
    run_workers(list(Delivery.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True)))
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) > len(set(recipients)), "without the atomic claim, messages go out twice"
