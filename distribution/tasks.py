"""Celery tasks: thin, idempotent, each calling one service."""

from celery import shared_task

from distribution import services


@shared_task
def expire_reservations_task() -> int:
    """Periodic (beat, every 5 minutes): release the stock held by options past their expiry."""
    return services.expire_reservations()
