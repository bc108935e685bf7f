"""Pages without the templates' indentation: a third of a page's bytes, on a phone's first visit.

Pages are sent uncompressed on purpose: each holds a CSRF token and health data beside what the
person typed, and compressing those together over HTTPS lets an eavesdropper who can make the
page reflect chosen text learn the rest from the response sizes (BREACH). So the bytes saved
here are bytes the phone does not download (bench/page_weight.py).

Only whitespace that cannot change what the page shows or sends is taken out:
- inside a start tag, between attributes (a quoted value is kept exactly);
- between one tag's `>` and the next tag's `<` when it holds a line break: one line break
  stays, which renders the same (this service uses no `white-space: pre` around tags).
A <textarea>, <pre>, <script> or <style> is left exactly as it is, so what a person typed comes
back to them unchanged.
"""
from __future__ import annotations

import re

from flask import Flask, Response

HTML_PARTS = re.compile(
    r"(?P<kept><(?P<raw>textarea|pre|script|style)\b.*?</(?P=raw)\s*>)"
    r"|(?P<tag><[a-zA-Z][^<>]*>)"
    r"|(?<=>)[ \t\r]*\n\s*(?=<)",
    re.S | re.I,
)
QUOTED_OR_WHITESPACE = re.compile(r"(\"[^\"]*\"|'[^']*')|\s+")


def _smaller(match: re.Match) -> str:
    if match.group("kept"):
        return match.group("kept")
    if match.group("tag"):
        return QUOTED_OR_WHITESPACE.sub(lambda part: part.group(1) or " ", match.group("tag"))
    return "\n"


def without_indentation(html: str) -> str:
    return HTML_PARTS.sub(_smaller, html)


def init_html_whitespace(app: Flask) -> None:
    @app.after_request
    def send_pages_without_indentation(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(without_indentation(response.get_data(as_text=True)))
        return response
