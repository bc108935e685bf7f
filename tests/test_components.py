"""The design system's components in Python (app/components) print what the design system's own
templates print, for every parameter table and for random parameters; anything they were not
written for falls back to the design system's template."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from markupsafe import Markup

from tests.component_harness import ours_and_theirs, random_params, registered, rendered_in_python

ROOT = Path(__file__).resolve().parent.parent


def test_every_registered_component_has_our_macro_and_every_macro_a_component():
    ours = {path.parent.name for path in (ROOT / "templates/nhsuk/components").glob("*/macro.jinja")}
    assert ours == set(registered())


def test_a_caller_block_falls_back_to_the_design_systems_template(app):
    ours, theirs = ours_and_theirs(app, "tag", {"classes": "nhsuk-tag--red"}, call_body="Called <b>in</b>")
    assert ours == theirs
    assert "Called <b>in</b>" in ours


@pytest.mark.parametrize("params", [
    {"text": "Emergency", "unknown": 1},
    {"text": "Emergency", "classes": ["a", "list"]},
    "not a mapping",
])
def test_what_python_was_not_written_for_falls_back(app, params):
    assert not rendered_in_python(app, "tag", params)
    ours, theirs = ours_and_theirs(app, "tag", params)
    assert ours == theirs


# ---------------------------------------------------------------- tag

TAGS = [
    {"text": "Emergency", "classes": "nhsuk-tag--red"},
    {"text": "Care plan review", "classes": "nhsuk-tag--grey"},
    {"text": "Tom & Jerry <b>", "classes": "nhsuk-tag--blue"},
    {"text": Markup("Already <em>safe</em>"), "classes": "nhsuk-tag--yellow"},
    {"html": "<span>Red</span> flag", "colour": "red"},
    {"text": "  padded\n  two lines  "},
    {"text": "Blue", "colour": "blue", "classes": "nhsuk-tag--red"},
    {"text": "No colour", "colour": False, "border": False},
    {"text": "No colour", "colour": False, "classes": "nhsuk-tag--no-colour nhsuk-tag--no-border", "border": False},
    {"text": "Odd colour", "colour": "tartan"},
    {"text": "With id", "id": 'tag-"1"', "attributes": {"data-x": "1", "aria-hidden": True}},
    {"text": ""},
    {"text": None, "html": None},
    {"text": 7},
    {},
]


@pytest.mark.parametrize("params", TAGS)
def test_tag(app, params):
    assert rendered_in_python(app, "tag", params)
    ours, theirs = ours_and_theirs(app, "tag", params)
    assert ours == theirs


TAG_SPACE = {
    "text": ["Open", "A & B <c>", Markup("<i>x</i>"), "", None, " spaced \n lines "],
    "html": ["<b>bold</b>", "", None, "\n  indented\n  html\n"],
    "classes": ["nhsuk-tag--red", "nhsuk-tag--no-border", "", None, "nhsuk-u-margin-0 nhsuk-tag--white"],
    "colour": ["red", "aqua-green", False, None, "", "nope"],
    "border": [False, True, None],
    "id": ["t1", "", None, "<id>"],
    "attributes": [{"data-a": "1"}, {}, None, {"hidden": {"value": True, "optional": True}}],
}


def test_tag_random(app):
    rng = random.Random(20261207)
    for _ in range(300):
        params = random_params(TAG_SPACE, rng)
        ours, theirs = ours_and_theirs(app, "tag", params)
        assert ours == theirs, params
