"""Missions: a volunteer matched to a site for some days, its lodging, its slots, its
cancellation. Managed by the site's managers (ARS staff of its region, its coordinators):
`consultations.selectors.site_for_manager`, the one gate of "a site for its manager".

Lock order: the volunteer row, then the mission row, then the booking rows.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from consultations import emails, selectors
from consultations.models import Booking, BookingStatus, Mission, MissionStatus, Slot, Volunteer
from consultations.services.bookings import forget_taken
from consultations.services.limits import (
    MAX_MISSION_DAYS,
    MAX_SLOTS_PER_DAY,
    enqueue,
    local_date,
    now_or,
    refuse_past_monthly_cap,
)
from gomask.clock import PARIS
from gomask.errors import Conflict, InvalidInput, NotFound


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
    today = local_date(now_or(now))
    site = selectors.site_for_manager(user, site_id)
    if not site.is_active:
        raise NotFound(_("Ce lieu de consultation n'existe pas."), code="site_not_found")
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
        refuse_past_monthly_cap(volunteer, start_date=start_date, end_date=end_date)
        return Mission.objects.create(
            volunteer=volunteer,
            site=site,
            start_date=start_date,
            end_date=end_date,
            lodging_note=(lodging_note or "")[:255],
            created_by=user,
        )


def _locked_mission(user, mission_id: int) -> Mission:
    mission = Mission.objects.select_for_update(of=("self",)).filter(pk=mission_id).first()
    if mission is None:
        raise NotFound(_("Cette mission n'existe pas."), code="mission_not_found")
    mission.site = selectors.site_for_manager(user, mission.site_id)
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
    now = now_or(now)
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
        transaction.on_commit(lambda: enqueue("notify_slots_published", mission_id))
    return len(slots)


def cancel_mission(*, user, mission_id: int, now: datetime | None = None) -> int:
    """Cancel a mission; its future bookings are cancelled and the patients told by e-mail."""
    now = now_or(now)
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
