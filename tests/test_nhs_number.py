"""NHS numbers: ten digits, the last a modulus 11 check digit."""
import re
from pathlib import Path

import pytest

from app.demo import demo_nhs_number
from app.nhs_number import InvalidNHSNumber, check_digit, is_valid_nhs_number, normalise_nhs_number

ENTER = "Enter an NHS number"
DIGITS_ONLY = "NHS number must only include numbers 0 to 9"
TEN = "NHS number must be 10 numbers"
CHECK = "Enter a valid NHS number. Check it on a letter from your GP or hospital"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("9434765919", "9434765919"),
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("  9434765919 ", "9434765919"),
        ("943\u00a0476\u00a05919", "9434765919"),  # non-breaking spaces, pasted from a letter
        ("4010232137", "4010232137"),
        ("9990000050", "9990000050"),  # 11 - (total mod 11) is 11, so the check digit is 0
    ],
)
def test_a_valid_nhs_number_is_stored_as_ten_digits(typed, stored):
    assert normalise_nhs_number(typed) == stored
    assert is_valid_nhs_number(typed)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (None, ENTER),
        ("", ENTER),
        ("   ", ENTER),
        ("943476591", TEN),
        ("94347659190", TEN),
        ("9434765918", CHECK),  # wrong check digit
        ("9990000001", CHECK),  # 999000000 gives check digit 10: never issued
        ("943476591O", DIGITS_ONLY),  # a letter O for a zero
        ("943.476.5919", DIGITS_ONLY),
        ("\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669", DIGITS_ONLY),  # Arabic-Indic digits
        ("\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19", DIGITS_ONLY),  # full-width digits
        ("94347659¹⁹", DIGITS_ONLY),  # superscripts count as digits to str.isdigit
    ],
)
def test_an_invalid_nhs_number_is_refused_with_a_plain_reason(typed, message):
    with pytest.raises(InvalidNHSNumber) as refused:
        normalise_nhs_number(typed)
    assert str(refused.value) == message
    assert not is_valid_nhs_number(typed)


@pytest.mark.parametrize(
    ("first_nine", "digit"),
    [
        ("943476591", "9"),
        ("401023213", "7"),
        ("999000005", "0"),
        ("999000000", None),
    ],
)
def test_the_check_digit(first_nine, digit):
    assert check_digit(first_nine) == digit


# ---------------------------------------------------------------- examples people are shown

ROOT = Path(__file__).resolve().parent.parent
# Written the way people are shown NHS numbers: 3, 3 and 4 digits apart. A phone number such as
# 0161 123 4567 does not match, since its first group has four digits.
SHOWN_AS_NHS_NUMBER = re.compile(r"(?<![\d\w])\d{3}[ \u00a0-]\d{3}[ \u00a0-]\d{4}(?![\d\w])")
WHERE_EXAMPLES_LIVE = ["templates/**/*.html", "app/**/*.py", "app/content/**/*.json", "static/js/*.js",
                       "docs/**/*.md", "README.md"]


def shown_examples() -> list[tuple[str, str]]:
    found = []
    for pattern in WHERE_EXAMPLES_LIVE:
        for path in sorted(ROOT.glob(pattern)):
            for match in SHOWN_AS_NHS_NUMBER.finditer(path.read_text(encoding="utf-8")):
                found.append((str(path.relative_to(ROOT)), match.group()))
    return found


def test_the_search_for_examples_finds_the_hints():
    assert ("templates/auth/sign_in_password.html", "943 476 5919") in shown_examples()
    assert SHOWN_AS_NHS_NUMBER.findall("0161 123 4567, 999 123 4567, 020 7946 0000") == ["999 123 4567"]


def test_every_nhs_number_shown_as_an_example_passes_our_own_check():
    assert [(where, example) for where, example in shown_examples() if not is_valid_nhs_number(example)] == []


@pytest.mark.parametrize("serial", [0, 1, 1234, 2468, 3702, 999_999, 10**9])
def test_demo_nhs_numbers_pass_our_own_check(serial):
    number = demo_nhs_number(serial)
    assert is_valid_nhs_number(number) and number.startswith("999")
