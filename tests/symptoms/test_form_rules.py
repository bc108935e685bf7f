"""The symptom form's rules (`forms.check_symptom`), the one place they are written: a table of
what was typed and the first error of each field, the same from the rules themselves, from the
outbox's JSON (422, each field's first error by name) and on the page that posts the form."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone

import pytest

from app.symptoms.forms import check_symptom
from app.symptoms.rules import reportable_ids
from app.symptoms.service import SymptomDetails

from .helpers import form_token, symptom_form

MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
TODAY = date(2026, 12, 7)
PICK_ONE = "Select the symptom, or something else"
OWN_WORDS = "Tell us about the symptom in your own words"
NOT_A_CHOICE = "Not a valid choice."

CASES = [
    # (what differs from a good form, each field's first error in the form's order)
    ({}, {}),
    ({"symptom": ""}, {"symptom": PICK_ONE}),
    ({"symptom": "   "}, {"symptom": PICK_ONE}),
    ({"symptom": "not_a_symptom"}, {"symptom": NOT_A_CHOICE}),
    ({"symptom": "something_else", "own_words": "  "}, {"own_words": OWN_WORDS}),
    ({"symptom": "something_else", "own_words": "x" * 301},
     {"own_words": "Your description must be 300 characters or fewer"}),
    ({"own_words": "x" * 301}, {"own_words": "Your description must be 300 characters or fewer"}),
    ({"severity": ""}, {"severity": "Select how bad it is"}),
    ({"severity": "agony"}, {"severity": NOT_A_CHOICE}),
    ({"started_on-day": "", "started_on-month": "", "started_on-year": ""},
     {"started_on": "Enter the date it started"}),
    ({"started_on-day": " "}, {"started_on": "The date it started must include a day"}),
    ({"started_on-year": "27"}, {"started_on": "The date it started must include a year with 4 numbers"}),
    ({"started_on-day": "x"}, {"started_on": "The date it started must be a real date, using numbers only"}),
    ({"started_on-day": "31", "started_on-month": "2"}, {"started_on": "The date it started must be a real date"}),
    ({"started_on-day": "8"}, {"started_on": "The date it started must be today or in the past"}),
    ({"started_on-year": "1899"}, {"started_on": "The date it started must be 1900 or later"}),
    ({"new_or_worse": ""}, {"new_or_worse": "Select yes if it is new or getting worse"}),
    ({"new_or_worse": "maybe"}, {"new_or_worse": NOT_A_CHOICE}),
    ({"note": "x" * 2001}, {"note": "Your note must be 2,000 characters or fewer"}),
    ({"note": "   "}, {}),
    ({"symptom": "something_else", "own_words": "A rash on my arm"}, {}),
    ({"symptom": "", "severity": "", "started_on-year": "", "new_or_worse": "", "note": "x" * 2001},
     {"symptom": PICK_ONE, "severity": "Select how bad it is", "started_on": "The date it started must include a year",
      "new_or_worse": "Select yes if it is new or getting worse", "note": "Your note must be 2,000 characters or fewer"}),
]


def typed(changes: dict) -> dict:
    return {**symptom_form(started=date(2026, 12, 5)), **changes}


@pytest.mark.parametrize(("changes", "errors"), CASES)
def test_the_rules_give_each_field_its_first_error(changes, errors):
    checked = check_symptom(typed(changes), reportable_ids("breast"), TODAY)
    assert checked.errors == errors
    assert (checked.details is None) == bool(errors)


def test_a_good_form_gives_what_the_person_told_us():
    checked = check_symptom(typed({"symptom": "something_else", "own_words": " A rash ", "note": " Itchy ",
                                   "new_or_worse": "yes"}), reportable_ids("breast"), TODAY)
    assert checked.details == SymptomDetails(None, "A rash", "mild", date(2026, 12, 5), True, "Itchy")
    checked = check_symptom(typed({"own_words": "ignored", "note": "  "}), reportable_ids("breast"), TODAY)
    assert checked.details == SymptomDetails("tiredness", None, "mild", date(2026, 12, 5), False, None)


def test_the_outbox_and_the_page_are_told_the_same_as_the_rules_say(patient, clock):
    clock(MONDAY_MORNING)
    for number, (changes, errors) in enumerate(CASES):
        if not errors:
            continue
        sent = patient.post_json("/my-care/symptoms/api/log", typed(changes),
                                 headers={"Idempotency-Key": f"form-rules-{number:04}"})
        assert (sent.status_code, sent.get_json()["errors"]) == (422, errors), changes
        shown = patient.post_form("/my-care/symptoms/new", {**typed(changes), "form_token": form_token(patient)})
        assert shown.status_code == 200
        summary = re.search(r'nhsuk-error-summary__list">(.*?)</ul>', shown.get_data(as_text=True), re.S).group(1)
        assert [html.unescape(text.strip()) for text in re.findall(r'<a href="#[^"]+" >(.*?)</a>', summary, re.S)] == list(
            errors.values()), changes
