"""The one form: writing a message."""
from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import CsrfCheckedByTheApp, PageForm
from .service import BODY_MAX


class MessageForm(CsrfCheckedByTheApp, PageForm):
    token = StringField(validators=[Optional()])  # one per rendered form (idempotency.new_form_token)
    body = TextAreaField("Your message", validators=[
        DataRequired("Write your message"),
        Length(max=BODY_MAX, message=f"Your message must be {BODY_MAX:,} characters or fewer"),
    ])
