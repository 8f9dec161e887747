"""Every write of the consultations app, one module per sub-domain: `limits` (the limits the
writes share: rate per client, a patient's future bookings, a volunteer's monthly cap, the clock
of a call), `patients` (the rules of a patient's identity), `bookings` (booking, cancelling,
reminders, purge, attendance), `volunteers`, `missions`. Callers import from
`consultations.services` (re-exported here). Who manages a site is one gate,
`consultations.selectors.site_for_manager`; the alerts and the waiting room are their own modules
(`consultations.alerts`, `consultations.waiting_room`).

Lock order (always the same, to avoid deadlocks): advisory locks on a patient's identity
keys (sorted), then the volunteer row, then the mission row, then the slot row, then the
booking row.
"""

from consultations.services.bookings import (
    PATIENT_DELIVERY_KINDS,
    book_slot,
    booking_from_token,
    booking_token,
    cancel_booking,
    due_reminder_ids,
    forget_taken,
    priority_refusal,
    purge_patient_data,
    record_attendance,
    refuse_if_taken,
    send_reminder,
)
from consultations.services.limits import TooManyRequests, check_booking_rate, check_rate
from consultations.services.missions import cancel_mission, confirm_lodging, create_mission, publish_slots
from consultations.services.patients import (
    clean_birth_date,
    clean_email,
    clean_name,
    clean_phone,
    identity_key,
)
from consultations.services.volunteers import (
    add_availability,
    remove_availability,
    save_volunteer_profile,
    volunteer_of,
)

__all__ = [
    "PATIENT_DELIVERY_KINDS",
    "TooManyRequests",
    "check_rate",
    "check_booking_rate",
    "clean_phone",
    "clean_email",
    "clean_name",
    "clean_birth_date",
    "identity_key",
    "book_slot",
    "refuse_if_taken",
    "booking_token",
    "booking_from_token",
    "priority_refusal",
    "forget_taken",
    "cancel_booking",
    "due_reminder_ids",
    "send_reminder",
    "purge_patient_data",
    "record_attendance",
    "volunteer_of",
    "save_volunteer_profile",
    "add_availability",
    "remove_availability",
    "create_mission",
    "confirm_lodging",
    "publish_slots",
    "cancel_mission",
]
