"""app/forms.py, the one place form errors are mapped: onto the design system's error summary
(links to each field) and, for scripts, onto the one JSON error shape (each field's first error)."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.validators import DataRequired, Length

from app.forms import DateInputField, error_summary_items, first_errors


class _Form(Form):
    worry = StringField(validators=[DataRequired("Tell us what is worrying you"), Length(max=5, message="Too long")])
    phone = StringField(validators=[Length(max=3, message="Phone too long")])
    started = DateInputField(validators=[])


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        ({"worry": "ache", "started-day": "1", "started-month": "2", "started-year": "2026"}, {}),
        ({}, {"worry": "Tell us what is worrying you", "started": "Enter a date"}),
        ({"worry": "a long worry", "phone": "0123"}, {"worry": "Too long", "phone": "Phone too long", "started": "Enter a date"}),
    ],
)
def test_a_script_is_told_each_fields_first_error_by_name(typed, errors):
    form = _Form(formdata=MultiDict(typed))
    form.validate()
    assert first_errors(form) == errors


def test_the_summary_links_each_field_and_can_be_made_for_some_fields_only():
    form = _Form(formdata=MultiDict({"phone": "0123"}))
    form.validate()
    assert error_summary_items(form) == [
        {"text": "Tell us what is worrying you", "href": "#worry"}, {"text": "Phone too long", "href": "#phone"},
        {"text": "Enter a date", "href": "#started-day"}]
    assert error_summary_items((form.phone,)) == [{"text": "Phone too long", "href": "#phone"}]
