from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import DateInputField, past_date
from ..nhs_number import InvalidNHSNumber, normalise_nhs_number
from ..pathways import PATHWAY_CHOICES

PATHWAY_OPTIONS = [SelectChoice("", "Choose a pathway")] + [
    SelectChoice(key, name) for key, name in PATHWAY_CHOICES
]


class NewPatientForm(FlaskForm):
    given_name = StringField("First name", validators=[DataRequired("Enter the patient's first name"), Length(max=100, message="First name must be 100 characters or fewer")])
    family_name = StringField("Last name", validators=[DataRequired("Enter the patient's last name"), Length(max=100, message="Last name must be 100 characters or fewer")])
    nhs_number = StringField("NHS number", validators=[DataRequired("Enter the patient's NHS number")])
    date_of_birth = DateInputField("Date of birth", missing_message="Enter the patient's date of birth", validators=[past_date("Date of birth must be in the past")])
    tumour_pathway = SelectField("Tumour pathway", choices=PATHWAY_OPTIONS, validators=[DataRequired("Choose the patient's tumour pathway")])
    gp_practice_name = StringField("GP practice (optional)", validators=[Optional(), Length(max=200, message="GP practice must be 200 characters or fewer")])
    gp_practice_phone = StringField("GP practice phone number (optional)", validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer")])

    def validate_nhs_number(self, field):
        try:
            field.data = normalise_nhs_number(field.data)
        except InvalidNHSNumber as exc:
            raise ValidationError(str(exc)) from exc
