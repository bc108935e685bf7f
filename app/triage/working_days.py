"""Working days in England and Wales, for response targets.

Bank holidays come from the maintained `holidays` package (England's calendar, which England
and Wales share), never from a hand-written list. Plain functions, no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


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
