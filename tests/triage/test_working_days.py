"""Response targets in working days, with England and Wales bank holidays."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.triage.working_days import is_working_day, next_working_day, response_deadline, working_time_overdue

LONDON = ZoneInfo("Europe/London")


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 24), True),    # a Tuesday
        (date(2026, 11, 28), False),   # Saturday
        (date(2026, 12, 25), False),   # Christmas Day
        (date(2026, 12, 28), False),   # Boxing Day (substitute)
        (date(2027, 3, 26), False),    # Good Friday
        (date(2027, 3, 29), False),    # Easter Monday
        (date(2026, 8, 31), False),    # late summer bank holiday (England, not Scotland)
        (date(2026, 11, 30), True),    # St Andrew's Day is a Scottish holiday only
    ],
)
def test_working_days(day, working):
    assert is_working_day(day) is working


def test_next_working_day_skips_christmas():
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)


@pytest.mark.parametrize(
    ("received", "working_days", "due_local"),
    [
        (at(2026, 11, 24, 10), 0, at(2026, 11, 24, 17)),   # red flag on a Tuesday morning: today
        (at(2026, 11, 24, 16), 0, at(2026, 11, 25, 17)),   # after the cut-off: next working day
        (at(2026, 11, 28, 10), 0, at(2026, 11, 30, 17)),   # Saturday: Monday
        (at(2026, 11, 24, 10), 2, at(2026, 11, 26, 17)),   # re-entry: two working days
        (at(2026, 11, 27, 10), 2, at(2026, 12, 1, 17)),    # Friday: over the weekend
        (at(2026, 12, 24, 10), 2, at(2026, 12, 30, 17)),   # over Christmas and Boxing Day
        (at(2027, 3, 25, 12), 2, at(2027, 3, 31, 17)),     # over Easter
    ],
)
def test_response_deadline(received, working_days, due_local):
    due = response_deadline(received, working_days)
    assert due.tzinfo is not None
    assert due == due_local.astimezone(timezone.utc)


def test_deadline_respects_british_summer_time():
    due = response_deadline(at(2026, 7, 1, 10), 0)
    assert due == datetime(2026, 7, 1, 16, 0, tzinfo=timezone.utc)  # 17:00 BST


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        response_deadline(datetime(2026, 11, 24, 10), 0)


def test_overdue_is_never_negative():
    deadline = at(2026, 11, 24, 17)
    assert working_time_overdue(deadline, deadline - timedelta(hours=1)) == timedelta(0)
    assert working_time_overdue(deadline, deadline + timedelta(hours=3)) == timedelta(hours=3)
