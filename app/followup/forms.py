"""Forms for the follow-up plan, surveillance tests and End of Treatment Summaries.

CSRF is checked for every POST by the app-wide CSRFProtect (the hidden `csrf_token` field), so
these forms, which share one page under prefixes, do not carry their own token field.
"""
from __future__ import annotations

from wtforms import BooleanField, FieldList, FormField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import CsrfCheckedByTheApp, DateInputField, OptionalDateInputField, PageForm, RowForm
from ..timeutil import london_today
from ..pathways import PATHWAY_CHOICES
from .models import FOLLOW_UP_TYPE_LABELS

TEXT_MAX = 5000
MAX_TREATMENT_ROWS = 20

INTENT_LABELS = {
    "curative": "To cure the cancer",
    "control": "To control the cancer",
    "palliative": "To ease symptoms (palliative)",
}
INTENT_CHOICES = [SelectChoice(value, label) for value, label in INTENT_LABELS.items()]


def _not_before(other_name: str, message: str):
    def _check(form, field):
        other = form[other_name].data
        if field.data and other and field.data < other:
            raise ValidationError(message)

    return _check


def _sensible_year(form, field):
    if field.data and not 1900 <= field.data.year <= london_today().year + 50:
        raise ValidationError(f"{field.date_name or 'Date'} must be a real date")


def _not_in_future(message: str):
    def _check(form, field):
        if field.data and field.data > london_today():
            raise ValidationError(message)

    return _check


NEXT_DUE_IN_THE_PAST = ("Next due date must be today or in the future. If the test really is overdue, "
                        "tick the box to confirm you have told the patient")
OVERDUE_CONFIRMATION = "This test is overdue and I have told the patient"


def _months(form, field):
    """Checks typed text (kept as typed, so 'six' stays on the page to be corrected)."""
    text = str(field.data).strip()
    if not text.isdigit() or not text.isascii():
        raise ValidationError("Enter how often the test is done, in months, as a whole number, like 6")
    if not 1 <= int(text) <= 60:
        raise ValidationError("How often must be between 1 and 60 months")


class PlanForm(CsrfCheckedByTheApp, PageForm):
    follow_up_type = RadioField(
        "Type of follow-up",
        choices=[SelectChoice(t.value, label) for t, label in FOLLOW_UP_TYPE_LABELS.items()],
        validators=[DataRequired("Choose the type of follow-up agreed at the Treatment Review")],
    )
    tumour_pathway = SelectField(
        "Tumour pathway",
        choices=[SelectChoice(key, name) for key, name in PATHWAY_CHOICES],
        validators=[DataRequired("Choose a tumour pathway")],
    )
    treatment_review_date = OptionalDateInputField(
        "Treatment Review date", date_name="Treatment Review date", validators=[_sensible_year, _not_in_future("Treatment Review date must be today or in the past")],
    )
    open_access_until = OptionalDateInputField(
        "Open access until", date_name="Open access end date",
        validators=[_sensible_year, _not_before("treatment_review_date", "Open access must end after the Treatment Review")],
    )
    plan_version = IntegerField(validators=[Optional()])
    profile_version = IntegerField(validators=[Optional()])

    def validate_open_access_until(self, field):
        if self.follow_up_type.data == "supported_self_management" and field.data is None:
            raise ValidationError("Enter the date open access ends, for supported self-management")


class SurveillanceTestForm(CsrfCheckedByTheApp, PageForm):
    test_id = IntegerField(validators=[Optional()])
    add_token = StringField(validators=[Optional()])  # one per rendered "Add a test" form (idempotency.new_form_token)
    test_version = IntegerField(validators=[Optional()])
    name = StringField("Test", validators=[DataRequired("Enter the name of the test"), Length(max=120, message="Test name must be 120 characters or fewer")])
    interval_months = StringField(
        "How often, in months",
        validators=[DataRequired("Enter how often the test is done, in months, as a whole number, like 6"), _months],
    )
    next_due = DateInputField("Next due", missing_message="Enter the date the test is next due", date_name="Next due date",
                              validators=[_sensible_year])
    # A date in the past shows to the patient as overdue and goes into the summary for the GP:
    # only on purpose, with the patient told.
    overdue_confirmed = BooleanField(OVERDUE_CONFIRMATION)
    arranged_by = StringField("Who arranges it (optional)", validators=[Optional(), Length(max=200, message="Who arranges it must be 200 characters or fewer")])
    notes = TextAreaField("Notes for the patient (optional)", validators=[Optional(), Length(max=2000, message="Notes must be 2,000 characters or fewer")])

    def validate_next_due(self, field):
        if field.data and not field.errors and self.is_overdue() and not self.overdue_confirmed.data:
            raise ValidationError(NEXT_DUE_IN_THE_PAST)

    def is_overdue(self) -> bool:
        """The next due date given is before today (London)."""
        return self.next_due.data is not None and self.next_due.data < london_today()


class TreatmentRowForm(RowForm):
    """One treatment given. A row left completely blank is ignored."""

    treatment = StringField("Treatment", validators=[Length(max=200, message="Treatment must be 200 characters or fewer")])
    started = OptionalDateInputField("Started", validators=[_sensible_year])
    ended = OptionalDateInputField("Ended (leave blank if ongoing)", validators=[_sensible_year])
    intent = RadioField("What the treatment aimed to do", choices=INTENT_CHOICES, validate_choice=False)
    number = 1  # which treatment this is on the page (set by SummaryForm), named in messages

    def name_dates(self, number: int) -> None:
        """Name this row's dates in their messages: "Start date of treatment 2 must be a real date"."""
        self.number = number
        self.started.date_name = f"Start date of treatment {number}"
        self.ended.date_name = f"End date of treatment {number}"

    def validate_ended(self, field):
        started = self.started.data
        if field.data and started and field.data < started:
            raise ValidationError(f"End date of treatment {self.number} must be the same as or after its start date")

    def is_blank(self) -> bool:
        return not (self.treatment.data or "").strip() and not self.intent.data and not any(
            any(f.raw_parts.values()) for f in (self.started, self.ended)
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank():
            for field in self:
                field.errors = []
            return True
        if not (self.treatment.data or "").strip():
            self.treatment.errors = [*self.treatment.errors, "Enter the treatment given"]
            ok = False
        if self.started.data is None and not self.started.errors:
            self.started.errors = [f"Enter the start date of treatment {self.number}"]
            ok = False
        if self.intent.data not in INTENT_LABELS:
            self.intent.errors = ["Choose what the treatment aimed to do"]
            ok = False
        self._errors = None
        return ok

    def as_dict(self) -> dict:
        return {
            "treatment": self.treatment.data.strip(),
            "started": self.started.data.isoformat(),
            "ended": self.ended.data.isoformat() if self.ended.data else None,
            "intent": self.intent.data,
        }


def _text_area(label: str, required: str | None = None, max_length: int = TEXT_MAX, *, name: str | None = None) -> TextAreaField:
    """`name` is what the messages call the box when the label is a question or a long phrase."""
    validators = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=f"{name or label} must be {max_length:,} characters or fewer"))
    return TextAreaField(label, validators=validators)


class SummaryForm(CsrfCheckedByTheApp, PageForm):
    base_version = IntegerField(validators=[Optional()])
    diagnosis = StringField("Diagnosis", validators=[DataRequired("Enter the diagnosis"), Length(max=300, message="Diagnosis must be 300 characters or fewer")])
    diagnosis_date = DateInputField(
        "Date of diagnosis", missing_message="Enter the date of diagnosis", date_name="Date of diagnosis",
        validators=[_sensible_year, _not_in_future("Date of diagnosis must be today or in the past")],
    )
    treatments = FieldList(FormField(TreatmentRowForm), min_entries=1, max_entries=MAX_TREATMENT_ROWS)
    side_effects = _text_area("Side effects")
    late_effects = _text_area("Late effects to look out for", name="Late effects")
    # Emergencies first, everywhere (form, error summary, every page and print).
    red_flags_emergency = _text_area("Symptoms that mean call 999 or go to A&E", "Enter the symptoms that mean call 999 or go to A&E")
    red_flags_contact_team = _text_area("Symptoms that mean contact the team the same day", "Enter the symptoms that mean contact the team",
                                        name="Symptoms that mean contact the team")
    follow_up_plan = _text_area("Follow-up plan", "Enter the follow-up plan")
    contacts = _text_area("Who to contact", "Enter who to contact", name="Contacts")
    gp_actions = _text_area("Actions for the GP")

    def __iter__(self):
        """Each treatment row's fields appear on their own, so that the one error summary helper
        (`app.forms.error_summary_items`) links to them like any other field."""
        for field in super().__iter__():
            if field is self.treatments:
                for row in field:
                    yield from row.form
            else:
                yield field

    def validate(self, extra_validators=None) -> bool:
        for number, row in enumerate(self.treatments, start=1):
            row.form.name_dates(number)
        ok = super().validate(extra_validators)
        if all(row.form.is_blank() for row in self.treatments):
            first = self.treatments[0].form
            first.treatment.errors = ["Enter at least one treatment"]
            first._errors = None
            self.treatments.errors = [first.errors]
            self._errors = None
            ok = False
        return ok

    def treatment_rows(self) -> list[dict]:
        return [row.form.as_dict() for row in self.treatments if not row.form.is_blank()]


# How a team sends the GP their copy (never the app: it sends nothing).
GP_COPY_METHODS = {
    "gp_system": "Through the GP practice's clinical system (for example Docman)",
    "nhsmail": "By NHSmail",
    "email": "By another secure email",
    "post": "By post",
}


class GpCopyForm(CsrfCheckedByTheApp, PageForm):
    """Record that the team sent this version of the summary to the GP practice."""

    summary_version = IntegerField(validators=[Optional()])
    sent_on = DateInputField(
        "Date sent", missing_message="Enter the date the copy was sent", date_name="Date sent",
        validators=[_sensible_year, _not_in_future("Date sent must be today or in the past")],
    )
    method = RadioField("How was it sent?", choices=[SelectChoice(v, label) for v, label in GP_COPY_METHODS.items()],
                        validators=[DataRequired("Choose how the copy was sent")])
# The same, as said after "sent to the GP practice on 3 December 2026, ...".
GP_COPY_SENT_PHRASES = {
    "gp_system": "through the practice's clinical system",
    "nhsmail": "by NHSmail",
    "email": "by secure email",
    "post": "by post",
}
