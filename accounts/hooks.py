"""What happens elsewhere when an account is approved: an explicit, function-level hook.

Accounts sit below the app that writes messages (notifications, with its outbox), so they
cannot import it. Notifications registers a receiver at start-up (`AppConfig.ready`); the
services that approve an account call `announce_approval(user)` inside their transaction, so
the outbox row (the e-mail telling the person) commits or rolls back with the approval and is
delivered by the outbox's claim and retries, exactly once. Same pattern as pharmacies/hooks.py.
"""

from collections.abc import Callable

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
