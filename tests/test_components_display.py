"""The display components in Python (app/components/display.py: card, summary list, inset text,
warning callout, ...) print what the design system's own templates print: every way our
templates call them, edge cases, and random parameters, each placed after a tag and within a
line of text (where the whitespace a component starts and ends with is kept); anything they were
not written for falls back to the design system's template. Harness: tests/component_harness.py."""
from __future__ import annotations

import random

import pytest
from jinja2 import ChainableUndefined
from markupsafe import Markup

from tests import component_harness as harness
from tests.component_harness import HOSTILE_CLASSES, AFTER_A_TAG, WITHIN_TEXT, ours_and_theirs, random_params, rendered_in_python

PLACES = [pytest.param(place, id=name) for place, name in
          zip(harness.PLACES, ["after-a-tag", "within-text", "straight-between-tags"], strict=True)]
UNDEFINED = ChainableUndefined()


def same_bytes(app, component, params, around=AFTER_A_TAG):
    ours, theirs = ours_and_theirs(app, component, params, around=around)
    assert ours == theirs, params


def random_calls(app, component, space, seed, count=150):
    rng = random.Random(seed)
    for number in range(count):
        params = random_params(space, rng)
        same_bytes(app, component, params, harness.PLACES[number % len(harness.PLACES)])


# ---------------------------------------------------------------- card

CARDS = [
    # templates/main/_home.html (the care plan and follow-up cards), admin/index.html
    {"href": "/my-care/plan", "clickable": True, "heading": "View your plan", "headingLevel": 3,
     "description": "Updated on 1 May 2026. Next review by 1 August 2026."},
    {"href": "/admin/staff", "heading": "Staff", "headingLevel": 2, "description": "Add & <remove> staff", "clickable": True},
    # templates/main/_unwell_card.html
    {"variant": "urgent", "heading": "Feeling unwell?", "headingLevel": 2,
     "descriptionHtml": Markup("<p>Call <a href=\"tel:111\">111</a></p>\n  <ul>\n    <li>Now</li>\n  </ul>"),
     "attributes": {"id": "feeling-unwell"}},
    {"heading": "Plain", "description": "Words"},
    {"heading": "Two\nlines", "href": "/h", "description": "Also\n\ntwo  \n lines"},
    {"heading": "Feature", "href": "/h", "feature": True},
    {"heading": "Hidden", "headingVisuallyHiddenText": "Read <this>", "descriptionHtml": "starts with text\n<p>then a tag</p>"},
    {"heading": "Emergency", "variant": "emergency", "headingVisuallyHiddenText": "  Spaced  "},
    {"heading": "Non-urgent", "variant": "non-urgent", "href": "/not-a-link-in-a-care-card", "secondary": True},
    {"heading": "Care classes", "variant": "urgent", "classes": "nhsuk-card--care--urgent extra"},
    {"variant": "urgent", "description": "A care variant without a heading is a plain card"},
    {"heading": "Sized", "headingLevel": "4", "headingSize": "m"},
    {"heading": "Odd size", "headingSize": "huge"},
    {"heading": "No level", "headingLevel": None},
    {"heading": "Level zero", "headingLevel": 0},
    {"heading": "Undefined level", "headingLevel": UNDEFINED},
    {"variant": "secondary", "classes": "nhsuk-card--secondary"},
    {"variant": "warning", "warning": True, "heading": "Twice"},
    {"variant": "nonsense", "heading": "Unknown variant"},
    {"id": 'card-"1"', "heading": "With id", "attributes": {"data-x": "1", "hidden": {"value": True, "optional": True}}},
    {"description": Markup("<p>Markup description wins</p>"), "descriptionHtml": "<p>over this</p>"},
    {"description": "text loses", "descriptionHtml": "<p>to HTML</p>"},
    {"description": "", "descriptionHtml": ""},
    {"heading": "", "description": None},
    {"heading": None, "href": None, "classes": None, "attributes": None},
    {"heading": UNDEFINED, "description": UNDEFINED},
    {"heading": "Markup hidden text", "variant": "urgent", "headingVisuallyHiddenText": Markup("<i>Act</i> &amp; now")},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", CARDS, ids=repr)
def test_card(app, params, around):
    assert rendered_in_python(app, "card", params)
    same_bytes(app, "card", params, around)


CARDS_LEFT_TO_THE_TEMPLATE = [
    {"heading": "Primary", "variant": "primary"},  # its chevron icon
    {"heading": "Primary", "classes": "nhsuk-card--primary"},
    {"heading": Markup("<b>Markup</b> heading")},  # printed as text and as HTML by the template
    {"heading": {"text": "As a mapping"}},
    {"heading": "Captioned", "headingCaption": "no"},
    {"heading": "With actions", "actions": [{"text": "Edit", "href": "/e"}]},
    {"imgURL": "/i.png", "imgALT": "An image"},
    {"heading": "Hidden", "variant": "urgent", "headingVisuallyHiddenText": "   "},
    {"description": 7},
    {"heading": "Classes", "classes": ["a list"]},
]


@pytest.mark.parametrize("params", CARDS_LEFT_TO_THE_TEMPLATE, ids=repr)
def test_card_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "card", params)
    same_bytes(app, "card", params)


CARD_SPACE = {
    "href": ["/a?b=1&c=2", "", None, '/"quoted"'],
    "clickable": [True, False, None],
    "heading": ["Heading", "A & B <c>", "  padded\n  lines  ", "", None, "Important"],
    "headingLevel": [1, 2, "3", None, 0],
    "headingSize": ["s", "m", "xl", "nope", None],
    "headingVisuallyHiddenText": ["Hidden", "", None, "a & b", Markup("<i>m</i>")],
    "description": ["Words", "Words & <tags>\nover lines", "", None, Markup("<p>safe</p>")],
    "descriptionHtml": ["<p>HTML</p>", "text then <b>tag</b>\n  more", "", None],
    "variant": ["feature", "secondary", "warning", "urgent", "non-urgent", "emergency", "", None, "other"],
    "feature": [True, False, None],
    "secondary": [True, None],
    "warning": [True, None],
    "classes": [HOSTILE_CLASSES, "extra", "nhsuk-card--secondary", "nhsuk-card--care--emergency", "", None],
    "id": ["card", "", None, "<id>"],
    "attributes": [{"data-a": "1"}, {}, None, {"hidden": {"value": True, "optional": True}}],
}


def test_card_random(app):
    random_calls(app, "card", CARD_SPACE, 20261207)


# ---------------------------------------------------------------- summary list

CHANGE = {"items": [{"href": "/nurse/patients/1/edit#date_of_birth-day", "text": "Change", "visuallyHiddenText": "date of birth"}]}
SUMMARY_LISTS = [
    # templates/main/_contacts.html, nurse/patient.html, hna/team_view.html, admin/user.html ...
    {"rows": [{"key": {"text": "Key worker"}, "value": {"text": "Not yet named – ask your cancer team"}},
              {"key": {"text": "Team"}, "value": {"text": "Breast & <colorectal>"}},
              {"key": {"text": "Phone"}, "value": {"html": Markup('<a href="tel:01234">01234 567890</a>')}}]},
    {"rows": [{"key": {"text": "NHS number"}, "value": {"text": "943 476 5919"}},
              {"key": {"text": "Date of birth"}, "value": {"text": "1 May 1960"}, "actions": CHANGE}]},
    {"rows": [{"key": {"text": "Passkeys"}, "value": {"text": 2}}, {"key": {"text": "None"}, "value": {"text": 0}}]},
    {"rows": [{"key": {"text": "Address"}, "value": {"text": "1 Street\n\nTown  \r\nPostcode"}},
              {"key": {"html": "Key <b>HTML</b>\nover lines"}, "value": {"html": "text first <b>then</b>\n  more"}}]},
    {"rows": [{"key": "A string key", "value": "and value & more"}, {"key": Markup("<i>Markup</i>"), "value": Markup("<b>v</b>")}]},
    {"rows": [{"key": {"text": "Empty"}, "value": {"text": ""}}, {"key": {}, "value": None}, {}]},
    {"rows": [{"key": {"text": "Action"}, "value": {"text": "v"},
               "actions": {"items": [{"href": "/a?x=1&y=2", "html": "Change <b>it</b>\nnow"}]}},
              {"key": {"text": "No action"}, "value": {"text": "v"}, "actions": {"items": []}}]},
    {"rows": [{"key": {"text": "Hidden"}, "value": {"text": "v"}, "actions": {"items": [{"href": "/a", "text": "Change", "visuallyHiddenText": ""}]}}]},
    {"rows": [None, "not a row", {"key": {"text": "Only mappings count"}}]},
    {"rows": [], "classes": "extra", "id": "list-1", "attributes": {"data-x": "1"}},
    {"rows": None},
    {"rows": ({"key": {"text": "A tuple"}, "value": {"text": "of rows"}},)},
    {"rows": [{"key": {"text": Markup("<b>Markup</b> &amp; text")}, "value": {"text": Markup("<i>is</i>\nnot escaped")}}]},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", SUMMARY_LISTS, ids=repr)
def test_summary_list(app, params, around):
    assert rendered_in_python(app, "summary-list", params)
    same_bytes(app, "summary-list", params, around)


SUMMARY_LISTS_LEFT_TO_THE_TEMPLATE = [
    {"rows": [{"key": {"text": "k"}, "value": {"text": "v"}, "classes": "row-class"}]},
    {"rows": [{"key": {"text": "k", "classes": "wide"}, "value": {"text": "v"}}]},
    {"rows": [{"key": {"text": "k"}, "value": {"text": "v"}, "border": False}]},
    {"rows": [{"key": {"text": "k"}, "actions": {"items": [{"href": "/a", "text": "A"}, {"href": "/b", "text": "B"}]}}]},
    {"rows": [{"key": {"text": "k"}, "actions": [{"href": "/a", "text": "A list of actions"}]}]},
    {"rows": [{"key": {"text": "k"}, "actions": {"items": [{"text": "No href"}]}}]},
    {"rows": [{"key": {"text": "k"}, "actions": {"items": [{"href": "/a", "text": "A"}], "classes": "c"}}]},
    {"rows": [{"key": 5, "value": {"text": "a number key"}}]},
    {"rows": [], "border": False},
    {"rows": [], "card": {"heading": "In a card"}},
    {"html": "<div>rows</div>"},
]


@pytest.mark.parametrize("params", SUMMARY_LISTS_LEFT_TO_THE_TEMPLATE, ids=repr)
def test_summary_list_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "summary-list", params)
    same_bytes(app, "summary-list", params)


def _random_row(rng):
    texts = ["Text", "A & <b>", "two\nlines", "", None, 3, Markup("<i>safe</i>\n&amp; more")]
    row = {}
    if rng.random() < 0.9:
        row["key"] = rng.choice([{"text": rng.choice(texts)}, {"html": "<b>k</b>"}, "string key", Markup("<i>k</i>"), {}])
    if rng.random() < 0.9:
        row["value"] = rng.choice([{"text": rng.choice(texts)}, {"html": "v <b>html</b>\nmore"}, "string value", None])
    if rng.random() < 0.4:
        row["actions"] = {"items": rng.choice([[], [{"href": "/e", "text": "Change", "visuallyHiddenText": rng.choice(["k", "", None])}],
                                               [{"href": "/e?a&b", "html": "<b>Edit</b>"}]])}
    return row


SUMMARY_LIST_SPACE = {
    "rows": [lambda rng: [_random_row(rng) for _ in range(rng.randrange(5))], [], None],
    "classes": [HOSTILE_CLASSES, "extra", "nhsuk-summary-list--no-border", "", None],
    "id": ["list", "", None, "<id>"],
    "attributes": [{"data-a": "1"}, {}, None],
}


def test_summary_list_random(app):
    random_calls(app, "summary-list", SUMMARY_LIST_SPACE, 20261208)


# ---------------------------------------------------------------- inset text

INSET_TEXTS = [
    # templates/followup/patient_follow_up.html, careplan/patient_plan.html, main/install.html, ...
    {"text": "You can contact your cancer team directly until 1 May 2027. After that, contact your GP first."},
    {"text": "Sam & <Alex> has already started"},
    {"html": Markup("<p>This is version 2. <a href=\"/x?a=1&amp;b=2\">See the current version</a>.</p>")},
    {"html": "<p>The app has been added. Look for \"My care\".</p>"},
    {"html": "starts with text\n<p>and a tag</p>\n  indented"},
    {"text": "  two\n  lines  "},
    {"text": Markup("<b>already safe</b>")},
    {"text": 12},
    {"text": "Hidden text", "visuallyHiddenText": "Note & more"},
    {"text": "Empty hidden text", "visuallyHiddenText": ""},
    {"text": "With everything", "classes": "extra", "id": 'inset-"1"', "attributes": {"data-x": "1"}},
    {"text": "", "html": ""},
    {"text": None, "html": None, "classes": None},
    {"text": UNDEFINED},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", INSET_TEXTS, ids=repr)
def test_inset_text(app, params, around):
    assert rendered_in_python(app, "inset-text", params)
    same_bytes(app, "inset-text", params, around)


@pytest.mark.parametrize("params", [{"text": "t", "unknown": 1}, {"text": "t", "classes": ["a"]}], ids=repr)
def test_inset_text_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "inset-text", params)
    same_bytes(app, "inset-text", params)


INSET_TEXT_SPACE = {
    "text": ["Words", "A & B <c>", " spaced \n lines ", "", None, Markup("<i>x</i>")],
    "html": ["<p>HTML</p>", "text <b>then tag</b>\n  more", "", None],
    "visuallyHiddenText": ["Hidden", "", None],
    "classes": [HOSTILE_CLASSES, "extra", "", None],
    "id": ["inset", "", None],
    "attributes": [{"data-a": "1"}, {}, None],
}


def test_inset_text_random(app):
    random_calls(app, "inset-text", INSET_TEXT_SPACE, 20261209)


# ---------------------------------------------------------------- warning callout

WARNING_CALLOUTS = [
    # templates/partials/urgent_help.html, partials/emergency.html, hna/_urgent.html, careplan/edit.html
    {"heading": "If you need help urgently", "headingLevel": 2,
     "html": Markup("<p>Call <a href=\"tel:999\">999</a> now.</p>\n<p>Or the 24-hour line.</p>")},
    {"heading": "Call now: this could be an emergency", "html": Markup("<ul>\n  <li>Chest pain</li>\n</ul>")},
    {"heading": "You said: a temperature over 38 & shivering", "html": Markup("<p>Call now</p>")},
    # templates/admin/team.html, auth/demo.html, hna/team_view.html
    {"heading": "Demo only", "text": "This sign-in without a passkey only exists in demo mode."},
    {"heading": "High distress: 8 out of 10", "text": "A distress score of 7 or more should be discussed <soon>."},
    {"heading": "An important heading has no hidden word", "text": "t"},
    {"heading": "Important", "text": "t"},
    {"heading": "Two\nlines", "text": "Text\nover lines", "headingLevel": 4},
    {"heading": "No level", "headingLevel": None, "html": "text first <b>then a tag</b>"},
    {"heading": "Undefined level", "headingLevel": UNDEFINED},
    {"heading": "Classes", "classes": "extra nhsuk-card--warning", "id": "callout", "attributes": {"data-x": "1"}},
    {"text": "No heading"},
    {"heading": "", "text": "", "html": ""},
    {"heading": None, "text": 5},
    {"heading": "Markup text", "text": Markup("<b>not</b> &amp; escaped\nagain")},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", WARNING_CALLOUTS, ids=repr)
def test_warning_callout(app, params, around):
    assert rendered_in_python(app, "warning-callout", params)
    same_bytes(app, "warning-callout", params, around)


@pytest.mark.parametrize("params", [
    {"heading": {"text": "As a mapping", "level": 2}},
    {"heading": Markup("<b>Markup</b>")},
    {"heading": "Actions", "actions": [{"href": "/a", "text": "A"}]},
    {"heading": "Hidden", "visuallyHiddenText": "Note"},
    {"heading": "t", "text": ["a list"]},
], ids=repr)
def test_warning_callout_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "warning-callout", params)
    same_bytes(app, "warning-callout", params)


def test_warning_callout_with_a_caller_block_falls_back(app):
    ours, theirs = ours_and_theirs(app, "warning-callout", {"heading": "Someone else changed this item", "headingLevel": 2},
                                   call_body="<p>Called</p>")
    assert ours == theirs
    assert "<p>Called</p>" in ours


WARNING_CALLOUT_SPACE = {
    "heading": ["Heading", "A & B <c>", "Important things", " spaced \n lines ", "", None],
    "headingLevel": [1, 2, "3", None, 0],
    "text": ["Words", "A & B <c>\nmore", "", None, 7, Markup("<i>safe</i>\n&amp; more")],
    "html": ["<p>HTML</p>", "text <b>then tag</b>\n  more", "", None],
    "classes": [HOSTILE_CLASSES, "extra", "nhsuk-card--warning", "", None],
    "id": ["callout", "", None],
    "attributes": [{"data-a": "1"}, {}, None],
}


def test_warning_callout_random(app):
    random_calls(app, "warning-callout", WARNING_CALLOUT_SPACE, 20261210)


# ---------------------------------------------------------------- tag, within a line of text

@pytest.mark.parametrize("params", [
    {"text": "Not offered", "classes": "nhsuk-tag--grey"},  # templates/admin/services.html, after a space
    {"text": "Closed", "classes": "nhsuk-tag--green"},  # templates/reentry/status.html, straight after <p>
    {"text": "Blue", "colour": "blue", "border": False, "classes": "extra"},
    {"text": "No colour", "colour": False},
    {"text": "Plain"},
], ids=repr)
def test_tag_within_a_line_of_text_keeps_the_templates_whitespace(app, params):
    same_bytes(app, "tag", params, WITHIN_TEXT)


TAG_SPACE = {
    "text": ["Open", "A & B <c>", "", None, " spaced \n lines "],
    "html": ["<b>bold</b>", "", None],
    "classes": [HOSTILE_CLASSES, "nhsuk-tag--red", "nhsuk-tag--no-border nhsuk-tag--no-colour", "", None],
    "colour": ["red", False, None, "nope"],
    "border": [False, True, None],
    "id": ["t1", "", None],
    "attributes": [{"data-a": "1"}, None],
}


def test_tag_random_in_both_places(app):
    random_calls(app, "tag", TAG_SPACE, 20261211)


# ---------------------------------------------------------------- button

BUTTONS = [
    # templates/*: the calls our pages make
    {"text": "Save and continue"},
    {"text": "Save and finish later", "classes": "nhsuk-button--secondary", "name": "action", "value": "later"},
    {"text": "Stop offering it", "classes": "nhsuk-button--warning"},
    {"text": "Send", "preventDoubleClick": True},
    {"text": "Add another concern", "classes": "nhsuk-button--secondary", "attributes": {"name": "add_row", "value": "1"}},
    {"text": "Install the app", "attributes": {"data-install-button": ""}},
    {"text": "Stay signed in as Sam & <Alex>", "name": "choice", "value": "stay", "classes": "nhsuk-button--secondary"},
    # the rest of what the function was written for
    {"text": "A link", "href": "/go?a=1&b=2"},
    {"html": "Go <b>now</b>\nover lines", "href": "/go", "variant": "secondary", "name": "ignored", "value": "on a link"},
    {"text": "Reverse", "variant": "reverse", "classes": "nhsuk-button--reverse"},
    {"text": "Small", "small": True, "variant": "warning"},
    {"text": "Odd variant", "variant": "tartan"},
    {"text": "Guard off", "preventDoubleClick": False, "id": "b-1"},
    {"text": "  spaced  \n  lines  ", "value": 3, "name": ""},
    {"text": Markup("<span>safe</span>"), "id": ""},
    {"text": "", "html": ""},
    {"text": None, "classes": None, "href": None, "attributes": None},
    {"text": UNDEFINED, "value": UNDEFINED},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", BUTTONS, ids=repr)
def test_button(app, params, around):
    assert rendered_in_python(app, "button", params)
    same_bytes(app, "button", params, around)


@pytest.mark.parametrize("params", [
    {"text": "Icon", "icon": "search"},
    {"text": "Input", "element": "input"},
    {"text": "Typed", "type": "button"},
    {"text": "Disabled", "disabled": True},
    {"text": "Guard", "preventDoubleClick": 1},
    {"text": "Guard", "preventDoubleClick": "yes"},
    {"text": "Value", "value": True},
    {"text": "Markup id", "id": Markup("<i>")},
    {"text": "Classes", "classes": ["a"]},
], ids=repr)
def test_button_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "button", params)
    same_bytes(app, "button", params)


BUTTON_SPACE = {
    "text": ["Save", "A & B <c>", " spaced \n lines ", "", None, Markup("<i>x</i>")],
    "html": ["<b>bold</b>", "text <b>then</b>\n  more", "", None],
    "href": ["/a?b=1&c=2", "", None],
    "variant": ["secondary", "warning", "reverse", "nope", "", None],
    "small": [True, False, None],
    "classes": [HOSTILE_CLASSES, "extra", "nhsuk-button--secondary", "nhsuk-button--small", "", None],
    "id": ["b", "", None],
    "name": ["action", "", None],
    "value": ["later", "", None, 0, 2],
    "preventDoubleClick": [True, False, None],
    "attributes": [{"data-a": "1"}, {}, None, {"formnovalidate": {"value": True, "optional": True}}],
}


def test_button_random(app):
    random_calls(app, "button", BUTTON_SPACE, 20261212)


# ---------------------------------------------------------------- back link

BACK_LINKS = [
    {"href": "/my-care", "text": "Back to your care"},
    {"href": "/nurse/patients/1", "text": "Back to Sam & <Alex>"},
    {"href": "/hna/check?x=1&y=2", "text": "Back"},
    {"href": "/b"},
    {"href": "/b", "text": ""},
    {"href": "/b", "text": "  two\n lines "},
    {"href": "/b", "html": "Back <b>to</b>\nthe list"},
    {"href": "/b", "text": "Back", "visuallyHiddenText": "Go & return"},
    {"href": "/b", "variant": "reverse", "classes": "extra", "id": "back", "attributes": {"data-x": "1"}},
    {"href": "/b", "variant": "reverse", "classes": "nhsuk-back-link--reverse"},
    {"href": "/b", "text": Markup("<i>safe</i>"), "visuallyHiddenText": "", "classes": None},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", BACK_LINKS, ids=repr)
def test_back_link(app, params, around):
    assert rendered_in_python(app, "back-link", params)
    same_bytes(app, "back-link", params, around)


@pytest.mark.parametrize("params", [{"text": "No href: a button"}, {"href": ""}, {"href": "/b", "element": "button"},
                                    {"href": "/b", "type": "button"}], ids=repr)
def test_back_link_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "back-link", params)
    same_bytes(app, "back-link", params)


BACK_LINK_SPACE = {
    "href": ["/a?b=1&c=2", "/back"],
    "text": ["Back", "A & B <c>", " spaced \n lines ", "", None],
    "html": ["<b>bold</b>", "text <b>then</b>\n  more", "", None],
    "visuallyHiddenText": ["to the list", "", None],
    "variant": ["reverse", "", None, "other"],
    "classes": [HOSTILE_CLASSES, "extra", "nhsuk-back-link--reverse", "", None],
    "id": ["b", "", None],
    "attributes": [{"data-a": "1"}, {}, None],
}


def test_back_link_random(app):
    random_calls(app, "back-link", BACK_LINK_SPACE, 20261213)


# ---------------------------------------------------------------- panel

PANELS = [
    # templates/admin/staff_invitation.html, hna/submitted.html, reentry/status.html, nurse/invitation.html
    {"titleText": "Invitation ready", "text": "for Sam & <Alex>"},
    {"titleText": "Assessment sent", "text": "Sent to Breast care team"},
    {"titleText": "Two\nlines", "html": "<p>HTML</p>\nthen text", "headingLevel": 2},
    {"titleText": "Text kept as given", "text": "  spaced\n lines  "},
    {"titleText": "Level none", "headingLevel": None, "text": 5},
    {"titleText": "", "text": "No title"},
    {"titleText": None, "html": None, "text": None},
    {"titleText": "Classes", "classes": "extra", "id": "panel", "attributes": {"data-x": "1"}},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", PANELS, ids=repr)
def test_panel(app, params, around):
    assert rendered_in_python(app, "panel", params)
    same_bytes(app, "panel", params, around)


@pytest.mark.parametrize("params", [{"heading": "As heading"}, {"titleText": "t", "titleSize": "l"},
                                    {"titleText": Markup("<b>t</b>")}, {"titleText": "t", "variant": "interruption"}],
                         ids=repr)
def test_panel_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "panel", params)
    same_bytes(app, "panel", params)


PANEL_SPACE = {
    "titleText": ["Done", "A & B <c>", " spaced \n lines ", "", None],
    "headingLevel": [1, 2, "3", None],
    "text": ["Words", "A & B\nmore", "", None],
    "html": ["<p>HTML</p>", "text <b>then</b>\n  more", "", None],
    "classes": [HOSTILE_CLASSES, "extra", "", None],
    "id": ["p", "", None],
    "attributes": [{"data-a": "1"}, None],
}


def test_panel_random(app):
    random_calls(app, "panel", PANEL_SPACE, 20261214)


# ---------------------------------------------------------------- notification banner

NOTIFICATION_BANNERS = [
    # templates/base.html: flashed messages
    {"text": "Your settings are saved", "type": "success", "titleText": "Success"},
    {"text": "Your passkey was removed & <gone>", "type": UNDEFINED, "titleText": "Important"},
    {"text": "Two\nlines", "type": None, "titleText": "Important"},
    {"text": "Default title"},
    {"text": "Default success title", "variant": "success"},
    {"html": "<p>HTML</p>\nthen text", "titleText": "Title\nover lines"},
    {"text": "Classes", "classes": "extra", "type": "success"},
    {"text": "Classes", "classes": "nhsuk-notification-banner--success", "type": "success"},
    {"text": "", "html": ""},
    {"text": Markup("<b>Markup</b> &amp; text")},
    {},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", NOTIFICATION_BANNERS, ids=repr)
def test_notification_banner(app, params, around):
    assert rendered_in_python(app, "notification-banner", params)
    same_bytes(app, "notification-banner", params, around)


@pytest.mark.parametrize("params", [{"text": "t", "titleText": None}, {"text": "t", "heading": "h"},
                                    {"text": "t", "role": "status"}, {"text": "t", "titleText": Markup("<b>t</b>")}],
                         ids=repr)
def test_notification_banner_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "notification-banner", params)
    same_bytes(app, "notification-banner", params)


NOTIFICATION_BANNER_SPACE = {
    "text": ["Saved", "A & B <c>\nmore", "", None, Markup("<i>safe</i>\n&amp; more")],
    "html": ["<p>HTML</p>", "text <b>then</b>\n  more", "", None],
    "type": ["success", None, "other"],
    "variant": ["success", None],
    "titleText": ["Success", "Important", " spaced \n title "],
    "classes": [HOSTILE_CLASSES, "extra", "nhsuk-notification-banner--success", "", None],
}


def test_notification_banner_random(app):
    random_calls(app, "notification-banner", NOTIFICATION_BANNER_SPACE, 20261215)


# ---------------------------------------------------------------- the indent filter, cheaper (app/templating.py)

@pytest.mark.parametrize("value", [
    "", "one line", "  spaced  ", "two\nlines", "ends with a break\n", "\nstarts with one", "blank\n\nline",
    "spaces only\n   \nline", "windows\r\nbreaks", "old mac\rbreak", "vertical\x0btab", "form\x0cfeed",
    "file\x1cgroup\x1drecord\x1eseparators", "next\x85line", "line\u2028separator", "paragraph\u2029separator",
    Markup("<p>one</p>"), Markup("<ul>\n<li>a &amp; b</li>\n\n<li>c</li>\n</ul>"), Markup("a\r\nb\u2028c"),
])
@pytest.mark.parametrize("width", [2, 6])
def test_indented_is_jinjas_indent_filter(value, width):
    from jinja2.filters import do_indent

    from app.templating import indented

    ours, jinjas = indented(value, width), do_indent(value, width)
    assert ours == jinjas
    assert isinstance(ours, Markup) == isinstance(jinjas, Markup)


# ---------------------------------------------------------------- skip link

SKIP_LINKS = [
    {"href": "#maincontent", "text": "Skip to main content"},  # templates/base.html
    {},
    {"href": "", "text": ""},
    {"href": "#a&b", "text": "Skip <to> & content\nover lines"},
    {"html": "Skip <b>to</b>\ncontent"},
    {"text": "Classes", "classes": "extra", "id": "skip", "attributes": {"data-x": "1"}},
    {"text": UNDEFINED, "href": None, "classes": None, "id": ""},
    {"text": Markup("<b>Markup</b> &amp; text")},
]


@pytest.mark.parametrize("around", PLACES)
@pytest.mark.parametrize("params", SKIP_LINKS, ids=repr)
def test_skip_link(app, params, around):
    assert rendered_in_python(app, "skip-link", params)
    same_bytes(app, "skip-link", params, around)


@pytest.mark.parametrize("params", [{"href": Markup("#m")}, {"text": "t", "classes": ["a"]}, {"text": "t", "element": "a"}],
                         ids=repr)
def test_skip_link_falls_back_for_what_it_was_not_written_for(app, params):
    assert not rendered_in_python(app, "skip-link", params)
    same_bytes(app, "skip-link", params)


SKIP_LINK_SPACE = {
    "href": ["#maincontent", "", None, "#a&b"],
    "text": ["Skip", "A & B <c>", " spaced \n lines ", "", None, Markup("<i>safe</i> &amp; more")],
    "html": ["<b>bold</b>", "text <b>then</b>\n  more", "", None],
    "classes": [HOSTILE_CLASSES, "extra", "", None],
    "id": ["s", "", None],
    "attributes": [{"data-a": "1"}, {}, None],
}


def test_skip_link_random(app):
    random_calls(app, "skip-link", SKIP_LINK_SPACE, 20261216)
