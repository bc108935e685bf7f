"""templates/macros/lean.html makes the design system's HTML: the same elements, classes and
attributes as the NHS.UK macro it stands in for, whitespace between them aside."""
from __future__ import annotations

import re

import pytest


def without_layout_whitespace(html: str) -> str:
    """Whitespace runs as one space, none beside a tag's angle brackets: what a browser shows
    of both is the same."""
    html = re.sub(r"\s+", " ", str(html))
    html = re.sub(r"\s*(<|>)\s*", r"\1", html)
    return re.sub(r"\s+>", ">", html)


def both(app, design_system: str, lean: str, **values) -> tuple[str, str]:
    with app.test_request_context():
        env = app.jinja_env
        theirs = env.from_string(design_system).render(**values)
        ours = env.from_string('{% from "macros/lean.html" import lean_select %}' + lean).render(**values)
    return without_layout_whitespace(theirs), without_layout_whitespace(ours)


@pytest.mark.parametrize("items", [
    [("open", "All open items", True), ("mine", "Open items I have", False)],
    [("", "All key workers", False), (7, "Sam O'Neil & Co <x>", True), (8, "Alex", False)],
    [("", "All pathways", False)],
])
def test_lean_select_is_the_design_systems_select(app, items):
    theirs, ours = both(
        app,
        '{% from "nhsuk/components/select/macro.jinja" import select %}'
        '{{ select({"id": "key_worker", "name": "key_worker", "label": {"text": "Key worker"}, '
        '"items": dicts}) }}',
        '{{ lean_select("key_worker", "Key worker", items) }}',
        items=items, dicts=[{"value": v, "text": t, "selected": s} for v, t, s in items])
    assert ours == theirs
    assert ours.count("<option") == len(items)
