"""The portal's clock: Paris time, weeks Monday to Sunday, and the date formats of messages.

Dates and times are stored in UTC; every calendar decision (which week a handover counts in,
"tomorrow" for a reminder, a date in a message) is taken in Europe/Paris, here and nowhere else.
"""

from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    return timezone.now()


def local(moment: datetime) -> datetime:
    """An aware datetime as Paris wall-clock time."""
    return timezone.localtime(moment, PARIS)


def local_date(moment: datetime | None = None) -> date:
    """The Paris calendar day of `moment` (default: now)."""
    return local(moment or now()).date()


def start_of_day(day: date) -> datetime:
    """Midnight in Paris at the start of `day`, as an aware datetime."""
    return datetime.combine(day, dtime.min, tzinfo=PARIS)


def week_start(moment: datetime | date | None = None) -> date:
    """The Monday (Paris) of the week of `moment`: an aware datetime, a date, or now."""
    day = moment if isinstance(moment, date) and not isinstance(moment, datetime) else local_date(moment)
    return day - timedelta(days=day.weekday())


def week_bounds(week: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) in Paris, as aware datetimes."""
    return start_of_day(week), start_of_day(week + timedelta(days=7))


def format_date(value: datetime | date) -> str:
    """A day as "31/03/2020" (a datetime is first brought to Paris time)."""
    day = local(value).date() if isinstance(value, datetime) else value
    return day.strftime(_("%d/%m/%Y"))


def format_time(moment: datetime) -> str:
    """A time as "14:30", in Paris time."""
    return local(moment).strftime(_("%H:%M"))


def format_datetime(moment: datetime) -> str:
    """A moment as "31/03/2020 à 14:30", in Paris time."""
    return local(moment).strftime(_("%d/%m/%Y à %H:%M"))
