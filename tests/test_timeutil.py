"""The date words pages show (app/timeutil.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.timeutil import LONDON, long_date, short_date_time


@pytest.mark.parametrize("month", range(1, 13))
def test_a_long_date_names_the_month_as_strftime_does(month):
    day = date(2026, month, 7)
    assert long_date(day) == f"{day.day} {day:%B %Y}"


@pytest.mark.parametrize("moment, expected", [
    # A datetime is shown as its London date: after 11pm UTC in summer it is the next day.
    (datetime(2026, 7, 31, 23, 30, tzinfo=timezone.utc), "1 August 2026"),
    (datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc), "31 December 2026"),
    (None, ""),
])
def test_a_long_date_of_a_moment_is_its_london_date(moment, expected):
    assert long_date(moment) == expected


# Every half hour of a year with both clock changes, a leap day's year and the changes' own
# hours: the day and month names and the clock time as strftime and the clock's rules give them.
_HALF_HOURS = [datetime(2028, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=30 * n) for n in range(0, 366 * 48, 7)]
_CLOCK_CHANGES = [datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc),
                  datetime(2026, 10, 25, 0, 59, tzinfo=timezone.utc), datetime(2026, 10, 25, 1, 0, tzinfo=timezone.utc)]


def _short_date_time_by_strftime(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    if (local.hour, local.minute) == (12, 0):
        clock = "midday"
    elif (local.hour, local.minute) == (0, 0):
        clock = "midnight"
    else:
        clock = f"{local.hour % 12 or 12}{f':{local.minute:02d}' if local.minute else ''}{'am' if local.hour < 12 else 'pm'}"
    return f"{local:%a} {local.day} {local:%b}, {clock}"


def test_a_short_date_time_says_what_strftime_says():
    differ = [moment for moment in _HALF_HOURS + _CLOCK_CHANGES
              if short_date_time(moment) != _short_date_time_by_strftime(moment)]
    assert differ == []


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc), "Tue 24 Nov, 9:30am"),
    (datetime(2026, 7, 31, 23, 30, tzinfo=timezone.utc), "Sat 1 Aug, 12:30am"),
    (datetime(2026, 6, 1, 11, 0, tzinfo=timezone.utc), "Mon 1 Jun, midday"),
    (datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc), "Sun 6 Dec, midnight"),
    (None, ""),
])
def test_a_short_date_time_is_london_time(moment, expected):
    assert short_date_time(moment) == expected
