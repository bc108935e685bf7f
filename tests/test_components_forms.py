"""The design system's form components in Python (app/components/forms.py) print what the design
system's own templates print (tests/component_harness.py: as a page carries them, after the
whitespace pass), for every call our templates make, for edge cases and for random parameters;
anything they were not written for falls back to the design system's template."""
from __future__ import annotations

import random

import pytest
from jinja2 import ChainableUndefined
from markupsafe import Markup

from tests.component_harness import HOSTILE_CLASSES, STRAIGHT_BETWEEN_TAGS, ours_and_theirs, random_params, rendered_in_python

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
             "classes": [HOSTILE_CLASSES, "c", "", None, "nhsuk-radios__hint x"], "attributes": [random_attributes]},
    "error-message": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id],
                      "classes": [HOSTILE_CLASSES, "c", None], "attributes": [random_attributes],
                      "visuallyHiddenText": ["Error", "", None, "Warning & <b>"]},
    "label": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id], "for": [random_id],
              "classes": [HOSTILE_CLASSES, "c", "", None, "nhsuk-label--m"], "size": ["s", "m", "l", "xl", "xxl", "", None],
              "isPageHeading": [True, False, None], "attributes": [random_attributes]},
    "legend": {"text": [random_text], "html": ["<b>x</b>", "", None], "id": [random_id],
               "classes": [HOSTILE_CLASSES, "c", "", None, "nhsuk-fieldset__legend--m"], "size": ["s", "m", "l", "xl", "xxl", "", None],
               "isPageHeading": [True, False, None], "attributes": [random_attributes]},
    "fieldset": {"legend": [lambda rng: random_params(PART_SPACES["legend"], rng), "Legend", Markup("<b>L</b>"), None],
                 "html": ["<p>x</p>", "text", "", None], "id": [random_id], "role": ["group", None, ""],
                 "describedBy": ["a b", "", None], "classes": [HOSTILE_CLASSES, "c", None], "attributes": [random_attributes]},
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
    # plain items (components/forms._plain_radio_item): words that are only spaces, none at all
    {"name": "blank", "items": [{"value": "1", "text": "   "}, {"value": "2", "text": ""}, {"value": "3"}]},
    # plain items' values of every type they are read as: numbers, markup, undefined, more than a line
    {"name": "typed", "value": 3,
     "items": [{"value": 3, "text": Markup("<b>Three</b> & more")}, {"value": UNDEFINED, "text": 5, "id": 7},
               {"value": "x", "text": UNDEFINED, "checked": UNDEFINED, "id": UNDEFINED},
               {"value": "y", "text": " two\n  lines <&> ", "checked": "yes", "id": 'q"<id>'},
               {"value": 0, "text": 0, "checked": 0, "id": 0}, {"value": None, "text": None, "checked": None}]},
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
        "disabled": [True, False, None], "classes": [HOSTILE_CLASSES, "c", "", None], "attributes": [random_attributes],
    }
    return {**random_text_and_html(rng), **random_params(space, rng)}


RADIOS_SPACE = {
    "idPrefix": ["answer", "", None, "q-1"],
    "name": ["answer", "", None, "n&m"],
    "fieldset": [lambda rng: random_params({"legend": [lambda r: random_params(PART_SPACES["legend"], r), "L", None],
                                            "describedBy": ["x", "", None], "id": [random_id],
                                            "role": ["group", None], "classes": [HOSTILE_CLASSES, "c", None]}, rng), None, {}],
    "hint": [lambda rng: {**random_text_and_html(rng), **random_params({"id": [random_id], "classes": [HOSTILE_CLASSES, "c"]}, rng)},
             "String hint", None, lambda rng: UNDEFINED],
    "errorMessage": [lambda rng: {**random_text_and_html(rng),
                                  **random_params({"id": [random_id], "visuallyHiddenText": ["Error", "", None]}, rng)},
                     "String error", True, None, lambda rng: UNDEFINED],
    "items": [lambda rng: [_random_radio_item(rng) for _ in range(rng.randint(0, 5))]],
    "classes": [HOSTILE_CLASSES, "c", "nhsuk-radios--inline", "nhsuk-radios--small", "", None],
    "small": [True, False], "inline": [True, False, None],
    "value": ["a", "b", "", None], "disabled": [True, False, None], "id": [random_id],
    "attributes": [random_attributes],
    "formGroup": [lambda rng: random_params({"classes": [HOSTILE_CLASSES, "g", "", None], "attributes": [random_attributes]}, rng), None],
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
    # a plain item's id as Markup, which the label's `for` would print unescaped
    {"name": "r", "items": [{"value": "a", "text": "A", "id": Markup("own-id")}]},
    {"name": "r", "items": [{"value": "a", "text": "A"}], "unknown": True},
])
def test_what_radios_were_not_written_for_falls_back(app, params):
    assert_same(app, "radios", params, in_python=False)


# ---------------------------------------------------------------- checkboxes

def _score_input(item_id: str, error: str | None = None) -> Markup:
    """What templates/hna/question.html puts under each ticked concern: its score box (the input
    rendered through our macro, as the page does)."""
    return Markup(f'<div class="nhsuk-form-group"><input id="score-{item_id}" name="score-{item_id}"></div>'
                  + (f'<span class="nhsuk-error-message">{error}</span>' if error else ""))


CHECKBOXES = [
    # templates/hna/question.html, a domain step: concerns with a score box under each, a divider,
    # the exclusive "none of these"; with and without an error
    {"idPrefix": "concerns", "name": "concerns",
     "fieldset": {"legend": {"html": Markup('<span class="nhsuk-caption-l">Physical</span>') + "Which of these?",
                             "isPageHeading": True, "size": "l"}},
     "hint": {"text": "Select all that apply. For each one, choose how much it has bothered you, from 0 to 10."},
     "errorMessage": UNDEFINED,
     "items": [{"value": "pain", "text": "Pain", "checked": True, "id": "concerns",
                "conditional": {"html": _score_input("pain")}},
               {"value": "tired", "text": "Tiredness & <sleep>", "checked": False, "id": UNDEFINED,
                "conditional": {"html": _score_input("tired", "Enter a number")}},
               {"divider": "or"},
               {"value": "none", "text": "None of these", "checked": False, "exclusive": True}]},
    {"idPrefix": "concerns", "name": "concerns",
     "fieldset": {"legend": {"html": Markup("Which?"), "isPageHeading": True, "size": "l"}},
     "hint": {"text": "Select all that apply."}, "errorMessage": {"text": "Select a concern or ‘None of these’"},
     "items": [{"value": "pain", "text": "Pain", "checked": False, "id": "concerns", "conditional": {"html": _score_input("pain")}},
               {"divider": "or"}, {"value": "none", "text": "None", "checked": True, "exclusive": True}]},
    # the top concerns step, and its offline copy (attributes, no error, no checked)
    {"idPrefix": "top_concerns", "name": "top_concerns",
     "fieldset": {"legend": {"text": "Which matter most?", "isPageHeading": True, "size": "l"}},
     "hint": {"text": " Choose up to 3."}, "errorMessage": {"text": "Choose up to 3"},
     "items": [{"value": "pain", "text": "Pain", "checked": True, "id": "top_concerns"},
               {"value": "tired", "text": "Tiredness", "checked": False, "id": UNDEFINED}]},
    {"idPrefix": "top_concerns", "name": "top_concerns",
     "fieldset": {"legend": {"text": "Which matter most?", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "Choose up to 3."}, "attributes": {"data-offline-top": "1"},
     "items": [{"value": "pain", "text": "Pain", "id": "top_concerns"}, {"value": "tired", "text": "Tiredness"}]},
    # templates/careplan/edit.html: a single box without a fieldset; queue items with hints
    {"idPrefix": "rows-0-remove", "name": "rows-0-remove",
     "items": [{"value": "yes", "text": "Remove this concern from the plan", "checked": False}]},
    {"idPrefix": "resolve_item", "name": "resolve_item",
     "items": [{"value": 3, "text": "Also mark the queue item as done", "hint": {"text": "HNA: sent. Due today."},
                "checked": True},
               {"value": 4, "text": "Also mark ‘Review’ as done", "hint": {"text": "Review: due."}, "checked": False}]},
    # templates/admin/team.html, followup/nurse_test.html, macros/form.html checkboxes_field
    {"idPrefix": "out_of_hours_phone_checked", "name": "out_of_hours_phone_checked",
     "fieldset": {"legend": {"text": "Check the out-of-hours number", "size": "s"}},
     "hint": {"text": "Needed when you add or change the number."}, "errorMessage": {"text": "Tick to confirm"},
     "items": [{"value": "y", "text": "I have called it", "checked": None}]},
    {"idPrefix": "days", "name": "days", "fieldset": {"legend": {"text": "Days", "size": "m"}}, "hint": UNDEFINED,
     "errorMessage": None, "items": [{"value": "mon", "text": "Monday", "checked": True},
                                     {"value": "tue", "text": "Tuesday", "checked": False}]},
    # what the design system offers beyond those
    {"name": "c", "describedBy": "described", "hint": "A string hint", "errorMessage": "A string error",
     "values": ["b", "c"], "small": True, "inline": True,
     "items": [{"value": "a", "text": "A", "hint": "An item hint"},
               {"value": "b", "text": "B", "behaviour": "inclusive", "name": "own-name"},
               {"divider": "or", "behaviour": "inclusive"},
               {"value": "c", "text": "C", "checked": False, "behaviour": "exclusive", "behaviourGroup": "g"},
               {"value": "d", "text": "D", "exclusiveGroup": "eg", "exclusive": True, "disabled": True}]},
    {"name": "c", "fieldset": {"legend": "Legend", "describedBy": "fieldset-described"}, "describedBy": "ignored",
     "items": [{"value": "a", "text": "A", "hint": {"text": "h", "id": None}}]},
    {},
]


@pytest.mark.parametrize("params", CHECKBOXES, ids=[f"checkboxes-{i}" for i in range(len(CHECKBOXES))])
def test_checkboxes(app, params):
    assert_same(app, "checkboxes", params)


def _random_checkbox_item(rng: random.Random) -> dict:
    item = _random_radio_item(rng)
    if "divider" not in item:
        item.update(random_params({"name": ["own", "", None], "exclusive": [True, False],
                                   "behaviour": ["exclusive", "inclusive", None],
                                   "behaviourGroup": ["g", None], "exclusiveGroup": ["e", None]}, rng))
    elif rng.random() < 0.3:
        item["behaviour"] = "inclusive"
    return item


CHECKBOXES_SPACE = {key: value for key, value in RADIOS_SPACE.items() if key != "value"} | {
    "items": [lambda rng: [_random_checkbox_item(rng) for _ in range(rng.randint(0, 5))]],
    "values": [["a"], ["a", "b"], [], None],
    "describedBy": ["d", "", None],
    "classes": [HOSTILE_CLASSES, "c", "nhsuk-checkboxes--inline", "nhsuk-checkboxes--small", "", None],
}


def test_checkboxes_random(app):
    rng = random.Random(202612072)
    for _ in range(250):
        params = random_params(CHECKBOXES_SPACE, rng)
        ours, theirs = ours_and_theirs(app, "checkboxes", params)
        assert ours == theirs, params


@pytest.mark.parametrize("params", [
    {"name": "c", "values": "a string", "items": [{"value": "a", "text": "A"}]},
    {"name": "c", "items": [{"value": "a", "text": "A", "label": "A label"}]},
    {"name": "c", "formGroup": {"afterInputs": {"text": "After"}}, "items": []},
])
def test_what_checkboxes_were_not_written_for_falls_back(app, params):
    assert_same(app, "checkboxes", params, in_python=False)


# ---------------------------------------------------------------- input, textarea, character count, select

INPUTS = [
    # templates/hna/question.html: the score box under a concern, with and without an error
    {"id": "score-pain", "name": "score-pain", "value": "7",
     "label": {"html": Markup("How much has this bothered you?") + Markup('<span class="nhsuk-u-visually-hidden"> (')
               + "Pain & <aches>" + Markup(")</span>")},
     "hint": {"text": "Enter a number from 0 to 10. 0 is not at all, 10 is very much"},
     "classes": "nhsuk-input--width-2", "inputmode": "numeric", "autocomplete": "off", "errorMessage": UNDEFINED},
    {"id": "score-pain", "name": "score-pain", "value": "",
     "label": {"html": Markup("How much?")}, "hint": {"text": "0 to 10"},
     "classes": "nhsuk-input--width-2", "inputmode": "numeric", "autocomplete": "off",
     "errorMessage": {"text": "Enter a number from 0 to 10"}},
    # templates/macros/form.html text_field: a page heading or not, a hint, an error, a type
    {"label": {"text": "NHS number", "isPageHeading": False, "size": UNDEFINED}, "hint": UNDEFINED, "id": "nhs_number",
     "name": "nhs_number", "type": "text", "value": "", "errorMessage": None, "classes": None, "autocomplete": None,
     "inputmode": None, "spellcheck": None},
    {"label": {"text": "Your name", "isPageHeading": True, "size": "l"}, "hint": {"text": "As on your letters"},
     "id": "name", "name": "name", "type": "text", "value": 'Tom "T" & <Jerry>',
     "errorMessage": {"text": "Enter your name"}, "classes": "nhsuk-input--width-20", "autocomplete": "name",
     "inputmode": None, "spellcheck": False},
    {"label": {"text": "Password", "isPageHeading": False}, "id": "password", "name": "password", "type": "password",
     "value": "", "errorMessage": None, "classes": None, "autocomplete": "current-password", "inputmode": None,
     "spellcheck": None},
    {"label": {"text": "Phone"}, "id": "phone", "name": "phone", "type": "tel", "value": 7, "inputmode": "tel",
     "spellcheck": True},
    # what the design system offers beyond those
    {"name": "n", "label": "A string label", "hint": "A string hint", "errorMessage": "A string error",
     "width": 10, "large": True, "code": True, "disabled": True, "describedBy": "other", "pattern": "[0-9]*",
     "placeholder": "e.g. 1", "autocapitalize": "none", "attributes": {"data-x": "1"},
     "formGroup": {"classes": "g", "attributes": {"data-g": "1"}}},
    {"name": "n", "label": {"text": "Name"}, "value": 'a "b"', "attributes": {"data-x": "1"}},
    {"name": "n", "label": {"text": "Label", "for": "elsewhere", "id": "label-id", "classes": "c"},
     "errorMessage": True, "value": None, "width": "4", "classes": "nhsuk-input--width-4"},
    {},
]


@pytest.mark.parametrize("params", INPUTS, ids=[f"input-{i}" for i in range(len(INPUTS))])
def test_input(app, params):
    assert_same(app, "input", params)


TEXTAREAS = [
    # templates/macros/form.html textarea_field and templates/admin/questionnaires.html
    {"id": "notes", "name": "notes", "rows": 3, "label": {"text": "Notes"}, "hint": UNDEFINED,
     "value": "typed\n\n   text & <b>", "errorMessage": None},
    {"id": "notes", "name": "notes", "rows": 5, "label": {"text": "Notes", "size": "m"},
     "hint": {"text": "What to say"}, "value": "", "errorMessage": {"text": "Too long"}},
    {"id": "definition", "name": "definition", "rows": 12, "label": {"text": "Questionnaire definition (JSON)"},
     "value": '{"a": "<b>"}\n', "errorMessage": {"text": "Not JSON"}, "spellcheck": False},
    {"name": "t", "label": "String label", "hint": "String hint", "errorMessage": "String error", "spellcheck": True,
     "disabled": True, "autocomplete": "off", "describedBy": "other", "classes": "c", "attributes": {"data-a": "1"},
     "formGroup": {"classes": "g", "attributes": {"data-g": "1"}}, "value": None, "rows": 0},
    {"name": "t", "errorMessage": True, "label": {"text": "L", "isPageHeading": True}},
    {"name": "note", "id": "note", "label": {"text": "Note"}, "hint": {"text": "A hint"},
     "value": "typed\n\n   text", "errorMessage": {"text": "Too long"}},
    {},
]


@pytest.mark.parametrize("params", TEXTAREAS, ids=[f"textarea-{i}" for i in range(len(TEXTAREAS))])
def test_textarea(app, params):
    assert_same(app, "textarea", params)


CHARACTER_COUNTS = [
    # templates/hna/question.html, an optional text question: first visit, typed, an error
    {"id": "text", "name": "text", "maxlength": 500, "rows": 6,
     "label": {"text": "Is there anything else?", "isPageHeading": True, "size": "l"},
     "hint": {"text": " This question is optional. You can write up to 500 characters."},
     "value": "", "errorMessage": UNDEFINED, "attributes": {"data-autosave": "text"}},
    {"id": "text", "name": "text", "maxlength": 500, "rows": 6,
     "label": {"text": "What matters most?", "isPageHeading": True, "size": "l"},
     "hint": {"text": "For example, family. This question is optional."},
     "value": "Tom & Jerry <b>\n  two lines", "errorMessage": {"text": "Write 500 characters or fewer"},
     "attributes": {"data-autosave": "text"}},
    {"name": "words", "maxwords": 50, "threshold": 75, "label": "Words", "hint": "A hint", "errorMessage": "Too many",
     "spellcheck": False, "classes": "c", "disabled": True, "autocomplete": "off", "value": None},
    {"id": "x", "maxlength": "10"},
]


@pytest.mark.parametrize("params", CHARACTER_COUNTS, ids=[f"character-count-{i}" for i in range(len(CHARACTER_COUNTS))])
def test_character_count(app, params):
    assert_same(app, "character-count", params)


SELECTS = [
    # templates/macros/form.html select_field
    {"id": "team", "name": "team", "label": {"text": "Team"}, "hint": UNDEFINED, "errorMessage": None,
     "items": [{"value": "", "text": "Choose a team", "selected": False}, {"value": "1", "text": "Breast & <lung>",
                                                                         "selected": True}]},
    {"id": "team", "name": "team", "label": {"text": "Team"}, "hint": {"text": "Where they are seen"},
     "errorMessage": {"text": "Choose a team"},
     "items": [{"value": "", "text": "Choose", "selected": True}, {"value": "2", "text": "Colorectal", "selected": False}]},
    # what the design system offers beyond those
    {"name": "s", "label": "Pick", "value": "only text", "hint": "h", "errorMessage": "e", "disabled": True,
     "describedBy": "d", "classes": "c", "attributes": {"data-s": "1"}, "formGroup": {"classes": "g"},
     "items": [{"value": None, "text": "None value"}, {"text": "only text"}, {"divider": "x"}, {},
               {"value": "b", "text": "B", "selected": False, "disabled": True, "attributes": {"data-o": "1"}}]},
    {"name": "s", "errorMessage": True, "value": "b", "items": [{"value": "b", "text": "B", "selected": False},
                                                              {"value": "b", "text": "B again"}]},
    {},
]


@pytest.mark.parametrize("params", SELECTS, ids=[f"select-{i}" for i in range(len(SELECTS))])
def test_select(app, params):
    assert_same(app, "select", params)


def random_label(rng: random.Random):
    if rng.random() < 0.2:
        return rng.choice(["String label", Markup("<b>Safe</b> label"), None])
    return {**random_text_and_html(rng),
            **random_params({"for": [random_id], "id": [random_id], "classes": [HOSTILE_CLASSES, "c", None],
                             "size": ["s", "m", "l", "xl", None], "isPageHeading": [True, False]}, rng)}


LABELLED_SPACE = {
    "label": [random_label],
    "hint": RADIOS_SPACE["hint"],
    "errorMessage": RADIOS_SPACE["errorMessage"],
    "id": [random_id], "name": ["n", "", None, "n&m"],
    "value": ["typed", "", None, 'a "b" & <c>', "two\n  lines", 5],
    "classes": [HOSTILE_CLASSES, "c", "", None], "disabled": [True, False, None], "describedBy": ["d", "", None],
    "attributes": [random_attributes],
    "formGroup": RADIOS_SPACE["formGroup"],
}

FIELD_SPACES = {
    "input": LABELLED_SPACE | {
        "type": ["text", "tel", "", None], "width": [2, "3", 10, "7", None], "large": [True, False], "code": [True],
        "spellcheck": [True, False, None, "yes"], "autocomplete": ["off", "", None], "autocapitalize": ["none", None],
        "pattern": ["[0-9]*", None], "placeholder": ["e.g.", "", None], "inputmode": ["numeric", None],
        "classes": [HOSTILE_CLASSES, "c", "nhsuk-input--width-2", "nhsuk-input--large", "", None]},
    "textarea": LABELLED_SPACE | {"rows": [3, 12, "5", 0, None], "spellcheck": [True, False, None, "yes"],
                                  "autocomplete": ["off", "", None]},
    "character-count": {key: value for key, value in LABELLED_SPACE.items()
                        if key not in ("describedBy", "formGroup")} | {
        "maxlength": [500, "10"], "maxwords": [50, None], "threshold": [75, None], "rows": [3, None],
        "spellcheck": [True, False, None], "autocomplete": ["off", None]},
    "select": LABELLED_SPACE | {
        "items": [lambda rng: [random_params({"value": ["a", "b", "", None], "text": [random_text],
                                              "selected": [True, False, None], "disabled": [True, None],
                                              "divider": [True, None], "attributes": [random_attributes]}, rng)
                               for _ in range(rng.randint(0, 4))]],
        "value": ["a", "b", "", None, "Yes"]},
}


@pytest.mark.parametrize("component", sorted(FIELD_SPACES))
def test_fields_random(app, component):
    rng = random.Random(f"20261207-{component}")
    for _ in range(200):
        params = random_params(FIELD_SPACES[component], rng)
        if component == "character-count" and not (params.get("maxlength") or params.get("maxwords")):
            params["maxlength"] = 100
        ours, theirs = ours_and_theirs(app, component, params)
        assert ours == theirs, params


@pytest.mark.parametrize(("component", "params"), [
    ("input", {"name": "n", "prefix": "£"}),
    ("input", {"name": "n", "label": {"text": "L", "caption": "C"}}),
    ("input", {"name": "n", "formGroup": {"beforeInput": {"text": "Before"}}}),
    ("textarea", {"name": "t", "formGroup": {"afterInput": {"text": "After"}}}),
    ("character-count", {"name": "t"}),
    ("character-count", {"name": "t", "maxlength": 10, "charactersUnderLimitText": {"one": "x"}}),
    ("select", {"name": "s", "inputWrapper": {"classes": "w"}}),
    ("select", {"name": "s", "items": [{"value": "a", "text": "A", "unknown": 1}]}),
])
def test_what_fields_were_not_written_for_falls_back(app, component, params):
    assert_same(app, component, params, in_python=False)


# ---------------------------------------------------------------- date input, error summary

def _date_items(error: bool, birthday: bool, values=("15", "3", "1984")) -> list[dict]:
    # templates/macros/form.html date_field: each box named field-day, field-month, field-year
    return [{"id": f"dob-{part}", "name": f"dob-{part}", "label": label, "width": width,
             "classes": "nhsuk-input--error" if error else UNDEFINED, "value": value,
             "autocomplete": f"bday-{part}" if birthday else UNDEFINED}
            for (part, label, width), value in zip([("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)],
                                                   values, strict=True)]


DATE_INPUTS = [
    {"id": "dob", "fieldset": {"legend": {"text": "Date of birth", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "For example, 15 3 1984"}, "errorMessage": None, "items": _date_items(False, True)},
    {"id": "dob", "fieldset": {"legend": {"text": "Date of birth", "isPageHeading": True, "size": "l"}},
     "hint": {"text": "For example, 15 3 1984"}, "errorMessage": {"text": "Enter a real date"},
     "items": _date_items(True, True, ("31", "2", "20x"))},
    {"id": "next_due", "fieldset": {"legend": {"text": "Next due", "isPageHeading": False, "size": "m"}},
     "hint": UNDEFINED, "errorMessage": {"text": "Enter a date"}, "items": _date_items(True, False, ("", "", ""))},
    {"id": "next_due", "fieldset": {"legend": {"text": "Next due", "isPageHeading": False, "size": "m"}},
     "hint": UNDEFINED, "errorMessage": None, "items": _date_items(False, False, (None, "x & <y>", 'q"'))},
    # what the design system offers beyond those
    {"id": "d", "namePrefix": "dob", "hint": "A string hint", "errorMessage": "A string error",
     "items": [{"name": "day", "value": "1"}, {"name": "month"}, {"name": "year", "error": True}, {}]},
    {"id": "d", "errorMessage": {"text": "Bad"}, "classes": "c", "attributes": {"data-d": "1"}, "disabled": True,
     "formGroup": {"classes": "g", "attributes": {"data-g": "1"}},
     "fieldset": {"legend": "A string legend", "role": None, "describedBy": "extra", "classes": "fc", "id": "f"},
     "items": [{"name": "day", "label": {"text": "Two\nlines", "classes": "lc"}, "disabled": False},
               {"name": "year", "error": False, "type": "number", "inputmode": "decimal", "pattern": "[0-9]*",
                "spellcheck": False, "describedBy": "own", "attributes": {"data-i": "1"}, "width": 10},
               {"name": "month", "label": "String label", "id": "own-id", "classes": "nhsuk-input--width-3"}]},
    {"errorMessage": True, "items": [{"name": "day"}]},
]


@pytest.mark.parametrize("params", DATE_INPUTS, ids=[f"date-input-{i}" for i in range(len(DATE_INPUTS))])
def test_date_input(app, params):
    assert_same(app, "date-input", params)


def _random_date_item(rng: random.Random) -> dict:
    return random_params({
        "id": [random_id], "name": ["day", "month", "year", "d-day", ""], "value": ["1", "", None, "x&<y>"],
        "label": [lambda r: random_text_and_html(r), "Label", None], "width": [2, 4, "10", None],
        "classes": [HOSTILE_CLASSES, "nhsuk-input--error", "c", "", None], "error": [True, False, None],
        "autocomplete": ["bday-day", None], "disabled": [True, False, None], "attributes": [random_attributes],
    }, rng)


DATE_INPUT_SPACE = {
    "id": ["dob", "", None, "p<x>"],
    "namePrefix": ["dob", "", None],
    "items": [lambda rng: [_random_date_item(rng) for _ in range(rng.randint(1, 4))]],
    "fieldset": RADIOS_SPACE["fieldset"],
    "hint": RADIOS_SPACE["hint"],
    "errorMessage": RADIOS_SPACE["errorMessage"],
    "classes": [HOSTILE_CLASSES, "c", "", None], "disabled": [True, False, None], "attributes": [random_attributes],
    "formGroup": RADIOS_SPACE["formGroup"],
}


def test_date_input_random(app):
    rng = random.Random(202612073)
    for _ in range(200):
        params = random_params(DATE_INPUT_SPACE, rng)
        params.setdefault("items", [{"name": "day"}])
        ours, theirs = ours_and_theirs(app, "date-input", params)
        assert ours == theirs, params


ERROR_SUMMARIES = [
    # templates/base.html, reentry, messages (error_summary_items), hna/question.html and check.html
    {"titleText": "There is a problem", "errorList": [{"text": "Enter your name", "href": "#name"},
                                                      {"text": "Enter a real date & <time>", "href": "#dob-day"}]},
    {"titleText": "Some questions still need an answer",
     "errorList": [{"text": "Answer ‘How are you?’", "href": "/hna/questions/distress"}]},
    # macros/form.html conflict_summary, reentry/ask.html, messages/_compose.html: a description, no list
    {"titleText": "Your changes have not been saved", "descriptionText": "Someone else changed this page.\nCheck it.",
     "errorList": []},
    # nurse/queue_item.html: an item without a link
    {"titleText": "There is a problem", "errorList": [{"text": "This item changed since you opened it"}]},
    # what the design system offers beyond those
    {"heading": "String heading", "description": Markup("<b>Safe</b> description"), "id": "summary", "classes": "c",
     "disableAutoFocus": True, "attributes": {"data-x": "1"},
     "errorList": [{"html": "<i>html</i>", "href": "#a", "attributes": {"data-a": "1"}}, {"html": "<b>no link</b>"},
                   {}, None, {"href": "#only-href"}, {"text": "  padded\n  lines  ", "href": "#p"}]},
    {"heading": {"text": "Mapping heading", "id": "h", "attributes": {"data-h": "1"}}, "description": {"text": "d"},
     "disableAutoFocus": False},
    {"titleHtml": "<b>Title</b>", "descriptionHtml": "<p>Described</p>", "errorList": UNDEFINED},
    {},
]


@pytest.mark.parametrize("params", ERROR_SUMMARIES, ids=[f"error-summary-{i}" for i in range(len(ERROR_SUMMARIES))])
def test_error_summary(app, params):
    assert_same(app, "error-summary", params)


ERROR_SUMMARY_SPACE = {
    "titleText": [random_text], "titleHtml": ["<b>T</b>", None],
    "heading": [lambda rng: {**random_text_and_html(rng), **random_params({"id": [random_id]}, rng)}, "H", None],
    "descriptionText": [random_text], "descriptionHtml": ["<b>D</b>", "", None],
    "description": [lambda rng: random_text_and_html(rng), "D", Markup("<i>D</i>"), None],
    "errorList": [lambda rng: [random_params({"text": [random_text], "html": ["<b>x</b>", "", None],
                                              "href": ["#a", "", None, "/x?a=1&b=<2>"],
                                              "attributes": [random_attributes]}, rng)
                               for _ in range(rng.randint(0, 4))], []],
    "classes": [HOSTILE_CLASSES, "c", "", None], "id": [random_id], "attributes": [random_attributes],
    "disableAutoFocus": [True, False, None, "yes"],
}


def test_error_summary_random(app):
    rng = random.Random(202612074)
    for _ in range(250):
        params = random_params(ERROR_SUMMARY_SPACE, rng)
        ours, theirs = ours_and_theirs(app, "error-summary", params)
        assert ours == theirs, params


@pytest.mark.parametrize(("component", "params"), [
    ("date-input", {"id": "d", "values": {"day": "1"}}),
    ("date-input", {"id": "d", "items": []}),
    ("date-input", {"id": "d", "items": [{"name": "day", "prefix": "x"}]}),
    ("date-input", {"id": "d", "items": [{"name": "day", "value": "two\nlines"}]}),
    ("error-summary", {"titleText": "T", "errorList": "not a list"}),
    ("error-summary", {"heading": {"text": "T", "level": 3}}),
])
def test_what_dates_and_summaries_were_not_written_for_falls_back(app, component, params):
    assert_same(app, component, params, in_python=False)


def test_a_line_break_is_what_jinjas_indent_splits_at():
    from app.templating import LINE_BREAK

    # Jinja's `indent` splits with str.splitlines(): the parts print a value on one line only,
    # and print one line of text as it is, by this pattern. Every code point, in one test.
    splits = {chr(code) for code in range(0x110000) if len(f"a{chr(code)}b".splitlines()) > 1}
    found = {chr(code) for code in range(0x110000) if LINE_BREAK.search(chr(code))}
    assert found == splits


CALLS = ([("radios", params) for params in RADIOS] + [("checkboxes", params) for params in CHECKBOXES]
                         + [("input", params) for params in INPUTS] + [("textarea", params) for params in TEXTAREAS]
                         + [("character-count", params) for params in CHARACTER_COUNTS]
                         + [("select", params) for params in SELECTS] + [("date-input", params) for params in DATE_INPUTS]
                         + [("error-summary", params) for params in ERROR_SUMMARIES] + PARTS)


def test_straight_between_tags(app):
    for component, params in CALLS:
        ours, theirs = ours_and_theirs(app, component, params, around=STRAIGHT_BETWEEN_TAGS)
        assert ours == theirs, (component, params)
