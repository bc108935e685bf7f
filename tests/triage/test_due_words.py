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


def _day_by_day(start: datetime, end: datetime) -> timedelta:
    """The plain reference: every day from start to end, its working hours that fall between."""
    from app.triage.working_days import WorkingHours, is_working_day

    hours = WorkingHours()
    total, day = timedelta(0), start.astimezone(LONDON).date()
    while day <= end.astimezone(LONDON).date():
        if is_working_day(day):
            opens = datetime.combine(day, hours.start, tzinfo=LONDON)
            closes = datetime.combine(day, hours.end, tzinfo=LONDON)
            total += max(timedelta(0), min(closes, end.astimezone(LONDON)) - max(opens, start.astimezone(LONDON)))
        day += timedelta(days=1)
    return total if end > start else timedelta(0)


@pytest.mark.parametrize(("start", "end"), [
    (DUE, at(24, 16)),                                           # before it: nothing
    (DUE, at(24, 18)),                                           # the same evening
    (at(24, 10), at(24, 12, 30)),                                # within one day
    (DUE, at(25, 10, 30)),
    (at(20, 17), at(23, 9, 45)),                                 # over a weekend
    (at(21, 11), at(22, 15)),                                    # Saturday to Sunday
    (at(24, 17, month=12), at(5, 14, month=1, year=2027)),      # Christmas, Boxing Day, New Year
    (at(27, 10, month=3), at(31, 12, month=3)),                  # the clocks go forward
    (at(23, 17, month=10), at(27, 9, 30, month=10)),             # and back
    (at(2, 17, month=4), at(8, 16, month=4)),                    # Good Friday, Easter Monday
    (at(3, 12, month=1), at(28, 15, month=6)),                   # half a year overdue
    (at(1, 17, month=1, year=2025), at(1, 9, 15, month=3, year=2027)),  # over two years
])
def test_working_hours_between_counts_as_day_by_day_does(start, end):
    assert working_hours_between(start, end) == _day_by_day(start, end)


def test_working_days_in_counts_weekdays_less_bank_holidays():
    from datetime import date

    from app.triage.working_days import working_days_in

    assert working_days_in(date(2026, 11, 23), date(2026, 11, 29)) == 5
    assert working_days_in(date(2026, 12, 21), date(2027, 1, 3)) == 7  # Christmas, Boxing Day (Monday 28th), New Year's Day
    assert working_days_in(date(2026, 11, 24), date(2026, 11, 23)) == 0
    assert working_days_in(date(2026, 11, 28), date(2026, 11, 28)) == 0  # a Saturday
