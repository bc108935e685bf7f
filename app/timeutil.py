"""One notion of time: aware UTC datetimes everywhere, stored as naive UTC."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


# People and teams are in England: dates they see and type are London dates.
LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def london_today(now: datetime | None = None) -> date:
    """Today's date in England (the server's own date can differ around midnight)."""
    return (now or utcnow()).astimezone(LONDON).date()


# ---------------------------------------------------------------- NHS.UK style words for times


def clock_time(moment: datetime) -> str:
    """5pm, 9:30am, midday, midnight (London time)."""
    local = moment if moment.tzinfo is LONDON else moment.astimezone(LONDON)
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


# The months by name, as strftime's %B names them in the C locale the app runs in, without
# strftime: a tenth of its cost, and pages show several dates each.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# %b and %a, the same way: strftime of an aware time was two thirds of a table's date (a queue
# page has two a line, up to 100).
SHORT_MONTHS = tuple(month[:3] for month in MONTHS)
SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def long_date(value: date | datetime | None, empty: str = "") -> str:
    """'14 March 2026' (a datetime is shown as its London date)."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_time(moment: datetime | None) -> str:
    """'25 November 2026 at 10:42am', London time."""
    if moment is None:
        return ""
    return f"{long_date(moment)} at {clock_time(moment)}"


def short_date_time(moment: datetime | None) -> str:
    """'Tue 24 Nov, 9:30am', London time, for tables."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{SHORT_DAYS[local.weekday()]} {local.day} {SHORT_MONTHS[local.month - 1]}, {clock_time(local)}"


def exact_date_time(moment: datetime | None) -> str:
    """'24 Nov 2026, 9:30:05am', London time, to the second: for the audit log."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%b %Y}, {hour}:{local:%M:%S}{'am' if local.hour < 12 else 'pm'}"


def register_date_filters(app) -> None:
    for function in (long_date, date_time, short_date_time, exact_date_time):
        app.jinja_env.filters[function.__name__] = function


class UTCDateTime(TypeDecorator):
    """SQLite has no time zones, so store naive UTC and hand back aware UTC on both databases."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timeutil.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
