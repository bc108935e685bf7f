"""The "If you need help urgently" box (templates/partials/urgent_help.html, built by
app/main/urgent_line.py urgent_help_box): whose 24-hour line it gives, and to whom."""
from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import pytest
from flask import render_template_string
from flask_login import AnonymousUserMixin

from app.followup.pathway_content import emergency_signs

RLO = "\u202e"
LINE = ('<li>Acute oncology 24-hour line: call <a href="tel:02079460999" class="app-tel">020 7946 0999</a>, '
        "at any time of day or night</li>")
NO_LINE = ('<li>call the 24-hour acute oncology line your team gave you, or <a href="tel:111">111</a> '
           "if you do not have it</li>")
FILLED_BY_THE_PHONE = NO_LINE.replace("<li>", "<li data-urgent-line>")


def team(name="Acute oncology 24-hour line", phone="020 7946 0999"):
    """As the session reads it (sessions.SignedInPatient.team): the team's columns by name."""
    return MappingProxyType({"name": "Team A", "out_of_hours_name": name, "out_of_hours_phone": phone})


def patient(its_team):
    return SimpleNamespace(is_authenticated=True, is_patient=True, patient_profile=SimpleNamespace(team=its_team))


NURSE = SimpleNamespace(is_authenticated=True, is_patient=False, patient_profile=None)

BOXES = [
    # (who, public_page, the first thing to do "Then:")
    ("a patient whose team has a line", patient(team()), False, LINE),
    ("the same line read from a record", patient(SimpleNamespace(**team())), False, LINE),
    ("a line with no name", patient(team(name=None)), False, LINE.replace("Acute oncology 24-hour line", "Your 24-hour line")),
    ("an empty name", patient(team(name="")), False, LINE.replace("Acute oncology 24-hour line", "Your 24-hour line")),
    ("another team's line", patient(team(name="Other ward", phone="0161 496 0000")), False,
     '<li>Other ward: call <a href="tel:01614960000" class="app-tel">0161 496 0000</a>, at any time of day or night</li>'),
    ("a name with markup and a bidi override", patient(team(name=f'<script>x("1")</script>{RLO}')), False,
     f'<li>&lt;script&gt;x(&#34;1&#34;)&lt;/script&gt;{RLO}: call <a href="tel:02079460999" class="app-tel">'
     "020 7946 0999</a>, at any time of day or night</li>"),
    ("a line that cannot be dialled", patient(team(phone="not a phone")), False,
     "<li>Acute oncology 24-hour line: call not a phone, at any time of day or night</li>"),
    ("a team with no line", patient(team(phone=None)), False, NO_LINE),
    ("a team whose line is blank", patient(team(phone="")), False, NO_LINE),
    ("a patient with no team", patient(None), False, NO_LINE),
    ("a patient, on a page kept for anyone", patient(team()), True, FILLED_BY_THE_PHONE),
    ("a patient with no record", SimpleNamespace(is_authenticated=True, is_patient=True, patient_profile=None), False,
     FILLED_BY_THE_PHONE),
    ("a nurse", NURSE, False, FILLED_BY_THE_PHONE),
    ("someone signed out", AnonymousUserMixin(), False, FILLED_BY_THE_PHONE),
]


@pytest.mark.hazard("HAZ-002")
@pytest.mark.parametrize(("who", "user", "public_page", "first"), BOXES, ids=[row[0] for row in BOXES])
def test_the_box_gives_the_signed_in_patients_own_line_or_the_general_advice(app, who, user, public_page, first):
    with app.test_request_context():
        box = render_template_string('{% include "partials/urgent_help.html" %}', current_user=user,
                                     public_page=public_page)
    assert box.count("If you need help urgently") == 1
    assert "<p>Then:</p>\n<ul>\n" in box and first in box
    assert box.count("<li") == len(emergency_signs()) + 3
    for sign in emergency_signs():
        assert f"<li>{sign.text}</li>" in box.replace("&#39;", "'")
    assert '<li>call <a href="tel:999">999</a> or go to A&amp;E in an emergency</li>' in box
    assert "<li>call <a href=\"tel:111\">111</a> if you need help but it's not an emergency</li>" in box
    if public_page or first == FILLED_BY_THE_PHONE:
        assert "0207946" not in box and "020 7946" not in box and "Acute oncology" not in box


def test_a_page_that_sets_no_public_page_is_for_the_signed_in_patient(app):
    with app.test_request_context():
        box = render_template_string('{% include "partials/urgent_help.html" %}', current_user=patient(team()))
    assert LINE in box
