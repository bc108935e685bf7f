"""The date words pages show (app/timeutil.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.timeutil import long_date


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
