"""What happens elsewhere when masks arrive at a pharmacy: an explicit, function-level hook.

Pharmacies sit below the apps that react to their stock (notifications tells the referenced
professionals), so they cannot import them. Those apps register a receiver at start-up
(`AppConfig.ready`); `declare_arrival` calls every receiver inside its own transaction, after
its ledger row, so what a receiver writes (outbox rows) commits or rolls back with the
arrival. Unlike a signal, the call site and the list of receivers are plain to read here.
"""

from collections.abc import Callable

_arrival_receivers: list[Callable] = []


def on_arrival(receiver: Callable) -> Callable:
    """Register `receiver(movement=...)`, called for each arrival (idempotent)."""
    if receiver not in _arrival_receivers:
        _arrival_receivers.append(receiver)
    return receiver


def announce_arrival(movement) -> None:
    """Call every registered receiver with the arrival's ledger row, in this transaction."""
    for receiver in _arrival_receivers:
        receiver(movement=movement)
