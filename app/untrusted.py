"""The one place that decides what hostile input is: identifiers, control characters, deep JSON.

Plain functions with no Flask import, used by the request class, the `int` URL converter, the
base form classes and any view that reads an identifier from a query string, form or JSON body.
Each rule exists because a value like it once reached the database and answered 500 (PostgreSQL
refuses NUL in text and integers above 2^31-1; SQLite overflows at 2^63; Python's JSON parser
recurses once per nesting level).
"""
from __future__ import annotations

import re

# Every id column is a 32-bit signed integer on PostgreSQL.
MAX_ID = 2**31 - 1
# The deepest JSON any endpoint takes is an HNA answer inside a payload (about 4 levels).
MAX_JSON_DEPTH = 20
# C0 controls and DEL, except tab, line feed and carriage return, which textareas send.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTER_MESSAGE = "Remove the hidden special characters"


def id_or_none(value: object) -> int | None:
    """An identifier as an int, or None for anything that cannot name a record: ASCII digits
    (or an int, never a bool) from 0 to MAX_ID. `"²".isdigit()` is true and `int("٣")` is 3,
    hence the ASCII check."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
    else:
        return None
    return number if 0 <= number <= MAX_ID else None


def parse_id(value: object) -> int:
    """An identifier, or ValueError (so `request.args.get(name, type=parse_id)` gives the default)."""
    number = id_or_none(value)
    if number is None:
        raise ValueError(f"not an identifier: {value!r:.40}")
    return number


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def without_control_characters(text: str) -> str:
    """Text with its control characters dropped, for records such as audit subjects."""
    return _CONTROL.sub("", text)


def json_too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON document nests arrays and objects more than `limit` deep, found without
    parsing it (parsing is what recurses). Brackets inside strings do not count."""
    # Nesting can be no deeper than the number of opening brackets: counted in C, this answers
    # nearly every body sent (each JSON post and most other requests) without the walk below.
    # Counted on the bytes, not decoded first: in UTF-8 those two bytes are only ever those
    # characters, and in the UTF-16 or UTF-32 text json.loads also reads, each bracket still has
    # its byte (another character's may add to the count, which only means the walk decides).
    if isinstance(text, bytes):
        if text.count(b"[") + text.count(b"{") <= limit:
            return False
        text = text.decode("utf-8", "replace")
    elif text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


# What a JSON text must show for its parsed document to hold a control character or an integer
# no column can store: a control character as it is (JSON allows DEL raw in a string), escaped
# (\uXXXX, or \b and \f: \t, \n and \r are allowed), or a run of 10 digits (every integer outside
# -2^31 .. 2^31-1 has at least 10) that could begin a number: JSON's grammar puts only a bracket,
# comma, colon, space or minus sign before a number, never a letter, digit, underscore or quote,
# so digits inside a word of a string ("form_0000000016", "07700900123" whole) need no walk. On
# the bytes, so that a UTF-16 or UTF-32 text, which json.loads also reads, shows its NUL bytes
# and is walked.
_MAY_HOLD_HOSTILE_VALUES = re.compile(rb'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\\[ubf]|(?<![0-9A-Za-z_"])[0-9]{10}')


def json_text_may_hold_hostile_values(text: bytes) -> bool:
    """Whether the document parsed from `text` may hold what `json_has_control_characters` or
    `json_has_huge_integer` finds. False answers nearly every body sent in one search in C,
    without the walks (the JSON saves' own cost, issue 12); True (a backslash-u in a name, a
    long number) only means the walks decide."""
    return _MAY_HOLD_HOSTILE_VALUES.search(text) is not None


def json_has_control_characters(value: object) -> bool:
    """Whether any key or string in parsed JSON holds a control character (after the depth
    check, so this recursion is bounded)."""
    if isinstance(value, str):
        return has_control_characters(value)
    if isinstance(value, dict):
        return any(json_has_control_characters(k) or json_has_control_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(json_has_control_characters(v) for v in value)
    return False


def json_has_huge_integer(value: object) -> bool:
    """Whether parsed JSON holds an integer no database column here can store."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, dict):
        return any(json_has_huge_integer(v) for v in value.values())
    if isinstance(value, list):
        return any(json_has_huge_integer(v) for v in value)
    return False
