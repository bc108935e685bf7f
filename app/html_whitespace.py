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

# What is left exactly as it is, what a person typed included.
KEPT = re.compile(r"<(?P<raw>textarea|pre|script|style)\b.*?</(?P=raw)\s*>", re.S | re.I)
# What `\s` matches in a str pattern, but the space, spelled out: a class of characters costs the
# regular expression engine half what the Unicode category behind `[^\S ]` costs for each
# character it looks at (tests/test_html_whitespace.py proves the two match the same characters).
WHITESPACE_BUT_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Between one tag's `>` and the next tag's `<`, a run holding a line break that is more than the
# line break, so more than what it becomes: a run that is only "\n" is not even matched, which is
# most of a page's. (Each pattern starts with a literal character and never backtracks, so the
# regular expression engine skips ahead.)
BETWEEN_TAGS = re.compile(r">(?:[ \t\r]++\n|\n\s)\s*+(?=<)")
# A start tag with something to take out: whitespace other than a single space. A tag holding
# only single spaces would come out as it went in, so it is not even looked at: most tags.
LOOSE_TAG = re.compile(f"<[a-zA-Z][^ {WHITESPACE_BUT_SPACE}<>]*+(?: [^ {WHITESPACE_BUT_SPACE}<>]++)*+"
                       f"(?:[{WHITESPACE_BUT_SPACE}]| [ {WHITESPACE_BUT_SPACE}])[^<>]*+>")
QUOTED_OR_WHITESPACE = re.compile(r"(\"[^\"]*\"|'[^']*')|\s+")
# Where a kept part may start or end.
KEPT_TAG = re.compile(r"</?(?:textarea|pre|script|style)", re.I)


def _tightened(tag: re.Match) -> str:
    return QUOTED_OR_WHITESPACE.sub(lambda part: part.group(1) or " ", tag.group())


def _smaller(text: str, before: str, after: str) -> str:
    """`text` lies between kept parts (or the page's ends): `before` and `after` are the
    characters either side of it, so a run between a kept part's `>` and the next `<` is seen."""
    text = BETWEEN_TAGS.sub(">\n", before + text + after)
    text = LOOSE_TAG.sub(_tightened, text)
    return text[len(before):len(text) - len(after)]


def without_indentation(html: str) -> str:
    # One pass over the page in C for each kind of change, Python called only for the few tags
    # that change: a page has hundreds of tags and line breaks, and a Python call for each was
    # 6 to 8% of a page's time under cProfile.
    parts = []
    start = 0
    for kept in KEPT.finditer(html):
        parts.append(_smaller(html[start:kept.start()], html[start - 1:start], "<"))
        parts.append(kept.group())
        start = kept.end()
    parts.append(_smaller(html[start:], html[start - 1:start], ""))
    return "".join(parts)


def pieces_without_indentation(pieces: list[str]) -> list[str]:
    """The pieces of a fragment of a page that has values put between them (the layout's header
    and footer, app/templating.py memoised_component), each with what the page's pass would take
    out of it wherever the fragment stands, taken out once ahead of the pass: runs between two
    of the piece's own tags, and its own start tags' whitespace. A run or tag at either end of a
    piece is left as it is for the page's pass, which sees what lies beside it. The fragment must
    never stand inside a textarea, pre, script or style (the page's pass leaves those as they are);
    one that holds any of them is left as it is (the pass finds where they end)."""
    if any(KEPT_TAG.search(piece) for piece in pieces):
        return pieces
    return [_smaller(piece, "", "") for piece in pieces]


def init_html_whitespace(app: Flask) -> None:
    @app.after_request
    def send_pages_without_indentation(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(without_indentation(response.get_data(as_text=True)))
        return response
