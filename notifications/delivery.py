"""Delivering the outbox: claim a row atomically, send it, mark it — never twice.

`deliver_many(ids)` is what the `deliver_batch` task runs. Each row is claimed by a
conditional UPDATE ... RETURNING that changes exactly one row (pending and due, or a
claim older than NOTIFICATIONS_CLAIM_TIMEOUT left by a killed worker); the claim carries
a fresh token, and the row is marked sent only `WHERE claim_token = <that token>`. A
retried task, a redelivered message (Redis visibility timeout with acks_late) or a
second worker finds nothing to claim and sends nothing.

The portal channel is delivered in one transaction (Notification row + mark): exactly
once by construction (Notification.delivery is unique). E-mail and SMS leave the
database: the delivery key travels as the Message-ID / provider reference, so that the
only possible resend — a worker killed between the provider's acceptance and the mark,
after the claim timeout — carries the same identifier.
"""

import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gomask.locks import try_advisory_lock
from notifications.models import Channel, CrisisBulletin, Delivery, DeliveryKind, DeliveryStatus, Notification
from notifications.sms import get_sms_backend
from notifications.tokens import absolute, unsubscribe_url

logger = logging.getLogger("notifications")

CLAIM_SQL = """
UPDATE notifications_delivery
   SET recovered = (status = 'sending'), status = 'sending', claim_token = %s, claimed_at = %s,
       attempts = attempts + 1, updated_at = %s
 WHERE id IN ({ids})
   AND ((status = 'pending' AND next_attempt_at <= %s) OR (status = 'sending' AND claimed_at < %s))
RETURNING id, kind, channel, delivery_key, address, subject, body, url, user_id, professional_id, attempts,
          recovered, attachments
"""
# Rows claimed per statement. Each row is still taken by exactly one conditional UPDATE; a
# chunk bounds how long a claimed row may wait for its turn (100 slow SMTP sends < the claim
# timeout) and how many rows a killed worker strands until that timeout.
CLAIM_CHUNK = 100
CLAIM_COLUMNS = [
    "id",
    "kind",
    "channel",
    "delivery_key",
    "address",
    "subject",
    "body",
    "url",
    "user_id",
    "professional_id",
    "attempts",
    "recovered",
    "attachments",
]


@dataclass(frozen=True)
class ClaimedDelivery:
    """One outbox row taken for sending by this worker (`claim_token` proves the claim is ours)."""

    id: int
    kind: str
    channel: str
    delivery_key: str
    address: str
    subject: str
    body: str
    url: str
    user_id: int | None
    professional_id: int | None
    attempts: int
    recovered: bool
    attachments: list
    claim_token: uuid.UUID | None


def claim_many(delivery_ids) -> list[ClaimedDelivery]:
    """Atomically take the rows of `delivery_ids` that are ours to send (pending and due, or
    claimed by a worker that died more than NOTIFICATIONS_CLAIM_TIMEOUT ago)."""
    delivery_ids = [int(pk) for pk in delivery_ids]
    if not delivery_ids:
        return []
    now = timezone.now()
    token = uuid.uuid4()
    stale = now - settings.NOTIFICATIONS_CLAIM_TIMEOUT
    sql = CLAIM_SQL.format(ids=", ".join(["%s"] * len(delivery_ids)))
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [token.hex if connection.vendor == "sqlite" else token, now, now, *delivery_ids, now, stale]
        )
        rows = cursor.fetchall()
    claimed = []
    for values in rows:
        row = dict(zip(CLAIM_COLUMNS, values, strict=True))
        if isinstance(row["attachments"], str | bytes):  # raw JSON from the cursor
            row["attachments"] = json.loads(row["attachments"])
        claimed.append(ClaimedDelivery(**row, claim_token=token))
    return sorted(claimed, key=lambda row: row.id)


def claim(delivery_id: int) -> ClaimedDelivery | None:
    """Atomically take one row for sending; None if it is not ours to send (done, claimed, not due)."""
    claimed = claim_many([delivery_id])
    return claimed[0] if claimed else None


# Kinds whose body carries a secret (allauth's password-reset link, login code, address
# confirmation): the body is wiped once the message is delivered or given up, so that the
# outbox table never holds a working reset link beyond the send.
SECRET_BODY_KINDS = frozenset({DeliveryKind.ACCOUNT_MESSAGE})


def _wiped_body(claimed: ClaimedDelivery) -> dict:
    return {"body": ""} if claimed.kind in SECRET_BODY_KINDS else {}


def _mark_sent(claimed: ClaimedDelivery) -> bool:
    now = timezone.now()
    return bool(
        Delivery.objects.filter(pk=claimed.id, claim_token=claimed.claim_token).update(
            status=DeliveryStatus.SENT,
            sent_at=now,
            claim_token=None,
            last_error="",
            updated_at=now,
            **_wiped_body(claimed),
        )
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: base, 2 x base, 4 x base... capped at one hour."""
    seconds = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, 3600))


def _mark_failed(claimed: ClaimedDelivery, error: Exception) -> None:
    now = timezone.now()
    final = claimed.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    Delivery.objects.filter(pk=claimed.id, claim_token=claimed.claim_token).update(
        status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
        next_attempt_at=now + retry_delay(claimed.attempts),
        last_error=f"{error.__class__.__name__}: {error}"[:2000],
        claim_token=None,
        enqueued_at=None,
        updated_at=now,
        **(_wiped_body(claimed) if final else {}),
    )
    logger.warning(
        "Delivery %s failed (attempt %s%s): %s",
        claimed.delivery_key,
        claimed.attempts,
        ", giving up" if final else "",
        error,
    )


def _message_id(key: str) -> str:
    return f"<{key.replace(':', '.')}@gomask.notifications>"


def _send_email(claimed: ClaimedDelivery, mail_connection) -> None:
    lines = [claimed.body]
    if claimed.url:
        lines += ["", absolute(claimed.url)]
    headers = {"Message-ID": _message_id(claimed.delivery_key)}
    if claimed.professional_id:
        link = unsubscribe_url(professional_id=claimed.professional_id, channel=Channel.EMAIL)
        lines += ["", "—", _("Ne plus recevoir ces messages par e-mail : %(link)s") % {"link": link}]
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(
        subject=claimed.subject,
        body="\n".join(lines),
        to=[claimed.address],
        headers=headers,
        connection=mail_connection,
    )
    for attachment in claimed.attachments or []:
        message.attach(_attachment_part(attachment))
    message.send()


def _attachment_part(attachment: dict) -> MIMEText:
    """A text attachment whose Content-Type keeps its parameters (text/calendar; method=CANCEL):
    calendar apps read the method there to add, update or remove the event."""
    mimetype, *parameters = [part.strip() for part in attachment["mimetype"].split(";")]
    _maintype, subtype = mimetype.split("/", 1)
    part = MIMEText(attachment["content"], subtype, "utf-8")
    for parameter in parameters:
        name, _sep, value = parameter.partition("=")
        part.set_param(name.strip(), value.strip(), requote=False)
    part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
    return part


def _send_sms(claimed: ClaimedDelivery, sms_backend) -> None:
    text = claimed.subject if not claimed.url else f"{claimed.subject} {absolute(claimed.url)}"
    sms_backend.send(to=claimed.address, body=text[:480], key=claimed.delivery_key)


def _deliver_portal(claimed: ClaimedDelivery) -> bool:
    with transaction.atomic():
        if not _mark_sent(claimed):
            return False
        Notification.objects.create(
            user_id=claimed.user_id,
            delivery_id=claimed.id,
            kind=claimed.kind,
            title=claimed.subject,
            body=claimed.body,
            url=claimed.url,
        )
    return True


class _Senders:
    """Opened on first use and shared by a batch: one SMTP connection for many messages."""

    def __init__(self):
        self._mail = None
        self._sms = None

    @property
    def mail(self):
        if self._mail is None:
            self._mail = get_connection()
            self._mail.open()
        return self._mail

    @property
    def sms(self):
        if self._sms is None:
            self._sms = get_sms_backend()
        return self._sms

    def close(self):
        if self._mail is not None:
            try:
                self._mail.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not fail the batch
                logger.warning("Closing the mail connection failed", exc_info=True)
            self._mail = None


def _accepted_before(claimed: ClaimedDelivery, senders: _Senders) -> bool:
    """For a row taken over from a dead worker: did the provider already accept it?

    Backends that can look a message up by its reference (`already_accepted(key)`) say so
    and the message is not sent again; others (plain SMTP) resend it with the same
    Message-ID, which receiving systems use to recognise the copy.
    """
    if not claimed.recovered:
        return False
    backend = senders.mail if claimed.channel == Channel.EMAIL else senders.sms
    lookup = getattr(backend, "already_accepted", None)
    if lookup is None:
        return False
    key = _message_id(claimed.delivery_key) if claimed.channel == Channel.EMAIL else claimed.delivery_key
    return bool(lookup(key))


def send_claimed(claimed: ClaimedDelivery, senders: _Senders) -> bool:
    """Send one claimed row and mark it; a failure is recorded for a later retry. True if sent."""
    if claimed.channel != Channel.PORTAL and _accepted_before(claimed, senders):
        logger.info(
            "Delivery %s had been accepted before its worker died: marked, not resent",
            claimed.delivery_key,
        )
        _mark_sent(claimed)
        return True
    try:
        if claimed.channel == Channel.PORTAL:
            return _deliver_portal(claimed)
        if claimed.channel == Channel.EMAIL:
            _send_email(claimed, senders.mail)
        else:
            _send_sms(claimed, senders.sms)
    except Exception as exc:  # noqa: BLE001 - any failure of one recipient is recorded, never raised
        if claimed.channel == Channel.EMAIL:
            senders.close()  # a broken SMTP session must not poison the next recipients
        _mark_failed(claimed, exc)
        return False
    if not _mark_sent(claimed):
        logger.warning("Delivery %s was re-claimed while being sent", claimed.delivery_key)
    return True


def deliver_one(delivery_id: int) -> bool:
    """Claim, send and mark one row. True if this call delivered it."""
    return deliver_many([delivery_id]) == 1


@contextlib.contextmanager
def _asynchronous_commits():
    """Marks and claims commit without waiting for the WAL flush (PostgreSQL only).

    A killed worker loses nothing by this: its commits are already visible. Only a crash of
    the database server itself could forget the last fraction of a second of marks, and the
    rows concerned would then be sent once more (with the same Message-ID / reference).
    Waiting for the flush costs a disk sync per row and caps delivery far below the target.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")


def deliver_many(ids) -> int:
    """Deliver each row of `ids` that is still ours to send; one failure never stops the others."""
    ids = list(ids)
    senders = _Senders()
    delivered = 0
    try:
        with _asynchronous_commits():
            for start in range(0, len(ids), CLAIM_CHUNK):
                for claimed in claim_many(ids[start : start + CLAIM_CHUNK]):
                    delivered += send_claimed(claimed, senders)
    finally:
        senders.close()
    return delivered


def publish(ids) -> bool:
    """Queue deliver_batch tasks for `ids`; a broker outage is logged, never raised."""
    from notifications.tasks import deliver_batch

    ids = list(ids)
    size = settings.NOTIFICATIONS_BATCH_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        try:
            deliver_batch.apply_async((chunk,), retry=False)
        except Exception:  # noqa: BLE001 - the relay republishes what could not be queued
            logger.warning(
                "Broker unavailable: %d deliveries left to the relay", len(ids) - start, exc_info=True
            )
            try:
                Delivery.objects.filter(pk__in=ids[start:], status=DeliveryStatus.PENDING).update(
                    enqueued_at=None
                )
            except Exception:  # noqa: BLE001
                logger.warning("Could not flag deliveries for the relay", exc_info=True)
            return False
    return True


def publish_on_commit(ids) -> None:
    """After the current transaction commits, queue the delivery of `ids`."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: publish(ids))


def relay(*, limit: int = 100_000) -> int:
    """Republish what no task will deliver: never queued (broker down), due retries, stale claims.

    Also restarts the fan-out of bulletins whose fan-out task never ran. Returns the number
    of deliveries republished.
    """
    from notifications.tasks import fan_out_bulletin

    now = timezone.now()
    requeue_before = now - settings.NOTIFICATIONS_REQUEUE_AFTER
    with transaction.atomic():
        # One relay at a time (beat may start one while the last still runs after a long
        # outage), and rows a worker is claiming right now are skipped, not waited for: two
        # relays marking the same 100,000 rows in different orders, or a relay and a worker's
        # claim, deadlocked each other on a backlog.
        if not try_advisory_lock("notifications-relay"):
            return 0
        due = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=requeue_before))
                | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - settings.NOTIFICATIONS_CLAIM_TIMEOUT)
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        ids = list(due)
        if ids:
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
            publish_on_commit(ids)
    stalled = CrisisBulletin.objects.filter(fanout_done_at__isnull=True).filter(
        Q(fanout_enqueued_at__isnull=True) | Q(fanout_enqueued_at__lte=requeue_before)
    )
    for bulletin_id in stalled.values_list("id", flat=True):
        CrisisBulletin.objects.filter(pk=bulletin_id).update(fanout_enqueued_at=now)
        try:
            fan_out_bulletin.apply_async((bulletin_id,), retry=False)
        except Exception:  # noqa: BLE001
            logger.warning("Broker unavailable: fan-out of bulletin %s postponed", bulletin_id, exc_info=True)
    return len(ids)
