"""The design system's form components in Python (app/components/forms.py) print what the design
system's own templates print (tests/component_harness.py: as a page carries them, after the
whitespace pass), for every call our templates make, for edge cases and for random parameters;
anything they were not written for falls back to the design system's template."""
from __future__ import annotations

import random

import pytest
from jinja2 import ChainableUndefined
from markupsafe import Markup

from tests.component_harness import ours_and_theirs, random_params, rendered_in_python

UNDEFINED = ChainableUndefined()


def assert_same(app, component: str, params, *, in_python: bool = True) -> None:
    assert rendered_in_python(app, component, params) is in_python
    ours, theirs = ours_and_theirs(app, component, params)
    assert ours == theirs


def random_text(rng: random.Random):
    return rng.choice(["Yes", "Tom & Jerry <b>", Markup("<strong>safe</strong>"), "", None, UNDEFINED,
                       "  padded\n  two lines  ", "a\n\n  b\r\nc", 7])


def random_text_and_html(rng: random.Random) -> dict:
    choice = rng.random()
    if choice < 0.5:
        return {"text": random_text(rng)}
    if choice < 0.8:
        return {"html": rng.choice(["<b>bold</b>", "plain & <i>html</i>", "\n  indented\n  html\n", "", None])}
    return {"text": random_text(rng), "html": rng.choice(["<b>bold</b>", ""])}


def random_id(rng: random.Random):
    return rng.choice(["some-id", "", None, UNDEFINED, 'odd"<id>', "prefix-x"])


def random_attributes(rng: random.Random):
    return rng.choice([None, {}, {"data-x": "1"}, {"data-autosave": "text", "aria-hidden": True},
                       {"hidden": {"value": True, "optional": True}}, {"title": 'say "hi" & <bye>'}])


# ---------------------------------------------------------------- hint, error message, label, legend, fieldset

PARTS = [
    ("hint", {"text": "Enter a number from 0 to 10."}),
    ("hint", {"text": "Two\nlines  ", "id": "h", "classes": "nhsuk-radios__hint"}),
    ("hint", {"html": "<b>bold</b>\n  and more", "attributes": {"data-x": "1"}}),
    ("hint", {"text": ""}),
    ("hint", {}),
    ("error-message", {"text": "Enter a number", "id": "score-error"}),
    ("error-message", {"html": Markup("<b>Bad</b>\nthing"), "visuallyHiddenText": ""}),
    ("error-message", {"text": "x", "visuallyHiddenText": "Oops", "classes": "c"}),
    ("error-message", {"text": "x", "visuallyHiddenText": None}),
    ("label", {"text": "Your name", "for": "name"}),
    ("label", {"text": "What is it?", "isPageHeading": True, "size": "l", "for": "text"}),
    ("label", {"html": Markup('How much? <span class="nhsuk-u-visually-hidden"> (Pain)</span>'), "for": "score-pain"}),
    ("label", {"text": "Sized", "size": "m", "classes": "nhsuk-label--s extra"}),
    ("label", {"text": "Odd size", "size": "xxl", "id": "l", "for": ""}),
    ("label", {"text": "", "for": "x"}),
    ("legend", {"text": "Where are you in your treatment?", "isPageHeading": True, "size": "l"}),
    ("legend", {"html": Markup('<span class="nhsuk-caption-l">Physical</span>Which apply?'), "isPageHeading": True,
                "size": "l"}),
    ("legend", {"text": "Which teams?", "size": "m", "id": "", "classes": "extra"}),
    ("legend", {"text": "Heading with id", "isPageHeading": True, "id": "legend-id"}),
    ("fieldset", {"legend": "A string legend", "html": "some text"}),
    ("fieldset", {"legend": {"text": "L", "isPageHeading": True, "size": "l"}, "html": "<p>x</p>", "describedBy": "a b",
                  "role": "group", "id": "f", "classes": "c", "attributes": {"data-x": "1"}}),
    ("fieldset", {"legend": Markup("<b>Safe</b> legend")}),
    ("fieldset", {}),
]


@pytest.mark.parametrize(("component", "params"), PARTS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(PARTS)])
def test_the_parts_form_components_share(app, component, params):
    assert_same(app, component, params)


PART_SPACES = {
    "hint": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id],
             "classes": ["c", "", None, "nhsuk-radios__hint x"], "attributes": [random_attributes]},
    "error-message": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id],
                      "classes": ["c", None], "attributes": [random_attributes],
                      "visuallyHiddenText": ["Error", "", None, "Warning & <b>"]},
    "label": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id], "for": [random_id],
              "classes": ["c", "", None, "nhsuk-label--m"], "size": ["s", "m", "l", "xl", "xxl", "", None],
              "isPageHeading": [True, False, None], "attributes": [random_attributes]},
    "legend": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id],
               "classes": ["c", "", None, "nhsuk-fieldset__legend--m"], "size": ["s", "m", "l", "xl", "xxl", "", None],
               "isPageHeading": [True, False, None], "attributes": [random_attributes]},
    "fieldset": {"legend": [lambda rng: random_params(PART_SPACES["legend"], rng), "Legend", Markup("<b>L</b>"), None],
                 "html": ["<p>x</p>", "text", "", None], "id": [random_id], "role": ["group", None, ""],
                 "describedBy": ["a b", "", None], "classes": ["c", None], "attributes": [random_attributes]},
}


@pytest.mark.parametrize("component", sorted(PART_SPACES))
def test_the_parts_random(app, component):
    rng = random.Random(f"20261207-{component}")
    for _ in range(150):
        params = random_params(PART_SPACES[component], rng)
        ours, theirs = ours_and_theirs(app, component, params)
        assert ours == theirs, params


@pytest.mark.parametrize(("component", "params"), [
    ("hint", {"text": "x", "unknown": 1}),
    ("label", {"text": "x", "caption": "A caption"}),
    ("label", {"text": "x", "visuallyHiddenText": "hidden"}),
    ("label", {"text": "x", "for": "two\nlines", "isPageHeading": True}),
    ("legend", {"text": "x", "heading": {"level": 2}}),
    ("fieldset", {"legend": {"text": "x", "caption": "c"}}),
    ("error-message", {"text": "x", "attributes": "data-raw=1"}),
    ("hint", {"text": "x", "classes": ["a", "list"]}),
])
def test_what_the_parts_were_not_written_for_falls_back(app, component, params):
    assert_same(app, component, params, in_python=False)


# ---------------------------------------------------------------- radios

def _distress_items(checked: str | None) -> list[dict]:
    # templates/hna/question.html, the distress step
    items = []
    for n in range(11):
        label = "No distress" if n == 0 else ("Extreme distress" if n == 10 else str(n))
        items.append({"value": str(n), "text": label, "checked": checked == str(n),
                      "id": "distress" if n == 0 else UNDEFINED})
    return items


RADIOS = [
    # templates/hna/question.html, the distress step: first visit, an answer, an error
    {"idPrefix": "distress", "name": "distress",
     "fieldset": {"legend": {"text": "How distressed have you been this week?", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "0 is no distress, 10 is extreme distress."}, "errorMessage": UNDEFINED,
     "items": _distress_items(None)},
    {"idPrefix": "distress", "name": "distress",
     "fieldset": {"legend": {"text": "How distressed?", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "Choose one"}, "errorMessage": {"text": "Choose a number from 0 to 10"},
     "items": _distress_items("7")},
    # the pathway point step
    {"idPrefix": "pathway_point", "name": "pathway_point",
     "fieldset": {"legend": {"text": "Where are you in your treatment?", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "This helps your team understand your answers."}, "errorMessage": UNDEFINED,
     "items": [{"value": "diagnosis", "text": "Just diagnosed", "checked": False, "id": "pathway_point"},
               {"value": "treatment", "text": "In treatment", "checked": True, "id": UNDEFINED}]},
    # templates/macros/form.html radio_field: a question heading, or not; a hint or not; an error
    {"idPrefix": "contact", "name": "contact",
     "fieldset": {"legend": {"text": "How should we contact you?", "isPageHeading": False, "size": "m"}},
     "hint": UNDEFINED, "errorMessage": None,
     "items": [{"value": "phone", "text": "Phone", "checked": False}, {"value": "email", "text": "Email", "checked": True}]},
    {"idPrefix": "contact", "name": "contact",
     "fieldset": {"legend": {"text": "Contact", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "We will only use it for your care"}, "errorMessage": {"text": "Select how to contact you"},
     "items": [{"value": "", "text": "Choose", "checked": False}, {"value": "x", "text": "Tom & Jerry <b>", "checked": False}]},
    # what the design system offers that a form may use: item hints, conditional content, dividers,
    # inline and small, a value chosen by `value`, disabled items, ids given
    {"name": "how", "fieldset": {"legend": {"text": "Pick", "size": "s"}, "describedBy": "extra-id"}, "value": "b",
     "inline": True, "small": True, "classes": "nhsuk-radios--inline extra",
     "items": [{"value": "a", "text": "A", "hint": "A hint as a string"},
               {"value": "b", "html": Markup("<b>B</b>"), "hint": {"html": "<i>hint</i>", "id": "own-hint"},
                "conditional": {"html": Markup('<p>Shown</p>\n  <input name="more">')}},
               {"divider": "or"},
               {"value": "c", "text": "C", "checked": False, "disabled": True,
                "conditional": {"html": "<p>Hidden</p>"}},
               {},
               {"value": "d", "text": "D", "id": "own-id", "classes": "x", "attributes": {"data-x": "1"}}],
     "disabled": True, "id": "radios-id", "attributes": {"data-module-extra": "y"},
     "formGroup": {"classes": "group-class", "attributes": {"data-g": "1"}}},
    {"name": "r", "fieldset": {"legend": {"text": "Pick"}}, "value": "b",
     "items": [{"value": "a", "text": "A"}, {"value": "b", "text": "B", "hint": {"text": "h"}}]},
    {"name": "none", "items": []},
    {"name": "error-true", "errorMessage": True, "items": [{"value": "1", "text": "One"}]},
    {"idPrefix": 'odd"<prefix>', "name": "odd & name", "hint": "A string hint", "errorMessage": "A string error",
     "items": [{"value": 'v"<>', "text": "x"}, {"value": None, "text": "None value"}, {"text": "No value"}]},
    {"idPrefix": "", "name": None, "items": [{"value": "1", "text": "x"}, {"value": "2", "text": "y"}]},
    {"name": "hint-none-id", "hint": {"text": "h", "id": None}, "errorMessage": {"text": "e", "id": "own-error"},
     "fieldset": {"legend": "A string legend"}, "items": [{"value": "1", "text": "x", "hint": {"text": "ih", "id": None}}]},
    {},
]


@pytest.mark.parametrize("params", RADIOS, ids=[f"radios-{i}" for i in range(len(RADIOS))])
def test_radios(app, params):
    assert_same(app, "radios", params)


def _random_radio_item(rng: random.Random) -> dict:
    if rng.random() < 0.08:
        return {"divider": rng.choice(["or", "", "<or>"])}
    space = {
        "value": ["a", "b", "", None, 3], "checked": [True, False, None, "yes", 0], "id": [random_id],
        "hint": [lambda r: {**random_text_and_html(r), **random_params({"id": [random_id]}, r)}, "A hint", None],
        "conditional": [lambda r: {"html": r.choice(["<p>More</p>", "", "text\n  more", None])}, None],
        "disabled": [True, False, None], "classes": ["c", "", None], "attributes": [random_attributes],
    }
    return {**random_text_and_html(rng), **random_params(space, rng)}


RADIOS_SPACE = {
    "idPrefix": ["answer", "", None, "q-1"],
    "name": ["answer", "", None, "n&m"],
    "fieldset": [lambda rng: random_params({"legend": [lambda r: random_params(PART_SPACES["legend"], r), "L", None],
                                            "describedBy": ["x", "", None], "id": [random_id],
                                            "role": ["group", None], "classes": ["c", None]}, rng), None, {}],
    "hint": [lambda rng: {**random_text_and_html(rng), **random_params({"id": [random_id], "classes": ["c"]}, rng)},
             "String hint", None, lambda rng: UNDEFINED],
    "errorMessage": [lambda rng: {**random_text_and_html(rng),
                                  **random_params({"id": [random_id], "visuallyHiddenText": ["Error", "", None]}, rng)},
                     "String error", True, None, lambda rng: UNDEFINED],
    "items": [lambda rng: [_random_radio_item(rng) for _ in range(rng.randint(0, 5))]],
    "classes": ["c", "nhsuk-radios--inline", "nhsuk-radios--small", "", None],
    "small": [True, False], "inline": [True, False, None],
    "value": ["a", "b", "", None], "disabled": [True, False, None], "id": [random_id],
    "attributes": [random_attributes],
    "formGroup": [lambda rng: random_params({"classes": ["g", "", None], "attributes": [random_attributes]}, rng), None],
}


def test_radios_random(app):
    rng = random.Random(20261207)
    for _ in range(250):
        params = random_params(RADIOS_SPACE, rng)
        ours, theirs = ours_and_theirs(app, "radios", params)
        assert ours == theirs, params


@pytest.mark.parametrize("params", [
    {"name": "r", "items": [{"value": "a", "text": "A", "label": {"text": "A label"}}]},
    {"name": "r", "items": [{"value": "a", "text": "A", "conditional": "not a mapping"}]},
    {"name": "r", "items": "not a list"},
    {"name": "r", "fieldset": {"legend": {"text": "L", "caption": "Caption"}}, "items": []},
    {"name": "r", "formGroup": {"beforeInputs": {"text": "Before"}}, "items": [{"value": "a", "text": "A"}]},
    {"name": "r", "hint": {"text": "h", "unknown": 1}, "items": []},
    {"idPrefix": "two\nlines", "name": "r", "items": [{"value": "a", "text": "A"}]},
    {"name": "r", "items": [{"value": "a", "text": "A"}], "unknown": True},
])
def test_what_radios_were_not_written_for_falls_back(app, params):
    assert_same(app, "radios", params, in_python=False)
