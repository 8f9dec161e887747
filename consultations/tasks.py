"""Celery tasks: thin, idempotent, taking ids; each calls one service.

E-mails are not sent here: services write them to the notifications outbox, whose own tasks
deliver them (with retries and recovery).
"""

from celery import shared_task

from consultations import alerts, services


@shared_task
def send_booking_reminder(booking_id: int) -> bool:
    return services.send_reminder(booking_id=booking_id)


@shared_task
def send_due_reminders() -> int:
    """Periodic (beat): queue the reminder of each consultation taking place tomorrow."""
    ids = services.due_reminder_ids()
    for booking_id in ids:
        send_booking_reminder.delay(booking_id)
    return len(ids)


@shared_task
def notify_waiting_list(slot_id: int) -> int:
    return alerts.notify_waiting_list(slot_id=slot_id)


@shared_task
def notify_slots_published(mission_id: int) -> int:
    return alerts.notify_published(mission_id=mission_id)


@shared_task
def purge_patient_data() -> int:
    """Periodic (beat): empty patient identities past the retention period."""
    return services.purge_patient_data()
