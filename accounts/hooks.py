"""What happens elsewhere when an account is approved, or allauth sends an e-mail: explicit,
function-level hooks.

Accounts sit below the app that writes messages (notifications, with its outbox), so they
cannot import it. Notifications registers a receiver at start-up (`AppConfig.ready`); the
services that approve an account call `announce_approval(user)` inside their transaction, so
the outbox row (the e-mail telling the person) commits or rolls back with the approval and is
delivered by the outbox's claim and retries, exactly once. Same pattern as pharmacies/hooks.py.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_approval_receivers: list[Callable] = []


def on_approval(receiver: Callable) -> Callable:
    """Register `receiver(user=...)`, called for each approved account (idempotent)."""
    if receiver not in _approval_receivers:
        _approval_receivers.append(receiver)
    return receiver


def announce_approval(user) -> None:
    """Call every registered receiver with the approved user, in this transaction."""
    for receiver in _approval_receivers:
        receiver(user=user)


# allauth's own e-mails (address verification, password reset, notices) take the same road: the
# account adapter renders them and hands them over here, notifications writes them to the outbox.
_mail_receivers: list[Callable] = []


def on_account_mail(receiver: Callable) -> Callable:
    """Register `receiver(address=..., subject=..., body=..., template=...)` (idempotent)."""
    if receiver not in _mail_receivers:
        _mail_receivers.append(receiver)
    return receiver


def hand_over_mail(*, address: str, subject: str, body: str, template: str) -> None:
    """Give an account e-mail to the registered receivers, in the current transaction.

    Never sent directly: without a receiver (notifications not ready) this is a configuration
    error, not a silent loss or a send outside the outbox."""
    if not _mail_receivers:
        raise ImproperlyConfigured("No receiver for account e-mails: is the notifications app installed?")
    for receiver in _mail_receivers:
        receiver(address=address, subject=subject, body=body, template=template)
