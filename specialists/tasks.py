"""Celery tasks (beat): thin, each calls one service."""

from celery import shared_task

from specialists import services


@shared_task
def widen_requests() -> int:
    """Periodic: requests without a specialist after the delay widen to the next circle."""
    return services.widen_due_requests()


@shared_task
def purge_content() -> int:
    """Periodic: delete the content of requests past the retention period."""
    return services.purge_content()
