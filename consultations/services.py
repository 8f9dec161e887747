"""Every write of the consultations app: one function per domain action.

Lock order (always the same, to avoid deadlocks): advisory locks on a patient's identity
keys (sorted), then the volunteer row, then the mission row, then the slot row, then the
booking row.
"""

import contextlib
import re
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import ARS, ensure_region_scope
from consultations import emails
from consultations.models import (
    ACTIVE_BOOKING_STATUSES,
    Availability,
    Booking,
    BookingStatus,
    Mission,
    MissionStatus,
    PriorityZone,
    Site,
    Slot,
    Volunteer,
    WaitingListEntry,
)
from gomask import clock, locks, phones
from gomask.clock import PARIS
from gomask.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from gomask.text import normalise_for_search
from notifications.models import Delivery, DeliveryKind
from professionals.models import Profession
from territories.models import Commune

CANCEL_SALT = "consultations.booking"
MAX_MISSION_DAYS = 31
MAX_SLOTS_PER_DAY = 60
PATIENT_DELIVERY_KINDS = [
    DeliveryKind.BOOKING_CONFIRMATION,
    DeliveryKind.BOOKING_REMINDER,
    DeliveryKind.BOOKING_CANCELLED,
    DeliveryKind.WAITING_LIST_JOINED,
    DeliveryKind.WAITING_LIST_NOTICE,
]


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _(
        "Trop de demandes de rendez-vous depuis cette connexion : réessayez dans quelques minutes."
    )


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


local_date = clock.local_date


# --- Rate limiting -----------------------------------------------------------------


def check_rate(*, scope: str, client_key: str, limit: int, window: int, now: datetime | None = None) -> None:
    """Fixed-window counter per client (IP) and scope in the cache; raises TooManyRequests past
    the limit (0: no limit)."""
    if not limit:
        return
    bucket = int(_now(now).timestamp()) // window
    key = f"consultations:{scope}-rate:{client_key}:{bucket}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        # Expired between add and incr: start a new window.
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        raise TooManyRequests()


def check_booking_rate(*, client_key: str, now: datetime | None = None) -> None:
    check_rate(
        scope="booking",
        client_key=client_key,
        limit=settings.BOOKING_RATE_LIMIT,
        window=settings.BOOKING_RATE_WINDOW_SECONDS,
        now=now,
    )


# --- Input cleaning ------------------------------------------------------------------

_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*\.?$")


def clean_phone(value: str) -> str:
    """A patient's phone, required, in E.164 (gomask.phones: one validation for every phone)."""
    if not (value or "").strip():
        raise InvalidInput(phones.INVALID_MESSAGE, code="invalid_phone", field="phone")
    return phones.clean_phone(value)


def clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(
            _("L'adresse e-mail n'est pas valide."), code="invalid_email", field="email"
        ) from exc
    return email


def clean_name(value: str, *, field: str) -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > 100 or not _NAME.match(name):
        label = _("Le prénom") if field == "first_name" else _("Le nom")
        raise InvalidInput(
            _("%(label)s est obligatoire et ne doit contenir que des lettres.") % {"label": label},
            code="invalid_name",
            field=field,
        )
    return name


def clean_birth_date(value, *, today: date) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidInput(
                _("La date de naissance n'est pas valide (format AAAA-MM-JJ)."),
                code="invalid_birth_date",
                field="birth_date",
            ) from exc
    if value > today:
        raise InvalidInput(
            _("La date de naissance ne peut pas être dans le futur."),
            code="birth_date_in_future",
            field="birth_date",
        )
    if value.year < today.year - 120:
        raise InvalidInput(
            _("La date de naissance n'est pas plausible."), code="invalid_birth_date", field="birth_date"
        )
    return value


def identity_key(first_name: str, last_name: str, birth_date: date) -> str:
    return f"{normalise_for_search(last_name)}|{normalise_for_search(first_name)}|{birth_date.isoformat()}"


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


# --- Patients ------------------------------------------------------------------------


@locks.retry_on_contention
def book_slot(
    *,
    slot_id: int,
    first_name: str,
    last_name: str,
    birth_date,
    phone: str,
    email: str,
    commune_code: str,
    has_regular_doctor: bool,
    rate_limit_key: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a free slot for a patient (no account). At most one active booking per slot.

    `rate_limit_key` (the client address) is counted only once the input is valid: typing
    mistakes never lock anyone out, attempts that could take a slot do. The same patient
    submitting again (Back, then the form again) gets their booking back, marked `repeated`.
    """
    now = _now(now)
    first_name = clean_name(first_name, field="first_name")
    last_name = clean_name(last_name, field="last_name")
    birth_date = clean_birth_date(birth_date, today=local_date(now))
    phone = clean_phone(phone)
    email = clean_email(email)
    commune = Commune.objects.filter(insee_code=(commune_code or "").strip().upper()).first()
    if commune is None:
        raise InvalidInput(_("Indiquez votre commune de résidence."), code="invalid_commune", field="commune")
    if not isinstance(slot_id, int) or isinstance(slot_id, bool) or slot_id <= 0:
        raise NotFound(_("Ce créneau n'existe pas."), code="slot_not_found")
    person_key = identity_key(first_name, last_name, birth_date)
    if rate_limit_key is not None:
        check_booking_rate(client_key=rate_limit_key, now=now)
    holder_key = _taken_marker(slot_id)
    if holder_key is not None and holder_key != person_key:
        # Booked a moment ago by someone else (committed): refused without opening a transaction.
        raise _slot_taken()

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
                    holder.repeated = True
                    return holder
                raise _slot_taken()
            lives_in_zone = commune.epci_id == mission.site.zone.epci_id
            refusal = priority_refusal(
                slot, lives_in_zone=lives_in_zone, has_regular_doctor=has_regular_doctor, now=now
            )
            if refusal is not None:
                raise refusal
            future = Booking.objects.filter(status=BookingStatus.BOOKED, slot__starts_at__gt=now).filter(
                Q(email=email) | Q(phone=phone) | Q(identity_key=person_key)
            )
            if future.count() >= settings.MAX_FUTURE_BOOKINGS:
                raise Conflict(
                    _(
                        "Vous avez déjà %(count)s rendez-vous à venir : c'est le maximum. Annulez-en un "
                        "pour en prendre un autre."
                    )
                    % {"count": settings.MAX_FUTURE_BOOKINGS},
                    code="too_many_bookings",
                )
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
    booking.repeated = False
    return booking


def _paris_text(moment: datetime) -> str:
    return timezone.localtime(moment, PARIS).strftime(str(_("%d/%m/%Y à %H:%M")))


def priority_refusal(
    slot: Slot, *, lives_in_zone: bool, has_regular_doctor: bool, now: datetime | None = None
) -> Conflict | None:
    """Why this patient may not book this slot yet (None if they may).

    During a slot's priority window only residents of the zone without a médecin traitant may
    book it; the two reasons read differently, and both say when the slot opens to all.
    """
    now = _now(now)
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


def _slot_taken() -> Conflict:
    return Conflict(
        _("Ce créneau vient d'être réservé par quelqu'un d'autre : choisissez-en un autre."),
        code="slot_taken",
    )


def cancel_booking(*, token: str, now: datetime | None = None) -> Booking:
    """The patient cancels through the signed link; the slot is free again at once."""
    now = _now(now)
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
        transaction.on_commit(lambda: _enqueue("notify_waiting_list", slot_id))
    return booking


# --- E-mails (written to the notifications outbox; each one once per event) ----------------


def due_reminder_ids(*, now: datetime | None = None) -> list[int]:
    """Active bookings whose consultation is tomorrow (Europe/Paris) and not yet reminded."""
    now = _now(now)
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
    now = _now(now)
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
    now = _now(now)
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


def _enqueue(task_name: str, object_id: int) -> None:
    from consultations import tasks

    getattr(tasks, task_name).delay(object_id)


# --- Volunteers ------------------------------------------------------------------------


def _doctor_of(user):
    professional = getattr(user, "professional", None) if user.is_authenticated else None
    if (
        user.role != Role.PROFESSIONAL
        or not user.is_approved
        or professional is None
        or professional.profession != Profession.MEDECIN
    ):
        raise NotAllowed(
            _("Seuls les médecins au compte professionnel validé peuvent se porter volontaires."),
            code="not_a_doctor",
        )
    return professional


def volunteer_of(user) -> Volunteer | None:
    professional = _doctor_of(user)
    return Volunteer.objects.filter(professional=professional).first()


def save_volunteer_profile(
    *, user, zone_ids: list[int], site_ids: list[int], max_days_per_month: int, needs_lodging: bool
) -> Volunteer:
    """A médecin states the zones/sites they accept, their monthly cap and lodging need."""
    professional = _doctor_of(user)
    cap = settings.VOLUNTEER_MAX_DAYS_PER_MONTH
    if (
        not isinstance(max_days_per_month, int)
        or isinstance(max_days_per_month, bool)
        or not (1 <= max_days_per_month <= cap)
    ):
        raise InvalidInput(
            _("Le nombre de jours par mois doit être compris entre 1 et %(cap)s.") % {"cap": cap},
            code="invalid_days_per_month",
            field="max_days_per_month",
        )
    zones = list(PriorityZone.objects.filter(pk__in=zone_ids, is_active=True))
    sites = list(Site.objects.filter(pk__in=site_ids, is_active=True))
    if len(zones) != len(set(zone_ids)) or len(sites) != len(set(site_ids)):
        raise InvalidInput(_("Une zone ou un lieu choisi n'existe pas."), code="unknown_zone_or_site")
    if not zones and not sites:
        raise InvalidInput(
            _("Choisissez au moins une zone ou un lieu où vous acceptez d'aller."), code="no_zone_or_site"
        )
    with transaction.atomic():
        volunteer, _created = Volunteer.objects.select_for_update().get_or_create(
            professional=professional,
            defaults={"max_days_per_month": max_days_per_month, "needs_lodging": needs_lodging},
        )
        volunteer.max_days_per_month = max_days_per_month
        volunteer.needs_lodging = needs_lodging
        volunteer.save(update_fields=["max_days_per_month", "needs_lodging", "updated_at"])
        volunteer.zones.set(zones)
        volunteer.sites.set(sites)
    return volunteer


def add_availability(*, user, start_date: date, end_date: date, now: datetime | None = None) -> Availability:
    """A volunteer adds a period when they can come."""
    today = local_date(_now(now))
    volunteer = volunteer_of(user)
    if volunteer is None:
        raise Conflict(
            _("Enregistrez d'abord vos zones et votre disponibilité mensuelle."), code="no_volunteer_profile"
        )
    if start_date < today:
        raise InvalidInput(_("La période ne peut pas commencer dans le passé."), code="period_in_past")
    if end_date < start_date:
        raise InvalidInput(_("La fin de la période doit suivre son début."), code="period_reversed")
    if (end_date - start_date).days > 366:
        raise InvalidInput(_("Une période ne peut pas dépasser un an."), code="period_too_long")
    with transaction.atomic():
        Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if volunteer.availabilities.filter(start_date__lte=end_date, end_date__gte=start_date).exists():
            raise Conflict(
                _("Cette période chevauche une disponibilité déjà saisie."), code="period_overlaps"
            )
        return Availability.objects.create(volunteer=volunteer, start_date=start_date, end_date=end_date)


def remove_availability(*, user, availability_id: int) -> None:
    volunteer = volunteer_of(user)
    deleted, _detail = Availability.objects.filter(pk=availability_id, volunteer=volunteer).delete()
    if not deleted:
        raise NotFound(_("Cette disponibilité n'existe pas."), code="availability_not_found")


# --- Missions (ARS staff of the region, or the site's coordinator) ---------------------------


def ensure_can_manage_site(user, site: Site) -> None:
    if user.role in ARS and user.is_approved:
        ensure_region_scope(user, site.zone.region_id)
        return
    if (
        user.role in (Role.PROFESSIONAL, Role.ARS_STAFF)
        and user.is_approved
        and site.coordinators.filter(pk=user.pk).exists()
    ):
        return
    raise NotAllowed(_("Vous ne coordonnez pas ce lieu de consultation."), code="not_site_manager")


def _month_days(start: date, end: date) -> dict[tuple[int, int], int]:
    days: dict[tuple[int, int], int] = {}
    current = start
    while current <= end:
        days[(current.year, current.month)] = days.get((current.year, current.month), 0) + 1
        current += timedelta(days=1)
    return days


def create_mission(
    *,
    user,
    volunteer_id: int,
    site_id: int,
    start_date: date,
    end_date: date,
    lodging_note: str = "",
    now: datetime | None = None,
) -> Mission:
    """Match a volunteer to a site for some days, within their availability and monthly cap."""
    today = local_date(_now(now))
    site = Site.objects.select_related("zone").filter(pk=site_id).first()
    if site is None or not site.is_active:
        raise NotFound(_("Ce lieu de consultation n'existe pas."), code="site_not_found")
    ensure_can_manage_site(user, site)
    if start_date < today:
        raise InvalidInput(_("Une mission ne peut pas commencer dans le passé."), code="period_in_past")
    if end_date < start_date:
        raise InvalidInput(_("La fin de la mission doit suivre son début."), code="period_reversed")
    if (end_date - start_date).days + 1 > MAX_MISSION_DAYS:
        raise InvalidInput(_("Une mission dure au plus 31 jours."), code="mission_too_long")
    with transaction.atomic():
        volunteer = (
            Volunteer.objects.select_for_update()
            .select_related("professional")
            .filter(pk=volunteer_id)
            .first()
        )
        if volunteer is None:
            raise NotFound(_("Ce médecin solidaire n'existe pas."), code="volunteer_not_found")
        accepts = (
            volunteer.sites.filter(pk=site.pk).exists() or volunteer.zones.filter(pk=site.zone_id).exists()
        )
        if not accepts:
            raise Conflict(_("Ce médecin n'a pas accepté ce lieu ni sa zone."), code="site_not_accepted")
        if not volunteer.availabilities.filter(start_date__lte=start_date, end_date__gte=end_date).exists():
            raise Conflict(
                _("Ces dates sortent des disponibilités déclarées par le médecin."),
                code="outside_availability",
            )
        others = volunteer.missions.exclude(status=MissionStatus.CANCELLED)
        if others.filter(start_date__lte=end_date, end_date__gte=start_date).exists():
            raise Conflict(_("Ce médecin a déjà une mission à ces dates."), code="mission_overlaps")
        cap = min(volunteer.max_days_per_month, settings.VOLUNTEER_MAX_DAYS_PER_MONTH)
        used: dict[tuple[int, int], int] = {}
        for other in others.filter(end_date__gte=start_date.replace(day=1)):
            for month, count in _month_days(other.start_date, other.end_date).items():
                used[month] = used.get(month, 0) + count
        for month, count in _month_days(start_date, end_date).items():
            if used.get(month, 0) + count > cap:
                raise Conflict(
                    _("Ce médecin ne donne pas plus de %(cap)s jour(s) par mois (%(month)02d/%(year)s).")
                    % {"cap": cap, "month": month[1], "year": month[0]},
                    code="monthly_cap_reached",
                )
        return Mission.objects.create(
            volunteer=volunteer,
            site=site,
            start_date=start_date,
            end_date=end_date,
            lodging_note=(lodging_note or "")[:255],
            created_by=user,
        )


def _locked_mission(user, mission_id: int) -> Mission:
    mission = (
        Mission.objects.select_for_update(of=("self",))
        .select_related("site__zone")
        .filter(pk=mission_id)
        .first()
    )
    if mission is None:
        raise NotFound(_("Cette mission n'existe pas."), code="mission_not_found")
    ensure_can_manage_site(user, mission.site)
    return mission


def confirm_lodging(*, user, mission_id: int, lodging_note: str) -> Mission:
    """Record the lodging offered to the volunteer for this mission."""
    note = (lodging_note or "").strip()
    if not note:
        raise InvalidInput(_("Précisez l'hébergement proposé."), code="lodging_note_required")
    with transaction.atomic():
        mission = _locked_mission(user, mission_id)
        if mission.status == MissionStatus.CANCELLED:
            raise Conflict(_("Cette mission a été annulée."), code="mission_cancelled")
        mission.lodging_confirmed = True
        mission.lodging_note = note[:255]
        mission.save(update_fields=["lodging_confirmed", "lodging_note"])
    return mission


def publish_slots(
    *,
    user,
    mission_id: int,
    day_start: time,
    day_end: time,
    break_start: time | None = None,
    break_end: time | None = None,
    slot_minutes: int | None = None,
    now: datetime | None = None,
) -> int:
    """Create the mission's slots day by day and open them (first to priority patients)."""
    now = _now(now)
    minutes = settings.CONSULTATION_SLOT_MINUTES if slot_minutes is None else slot_minutes
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 120:
        raise InvalidInput(_("La durée d'un créneau va de 5 à 120 minutes."), code="invalid_slot_minutes")
    if day_end <= day_start:
        raise InvalidInput(_("La fin de journée doit suivre son début."), code="invalid_day")
    if (break_start is None) != (break_end is None):
        raise InvalidInput(_("Indiquez le début et la fin de la pause."), code="invalid_break")
    if break_start is not None and not (day_start <= break_start < break_end <= day_end):
        raise InvalidInput(_("La pause doit se situer dans la journée."), code="invalid_break")
    with transaction.atomic():
        mission = _locked_mission(user, mission_id)
        if mission.status == MissionStatus.CANCELLED:
            raise Conflict(_("Cette mission a été annulée."), code="mission_cancelled")
        if mission.status == MissionStatus.PUBLISHED:
            raise Conflict(_("Les créneaux de cette mission sont déjà publiés."), code="already_published")
        slots = []
        day = mission.start_date
        step = timedelta(minutes=minutes)
        while day <= mission.end_date:
            start = datetime.combine(day, day_start, tzinfo=PARIS)
            day_end_at = datetime.combine(day, day_end, tzinfo=PARIS)
            pause = (
                (
                    datetime.combine(day, break_start, tzinfo=PARIS),
                    datetime.combine(day, break_end, tzinfo=PARIS),
                )
                if break_start is not None
                else None
            )
            per_day = 0
            while start + step <= day_end_at:
                end = start + step
                if pause and start < pause[1] and end > pause[0]:
                    start = pause[1]
                    continue
                if start > now:
                    slots.append(Slot(mission=mission, starts_at=start, ends_at=end))
                    per_day += 1
                    if per_day > MAX_SLOTS_PER_DAY:
                        raise InvalidInput(
                            _("Trop de créneaux dans une journée (60 au plus)."), code="too_many_slots"
                        )
                start = end
            day += timedelta(days=1)
        if not slots:
            raise InvalidInput(_("Aucun créneau à venir dans ces horaires."), code="no_slots")
        Slot.objects.bulk_create(slots)
        mission.status = MissionStatus.PUBLISHED
        mission.published_at = now
        mission.priority_until = now + timedelta(hours=settings.PRIORITY_WINDOW_HOURS)
        mission.save(update_fields=["status", "published_at", "priority_until"])
        mission_id = mission.pk
        transaction.on_commit(lambda: _enqueue("notify_slots_published", mission_id))
    return len(slots)


def cancel_mission(*, user, mission_id: int, now: datetime | None = None) -> int:
    """Cancel a mission; its future bookings are cancelled and the patients told by e-mail."""
    now = _now(now)
    with transaction.atomic():
        mission = _locked_mission(user, mission_id)
        if mission.status == MissionStatus.CANCELLED:
            raise Conflict(_("Cette mission est déjà annulée."), code="mission_cancelled")
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("slot__mission__site__commune")
            .filter(slot__mission=mission, status=BookingStatus.BOOKED, slot__starts_at__gt=now)
            .order_by("pk")
        )
        for booking in bookings:
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at"])
            transaction.on_commit(lambda slot_id=booking.slot_id: forget_taken(slot_id))
            if booking.email:
                emails.queue_cancellation(booking, now=now, by_site=True)
        mission.status = MissionStatus.CANCELLED
        mission.cancelled_at = now
        mission.save(update_fields=["status", "cancelled_at"])
    return len(bookings)


# --- The doctor's day -------------------------------------------------------------------------


def record_attendance(
    *, user, booking_id: int, attended: bool, became_regular_doctor: bool | None, now: datetime | None = None
) -> Booking:
    """The slot's doctor marks a patient attended or absent, and whether they became their regular doctor."""
    now = _now(now)
    professional = _doctor_of(user)
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
