"""The one place that maps WTForms onto the NHS.UK design system, plus shared field types."""
from __future__ import annotations

import hashlib
from datetime import date

from flask import Flask
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form
from wtforms.validators import StopValidation, ValidationError

from . import untrusted
from .extensions import generate_csrf_token
from .nhs_number import InvalidNHSNumber, normalise_nhs_number

NUMBER_TOO_LARGE_MESSAGE = "Enter a smaller number"


def field_error(field) -> dict | None:
    """The design system's errorMessage for a field, or None."""
    if not getattr(field, "errors", None):
        return None
    return {"text": field.errors[0]}


def field_anchor(field) -> str:
    return f"#{field.id}-day" if isinstance(field, DateInputField) else f"#{field.id}"


def error_summary_items(form) -> list[dict]:
    """The design system's error summary for `form` (or some of its fields): each error linked to
    its field."""
    items = []
    for field in form:
        if field.errors:
            items.append({"text": field.errors[0], "href": field_anchor(field)})
    return items



def first_errors(form) -> dict[str, str]:
    """Each field's first error by its name: what a script is told of a form it sent (the one JSON
    error shape's `errors`)."""
    return {name: errors[0] for name, errors in form.errors.items()}

def _hostile_input_message(field) -> str | None:
    """Why a field's submitted value can never be stored, or None. Checked on what was typed
    (raw_data, and a date's three boxes), so it covers every field type the same way."""
    typed = list(getattr(field, "raw_data", None) or ()) + list(getattr(field, "raw_parts", {}).values())
    if any(isinstance(text, str) and untrusted.has_control_characters(text) for text in typed):
        return untrusted.CONTROL_CHARACTER_MESSAGE
    data = field.data
    if isinstance(data, int) and not isinstance(data, bool) and not -untrusted.MAX_ID - 1 <= data <= untrusted.MAX_ID:
        return NUMBER_TOO_LARGE_MESSAGE
    return None


def _refuse(message: str):
    def _check(form, field):
        raise StopValidation(message)

    return _check


class _RefusesHostileInput:
    """Before any validator runs (some query the database), a field holding control characters
    or a number no column can store gets one error and no further checks; the text typed
    stays on the field so the page shows it back."""

    def validate(self, extra_validators=None):
        for field in self:
            message = _hostile_input_message(field)
            if message:
                # A new list: the unbound field's validators are shared by every instance.
                # StopValidation also skips the form's own validate_<field> methods.
                field.validators = [_refuse(message)]
        return super().validate(extra_validators)


class _TokenOfTheApp(_FlaskFormCSRF):
    """Flask-WTF's token field, its token made by the app's one maker (`generate_csrf_token`, the
    same token Flask-WTF's `generate_csrf` makes, through a kept serializer): a page's form renders
    before its layout, so the form's field made each page's token the slow way. Checking it is
    Flask-WTF's as before (skipped once the app-wide CSRFProtect has checked the request)."""

    def generate_csrf_token(self, csrf_token_field):
        return generate_csrf_token()


class PageForm(_RefusesHostileInput, FlaskForm):
    """Every form a page posts inherits this (CSRF included)."""

    class Meta:
        csrf_class = _TokenOfTheApp


class CsrfCheckedByTheApp:
    """Put before PageForm when the form's token is left to the app-wide CSRFProtect, which checks
    every POST before the view: a form also read from JSON (the token then travels in the
    X-CSRFToken header, not the body) or from a query string (a search changes nothing)."""

    class Meta:
        csrf = False


def formdata_from_json(body) -> MultiDict:
    """A page form's fields as the offline outbox sends them (static/js/form-outbox.js: each
    field's name with its text, or a list of texts for a field chosen more than once, such as
    checkboxes), as the formdata a form posted by the page would give. Anything else (numbers,
    objects, a body that is not an object) is left out, so the form says what is missing. The
    CSRF token came in the X-CSRFToken header, checked for every post."""
    fields = body if isinstance(body, dict) else {}
    if {*map(type, fields), *map(type, fields.values())} <= {str}:
        # Every field one text, as a form with no checkboxes sends it (a symptom, a message): the
        # same formdata, made in one step (issue 12: the pairs below cost 64 Python calls a
        # symptom sent, this 17).
        return MultiDict(fields)
    pairs = []
    for name, value in fields.items():
        if not isinstance(name, str):
            continue
        values = value if isinstance(value, list) else [value]
        pairs += [(name, text) for text in values if isinstance(text, str)]
    return MultiDict(pairs)


class RowForm(_RefusesHostileInput, Form):
    """Every repeated group inside a PageForm (FormField rows) inherits this."""


class DateInputField(Field):
    """Day, month and year boxes (NHS.UK date input) that keep exactly what was typed."""

    def __init__(self, label=None, validators=None, *, missing_message="Enter a date", date_name=None, **kwargs):
        """`date_name` ("Date of diagnosis") puts the date's name in its messages ("Date of
        diagnosis must be a real date"), for pages with more than one date; without it the
        messages say "Date". It can also be set on the bound field (`field.date_name = ...`)
        before validation, e.g. for rows in a FieldList ("Start date of treatment 2")."""
        super().__init__(label, validators, **kwargs)
        self.missing_message = missing_message
        self.date_name = date_name
        self.raw_parts = {"day": "", "month": "", "year": ""}

    def process_formdata(self, valuelist):
        # WTForms passes only the field's own name; the parts arrive as name-day etc.
        pass

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.raw_parts = {
                part: (formdata.get(f"{self.name}-{part}") or "").strip()
                for part in ("day", "month", "year")
            }
            self.data = None
            self._parse_error = None
            try:
                self.data = self._parse()
            except ValueError as exc:
                self._parse_error = str(exc)
        elif isinstance(self.data, date):
            self.raw_parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }

    def _parse(self) -> date:
        return date_from_parts(self.raw_parts, self.missing_message, self.date_name)

    def pre_validate(self, form):
        if getattr(self, "_parse_error", None):
            try:  # parsed again, so a name given after the form was built is in the message
                self._parse()
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
            raise ValidationError(self._parse_error)


def date_from_parts(parts: dict[str, str], missing_message: str, date_name: str | None = None) -> date:
    """The date typed in a date input's three boxes (`parts`: "day", "month" and "year", each
    stripped), or ValueError with what to tell the person: the one rule, for `DateInputField` and
    for rules written as plain functions (the symptom form's `check_symptom`)."""
    if not any(parts.values()):
        raise ValueError(missing_message)
    name = date_name or "Date"
    missing = [p for p in ("day", "month", "year") if not parts[p]]
    if missing:
        raise ValueError(f"{name} must include a {' and '.join(missing)}")
    if not all(parts[p].isdigit() and parts[p].isascii() for p in parts):  # "²".isdigit() is true
        raise ValueError(f"{name} must be a real date, using numbers only")
    if len(parts["year"]) != 4:
        raise ValueError(f"{date_name} must include a year with 4 numbers" if date_name else "Year must include 4 numbers")
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except (ValueError, OverflowError) as exc:  # a day of 10^20 overflows, not a ValueError
        raise ValueError(f"{name} must be a real date") from exc


class OptionalDateInputField(DateInputField):
    """A date that may be left blank; anything typed must still be a real date."""

    def _parse(self):
        if not any(self.raw_parts.values()):
            return None
        return super()._parse()


def past_date(message: str = "Date must be in the past"):
    def _check(form, field):
        if field.data and field.data >= date.today():
            raise ValidationError(message)
        if field.data and field.data.year < 1900:
            raise ValidationError("Year must be 1900 or later")

    return _check


def not_future_date(message: str = "Date must be today or in the past"):
    def _check(form, field):
        if field.data and field.data > date.today():
            raise ValidationError(message)
        if field.data and field.data.year < 1900:
            raise ValidationError("Year must be 1900 or later")

    return _check


def outbox_owner() -> str:
    """Whose forms the phone's outbox may send from this page (static/js/form-outbox.js): a
    form kept for someone else (signed out by the server with no chance to wipe the phone, and
    someone else signed in since) is forgotten, never sent as this person. A digest of their
    opaque passkey user handle: stable across sign-ins, and never their id."""
    return outbox_owner_of(current_user)


def outbox_owner_of(user) -> str:
    """outbox_owner for the person the layout already holds (app/templating.py layout_page),
    without asking the request's proxy for them three times."""
    if not user.is_authenticated:
        return ""
    return hashlib.sha256(b"outbox-owner:" + user.webauthn_user_handle).hexdigest()[:32]


def register_form_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        field_error=field_error,
        error_summary_items=error_summary_items,
        outbox_owner=outbox_owner,
        tel_link=tel_link,
    )


# What may be written in a phone number besides digits: a leading +, and separators people type
# or paste (spaces, non-breaking spaces, hyphens, brackets, dots).
PHONE_SEPARATORS = frozenset(" \u00a0-().")
DIALLABLE_DIGITS = range(3, 16)  # 111 and 116 123 up to the 15 of an international number


def dial_digits(number: str | None) -> str:
    """What a `tel:` link dials for a number as written: its digits, and a leading +, whatever
    separators were typed; "" when the text is not a number that can be dialled (letters, an
    extension, two numbers, too few or too many digits), so that no link is made for it. The
    one rule, used by `tel_link` and by the urgent line kept on the phone for the offline
    page."""
    dial = ""
    for character in str(number or "").strip():
        if character in "0123456789" or (character == "+" and not dial):
            dial += character
        elif character not in PHONE_SEPARATORS:
            return ""
    return dial if len(dial.lstrip("+")) in DIALLABLE_DIGITS else ""


def tel_link(number, label=None) -> Markup:
    """A phone number as a link that dials it on a phone: the one place tel: links are made
    (HAZ-011), a template global. The number shown as written, escaped; only its digits (and a
    leading +) in the href, whatever separators were typed. `label` says whose number it is to
    screen reader users when the text around the link does not. A number that cannot be dialled
    ("not a phone", saved before numbers were checked) is shown as plain text: an empty or wrong
    tel: link would fail the person at the moment they call. A function, not a Jinja macro: up to
    four on a page, and a macro call costs several times this (issue 12)."""
    shown = escape(number)
    dial = dial_digits(number)
    if not dial:
        return shown
    # Built from escaped pieces (`dial` is only digits and a leading +); not Markup.format, whose
    # formatter is many Python calls for each link.
    hidden = f'<span class="nhsuk-u-visually-hidden"> ({escape(label)})</span>' if label else ""
    return Markup(f'<a href="tel:{dial}" class="app-tel">{shown}{hidden}</a>')


PHONE_CHARACTERS = frozenset("0123456789 +()-")


def phone_number(message: str = "Enter a full phone number, like 020 7946 0123", min_digits: int = 10):
    """A WTForms validator for a full phone number someone can call back on: digits, spaces and
    the usual punctuation, with 10 to 15 digits (UK numbers have 10 or 11; +44 adds 2), so a
    slip like "0999" or "12345" is caught before a patient taps it. National helplines with
    short numbers (111, Samaritans 116 123) pass `min_digits=3`. Empty is allowed (add
    Optional or DataRequired as the field needs)."""

    def _check(form, field):
        value = (field.data or "").strip()
        digits = sum(ch.isdigit() for ch in value)
        if value and (not set(value) <= PHONE_CHARACTERS or not min_digits <= digits <= 15):
            raise ValidationError(message)

    return _check


def valid_nhs_number():
    """A WTForms validator for an NHS number, the one used by every form that asks for one: the
    ten digits of a valid number replace what was typed (spaces and dashes go), otherwise the
    plain-English reason from `app/nhs_number.py`. Add DataRequired before it for a required field."""

    def _check(form, field):
        try:
            field.data = normalise_nhs_number(field.data)
        except InvalidNHSNumber as exc:
            raise ValidationError(str(exc)) from exc

    return _check
