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


@pytest.mark.hazard("HAZ-001")
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


def utc(y, m, d, hh, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=timezone.utc)


# Arrivals around the 15:00 cut-off, given in UTC as the server stores them, so that London time
# (GMT in winter, BST in summer) is worked out by the rule under test. 15:00:00 itself is after
# the cut-off: the team has no time left that day.
@pytest.mark.hazard("HAZ-001")
@pytest.mark.parametrize(
    ("received", "working_days", "due_local"),
    [
        # GMT, Tuesday 24 November 2026 (London = UTC)
        (utc(2026, 11, 24, 14, 59, 59), 0, at(2026, 11, 24, 17)),  # one second before: today
        (utc(2026, 11, 24, 15, 0, 0), 0, at(2026, 11, 25, 17)),    # exactly 15:00: tomorrow
        (utc(2026, 11, 24, 15, 0, 1), 0, at(2026, 11, 25, 17)),    # one second after: tomorrow
        (utc(2026, 11, 24, 14, 59, 59), 2, at(2026, 11, 26, 17)),  # two working days from today
        (utc(2026, 11, 24, 15, 0, 0), 2, at(2026, 11, 27, 17)),    # two working days from tomorrow
        # BST, Wednesday 1 July 2026 (London = UTC+1): 15:00 in London is 14:00 UTC
        (utc(2026, 7, 1, 13, 59, 59), 0, at(2026, 7, 1, 17)),      # 14:59:59 BST: today
        (utc(2026, 7, 1, 14, 0, 0), 0, at(2026, 7, 2, 17)),        # exactly 15:00 BST: tomorrow
        (utc(2026, 7, 1, 14, 30, 0), 0, at(2026, 7, 2, 17)),       # 14:30 UTC is 15:30 BST
        # Friday: exactly 15:00 waits for Monday; a second before is still Friday
        (utc(2026, 11, 27, 14, 59, 59), 0, at(2026, 11, 27, 17)),
        (utc(2026, 11, 27, 15, 0, 0), 0, at(2026, 11, 30, 17)),
        (utc(2026, 11, 27, 15, 0, 0), 2, at(2026, 12, 2, 17)),
        # Friday before the clocks go forward (GMT in, BST out) and back (BST in, GMT out)
        (utc(2026, 3, 27, 15, 0, 0), 0, at(2026, 3, 30, 17)),
        (utc(2026, 10, 23, 14, 0, 0), 0, at(2026, 10, 26, 17)),
        (utc(2026, 10, 23, 13, 59, 59), 0, at(2026, 10, 23, 17)),
        # Before a bank holiday: Friday 28 August 2026, then late summer bank holiday Monday
        (utc(2026, 8, 28, 13, 59, 59), 0, at(2026, 8, 28, 17)),
        (utc(2026, 8, 28, 14, 0, 0), 0, at(2026, 9, 1, 17)),
        # Christmas Eve (Thursday) at 15:00: Christmas Day, the weekend and Boxing Day (substitute)
        (utc(2026, 12, 24, 14, 59, 59), 0, at(2026, 12, 24, 17)),
        (utc(2026, 12, 24, 15, 0, 0), 0, at(2026, 12, 29, 17)),
        # On a bank holiday the time of day does not matter: the next working day
        (utc(2026, 8, 31, 9, 0, 0), 0, at(2026, 9, 1, 17)),
        (utc(2026, 8, 31, 14, 0, 0), 0, at(2026, 9, 1, 17)),
    ],
)
def test_the_1500_cut_off(received, working_days, due_local):
    assert response_deadline(received, working_days) == due_local.astimezone(timezone.utc)


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
