"""Patients' bookings: booking a slot (no account), the signed link, cancelling, the day-before
reminder, the purge of patient data, and the slot's doctor recording attendance.

Lock order: advisory locks on a patient's identity keys (sorted), then the slot row, then the
booking row.
"""

import contextlib
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import emails
from consultations.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingStatus,
    MissionStatus,
    Slot,
    WaitingListEntry,
)
from consultations.services.limits import (
    check_booking_rate,
    enqueue,
    local_date,
    now_or,
    refuse_past_future_bookings,
)
from consultations.services.patients import (
    clean_birth_date,
    clean_email,
    clean_name,
    clean_phone,
    identity_key,
)
from consultations.services.volunteers import doctor_of
from gomask import locks
from gomask.clock import PARIS
from gomask.errors import Conflict, InvalidInput, NotFound
from gomask.idempotency import Done
from notifications.models import Delivery, DeliveryKind
from territories.models import Commune

CANCEL_SALT = "consultations.booking"
PATIENT_DELIVERY_KINDS = [
    DeliveryKind.BOOKING_CONFIRMATION,
    DeliveryKind.BOOKING_REMINDER,
    DeliveryKind.BOOKING_CANCELLED,
    DeliveryKind.WAITING_LIST_JOINED,
    DeliveryKind.WAITING_LIST_NOTICE,
]


# --- Signed links ---------------------------------------------------------------------


def booking_token(booking: Booking) -> str:
    """The signed reference used in the confirmation and cancel links (never the raw id)."""
    return signing.dumps(str(booking.public_id), salt=CANCEL_SALT, compress=False)


def booking_from_token(token: str) -> Booking:
    try:
        public_id = signing.loads(token, salt=CANCEL_SALT)
        return Booking.objects.select_related("slot__mission__site__commune").get(public_id=public_id)
    except (signing.BadSignature, Booking.DoesNotExist, ValueError, ValidationError) as exc:
        raise InvalidInput(
            _("Ce lien n'est pas valide : utilisez le lien reçu par e-mail, sans le modifier."),
            code="invalid_link",
        ) from exc


# --- Booking ---------------------------------------------------------------------------


@locks.retry_on_contention
def book_slot(
    *,
    slot_id: int,
    first_name: str,
    last_name: str,
    birth_date: date,
    phone: str,
    email: str,
    commune_code: str,
    has_regular_doctor: bool,
    rate_limit_key: str | None = None,
    now: datetime | None = None,
) -> Done[Booking]:
    """Book a free slot for a patient (no account). At most one active booking per slot.

    `rate_limit_key` (the client address) is counted only once the input is valid: typing
    mistakes never lock anyone out, attempts that could take a slot do. The same patient
    submitting again (Back, then the form again) gets their booking back:
    `Done(booking, replayed=True)`, the kernel's answer to a repeat (gomask.idempotency).
    """
    now = now_or(now)
    first_name = clean_name(first_name, field="first_name")
    last_name = clean_name(last_name, field="last_name")
    birth_date = clean_birth_date(birth_date, today=local_date(now))
    phone = clean_phone(phone)
    email = clean_email(email)
    if not isinstance(slot_id, int) or isinstance(slot_id, bool) or slot_id <= 0:
        raise NotFound(_("Ce créneau n'existe pas."), code="slot_not_found")
    person_key = identity_key(first_name, last_name, birth_date)
    if rate_limit_key is not None:
        check_booking_rate(client_key=rate_limit_key, now=now)
    _refuse_if_marked(slot_id, person_key)
    commune = Commune.objects.filter(insee_code=(commune_code or "").strip().upper()).first()
    if commune is None:
        raise InvalidInput(_("Indiquez votre commune de résidence."), code="invalid_commune", field="commune")

    try:
        with transaction.atomic():
            # One patient, however they write themselves: their e-mail, phone and identity.
            locks.advisory_lock(
                "booking-patient", f"email:{email}", f"phone:{phone}", f"identity:{person_key}"
            )
            slot = (
                Slot.objects.select_for_update(of=("self",))
                .select_related("mission__site__zone__epci", "mission__site__commune")
                .filter(pk=slot_id)
                .first()
            )
            if slot is None:
                raise NotFound(_("Ce créneau n'existe pas."), code="slot_not_found")
            mission = slot.mission
            if mission.status == MissionStatus.CANCELLED:
                raise Conflict(
                    _("Cette mission a été annulée : choisissez un autre créneau."), code="mission_cancelled"
                )
            if mission.status != MissionStatus.PUBLISHED:
                raise NotFound(_("Ce créneau n'existe pas."), code="slot_not_found")
            if slot.starts_at <= now:
                raise Conflict(_("Ce créneau est déjà passé : choisissez-en un autre."), code="slot_in_past")
            holder = Booking.objects.filter(slot=slot, status__in=ACTIVE_BOOKING_STATUSES).first()
            if holder is not None:
                if holder.identity_key == person_key:
                    return Done(holder, replayed=True)
                raise _slot_taken()
            lives_in_zone = commune.epci_id == mission.site.zone.epci_id
            refusal = priority_refusal(
                slot, lives_in_zone=lives_in_zone, has_regular_doctor=has_regular_doctor, now=now
            )
            if refusal is not None:
                raise refusal
            refuse_past_future_bookings(email=email, phone=phone, person_key=person_key, now=now)
            # No savepoint: a fired constraint rolls the whole transaction back (caught below).
            booking = Booking.objects.create(
                slot=slot,
                first_name=first_name,
                last_name=last_name,
                birth_date=birth_date,
                phone=phone,
                email=email,
                identity_key=person_key,
                commune=commune,
                lives_in_zone=lives_in_zone,
                has_regular_doctor=has_regular_doctor,
                confirmation_sent_at=now,
            )
            emails.queue_confirmation(booking, token=booking_token(booking), now=now)
            transaction.on_commit(lambda: _mark_taken(slot_id, person_key))
    except IntegrityError as exc:
        # The partial unique constraint fired: someone else got the slot first.
        raise _slot_taken() from exc
    return Done(booking)


def _paris_text(moment: datetime) -> str:
    return timezone.localtime(moment, PARIS).strftime(str(_("%d/%m/%Y à %H:%M")))


def priority_refusal(
    slot: Slot, *, lives_in_zone: bool, has_regular_doctor: bool, now: datetime | None = None
) -> Conflict | None:
    """Why this patient may not book this slot yet (None if they may).

    During a slot's priority window only residents of the zone without a médecin traitant may
    book it; the two reasons read differently, and both say when the slot opens to all.
    """
    now = now_or(now)
    if not slot.is_priority_at(now):
        return None
    opens = {"date": _paris_text(slot.priority_until), "zone": slot.mission.site.zone.epci.name}
    if not lives_in_zone:
        return Conflict(
            _(
                "Jusqu'au %(date)s, ce créneau est réservé aux habitants de la zone prioritaire "
                "(%(zone)s) ; votre commune n'en fait pas partie. Il sera ouvert à tous ensuite."
            )
            % opens,
            code="priority_outside_zone",
        )
    if has_regular_doctor:
        return Conflict(
            _(
                "Jusqu'au %(date)s, ce créneau est réservé aux patients qui n'ont pas de médecin "
                "traitant. Vous en avez un : vous pourrez le réserver à partir de cette date."
            )
            % opens,
            code="priority_has_regular_doctor",
        )
    return None


# --- "Slot taken" markers: a rush's losers refused without a transaction ---------------------
# After a booking commits, the cache holds the slot's holder (their identity key) for a while;
# a later attempt by someone else is refused at once, the same patient goes on to get their
# booking back. Only a shortcut: a missing marker (expired, Redis lost) means the transaction
# decides as before, and a cancellation removes the marker when it commits.
TAKEN_MARKER_SECONDS = 600


def _taken_key(slot_id: int) -> str:
    return f"consultations:slot-taken:{slot_id}"


def _taken_marker(slot_id: int) -> str | None:
    try:
        return cache.get(_taken_key(slot_id))
    except Exception:  # noqa: BLE001 - the cache is only a shortcut
        return None


def _mark_taken(slot_id: int, person_key: str) -> None:
    with contextlib.suppress(Exception):
        cache.set(_taken_key(slot_id), person_key, timeout=TAKEN_MARKER_SECONDS)


def forget_taken(slot_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(_taken_key(slot_id))


def _refuse_if_marked(slot_id: int, person_key: str) -> None:
    holder_key = _taken_marker(slot_id)
    if holder_key is not None and holder_key != person_key:
        # Booked a moment ago by someone else (committed): refused without opening a transaction.
        raise _slot_taken()


def refuse_if_taken(*, slot_id: int, first_name: str, last_name: str, birth_date: date) -> None:
    """Refuse at once an attempt on a slot booked a moment ago by someone else (its marker names
    another patient); nothing to say otherwise. `book_slot` asks the same in any case: a caller
    asks first only to spare a rush's losers costlier work (the API resolves the commune after
    it). Invalid values are left to `book_slot`, which says what is wrong with them."""
    if not isinstance(slot_id, int) or isinstance(slot_id, bool) or slot_id <= 0:
        return
    try:
        person_key = identity_key(
            clean_name(first_name, field="first_name"),
            clean_name(last_name, field="last_name"),
            birth_date,
        )
    except InvalidInput:
        return
    _refuse_if_marked(slot_id, person_key)


def _slot_taken() -> Conflict:
    return Conflict(
        _("Ce créneau vient d'être réservé par quelqu'un d'autre : choisissez-en un autre."),
        code="slot_taken",
    )


def cancel_booking(*, token: str, now: datetime | None = None) -> Booking:
    """The patient cancels through the signed link; the slot is free again at once."""
    now = now_or(now)
    found = booking_from_token(token)
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("slot__mission__site__commune")
            .get(pk=found.pk)
        )
        if booking.status == BookingStatus.CANCELLED:
            raise Conflict(_("Ce rendez-vous est déjà annulé."), code="already_cancelled")
        if booking.status != BookingStatus.BOOKED or booking.slot.starts_at <= now:
            raise Conflict(
                _("Ce rendez-vous est passé : il ne peut plus être annulé."), code="booking_in_past"
            )
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancelled_at"])
        if booking.email:
            emails.queue_cancellation(booking, now=now, by_site=False)
        slot_id = booking.slot_id
        transaction.on_commit(lambda: forget_taken(slot_id))
        transaction.on_commit(lambda: enqueue("notify_waiting_list", slot_id))
    return booking


# --- E-mails (written to the notifications outbox; each one once per event) ----------------


def due_reminder_ids(*, now: datetime | None = None) -> list[int]:
    """Active bookings whose consultation is tomorrow (Europe/Paris) and not yet reminded."""
    now = now_or(now)
    tomorrow = local_date(now) + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=PARIS)
    end = start + timedelta(days=1)
    return list(
        Booking.objects.filter(
            status=BookingStatus.BOOKED,
            reminder_sent_at__isnull=True,
            slot__starts_at__gte=start,
            slot__starts_at__lt=end,
        ).values_list("pk", flat=True)
    )


def send_reminder(*, booking_id: int, now: datetime | None = None) -> bool:
    """Write the day-before reminder to the outbox once (a conditional UPDATE claims it first)."""
    now = now_or(now)
    with transaction.atomic():
        claimed = Booking.objects.filter(
            pk=booking_id, reminder_sent_at__isnull=True, status=BookingStatus.BOOKED, slot__starts_at__gt=now
        ).update(reminder_sent_at=now)
        if claimed != 1:
            return False
        booking = Booking.objects.select_related("slot__mission__site__commune").get(pk=booking_id)
        emails.queue_reminder(booking, token=booking_token(booking), now=now)
    return True


def purge_patient_data(*, now: datetime | None = None) -> int:
    """Empty the identity of patients whose consultation is older than the retention period."""
    now = now_or(now)
    limit = now - timedelta(days=settings.PATIENT_DATA_RETENTION_DAYS)
    purged = Booking.objects.filter(purged_at__isnull=True, slot__ends_at__lt=limit).update(
        first_name="",
        last_name="",
        birth_date=None,
        phone="",
        email="",
        identity_key="",
        commune=None,
        purged_at=now,
    )
    WaitingListEntry.objects.filter(created_at__lt=limit).delete()
    # The e-mails sent to patients hold their names and addresses too. One written before the
    # limit announced a consultation that ended before it, give or take the booking horizon.
    Delivery.objects.filter(kind__in=PATIENT_DELIVERY_KINDS, created_at__lt=limit).delete()
    return purged


# --- The doctor's day -------------------------------------------------------------------------


def record_attendance(
    *, user, booking_id: int, attended: bool, became_regular_doctor: bool | None, now: datetime | None = None
) -> Booking:
    """The slot's doctor marks a patient attended or absent, and whether they became their regular doctor."""
    now = now_or(now)
    professional = doctor_of(user)
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("slot__mission")
            .filter(pk=booking_id, slot__mission__volunteer__professional=professional)
            .first()
        )
        if booking is None:
            raise NotFound(_("Ce rendez-vous n'existe pas."), code="booking_not_found")
        if booking.status == BookingStatus.CANCELLED:
            raise Conflict(_("Ce rendez-vous a été annulé."), code="booking_cancelled")
        if local_date(booking.slot.starts_at) > local_date(now):
            raise Conflict(
                _("La présence se note le jour de la consultation, pas avant."), code="consultation_not_yet"
            )
        booking.status = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
        booking.became_regular_doctor = bool(became_regular_doctor) if attended else None
        booking.attendance_recorded_at = now
        booking.save(update_fields=["status", "became_regular_doctor", "attendance_recorded_at"])
    return booking
