"""Real threads against PostgreSQL: the outbox relay after a long outage.

On a backlog (35,000 deliveries left pending while the workers were down) two relays overlapped
(beat starts one every few seconds) and each marked the same rows in its own order, and a
worker's claim on some of those rows joined in: PostgreSQL answered "deadlock detected". The
relay now runs one at a time (a try-lock: a second run leaves at once) and skips the rows a
worker holds instead of waiting for them. Each proof has its negative control.
"""

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from gomask.locks import try_advisory_lock
from notifications import delivery
from notifications.models import Channel, Delivery, DeliveryKind

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(monkeypatch):
    """What the relay hands to the broker, instead of a broker."""
    ids = []
    monkeypatch.setattr(delivery, "publish", lambda chunk: ids.extend(chunk) or True)
    return ids


def pending(count):
    now = timezone.now()
    return Delivery.objects.bulk_create(
        Delivery(
            delivery_key=f"relay-race-{index}",
            kind=DeliveryKind.values[0],
            channel=Channel.EMAIL,
            address=f"pro{index}@example.org",
            subject="Arrivage",
            body="Des masques sont arrivés.",
            next_attempt_at=now,
        )
        for index in range(count)
    )


class HeldInAnotherThread:
    """Runs `hold` in a transaction of its own thread and keeps it open until `release()`."""

    def __init__(self, hold):
        self.ready, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, args=(hold,))

    def _run(self, hold):
        try:
            with transaction.atomic():
                hold()
                self.ready.set()
                self.done.wait(timeout=30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(timeout=30)


def test_a_second_relay_leaves_at_once_while_the_first_runs(published):
    pending(5)
    with HeldInAnotherThread(lambda: try_advisory_lock("notifications-relay")):
        assert delivery.relay() == 0
        assert published == []
        assert Delivery.objects.filter(enqueued_at__isnull=False).count() == 0
    # Negative control: once the first relay is done, the same call republishes everything.
    assert delivery.relay() == 5
    assert len(published) == 5


def test_the_relay_skips_the_rows_a_worker_is_claiming_instead_of_waiting_for_them(published):
    rows = pending(4)
    claimed = rows[0].pk

    def worker_claims():
        list(Delivery.objects.select_for_update().filter(pk=claimed))

    with HeldInAnotherThread(worker_claims):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            assert delivery.relay() == 3
            assert claimed not in published
            # Negative control: marking the same rows without skipping waits for the worker's
            # lock (here until the lock timeout): what deadlocked two relays and a worker.
            with pytest.raises(OperationalError), transaction.atomic():
                Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(enqueued_at=timezone.now())
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
