"""'Due by 5pm today', 'Overdue by 2 working days': the response target in plain words."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.triage.working_days import clock_time, due_in_words, working_hours_between

LONDON = ZoneInfo("Europe/London")


def at(d, hh, mm=0, month=11, year=2026):
    return datetime(year, month, d, hh, mm, tzinfo=LONDON)


DUE = at(24, 17)  # Tuesday 24 November 2026, 5pm


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (at(24, 10), "Due by 5pm today"),
        (at(23, 10), "Due by 5pm tomorrow"),
        (at(20, 10), "Due by 5pm on Tuesday 24 November"),
        (at(24, 20), "Overdue: was due by 5pm today"),          # past it, but no working time lost yet
        (at(25, 8), "Overdue: was due by 5pm yesterday"),
        (at(25, 10, 30), "Overdue by 1 working hour"),
        (at(25, 12), "Overdue by 3 working hours"),
        (at(26, 9), "Overdue by 1 working day"),
        (at(30, 12), "Overdue by 3 working days"),                # Wed, Thu, Fri, and Monday morning
    ],
)
def test_due_in_words(now, words):
    assert due_in_words(DUE, now) == words


def test_weekends_and_bank_holidays_are_not_working_time():
    christmas_eve_5pm = at(24, 17, month=12)  # Christmas Eve 2026 is a Thursday; 25th and 28th are holidays
    assert working_hours_between(christmas_eve_5pm, at(29, 9, month=12)) == timedelta(0)
    assert working_hours_between(christmas_eve_5pm, at(29, 11, month=12)) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("moment", "words"),
    [(at(24, 17), "5pm"), (at(24, 9, 30), "9:30am"), (at(24, 12), "midday"), (at(24, 0), "midnight")],
)
def test_clock_time_in_nhs_style(moment, words):
    assert clock_time(moment) == words
