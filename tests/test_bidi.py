"""Right-to-left overrides in what patients type never reorder staff pages: a walk over every
staff page with an HNA whose free text carries bidi controls; wherever the text is shown it
must sit inside <bdi>, which ends any override at its close."""
from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from app.bidi import isolate
from app.extensions import db
from app.hna import service as hna_service
from app.hna.models import HNA
from app.models import Role
from tests.helpers import sign_in_as
from tests.test_authorisation import RULES, SKIPPED_METHODS, World, url, view_roles

# An override that, unisolated, would show the words after it (and the page after them) reversed.
MATTERS = "\u202eSleep and my daughter\u202c"
ANYTHING_ELSE = "\u2067\u202bworried about the scan"
BDI = re.compile(r"<bdi>.*?</bdi>", re.S)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "<bdi>plain</bdi>"),
        ("\u202eevil", "<bdi>\u202eevil</bdi>"),
        ("<b>bold</b>", "<bdi>&lt;b&gt;bold&lt;/b&gt;</bdi>"),
        (None, "<bdi></bdi>"),
    ],
)
def test_isolate_wraps_escaped_text_in_bdi(text, shown):
    assert isolate(text) == Markup(shown)


def test_every_staff_page_isolates_a_patients_bidi_text(app, actors, new_client):
    world = World(actors)
    with app.app_context():
        hna = db.session.get(HNA, world.submitted_hna(actors.profile_a))
        questionnaire = hna_service.questionnaire_of(hna.questionnaire_version)
        hna.answers = {**(hna.answers or {}), "what_matters": {questionnaire.what_matters[0].id: MATTERS},
                       "anything_else": ANYTHING_ELSE}
        db.session.commit()
    unisolated, shown_on = [], set()
    for who, role in (("nurse_a", Role.NURSE), ("admin", Role.ADMIN)):
        client = new_client()
        sign_in_as(client, getattr(actors, who))
        for rule in RULES:
            roles = view_roles(app, rule.endpoint)
            if "GET" not in rule.methods - SKIPPED_METHODS or roles is None or role not in roles:
                continue
            with app.app_context():
                address = url(app, world, rule, who, "own")
            body = client.get(address).get_data(as_text=True)
            for text in (MATTERS, ANYTHING_ELSE):
                if text in body:
                    shown_on.add(rule.endpoint)
                if text in BDI.sub("", body):
                    unisolated.append(f"{who} {address}")
    assert "hna.team_view" in shown_on  # the walk reached the text, so the check can fail
    assert unisolated == []
