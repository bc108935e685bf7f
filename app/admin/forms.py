"""The admin area's forms: teams and their contacts, staff accounts, questionnaires."""
from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..forms import CsrfCheckedByTheApp, OptionalDateInputField, PageForm, phone_number
from ..triage.queue import DEFAULT_TARGET_WORKING_DAYS, ItemKind
from ..untrusted import id_or_none

ROLE_OPTIONS = [SelectChoice("nurse", "Nurse or key worker"), SelectChoice("admin", "Admin")]


class TeamForm(PageForm):
    name = StringField("Team name", validators=[DataRequired("Enter a team name"), Length(max=120, message="Team name must be 120 characters or fewer")])


class StaffForm(PageForm):
    display_name = StringField("Full name", validators=[DataRequired("Enter their full name"), Length(max=200, message="Name must be 200 characters or fewer")])
    email = EmailField("Work email address", validators=[DataRequired("Enter their work email address"), Email("Enter an email address in the correct format, like name@nhs.net"), Length(max=254, message="Email address must be 254 characters or fewer")])
    role = RadioField("Role", choices=ROLE_OPTIONS, validators=[DataRequired("Choose a role")])
    team_id = SelectField("Team", coerce=int, validators=[DataRequired("Choose a team")])


CHOOSE_TEAM = "Choose the team to move them to"


def _team_id(value) -> int | None:
    """A team id from the form, or None (then "choose a team") for anything that is not one."""
    return id_or_none(value)


class TeamMoveForm(PageForm):
    """Moving a patient to another team: choose the team, then confirm what moves."""

    team_id = RadioField("Which team should look after them now?", coerce=_team_id, validate_choice=False,
                         validators=[DataRequired(CHOOSE_TEAM)])
    version = HiddenField()  # the patient record's version the admin was shown
    confirmed = HiddenField()  # "1" once the admin has read what moves

    def validate_team_id(self, field):
        # Their own team, a team since removed, or anything typed into the request: one message.
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(CHOOSE_TEAM)


class AuditFilterForm(CsrfCheckedByTheApp, PageForm):
    """The audit log's filters, read from the query string (a search: no CSRF token)."""

    action = StringField("Action starts with", validators=[Optional(), Length(max=60, message="Action must be 60 characters or fewer")])
    person = StringField("Who did it (name or email)", validators=[Optional(), Length(max=100, message="Name or email must be 100 characters or fewer")])
    patient = StringField("Patient (name or NHS number)", validators=[Optional(), Length(max=100, message="Patient must be 100 characters or fewer")])
    from_date = OptionalDateInputField("From", date_name="From date")
    to_date = OptionalDateInputField("To", date_name="To date")

    def validate_to_date(self, field):
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError("To date must be the same as or after the from date")


class QuestionnaireForm(PageForm):
    definition = TextAreaField(
        "Questionnaire definition (JSON)",
        validators=[DataRequired("Paste the questionnaire definition"),
                    Length(max=200_000, message="Definition must be 200,000 characters or fewer")],
    )


OUT_OF_HOURS_CHECK = "I have checked this number by calling it"
OUT_OF_HOURS_CHECK_MESSAGE = ("Call the new out-of-hours number to check it, then tick ‘I have checked this number by "
                              "calling it’. Patients tap it in an emergency")
LONGER_WAIT = "Red flags will wait more than the same working day"
LONGER_WAIT_MESSAGE = ("Tick ‘Red flags will wait more than the same working day’ to keep a target above 0 for "
                       "red-flag symptoms or emergency reports, or set them to 0")
# Phoned the same working day unless an admin confirms otherwise.
SAME_DAY_KINDS = (ItemKind.EMERGENCY, ItemKind.RED_FLAG)


class TeamContactsForm(PageForm):
    """A team's single points of contact, shown to its patients, and its response targets.
    One target field per queue item kind is added by `team_contacts_form`. `version` is the
    team's version when the page was shown, so another admin's save in the meantime is
    detected, never overwritten."""

    version = HiddenField()
    phone = StringField("Team phone number", validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"), phone_number("Enter the team phone number, like 020 7946 0123")])
    hours = StringField("When the phone is answered", validators=[Optional(), Length(max=200, message="Hours must be 200 characters or fewer")])
    email = StringField("Team email address (optional)", validators=[Optional(), Email("Enter an email address in the correct format, like team@nhs.net"), Length(max=254, message="Email address must be 254 characters or fewer")])
    out_of_hours_name = StringField("Name of the out-of-hours line", validators=[Optional(), Length(max=120, message="Name must be 120 characters or fewer")])
    out_of_hours_phone = StringField("Out-of-hours phone number", validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"), phone_number("Enter the out-of-hours phone number, like 020 7946 0999")])
    # Patients tap the 24-hour line in an emergency: a new or changed number is saved only once
    # the admin says they have rung it. Needed only when the number changes (see below).
    out_of_hours_phone_checked = BooleanField(OUT_OF_HOURS_CHECK)
    # Red flags and emergencies are phoned the same working day (target 0). A longer target is
    # allowed, but only when the admin says so in so many words.
    longer_red_flag_wait = BooleanField(LONGER_WAIT)

    # What is saved now, set by the view: the confirmations are asked for only for a change.
    saved_out_of_hours_phone: str | None = None
    saved_targets: dict | None = None

    def validate_out_of_hours_phone_checked(self, field):
        typed = (self.out_of_hours_phone.data or "").strip()
        if typed and typed != (self.saved_out_of_hours_phone or "") and not self.out_of_hours_phone.errors and not field.data:
            raise ValidationError(OUT_OF_HOURS_CHECK_MESSAGE)

    def validate_longer_red_flag_wait(self, field):
        saved = self.saved_targets or {}
        for kind in SAME_DAY_KINDS:
            target = getattr(self, target_field_name(kind))
            value = (target.data or "").strip()
            if not (value.isdigit() and value.isascii() and int(value) <= 10):
                continue
            days = int(value)
            if days > 0 and days != saved.get(kind.value, DEFAULT_TARGET_WORKING_DAYS[kind]) and not field.data:
                raise ValidationError(LONGER_WAIT_MESSAGE)


TARGET_LABELS = {
    ItemKind.EMERGENCY: "Emergency reports",
    ItemKind.RED_FLAG: "Red-flag symptoms",
    ItemKind.REENTRY: "Requests to come back to the team (open access)",
    ItemKind.HNA_HIGH_DISTRESS: "Needs assessments with high distress",
    ItemKind.HNA_NEW: "Other new needs assessments",
    ItemKind.PLAN_REVIEW_OVERDUE: "Overdue care plan reviews",
}
TARGET_MESSAGE = "Enter a whole number of working days from 0 to 10"


def _working_days(form, field):
    value = (field.data or "").strip()
    if value and not (value.isdigit() and value.isascii() and 0 <= int(value) <= 10):
        raise ValidationError(TARGET_MESSAGE)


def target_field_name(kind: ItemKind) -> str:
    return f"target_{kind.value}"


def team_contacts_form(**kwargs) -> TeamContactsForm:
    class _Form(TeamContactsForm):
        pass

    for kind in ItemKind:
        setattr(_Form, target_field_name(kind), StringField(TARGET_LABELS[kind], validators=[_working_days]))
    return _Form(**kwargs)
