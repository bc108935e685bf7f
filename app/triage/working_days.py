"""Working days in England and Wales, for response targets.

Bank holidays come from the maintained `holidays` package (England's calendar, which England
and Wales share), never from a hand-written list. Plain functions, no Flask. London time and
clock times are `app.timeutil`'s.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# LONDON is imported from here by other areas; it is timeutil's, the one for the whole app.
from ..timeutil import LONDON, clock_time

__all__ = [
    "LONDON", "WorkingHours", "clock_time", "day_words", "due_in_words", "first_working_day_from",
    "is_overdue", "is_working_day", "next_working_day", "response_deadline", "working_days_in",
    "working_hours_between", "working_time_overdue",
]


@dataclass(frozen=True)
class WorkingHours:
    """When the team answers. Something arriving after `cutoff` counts from the next working day."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    cutoff: time = time(15, 0)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def first_working_day_from(day: date) -> date:
    return day if is_working_day(day) else next_working_day(day)


def response_deadline(received: datetime, working_days: int, hours: WorkingHours = WorkingHours()) -> datetime:
    """When a reply is due, as an aware UTC datetime.

    `working_days=0` means the same working day (red flags): by the end of today's working
    hours if it arrived on a working day before the cut-off, otherwise by the end of the next
    working day. `working_days=2` means by the end of the second working day after that.
    """
    if received.tzinfo is None:
        raise ValueError("received must be timezone-aware")
    local = received.astimezone(LONDON)
    day = local.date()
    if not is_working_day(day) or local.time() >= hours.cutoff:
        day = next_working_day(day)
    for _ in range(working_days):
        day = next_working_day(day)
    return datetime.combine(day, hours.end, tzinfo=LONDON).astimezone(ZoneInfo("UTC"))


def working_time_overdue(deadline: datetime, now: datetime) -> timedelta:
    """How far past its deadline an item is (zero when it is not yet due)."""
    return max(timedelta(0), now - deadline)


def working_days_in(first: date, last: date) -> int:
    """How many working days from `first` to `last`, both included (0 when `last` is earlier):
    counted by whole weeks and the year's bank holidays, not day by day."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    weekdays = weeks * 5 + sum(1 for offset in range(rest) if (first.weekday() + offset) % 7 < 5)
    holidays_on_weekdays = sum(
        1 for year in range(first.year, last.year + 1) for holiday in _bank_holidays(year)
        if first <= holiday <= last and holiday.weekday() < 5
    )
    return weekdays - holidays_on_weekdays


def working_hours_between(start: datetime, end: datetime, hours: WorkingHours = WorkingHours()) -> timedelta:
    """Time between `start` and `end` that falls in working hours on working days.

    The first and last days count the hours they share with `start` to `end`; every working day
    between counts in full. An item months overdue costs what one a day overdue does (the queue
    puts every overdue item's lateness into words)."""
    if end <= start:
        return timedelta(0)
    start_local, end_local = start.astimezone(LONDON), end.astimezone(LONDON)

    def on(day: date) -> timedelta:
        if not is_working_day(day):
            return timedelta(0)
        opens = datetime.combine(day, hours.start, tzinfo=LONDON)
        closes = datetime.combine(day, hours.end, tzinfo=LONDON)
        return max(timedelta(0), min(closes, end_local) - max(opens, start_local))

    first, last = start_local.date(), end_local.date()
    if first == last:
        return on(first)
    day_length = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
    between = working_days_in(first + timedelta(days=1), last - timedelta(days=1))
    return on(first) + day_length * between + on(last)


def day_words(moment: datetime, now: datetime) -> str:
    """'today', 'tomorrow', 'yesterday' or 'on Thursday 26 November' (London dates)."""
    day, today = moment.astimezone(LONDON).date(), now.astimezone(LONDON).date()
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    if day == today - timedelta(days=1):
        return "yesterday"
    text = f"on {day:%A} {day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def due_in_words(due: datetime, now: datetime, hours: WorkingHours = WorkingHours()) -> str:
    """How an item stands against its response target, in plain words.

    'Due by 5pm today'; once past it, how long in working time: 'Overdue by 3 working hours',
    'Overdue by 2 working days' (a working day being the team's working hours).
    """
    if now <= due:
        return f"Due by {clock_time(due)} {day_words(due, now)}"
    late = working_hours_between(due, now, hours)
    day_length = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
    if late >= day_length:
        return f"Overdue by {_plural(late // day_length, 'working day')}"
    if late >= timedelta(hours=1):
        return f"Overdue by {_plural(late // timedelta(hours=1), 'working hour')}"
    return f"Overdue: was due by {clock_time(due)} {day_words(due, now)}"


def is_overdue(due: datetime, now: datetime) -> bool:
    return now > due
