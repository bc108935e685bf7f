"""The symptom form: what, how bad, since when, new or worse, and a note.

Its rules are written once, as a plain function (`check_symptom`): the page's form runs them
after its CSRF token and hidden-character checks (`PageForm`), and a symptom the phone's outbox
sends as JSON goes through them alone, with no form built (issue 12: building and validating the
form was most of a symptom sent's own work).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import NamedTuple

from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..forms import DateInputField, PageForm, date_from_parts
from ..timeutil import london_today
from . import rules
from .service import SOMETHING_ELSE, SymptomDetails

SEVERITY_NAMES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
NEW_OR_WORSE = {"yes": "Yes", "no": "No"}
STARTED_ON_MISSING = "Enter the date it started"
STARTED_ON_NAME = "The date it started"
OWN_WORDS_MAX, NOTE_MAX = 300, 2000
# WTForms' own words for a value that is none of a radio's choices, as the form said them before
# its rules were written here.
NOT_A_CHOICE = "Not a valid choice."
DATE_PARTS = ("day", "month", "year")


class CheckedSymptom(NamedTuple):
    """What `check_symptom` made of a symptom sent: each field's first error by its name, in the
    form's order (the one JSON error shape's `errors`, and the page's error summary), and what
    the person told us when there is none."""

    details: SymptomDetails | None
    errors: dict[str, str]


def _choice(errors: dict, name: str, value: str | None, allowed: Collection[str], required: str) -> None:
    # Blank is "required"; anything else not offered is not a choice (as WTForms' DataRequired
    # after its choice check said it).
    if not (value or "").strip():
        errors[name] = required
    elif value not in allowed:
        errors[name] = NOT_A_CHOICE


def check_symptom(typed: Mapping[str, str], symptom_ids: Collection[str], today: date) -> CheckedSymptom:
    """The symptom form's rules, the one place they are written. `typed`: each field's text by
    its name (the first, where one was sent twice; a date's boxes as ``started_on-day`` and so
    on), as a page's form data or the outbox's JSON (`forms.formdata_from_json`) gives it;
    `symptom_ids`: the pathway's symptoms the person may pick (`rules.reportable_ids`; "something
    else" is always offered); `today`: London's, for the date it started."""
    errors: dict[str, str] = {}
    symptom = typed.get("symptom")
    if symptom != SOMETHING_ELSE:
        _choice(errors, "symptom", symptom, symptom_ids, "Select the symptom, or something else")
    own_words = typed.get("own_words") or ""
    if len(own_words) > OWN_WORDS_MAX:
        errors["own_words"] = f"Your description must be {OWN_WORDS_MAX} characters or fewer"
    elif symptom == SOMETHING_ELSE and not own_words.strip():
        errors["own_words"] = "Tell us about the symptom in your own words"
    severity = typed.get("severity")
    _choice(errors, "severity", severity, rules.severity_descriptions(), "Select how bad it is")
    started_on = None
    try:
        started_on = date_from_parts({part: (typed.get(f"started_on-{part}") or "").strip() for part in DATE_PARTS},
                                     STARTED_ON_MISSING, STARTED_ON_NAME)
    except ValueError as exc:
        errors["started_on"] = str(exc)
    else:
        if started_on > today:
            errors["started_on"] = "The date it started must be today or in the past"
        elif started_on.year < 1900:
            errors["started_on"] = "The date it started must be 1900 or later"
    new_or_worse = typed.get("new_or_worse")
    _choice(errors, "new_or_worse", new_or_worse, NEW_OR_WORSE, "Select yes if it is new or getting worse")
    note = typed.get("note") or ""
    if note.strip() and len(note) > NOTE_MAX:
        errors["note"] = f"Your note must be {NOTE_MAX:,} characters or fewer"
    if errors:
        return CheckedSymptom(None, errors)
    something_else = symptom == SOMETHING_ELSE
    return CheckedSymptom(SymptomDetails(
        symptom_id=None if something_else else symptom,
        own_words=own_words.strip() if something_else else None,
        severity=severity,
        started_on=started_on,
        new_or_worse=new_or_worse == "yes",
        note=note.strip() or None,
    ), {})


class SymptomForm(PageForm):
    # No rules on the fields: `check_symptom` holds them all (`validate`).
    symptom = RadioField("What is the symptom?", validate_choice=False)
    own_words = StringField("Tell us about it in your own words")
    severity = RadioField("How bad is it?", validate_choice=False)
    started_on = DateInputField("When did it start?", missing_message=STARTED_ON_MISSING, date_name=STARTED_ON_NAME)
    new_or_worse = RadioField("Is it new, or getting worse?",
                              choices=[SelectChoice(value, words) for value, words in NEW_OR_WORSE.items()],
                              validate_choice=False)
    note = TextAreaField("Anything else you want your team to know (optional)")
    # One per rendered new-symptom form (idempotency.new_form_token): a double tap logs once.
    form_token = StringField(validators=[Optional()])
    # The entry's version the correction page showed (versioning.shown_version).
    version = IntegerField(validators=[Optional()])

    checked: CheckedSymptom | None = None

    def set_choices(self, symptom_choices: list[tuple[str, str]]) -> None:
        self.symptom.choices = [SelectChoice(value, words) for value, words in symptom_choices]
        self.severity.choices = [SelectChoice(key, f"{SEVERITY_NAMES.get(key, key.title())}: {words}")
                                 for key, words in rules.severity_descriptions().items()]

    def validate(self, extra_validators=None) -> bool:
        """The CSRF token, hidden characters and the version as every page form checks them
        (`PageForm`), then the symptom's rules (`check_symptom`) on what was typed. A field
        already refused (a hidden character; a date not a date, by the same rule) keeps that
        error as its first."""
        valid = super().validate(extra_validators)
        typed = {name: self[name].raw_data[0] for name in ("symptom", "own_words", "severity", "new_or_worse", "note")
                 if self[name].raw_data}
        typed.update({f"started_on-{part}": text for part, text in self.started_on.raw_parts.items()})
        self.checked = check_symptom(typed, {choice.value for choice in self.symptom.choices} - {SOMETHING_ELSE},
                                     london_today())
        for name, message in self.checked.errors.items():
            if not self[name].errors:
                self[name].errors = [message]
        return valid and not self.checked.errors

    def details(self) -> SymptomDetails:
        """What the person told us, once `validate` passed."""
        return self.checked.details

    def fill_from(self, entry) -> None:
        self.symptom.data = entry.symptom_id or SOMETHING_ELSE
        self.own_words.data = entry.own_words
        self.severity.data = entry.severity
        self.started_on.data = entry.started_on
        self.started_on.raw_parts = {"day": str(entry.started_on.day), "month": str(entry.started_on.month),
                                     "year": str(entry.started_on.year)}
        self.new_or_worse.data = "yes" if entry.new_or_worse else "no"
        self.note.data = entry.note
        self.version.data = entry.version
