"""Date rules for follow-up: plain functions, no Flask, tested by tables of cases."""
from __future__ import annotations

import calendar
from datetime import date

# Open access usually lasts 3 to 5 years after the Treatment Review.
OPEN_ACCESS_YEARS = (3, 5)


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the month's last day when that day does not exist there
    (31 January + 1 month is 28 or 29 February)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def suggested_open_access_until(review: date | None) -> tuple[date, date] | None:
    """The usual range for the end of open access: 3 to 5 years after the Treatment Review."""
    if review is None:
        return None
    return tuple(add_months(review, 12 * years) for years in OPEN_ACCESS_YEARS)


def suggested_next_due(interval_months: int, today: date, review: date | None = None) -> date:
    """First due one interval after the Treatment Review, or after today if that has passed."""
    if review is not None:
        due = add_months(review, interval_months)
        if due >= today:
            return due
    return add_months(today, interval_months)


def next_due_after_result(current_due: date, interval_months: int, taken_on: date) -> date:
    """When a test is next due once a result taken on `taken_on` is recorded: one interval after
    it was taken (early or late, the interval runs between tests), but never earlier than the
    date already set, so an old result entered late cannot make a due test look done."""
    return max(current_due, add_months(taken_on, interval_months))


def interval_text(months: int) -> str:
    """'Every 6 months', 'Every year', 'Every 2 years', 'Every 18 months'."""
    if months == 12:
        return "Every year"
    if months % 12 == 0:
        return f"Every {months // 12} years"
    if months == 1:
        return "Every month"
    return f"Every {months} months"
