"""Pluggable SMS backends, chosen by settings.SMS_BACKEND (a dotted path).

A backend has `send(*, to, body, key)`; `key` is the delivery key, to be passed to the
provider as its idempotency reference so that a resend after a crash is recognised.
"""

import abc
import logging
import threading

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("notifications.sms")


class SmsError(Exception):
    """The provider refused or could not be reached; the delivery is retried later."""


class BaseSmsBackend(abc.ABC):
    @abc.abstractmethod
    def send(self, *, to: str, body: str, key: str) -> None:
        """Hand the message to the provider; raise SmsError when it must be retried."""

    # A provider that can look a message up by its reference may define
    # `already_accepted(key) -> bool`: used after a worker died mid-send, to avoid a resend.


class ConsoleSmsBackend(BaseSmsBackend):
    """Default: writes the SMS to the log (development, demo)."""

    def send(self, *, to: str, body: str, key: str) -> None:
        logger.info("SMS to %s [%s]: %s", to, key, body)


# Messages kept by LocmemSmsBackend (tests), like django.core.mail.outbox.
outbox: list[dict] = []
_outbox_lock = threading.Lock()


class LocmemSmsBackend(BaseSmsBackend):
    """Test backend: keeps each SMS in `notifications.sms.outbox`."""

    def send(self, *, to: str, body: str, key: str) -> None:
        with _outbox_lock:
            outbox.append({"to": to, "body": body, "key": key})

    def already_accepted(self, key: str) -> bool:
        with _outbox_lock:
            return any(message["key"] == key for message in outbox)


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
