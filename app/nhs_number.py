"""NHS number validation: ten digits, the last a modulus 11 check digit."""
from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")


class InvalidNHSNumber(ValueError):
    pass


def normalise_nhs_number(raw: str) -> str:
    """Return the ten digits of a valid NHS number, or raise with a plain-English reason."""
    digits = _SEPARATORS.sub("", raw or "")
    if not digits:
        raise InvalidNHSNumber("Enter an NHS number")
    if not digits.isdigit() or not digits.isascii():
        raise InvalidNHSNumber("NHS number must only include numbers 0 to 9")
    if len(digits) != 10:
        raise InvalidNHSNumber("NHS number must be 10 numbers")
    if check_digit(digits[:9]) != digits[9]:
        raise InvalidNHSNumber("Enter a valid NHS number. Check it on a letter from your GP or hospital")
    return digits


def check_digit(first_nine: str) -> str | None:
    """The modulus 11 check digit for nine digits, or None when no valid one exists."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    result = 11 - (total % 11)
    if result == 11:
        return "0"
    if result == 10:
        return None  # such numbers are never issued
    return str(result)


def is_valid_nhs_number(raw: str) -> bool:
    try:
        normalise_nhs_number(raw)
    except InvalidNHSNumber:
        return False
    return True
