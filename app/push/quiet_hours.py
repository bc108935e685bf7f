"""Quiet hours: the part of each night (England's clock) when nothing is sent.

Pure functions over aware datetimes, no Flask, no database. Times are London wall-clock times,
so quiet hours from 9pm to 8am stay 9pm to 8am across the March and October clock changes.
Quiet hours always hold, whatever the kind: nothing urgent ever relies on push.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from ..timeutil import LONDON

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)


def _london_moment(day, at: time) -> datetime:
    """`at` on London date `day`, in UTC. A wall-clock time skipped by the spring change
    (1:30am on the last Sunday of March) is taken as the same number of minutes after the jump."""
    local = datetime.combine(day, at, tzinfo=LONDON)
    return local.astimezone(timezone.utc)


def is_quiet(local_time: time, start: time, end: time) -> bool:
    """Whether a London wall-clock time falls in quiet hours [start, end). Start equal to end
    means no quiet hours; start after end wraps past midnight (9pm to 8am)."""
    if start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """When quiet hours end, in UTC, if `now` is inside them; None when sending is allowed now."""
    local = now.astimezone(LONDON)
    if not is_quiet(local.time().replace(tzinfo=None), start, end):
        return None
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)  # quiet since the evening: it ends tomorrow morning
    return _london_moment(day, end)
