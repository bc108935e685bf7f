from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import DateInputField, PageForm, past_date, valid_nhs_number

PASSWORD_MIN = 12


class InvitationCodeForm(PageForm):
    code = StringField(
        "Enter your invitation code",
        validators=[DataRequired("Enter the code from your invitation"), Length(max=20, message="Enter the 8 letters and numbers from your invitation")],
    )


class DateOfBirthForm(PageForm):
    date_of_birth = DateInputField(
        "What is your date of birth?",
        missing_message="Enter your date of birth",
        validators=[past_date("Date of birth must be in the past")],
    )


class SetPasswordForm(PageForm):
    password = PasswordField(
        "Create a password",
        validators=[
            DataRequired("Enter a password"),
            Length(min=PASSWORD_MIN, max=200, message=f"Password must be at least {PASSWORD_MIN} characters"),
        ],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[DataRequired("Type the password again"), EqualTo("password", "Passwords do not match")],
    )


class PasswordSignInForm(PageForm):
    nhs_number = StringField("NHS number", validators=[DataRequired("Enter your NHS number"), valid_nhs_number()])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class PasskeyNameForm(PageForm):
    name = StringField(
        "Rename this passkey",
        validators=[DataRequired("Enter a name for this passkey"), Length(max=60, message="Name must be 60 characters or fewer")],
    )
