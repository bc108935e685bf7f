from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

ROLE_OPTIONS = [SelectChoice("nurse", "Nurse or key worker"), SelectChoice("admin", "Admin")]


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired("Enter a team name"), Length(max=120, message="Team name must be 120 characters or fewer")])


class StaffForm(FlaskForm):
    display_name = StringField("Full name", validators=[DataRequired("Enter their full name"), Length(max=200, message="Name must be 200 characters or fewer")])
    email = EmailField("Work email address", validators=[DataRequired("Enter their work email address"), Email("Enter an email address in the correct format, like name@nhs.net"), Length(max=254, message="Email address must be 254 characters or fewer")])
    role = RadioField("Role", choices=ROLE_OPTIONS, validators=[DataRequired("Choose a role")])
    team_id = SelectField("Team", coerce=int, validators=[DataRequired("Choose a team")])


class QuestionnaireForm(FlaskForm):
    definition = TextAreaField(
        "Questionnaire definition (JSON)",
        validators=[DataRequired("Paste the questionnaire definition"),
                    Length(max=200_000, message="Definition must be 200,000 characters or fewer")],
    )
