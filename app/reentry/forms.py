"""The patient's request form and the nurse's next-step form."""
from __future__ import annotations

import re
from datetime import datetime, time

from wtforms import IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import CsrfCheckedByTheApp, OptionalDateInputField, PageForm, phone_number
from ..timeutil import LONDON, london_today, long_date
from ..triage.models import OUTCOME_LABELS
from .models import CONTACT_METHOD_LABELS, CONTACT_TIME_LABELS, ContactMethod, RequestStatus
from .service import CLOSING_OUTCOMES

WORRY_MAX = 2000
NOTE_MAX = 2000


class AskForm(CsrfCheckedByTheApp, PageForm):
    token = StringField(validators=[Optional()])  # one per rendered form (idempotency.new_form_token)
    worry = TextAreaField(
        "What is worrying you?",
        validators=[DataRequired("Tell us what is worrying you"),
                    Length(max=WORRY_MAX, message=f"What is worrying you must be {WORRY_MAX:,} characters or fewer")],
    )
    # Checked against the person's own current entries (`offer_symptoms`): anyone else's id, or
    # a removed entry's, is "Not a valid choice" with everything typed kept.
    symptom_entry_ids = SelectMultipleField("Attach symptoms from your symptom log (optional)", choices=[])
    contact_method = RadioField(
        "How would you like your team to contact you?",
        choices=[SelectChoice(m.value, label) for m, label in CONTACT_METHOD_LABELS.items()],
        validators=[DataRequired("Choose how you would like your team to contact you")],
    )
    contact_phone = StringField(
        "Phone number to call you on",
        validators=[Length(max=40, message="Phone number must be 40 characters or fewer"), phone_number()],
    )
    contact_time = RadioField(
        "When is best to contact you?",
        choices=[SelectChoice(t.value, label) for t, label in CONTACT_TIME_LABELS.items()],
        validators=[DataRequired("Choose when is best to contact you")],
    )

    def offer_symptoms(self, entries) -> "AskForm":
        self.symptom_entry_ids.choices = [
            SelectChoice(str(e.id), f"{e.own_words or e.symptom_text} ({e.severity}, logged {long_date(e.logged_at)})")
            for e in entries
        ]
        return self

    def chosen_symptoms(self, entries) -> list:
        chosen = set(self.symptom_entry_ids.data or ())
        return [e for e in entries if str(e.id) in chosen]

    def validate_contact_phone(self, field):
        if self.contact_method.data == ContactMethod.PHONE.value and not (field.data or "").strip():
            raise ValidationError("Enter a phone number to call you on")


STEP_LABELS = {
    RequestStatus.SEEN: "I have read it (the patient sees your name)",
    RequestStatus.WILL_CALL: "A nurse will call the patient",
    RequestStatus.APPOINTMENT_BOOKED: "An appointment is booked",
    RequestStatus.CLOSED: "Close the request with an outcome",
}
_CLOCK = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


class StepForm(CsrfCheckedByTheApp, PageForm):
    version = IntegerField(validators=[Optional()])
    status = RadioField("What happens next?", choices=[],
                        validators=[DataRequired("Choose what happens next")])
    appointment_date = OptionalDateInputField("Appointment date", date_name="Appointment date")
    appointment_time = StringField("Appointment time, for example 14:30",
                                   validators=[Length(max=5, message="Enter a time like 14:30")])
    appointment_place = StringField("Where", validators=[Length(max=200, message="Where must be 200 characters or fewer")])
    outcome = RadioField("Outcome", choices=[SelectChoice(o.value, OUTCOME_LABELS[o]) for o in CLOSING_OUTCOMES],
                         validate_choice=False)
    outcome_note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=NOTE_MAX, message=f"Note must be {NOTE_MAX:,} characters or fewer")])

    def offer(self, statuses) -> "StepForm":
        self.status.choices = [SelectChoice(s.value, STEP_LABELS[s]) for s in statuses]
        return self

    def chosen(self) -> RequestStatus | None:
        try:
            return RequestStatus(self.status.data)
        except ValueError:
            return None

    def validate_appointment_date(self, field):
        if self.chosen() is RequestStatus.APPOINTMENT_BOOKED:
            if field.data is None and not field.errors:
                raise ValidationError("Enter the appointment date")
            if field.data is not None and field.data < london_today():
                raise ValidationError("Appointment date must be today or in the future")

    def validate_appointment_time(self, field):
        if self.chosen() is RequestStatus.APPOINTMENT_BOOKED and not _CLOCK.fullmatch((field.data or "").strip()):
            raise ValidationError("Enter the appointment time, like 14:30")

    def validate_appointment_place(self, field):
        if self.chosen() is RequestStatus.APPOINTMENT_BOOKED and not (field.data or "").strip():
            raise ValidationError("Enter where the appointment is")

    def validate_outcome(self, field):
        if self.chosen() is RequestStatus.CLOSED and field.data not in {o.value for o in CLOSING_OUTCOMES}:
            raise ValidationError("Choose the outcome")

    def appointment_at(self) -> datetime | None:
        match = _CLOCK.fullmatch((self.appointment_time.data or "").strip())
        if self.appointment_date.data is None or match is None:
            return None
        clock = time(int(match.group(1)), int(match.group(2)))
        return datetime.combine(self.appointment_date.data, clock, tzinfo=LONDON)
