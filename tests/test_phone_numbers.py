"""Phone numbers: a tel: link only for a number that can be dialled, from one rule (dial_digits)."""
from __future__ import annotations

import pytest
from flask import render_template_string

from app.extensions import db
from app.forms import dial_digits
from app.models import PatientProfile
from tests.helpers import page

DIALLABLE = [
    ("020 7946 0000", "02079460000"),
    ("(020) 7946-0000", "02079460000"),
    ("+44 (20) 7946-0999", "+442079460999"),
    ("+44 20 7946.0123", "+442079460123"),
    ("07700\u00a0900\u00a0982", "07700900982"),  # non-breaking spaces, pasted from a letter
    ("116 123", "116123"),  # Samaritans: national helplines are short
    ("111", "111"),
    ("123456789012345", "123456789012345"),  # 15 digits, the longest an international number has
]
UNDIALLABLE = [
    "not a phone",
    "",
    "   ",
    "12",  # too short to be any number
    "1234567890123456",  # 16 digits
    "0800 NHS 111",  # letters cannot be dialled
    "020 7946 0000 ext 12",
    "44+20 7946 0000",  # a plus in the middle
    "020 7946 0000 or 020 7946 0001",
    "tel:02079460000",
    "\u0660\u0662\u0660 7946 0000",  # Arabic-Indic digits: not what a phone dials
]


@pytest.mark.parametrize(("written", "dialled"), DIALLABLE)
def test_a_number_that_can_be_dialled_gives_its_digits(written, dialled):
    assert dial_digits(written) == dialled


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize("written", UNDIALLABLE)
def test_a_number_that_cannot_be_dialled_gives_nothing_to_dial(written):
    assert dial_digits(written) == ""


def tel_link(app, number) -> str:
    with app.test_request_context():
        return render_template_string('{% from "macros/tel.html" import tel_link %}{{ tel_link(n, "GP practice") }}', n=number)


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize("written", ["not a phone", "12", "<b>0800</b> NHS"])
def test_the_tel_macro_shows_an_undiallable_number_as_plain_text(app, written):
    shown = tel_link(app, written)

    assert "<a" not in shown and "tel:" not in shown
    assert "<b>" not in shown  # still escaped


@pytest.mark.hazard("HAZ-011")
def test_contacts_never_show_an_empty_tel_link(app, patient, actors):
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).gp_practice_phone = "not a phone"
        db.session.commit()

    body = page(patient.get("/my-care/contacts"))

    assert "not a phone" in body
    assert 'href="tel:"' not in body
