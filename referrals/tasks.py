"""Celery tasks: thin and idempotent, each calling one service."""

from celery import shared_task

from referrals import services


@shared_task
def flag_silent_sites() -> int:
    """Periodic (beat, hourly): tell CPTS and ARS about sites silent for 48 h (once per silence)."""
    return services.flag_silent_sites()


@shared_task
def purge_referrals() -> int:
    """Periodic (beat, daily): delete referral slips past the retention period."""
    return services.purge_referrals()
