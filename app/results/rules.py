"""Is a result within the person's own safe range? Plain functions over plain data, no Flask.

A person's rule for a test has a level and/or a rise (for PSA, commonly both):
- **above a level**: a value strictly above `upper_limit` is abnormal; a value at the level is not.
- **a rise of Y over Z months**: abnormal when the value is at least `rise_amount` above any
  earlier reading of the same test taken within the `rise_months` calendar months before it
  (a reading exactly Z months earlier counts; one a day older does not). Readings taken on the
  same day or later are not "earlier".
Without a rule a result cannot be judged: it is never shown as normal, it waits for a nurse.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..followup.schedule import add_months


@dataclass(frozen=True)
class SafeRange:
    unit: str
    upper_limit: Decimal | None = None
    rise_amount: Decimal | None = None
    rise_months: int | None = None

    @property
    def has_rise(self) -> bool:
        return self.rise_amount is not None and self.rise_months is not None


@dataclass(frozen=True)
class Reading:
    value: Decimal
    taken_on: date


@dataclass(frozen=True)
class Verdict:
    abnormal: bool
    # False when there was no rule to judge by: the result then needs a nurse's review.
    judged: bool
    reasons: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return self.abnormal or not self.judged


def number(value: Decimal) -> str:
    """4.000 -> '4', 4.100 -> '4.1': as a person writes it."""
    return format(value.normalize(), "f")


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def same_unit(a: str, b: str) -> bool:
    """Units as people type them: 'ng/mL' and 'NG/ML ' are the same unit."""
    return a.strip().casefold() == b.strip().casefold()


def rise_window_start(taken_on: date, months: int) -> date:
    """The earliest day an earlier reading can be taken and still count for the rise rule."""
    return add_months(taken_on, -months)


def assess(rule: SafeRange | None, reading: Reading, earlier: Sequence[Reading]) -> Verdict:
    """Judge `reading` by `rule`, with the test's other readings (`earlier`; any order, any date:
    only those within the rule's window before the reading are used)."""
    if rule is None or (rule.upper_limit is None and not rule.has_rise):
        return Verdict(abnormal=False, judged=False, reasons=("No safe range set for this test",))
    reasons = []
    if rule.upper_limit is not None and reading.value > rule.upper_limit:
        reasons.append(f"Above {number(rule.upper_limit)} {rule.unit}")
    if rule.has_rise:
        start = rise_window_start(reading.taken_on, rule.rise_months)
        window = [r for r in earlier if start <= r.taken_on < reading.taken_on]
        if window:
            lowest = min(window, key=lambda r: (r.value, r.taken_on))
            rise = reading.value - lowest.value
            if rise >= rule.rise_amount:
                reasons.append(
                    f"Rose by {number(rise)} {rule.unit} since {_day(lowest.taken_on)} "
                    f"(a rise of {number(rule.rise_amount)} or more within {rule.rise_months} months)"
                )
    return Verdict(abnormal=bool(reasons), judged=True, reasons=tuple(reasons))


# ---------------------------------------------------------------- what a person types

MAX_VALUE = Decimal("999999999")
UNIT_MAX = 20


def parse_value(text: str | None, name: str = "Result") -> Decimal:
    """A result as typed ('4.1', '0.05', '12'): a number of 0 or more with at most 3 decimal
    places. Raises ValueError with the message to show."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"Enter the {name.lower()}, as a number like 4.1")
    if not text.isascii() or text.count(".") > 1 or not text.replace(".", "", 1).isdigit():
        raise ValueError(f"{name} must be a number, like 4.1")
    value = Decimal(text)
    if value > MAX_VALUE:
        raise ValueError(f"{name} must be less than 1,000,000,000")
    if -value.as_tuple().exponent > 3:
        raise ValueError(f"{name} must have no more than 3 decimal places")
    return value
