"""Celery beat runs `compute_access` nightly (OBSERVATORY_COMPUTE_HOURS)."""

from celery import shared_task

from observatory import services


@shared_task(name="observatory.tasks.compute_access", ignore_result=True)
def compute_access() -> int:
    """Idempotent: replaces every figure with a fresh computation, then fills the cache of the
    regions' default pages."""
    communes = services.compute_access().communes
    services.warm_region_pages()
    return communes
