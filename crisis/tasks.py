from celery import shared_task

from crisis import services


@shared_task
def escalate_reinforcement_requests() -> int:
    """Every minute: widen the radius of open requests nobody accepted in time."""
    return services.escalate_requests()
