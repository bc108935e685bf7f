from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import DateInputField, OptionalDateInputField, PageForm, not_future_date, past_date, phone_number, valid_nhs_number
from ..pathways import PATHWAY_CHOICES

PATHWAY_OPTIONS = [SelectChoice("", "Choose a pathway")] + [
    SelectChoice(key, name) for key, name in PATHWAY_CHOICES
]


class PatientDetailsForm(PageForm):
    """A patient's details, checked the same way when they are added and when they are edited:
    a number saved here is shown to the patient as a link to call, so one that cannot be dialled
    must never get in by either door. The views set the key worker and pathway choices."""

    given_name = StringField("First name", validators=[DataRequired("Enter the patient's first name"), Length(max=100, message="First name must be 100 characters or fewer")])
    family_name = StringField("Last name", validators=[DataRequired("Enter the patient's last name"), Length(max=100, message="Last name must be 100 characters or fewer")])
    date_of_birth = DateInputField("Date of birth", missing_message="Enter the patient's date of birth", validators=[past_date("Date of birth must be in the past")])
    # The GP practice's Cancer Care Reviews are due within 3 and 12 months of it (reminders).
    diagnosed_on = OptionalDateInputField("Date of diagnosis (optional)", date_name="Date of diagnosis",
                                          validators=[not_future_date("Date of diagnosis must be today or in the past")])
    phone = StringField("Mobile phone number (optional)", validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"), phone_number("Enter a phone number, like 07700 900 982")])
    # Choices are the team's active nurses ("" for none), set by the view; checked below.
    key_worker_id = SelectField("Key worker", choices=[], validate_choice=False)
    # PATHWAY_CHOICES, and the patient's current pathway if it is no longer one of them (set by the view).
    tumour_pathway = SelectField("Tumour pathway", choices=[], validate_choice=False)
    gp_practice_name = StringField("GP practice (optional)", validators=[Optional(), Length(max=200, message="GP practice must be 200 characters or fewer")])
    gp_practice_phone = StringField("GP practice phone number (optional)", validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"), phone_number("Enter the GP practice phone number, like 020 7946 0000")])
    gp_practice_address = StringField("GP practice address (optional)", validators=[Optional(), Length(max=300, message="Address must be 300 characters or fewer")])

    def validate_key_worker_id(self, field):
        if (field.data or "") not in {str(choice.value) for choice in field.choices}:
            raise ValidationError("Choose a key worker from the list, or no key worker")

    def validate_tumour_pathway(self, field):
        if not field.data or field.data not in {str(choice.value) for choice in field.choices}:
            raise ValidationError("Choose the patient's tumour pathway from the list")


class NewPatientForm(PatientDetailsForm):
    nhs_number = StringField("NHS number", validators=[DataRequired("Enter the patient's NHS number"), valid_nhs_number()])


class EditPatientForm(PatientDetailsForm):
    """Changes to a patient's details. `version` is the record's version when the page was
    shown, so a colleague's save in the meantime is detected, never overwritten."""

    version = HiddenField()


class OfferHNAForm(PageForm):
    pathway_point = RadioField("Offer a needs assessment: which point of their pathway is this?", choices=[], validate_choice=False, validators=[DataRequired("Select the point of the patient's pathway")])

    def validate_pathway_point(self, field):
        if field.data not in {str(choice.value) for choice in field.choices}:
            raise ValidationError("Select the point of the patient's pathway")


# The point of pathway in staff wording, as the national HNA data collection records it.
STAFF_PATHWAY_POINT_LABELS = {
    "diagnosis": "At diagnosis",
    "start_of_treatment": "Start of treatment",
    "during_treatment": "During treatment",
    "end_of_treatment": "End of treatment",
    "after_treatment": "After treatment",
    "other": "Other, for example a change in their condition or at their request",
}
