"""Celery beat runs `refresh_rollups` every DASHBOARD_REFRESH_MINUTES (10 by default)."""

from celery import shared_task

from dashboards import services


@shared_task(name="dashboards.tasks.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    """Idempotent: recomputes whole weeks; an overlapping run queues on the week locks."""
    return len(services.refresh_rollups().weeks)
