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


# A JSON body as the outbox sends a form -> the formdata a page's post of it would give, as
# (name, text) pairs in order: texts kept, a list's texts each, anything else left out.
JSON_BODIES = [
    ({"symptom": "tiredness", "note": "", "started_on-day": "7"},
     [("symptom", "tiredness"), ("note", ""), ("started_on-day", "7")]),
    ({}, []),
    ({"concerns": ["pain", "tiredness"], "worry": "ache"}, [("concerns", "pain"), ("concerns", "tiredness"), ("worry", "ache")]),
    ({"concerns": [], "worry": "ache"}, [("worry", "ache")]),
    ({"concerns": ["pain", 3, None, {"a": "b"}], "worry": "ache"}, [("concerns", "pain"), ("worry", "ache")]),
    ({"distress": 4, "worry": "ache"}, [("worry", "ache")]),
    ({"worry": None, "flag": True, "nested": {"a": "b"}}, []),
    ({"worry": "ache", "phone": 1.5}, [("worry", "ache")]),
    ({"worry": "<script>", "token": "A" * 22}, [("worry", "<script>"), ("token", "A" * 22)]),
    ([("worry", "ache")], []),  # not an object
    ("worry=ache", []),
    (None, []),
]


@pytest.mark.parametrize(("body", "pairs"), JSON_BODIES)
def test_a_form_sent_as_json_is_read_as_the_page_would_post_it(body, pairs):
    from app.forms import formdata_from_json

    formdata = formdata_from_json(body)
    assert isinstance(formdata, MultiDict)
    assert list(formdata.items(multi=True)) == pairs
    for name in {name for name, _ in pairs}:
        assert formdata.getlist(name) == [text for key, text in pairs if key == name]
        assert formdata.get(name) == next(text for key, text in pairs if key == name)
