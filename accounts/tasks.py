from celery import shared_task

from accounts import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_account_approved_email(user_id: int) -> None:
    services.send_account_approved_email(user_id=user_id)
