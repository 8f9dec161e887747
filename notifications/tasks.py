"""Celery tasks: thin, idempotent, taking ids; each calls one service.

Delivery tasks rely on the outbox, not on the broker: a message delivered twice
(Redis visibility timeout, acks_late redelivery, a retry) finds its rows already claimed
or sent and does nothing; a message lost with the broker is replaced by the relay.
"""

from celery import shared_task

from notifications import delivery, services


@shared_task(acks_late=True)
def deliver_batch(delivery_ids: list[int]) -> int:
    return delivery.deliver_many(delivery_ids)


@shared_task(acks_late=True)
def fan_out_bulletin(bulletin_id: int) -> int:
    return services.fan_out_bulletin(bulletin_id=bulletin_id)


@shared_task
def relay_outbox() -> int:
    """Periodic (beat): republish deliveries no task will carry (broker was down, retries due)."""
    return delivery.relay()


@shared_task
def send_stockout_summaries() -> int:
    """Periodic (beat, daily): stock-outs of their region to each ARS agent."""
    return services.queue_stockout_summaries()


@shared_task
def remind_expiring_options() -> int:
    """Periodic (beat, hourly): remind professionals of options expiring within a day."""
    return services.queue_option_reminders()


@shared_task
def noop(index: int) -> int:
    """Does nothing: the broker round-trip ceiling measured by bench/bench_fanout.py."""
    return index
