"""Celery tasks of the shared kernel: thin, each calls one function."""

from celery import shared_task

from gomask import idempotency


@shared_task
def purge_idempotency_keys() -> int:
    """Periodic (beat): forget idempotency keys older than a week."""
    return idempotency.purge()
