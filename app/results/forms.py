"""Forms for recording a result, setting a person's safe range and clearing the review flag.

CSRF is checked for every POST by the app-wide CSRFProtect (the hidden `csrf_token` field)."""
from __future__ import annotations

from wtforms import FileField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import CsrfCheckedByTheApp, DateInputField, PageForm
from ..timeutil import london_today
from .rules import UNIT_MAX, parse_value


def _number(name: str, required: bool = True):
    """Checks typed text (kept as typed, so '4,1' stays on the page to be corrected)."""
    def _check(form, field):
        text = (field.data or "").strip()
        if not text and not required:
            return
        try:
            parse_value(text, name)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    return _check


def _not_future(name: str):
    def _check(form, field):
        if field.data and field.data > london_today():
            raise ValidationError(f"{name} must be today or in the past")
        if field.data and field.data.year < 1900:
            raise ValidationError(f"{name} must be a real date")

    return _check


class ResultForm(CsrfCheckedByTheApp, PageForm):
    add_token = StringField(validators=[Optional()])  # one per rendered form (idempotency.add_once)
    test = SelectField("Test", coerce=str, validate_choice=False,
                       validators=[DataRequired("Choose which test this result is for")])
    value = StringField("Result", validators=[_number("Result")])
    unit = StringField("Unit", validators=[DataRequired("Enter the unit, like ng/mL"),
                                           Length(max=UNIT_MAX, message=f"Unit must be {UNIT_MAX} characters or fewer")])
    taken_on = DateInputField("Date taken", missing_message="Enter the date the sample was taken or the scan done",
                              date_name="Date taken", validators=[_not_future("Date taken")])
    resulted_on = DateInputField("Date of the result", missing_message="Enter the date of the result",
                                 date_name="Date of the result", validators=[_not_future("Date of the result")])
    comment = TextAreaField("Comment for the patient (optional)", validators=[
        Optional(), Length(max=2000, message="Comment must be 2,000 characters or fewer")])

    def validate_resulted_on(self, field):
        if field.data and self.taken_on.data and field.data < self.taken_on.data:
            raise ValidationError("Date of the result must be the same as or after the date taken")


class RuleForm(CsrfCheckedByTheApp, PageForm):
    rule_version = IntegerField(validators=[Optional()])
    unit = StringField("Unit", validators=[DataRequired("Enter the unit results are in, like ng/mL"),
                                           Length(max=UNIT_MAX, message=f"Unit must be {UNIT_MAX} characters or fewer")])
    upper_limit = StringField("Abnormal above (optional)", validators=[_number("Level", required=False)])
    rise_amount = StringField("Abnormal rise (optional)", validators=[_number("Rise", required=False)])
    rise_months = StringField("Within how many months (for a rise)")

    def validate_rise_months(self, field):
        text = (field.data or "").strip()
        if not text:
            if (self.rise_amount.data or "").strip():
                raise ValidationError("Enter within how many months the rise counts, like 6")
            return
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 120:
            raise ValidationError("Months must be a whole number from 1 to 120")

    def validate_rise_amount(self, field):
        if not (field.data or "").strip() and (self.rise_months.data or "").strip():
            raise ValidationError("Enter the rise that is abnormal, like 0.75")
        if (field.data or "").strip() and not field.errors and parse_value(field.data, "Rise") == 0:
            raise ValidationError("Rise must be more than 0")

    def validate_upper_limit(self, field):
        if not (field.data or "").strip() and not (self.rise_amount.data or "").strip():
            raise ValidationError("Enter a level, a rise, or both")


class ImportForm(CsrfCheckedByTheApp, PageForm):
    """A results file: chosen and previewed (`file`), then confirmed (the file's text comes back
    in `csv`, read and checked again, so nothing unchecked is ever imported)."""

    file = FileField("Results file (CSV)")
    csv = TextAreaField()
    token = StringField(validators=[Optional()])  # one per preview (idempotency.add_once, per row)


class SampleForm(CsrfCheckedByTheApp, PageForm):
    """A sample taken (or a scan done), before its result is in."""

    token = StringField(validators=[Optional()])  # one per rendered form (idempotency.add_once)
    test = SelectField("Test the sample was for", coerce=str, validate_choice=False,
                       validators=[DataRequired("Choose which test the sample was for")])
    taken_on = DateInputField("Date the sample was taken", missing_message="Enter the date the sample was taken",
                              date_name="Date the sample was taken", validators=[_not_future("Date the sample was taken")])
