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
from typing import NamedTuple

from flask import Flask, Response, g

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


def pieces_without_indentation(pieces: list[str]) -> tuple[list[str], list[bool] | None]:
    """The pieces of a fragment of a page that has values put between them (the layout, its
    header and footer: app/templating.py memoised_component), each with what the page's pass
    would take out of it wherever the fragment stands, taken out once ahead of the pass: runs
    between two of the piece's own tags, and its own start tags' whitespace, outside the
    textareas, pres, scripts and styles the page's pass leaves as they are (found as the pass
    finds them, across the pieces: a nonce put in a script's tag leaves the script whole). A run
    or tag at either end of a piece is left as it is for the page's pass, which sees what lies
    beside it. With them, for each place between two pieces, whether it lies inside one of those
    elements: what is put there must hold none of their tags, and what is put elsewhere none that
    it does not close (app/templating.py checks as it puts values in), so that the page's pass
    finds the same elements. A fragment with one that does not end in it, or with a NUL, is left
    as it is (the page around it could end it), with None for where its pieces meet."""
    joined = _JUNCTION.join(pieces)
    if any(_JUNCTION in piece for piece in pieces) or KEPT_TAG.search(KEPT.sub("", joined)):
        return pieces, None
    inside = [False] * (len(pieces) - 1)
    out = []
    start = 0
    for kept in [*KEPT.finditer(joined), None]:
        end = kept.start() if kept else len(joined)
        # Between kept elements, piece by piece: the characters beside each part of a piece
        # are only those of the same piece.
        parts = joined[start:end].split(_JUNCTION)
        last = len(parts) - 1
        out.append(_JUNCTION.join(
            _smaller(part, joined[start - 1:start] if index == 0 else "", "<" if kept and index == last else "")
            for index, part in enumerate(parts)))
        if kept:
            out.append(kept.group())
            junctions_before = joined.count(_JUNCTION, 0, kept.start())
            for number in range(junctions_before, junctions_before + kept.group().count(_JUNCTION)):
                inside[number] = True
            start = kept.end()
    return "".join(out).split(_JUNCTION), inside


# Where two pieces meet, while they are looked at as one text: a character that is neither
# whitespace nor part of a tag, so no run or tag the pass changes spans it.
_JUNCTION = "\x00"


def opens_or_closes_a_kept_element(value: str) -> bool:
    """Whether a value put in a fragment has a textarea, pre, script or style it does not close."""
    return KEPT_TAG.search(value) is not None and KEPT_TAG.search(KEPT.sub("", value)) is not None


# ---------------------------------------------------------------- a whole page, passed as it is made
#
# A page made from a memoised layout (app/templating.py layout_page) is its layout's pieces, each
# passed once when the layout was first made, and the values put between them (the page's
# blocks, the person's own values). Every change the pass makes lies between a `<` or `>` and the
# next (a run from one tag's `>` to the next `<`; a start tag from `<` to `>`), so what the pass
# would change around a value lies between the last `<` or `>` of the piece before it and the
# first of the piece after it: a window. `page_plan` cuts a layout into its passed text and its
# windows once; `passed_page` runs the pass over the windows alone as a page is made. The page
# is then what the pass would make of it whole, and the pass after the view leaves it
# (tests/test_html_whitespace.py compares the two on random pieces and values;
# tests/test_templating.py on the memoised layout, for each shape of page it tests).

def page_plan(pieces: list[str], inside: list[bool] | None) -> PagePlan | None:
    parts = _page_parts(pieces, inside)
    return None if parts is None else compiled_plan(parts)


def _page_parts(pieces: list[str], inside: list[bool] | None) -> tuple | None:
    """How a whole page made of `pieces` (as pieces_without_indentation leaves them, with where
    they meet inside a kept element) with a value between each two is passed: a tuple of text
    that goes out as it is, numbers (a value inside a textarea, pre, script or style: as it is)
    and windows (tuples of text and numbers: passed once the values are in). None when the pieces
    were left as they were, or are not cut where this knows how (the page is then passed whole,
    as any page)."""
    if inside is None:
        return None
    plan: list = []
    window: list | None = None
    last_piece = len(pieces) - 1
    for number, piece in enumerate(pieces):
        value_after = number < last_piece
        window_after = value_after and not inside[number]
        angles = [index for index, character in enumerate(piece) if character in "<>"]
        first, last = (angles[0], angles[-1]) if angles else (None, None)
        rest = 0
        if window is not None:
            if first is None or (window_after and first == last):
                # The windows either side share this piece: one window.
                if value_after and not window_after:
                    return None  # a value in a kept element right after a window: never so
                window += [piece, number] if value_after else [piece]
                if not value_after:
                    plan.append(tuple(window))
                continue
            window.append(piece[:first + 1])
            plan.append(tuple(window))
            window, rest = None, first + 1
        if window_after:
            start = last if last is not None and last >= rest else None
            if start is None:
                if number > 0 and rest == 0:
                    return None  # text with no tag between a kept value and this one: never so
                start = rest
            if piece[rest:start]:
                plan.append(piece[rest:start])
            window = [piece[start:], number]
        else:
            if piece[rest:]:
                plan.append(piece[rest:])
            if value_after:
                plan.append(number)
    return tuple(plan)


class PagePlan(NamedTuple):
    """A page's plan (page_plan's parts) as passed_page uses it: the windows' texts and values in
    one row, each window ended by a NUL (neither whitespace nor part of a tag, so no run or tag
    the pass changes spans it, and the pass of the row is the pass of each window on its own),
    passed in one pass; around them the page's text, values and windows in order (a window by
    its number as ~number)."""
    frame: tuple            # str: text as it is; int >= 0: a value as it is; int < 0: window ~int
    windows: tuple          # str and value numbers, the windows one after another, NUL between
    window_count: int
    parts: tuple            # page_plan's parts: each window passed alone if a value holds a NUL


def compiled_plan(parts: tuple) -> PagePlan:
    frame: list = []
    windows: list = []
    window_count = 0
    for part in parts:
        if type(part) is tuple:
            if window_count:
                windows.append(_JUNCTION)
            windows += part
            frame.append(~window_count)
            window_count += 1
        else:
            frame.append(part)
    return PagePlan(tuple(frame), tuple(windows), window_count, parts)


def passed_page(plan: PagePlan | tuple, values: list[str]) -> str:
    """The page of `plan` (page_plan's, or its parts) with `values` in, as the pass would make it
    whole; the pass after the view is told so, and leaves it."""
    if type(plan) is not PagePlan:
        plan = compiled_plan(plan)
    passed: list[str] = []
    if plan.window_count:
        passed = without_indentation(
            "".join([values[item] if type(item) is int else item for item in plan.windows])).split(_JUNCTION)
        if len(passed) != plan.window_count:  # a value held a NUL: each window on its own
            passed = [without_indentation("".join(values[item] if type(item) is int else item for item in part))
                      for part in plan.parts if type(part) is tuple]
    page = "".join([part if type(part) is str else values[part] if part >= 0 else passed[~part]
                    for part in plan.frame])
    g._get_current_object().page_passed = page
    return page


def init_html_whitespace(app: Flask) -> None:
    @app.after_request
    def send_pages_without_indentation(response: Response) -> Response:
        passed = g._get_current_object().__dict__.pop("page_passed", None)
        # A page made by passed_page, sent as it was made: its body is that page's bytes (a view
        # may answer with something else), compared without reading the response's type first.
        if passed is not None and type(response.response) is list and response.response == [passed.encode()]:
            return response
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(without_indentation(response.get_data(as_text=True)))
        return response
