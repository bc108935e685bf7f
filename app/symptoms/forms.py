"""The symptom form: what, how bad, since when, new or worse, and a note."""
from __future__ import annotations

from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import DateInputField, PageForm
from ..timeutil import london_today
from . import rules
from .service import SOMETHING_ELSE, SymptomDetails

SEVERITY_NAMES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}


class SymptomForm(PageForm):
    symptom = RadioField("What is the symptom?", validators=[DataRequired("Select the symptom, or something else")],
                         validate_choice=True)
    # No Optional(): it would stop validate_own_words, which requires it for "something else".
    own_words = StringField("Tell us about it in your own words", validators=[
        Length(max=300, message="Your description must be 300 characters or fewer")])
    severity = RadioField("How bad is it?", validators=[DataRequired("Select how bad it is")])
    started_on = DateInputField("When did it start?", missing_message="Enter the date it started",
                                date_name="The date it started")
    new_or_worse = RadioField("Is it new, or getting worse?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
                              validators=[DataRequired("Select yes if it is new or getting worse")])
    note = TextAreaField("Anything else you want your team to know (optional)", validators=[
        Optional(), Length(max=2000, message="Your note must be 2,000 characters or fewer")])
    # One per rendered new-symptom form (idempotency.new_form_token): a double tap logs once.
    form_token = StringField(validators=[Optional()])
    # The entry's version the correction page showed (versioning.shown_version).
    version = IntegerField(validators=[Optional()])

    def set_choices(self, symptom_choices: list[tuple[str, str]]) -> None:
        self.symptom.choices = [SelectChoice(value, words) for value, words in symptom_choices]
        self.severity.choices = [SelectChoice(key, f"{SEVERITY_NAMES.get(key, key.title())}: {words}")
                                 for key, words in rules.severity_descriptions().items()]

    def validate_own_words(self, field):
        if self.symptom.data == SOMETHING_ELSE and not (field.data or "").strip():
            raise ValidationError("Tell us about the symptom in your own words")

    def validate_started_on(self, field):
        if field.data and field.data > london_today():
            raise ValidationError("The date it started must be today or in the past")
        if field.data and field.data.year < 1900:
            raise ValidationError("The date it started must be 1900 or later")

    def details(self) -> SymptomDetails:
        something_else = self.symptom.data == SOMETHING_ELSE
        return SymptomDetails(
            symptom_id=None if something_else else self.symptom.data,
            own_words=(self.own_words.data or "").strip() if something_else else None,
            severity=self.severity.data,
            started_on=self.started_on.data,
            new_or_worse=self.new_or_worse.data == "yes",
            note=(self.note.data or "").strip() or None,
        )

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
