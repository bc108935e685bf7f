"""Follow-up date rules: when a test is next due once a result is recorded."""
from __future__ import annotations

from datetime import date

import pytest

from app.followup.schedule import next_due_after_result

DUE = date(2026, 6, 1)


@pytest.mark.hazard("HAZ-018")
@pytest.mark.parametrize(("due", "interval", "taken", "expected"), [
    (DUE, 6, date(2026, 6, 1), date(2026, 12, 1)),     # taken on the day it was due
    (DUE, 6, date(2026, 5, 20), date(2026, 11, 20)),   # taken a little before it was due: an interval after it was taken
    (DUE, 6, date(2026, 8, 15), date(2027, 2, 15)),    # taken late: an interval after it was taken, not after it was due
    (DUE, 12, date(2025, 1, 10), DUE),                 # an old result entered late: it never moves back
    (DUE, 6, date(2025, 11, 20), DUE),                 # the round before, entered late: it would move back, so unchanged
    (DUE, 6, date(2025, 12, 1), DUE),                  # the result that set this due date, recorded again: unchanged
    (DUE, 6, date(2025, 12, 2), date(2026, 6, 2)),     # a day later than that one: one day on
    (date(2026, 2, 28), 6, date(2026, 8, 31), date(2027, 2, 28)),  # a month's end: its last day
])
def test_a_result_moves_the_next_due_date_one_interval_after_it_was_taken_never_back(due, interval, taken, expected):
    assert next_due_after_result(due, interval, taken) == expected
