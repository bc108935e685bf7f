"""The safe-range rules, as tables of cases: boundaries exact."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.results.rules import Reading, SafeRange, assess, number, parse_value

LEVEL = SafeRange(unit="ng/mL", upper_limit=D("4"))
RISE = SafeRange(unit="ng/mL", rise_amount=D("0.75"), rise_months=6)
BOTH = SafeRange(unit="ng/mL", upper_limit=D("4"), rise_amount=D("0.75"), rise_months=6)
TAKEN = date(2026, 8, 31)


@pytest.mark.hazard("HAZ-017")
@pytest.mark.parametrize("rule, value, earlier, abnormal", [
    # Above a level: strictly above.
    (LEVEL, "3.999", [], False),
    (LEVEL, "4", [], False),
    (LEVEL, "4.001", [], True),
    # A rise of 0.75 or more, against readings within the 6 months before.
    (RISE, "2.749", [("2", date(2026, 5, 1))], False),
    (RISE, "2.75", [("2", date(2026, 5, 1))], True),
    # 31 August minus 6 months is 28 February (no 31 February): that day counts, the day before does not.
    (RISE, "3", [("2", date(2026, 2, 28))], True),
    (RISE, "3", [("2", date(2026, 2, 27))], False),
    # Against the lowest reading in the window, not only the latest.
    (RISE, "2.8", [("2", date(2026, 4, 1)), ("2.7", date(2026, 7, 1))], True),
    # Only earlier readings: one taken the same day or later is not a rise.
    (RISE, "3", [("2", TAKEN)], False),
    (RISE, "3", [("1", date(2026, 9, 15))], False),
    # A fall is not a rise; no earlier reading, no rise.
    (RISE, "1", [("3", date(2026, 5, 1))], False),
    (RISE, "9", [], False),
    # Both rules: either one is enough.
    (BOTH, "4.5", [], True),
    (BOTH, "3.5", [("2.75", date(2026, 6, 1))], True),
    (BOTH, "3.5", [("2.76", date(2026, 6, 1))], False),
])
def test_a_result_is_abnormal_outside_the_persons_own_range(rule, value, earlier, abnormal):
    verdict = assess(rule, Reading(D(value), TAKEN), [Reading(D(v), on) for v, on in earlier])
    assert verdict.judged
    assert verdict.abnormal is abnormal
    assert verdict.needs_review is abnormal
    assert bool(verdict.reasons) is abnormal


@pytest.mark.hazard("HAZ-017")
@pytest.mark.parametrize("rule", [None, SafeRange(unit="ng/mL"), SafeRange(unit="ng/mL", rise_amount=D("1"))])
def test_without_a_rule_a_result_is_never_called_normal(rule):
    verdict = assess(rule, Reading(D("100"), TAKEN), [])
    assert not verdict.judged and not verdict.abnormal
    assert verdict.needs_review
    assert verdict.reasons == ("No safe range set for this test",)


def test_the_reasons_say_what_was_outside_the_range():
    verdict = assess(BOTH, Reading(D("4.8"), TAKEN), [Reading(D("3.1"), date(2026, 3, 15))])
    assert verdict.reasons == (
        "Above 4 ng/mL",
        "Rose by 1.7 ng/mL since 15 March 2026 (a rise of 0.75 or more within 6 months)",
    )


@pytest.mark.parametrize("typed, value", [
    ("4", D("4")), (" 4.1 ", D("4.1")), ("0.05", D("0.05")), ("0", D("0")), ("12.345", D("12.345")),
    ("999999999", D("999999999")),
])
def test_values_people_type(typed, value):
    assert parse_value(typed) == value


@pytest.mark.parametrize("typed, message", [
    ("", "Enter the result, as a number like 4.1"),
    ("4,1", "Result must be a number, like 4.1"),
    ("-1", "Result must be a number, like 4.1"),
    ("1e3", "Result must be a number, like 4.1"),
    ("4.1.2", "Result must be a number, like 4.1"),
    ("٣", "Result must be a number, like 4.1"),
    ("NaN", "Result must be a number, like 4.1"),
    ("1.2345", "Result must have no more than 3 decimal places"),
    ("1000000000", "Result must be less than 1,000,000,000"),
])
def test_values_refused(typed, message):
    with pytest.raises(ValueError, match=message):
        parse_value(typed)


@pytest.mark.parametrize("value, text", [(D("4.000"), "4"), (D("4.100"), "4.1"), (D("100"), "100"), (D("0.050"), "0.05")])
def test_numbers_are_written_as_people_write_them(value, text):
    assert number(value) == text
