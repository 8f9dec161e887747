"""The limits every consultations write shares, in one place: the clock of a call, the rate limit
per client (bookings and alerts), a patient's cap of future bookings, a volunteer's monthly cap of
mission days, the size of a mission and of its days; and the hand-over of side effects to tasks."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import Booking, BookingStatus, MissionStatus, Volunteer
from gomask import clock
from gomask.errors import Conflict, DomainError

MAX_MISSION_DAYS = 31
MAX_SLOTS_PER_DAY = 60

local_date = clock.local_date


def now_or(now: datetime | None) -> datetime:
    """The moment of the call: the one given (tests, tasks) or now."""
    return now or timezone.now()


def enqueue(task_name: str, object_id: int) -> None:
    """Queue a consultations task (called from `transaction.on_commit`)."""
    from consultations import tasks

    getattr(tasks, task_name).delay(object_id)


# --- Rate limiting per client ------------------------------------------------------------


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _(
        "Trop de demandes de rendez-vous depuis cette connexion : réessayez dans quelques minutes."
    )


def check_rate(*, scope: str, client_key: str, limit: int, window: int, now: datetime | None = None) -> None:
    """Fixed-window counter per client (IP) and scope in the cache; raises TooManyRequests past
    the limit (0: no limit)."""
    if not limit:
        return
    bucket = int(now_or(now).timestamp()) // window
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


# --- A patient's future bookings -------------------------------------------------------------


def refuse_past_future_bookings(*, email: str, phone: str, person_key: str, now: datetime) -> None:
    """At most MAX_FUTURE_BOOKINGS bookings to come per patient (by e-mail, phone or identity).

    Read under the patient's advisory lock (`booking-patient`), so two tabs cannot both pass.
    """
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


# --- A volunteer's days and a mission's size ---------------------------------------------


def month_days(start: date, end: date) -> dict[tuple[int, int], int]:
    """Days of [start, end] per (year, month)."""
    days: dict[tuple[int, int], int] = {}
    current = start
    while current <= end:
        days[(current.year, current.month)] = days.get((current.year, current.month), 0) + 1
        current += timedelta(days=1)
    return days


def refuse_past_monthly_cap(volunteer: Volunteer, *, start_date: date, end_date: date) -> None:
    """A volunteer gives at most their own monthly cap of days (itself at most the setting's),
    counting their other missions that are not cancelled. Read under the volunteer's row lock."""
    others = volunteer.missions.exclude(status=MissionStatus.CANCELLED)
    cap = min(volunteer.max_days_per_month, settings.VOLUNTEER_MAX_DAYS_PER_MONTH)
    used: dict[tuple[int, int], int] = {}
    for other in others.filter(end_date__gte=start_date.replace(day=1)):
        for month, count in month_days(other.start_date, other.end_date).items():
            used[month] = used.get(month, 0) + count
    for month, count in month_days(start_date, end_date).items():
        if used.get(month, 0) + count > cap:
            raise Conflict(
                _("Ce médecin ne donne pas plus de %(cap)s jour(s) par mois (%(month)02d/%(year)s).")
                % {"cap": cap, "month": month[1], "year": month[0]},
                code="monthly_cap_reached",
            )
