"""A plan's concerns are shown from one source (app/careplan/patient_view.py concerns_view) in the
person's words and the team's, and a service's website is a link by one rule."""
from __future__ import annotations

import pytest

from app.careplan.models import ActionOwner, Support
from app.careplan.patient_view import is_web_address
from app.extensions import db
from app.models import PatientProfile, User
from tests.careplan.helpers import item, make_plan, make_service
from tests.helpers import sign_in_as


@pytest.mark.parametrize(("address", "linked"), [
    ("https://www.macmillan.org.uk", True),
    ("http://www.macmillan.org.uk/support", True),
    ("HTTPS://www.macmillan.org.uk", True),
    ("Http://example.org", True),
    ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("/my-care/plan", False),
    ("//example.org", False),
    ("www.macmillan.org.uk", False),
    (" https://example.org", False),
    ("\thttps://example.org", False),
    ("https:example.org", False),
    ("ftp://example.org", False),
    ("mailto:help@example.org", False),
    ("", False),
    (None, False),
])
def test_only_an_http_or_https_address_is_made_a_link(address, linked):
    assert is_web_address(address) is linked


def test_the_team_and_the_person_see_the_same_concern_each_in_their_words(app, client, new_client, actors):
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        linked = make_service("Hospital psychology", actors.team_a, website="https://example.org/psychology").id
        unlinked = make_service("Odd centre", actors.team_a, website="javascript:alert(1)").id
        make_plan(patient, nurse, [
            item("Worry", agreed="Talk to someone", support=Support.REFERRAL, service_id=linked),
            item("Money", agreed="", owner=ActionOwner.GP, support=Support.SIGNPOSTING,
                 service_id=unlinked),
        ])
    sign_in_as(client, actors.nurse_a)
    team_page = client.get(f"/nurse/patients/{actors.profile_a}/care-plan").get_data(as_text=True)
    own = new_client()
    sign_in_as(own, actors.patient_a)
    own_page = own.get("/my-care/plan").get_data(as_text=True)

    for shown, words in ((team_page, ("What was agreed", "Referral", "Signposting", ">GP<")),
                         (own_page, ("What you agreed", "We have referred you to", "We suggest you contact",
                                     ">Your GP<"))):
        for word in words:
            assert word in shown
        assert 'href="https://example.org/psychology"' in shown and "Hospital psychology website" in shown
        assert "javascript:" not in shown and "Odd centre website" not in shown
        assert "Nothing recorded" in shown
    # The team's own rendering of the concerns, beside the preview of the person's.
    assert 'id="concern-1-1"' in team_page and 'id="preview-1-1"' in team_page
