"""Celery tasks of the pharmacies app: thin, each calls one service."""

from celery import shared_task

from pharmacies import services


@shared_task
def purge_form_submissions() -> int:
    """Periodic (beat): forget old one-time form tokens."""
    return services.purge_form_submissions()
