"""Celery tasks: thin, calling services."""

from celery import shared_task

from planning import services


@shared_task
def refresh_forecast_task() -> dict:
    """Nightly (beat): the stock-out forecast of every pharmacy and the rebalancing proposals."""
    return services.refresh_forecast()
