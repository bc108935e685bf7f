"""Text a patient typed, shown to staff, isolated from the page's own direction.

A right-to-left override (U+202E) or an unclosed embedding in an answer would otherwise run on
into what follows it on the page: the score, the next answer, the NHS number. `<bdi>` makes the
browser lay the text out on its own (direction from its first strong character) and stops any
override at its end. Escaping stays Jinja's job: `isolate` escapes what it wraps.
"""
from __future__ import annotations

from flask import Flask
from jinja2 import Undefined
from markupsafe import Markup


def isolate(text: object) -> Markup:
    if text is None or isinstance(text, Undefined):
        text = ""
    return Markup("<bdi>{}</bdi>").format(text)


def register_bidi_filter(app: Flask) -> None:
    app.jinja_env.filters["isolate"] = isolate
