"""The one form: writing a message."""
from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import PageForm
from .service import BODY_MAX


class MessageForm(PageForm):
    class Meta:
        csrf = False  # checked for every POST by the app-wide CSRFProtect

    token = StringField(validators=[Optional()])  # one per rendered form (idempotency.new_form_token)
    body = TextAreaField("Your message", validators=[
        DataRequired("Write your message"),
        Length(max=BODY_MAX, message=f"Your message must be {BODY_MAX:,} characters or fewer"),
    ])
