"""Comparing an HNA with the person's earlier ones: distress over time and concern changes."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.hna.compare import Assessment, compare
from app.hna.questionnaire import CONTENT_DIR, load_questionnaire
from app.models import PatientProfile, User
from tests.careplan.helpers import make_plan, submit_hna

DEFINITION = json.loads((CONTENT_DIR / "hna-v1.json").read_text(encoding="utf-8"))
Q1 = load_questionnaire(DEFINITION)
START = datetime(2026, 1, 5, 10, tzinfo=timezone.utc)


def sent(n: int, distress, concerns, questionnaire=Q1, days=0) -> Assessment:
    return Assessment(n, START + timedelta(days=days), {"distress": distress, "concerns": concerns}, questionnaire)


def test_a_first_assessment_has_nothing_to_compare_with():
    result = compare(sent(1, 5, {"pain": 4}), [])
    assert not result.has_previous and result.domains == ()
    assert [(p.score, p.change, p.is_this_one) for p in result.distress_trend] == [(5, None, True)]


def test_distress_over_time_oldest_first_with_each_change():
    older, middle, this = sent(1, 3, {}, days=0), sent(2, 8, {}, days=30), sent(3, 5, {}, days=60)
    result = compare(this, [this, middle, older])
    assert [(p.hna_id, p.score, p.change, p.high) for p in result.distress_trend] == [
        (1, 3, None, False), (2, 8, 5, True), (3, 5, -3, True),
    ]
    assert result.previous.id == 2
    assert result.distress_change == -3


def test_later_assessments_are_left_out_when_opening_an_older_one():
    older, later = sent(1, 3, {"pain": 2}), sent(2, 9, {"pain": 9}, days=30)
    result = compare(older, [older, later])
    assert not result.has_previous
    assert [p.hna_id for p in result.distress_trend] == [1]


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        ({}, {"pain": 6}, {"physical": {"new": [("Pain", None, 6, None)]}}),
        ({"pain": 8}, {"pain": 3}, {"physical": {"still_there": [("Pain", 8, 3, -5)]}}),
        ({"pain": 3}, {}, {"physical": {"no_longer": [("Pain", 3, None, None)]}}),
        (
            {"worry_fear_anxiety": 9, "tiredness": 4},
            {"tiredness": 7, "money_housing": 8},
            {
                "physical": {"still_there": [("Feeling tired, exhausted or fatigued", 4, 7, 3)]},
                "emotional": {"no_longer": [("Worry, fear or anxiety", 9, None, None)]},
                "practical": {"new": [("Money or housing", None, 8, None)]},
            },
        ),
        ({"pain": 5}, {"pain": 5}, {"physical": {"still_there": [("Pain", 5, 5, 0)]}}),
    ],
)
def test_concerns_new_still_there_and_no_longer_ticked_by_domain(before, now, expected):
    result = compare(sent(2, 4, now, days=10), [sent(1, 4, before)])
    found = {
        d.domain_id: {
            kind: [(c.text, c.before, c.now, c.change) for c in getattr(d, kind)]
            for kind in ("new", "still_there", "no_longer") if getattr(d, kind)
        }
        for d in result.domains
    }
    assert found == expected
    assert list(found) == [d for d in ("physical", "emotional", "practical") if d in expected]  # questionnaire order


def test_a_concern_dropped_from_a_newer_questionnaire_keeps_the_words_the_person_saw():
    old_definition = copy.deepcopy(DEFINITION)
    physical = next(d for d in old_definition["domains"] if d["id"] == "physical")
    physical["items"].append({"id": "hiccups", "text": "Hiccups"})
    old = load_questionnaire(old_definition)
    result = compare(sent(2, 2, {}, days=5), [sent(1, 2, {"hiccups": 6}, questionnaire=old)])
    assert [(d.title, [c.text for c in d.no_longer]) for d in result.domains] == [("Physical", ["Hiccups"])]


def test_counts_add_up():
    result = compare(sent(2, 4, {"pain": 5, "sleep": 2}, days=3), [sent(1, 6, {"pain": 7, "tiredness": 4})])
    assert result.counts == {"new": 1, "still_there": 1, "no_longer": 1}


# ---------------------------------------------------------------- on the nurse's HNA page


def test_the_nurse_sees_the_comparison_and_a_button_to_write_the_plan(app, client, actors):
    from tests.helpers import sign_in_as

    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        submit_hna(patient, distress=3, scores={"pain": 4}, top=[], submitted_at=START)
        latest = submit_hna(patient, distress=8, scores={"pain": 9, "worry_fear_anxiety": 8}, top=["worry_fear_anxiety"])
        hna_id = latest.id
    sign_in_as(client, actors.nurse_a)
    html = client.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)
    assert "Compared with previous assessments" in html
    assert "Distress went up by 5" in html
    assert "<strong>New:</strong> Worry, fear or anxiety, scored 8" in html
    assert "<strong>Still there:</strong> Pain, scored 4 then 9 (up 5)" in html
    assert "Write a care plan from this assessment" in html
    assert f"/nurse/patients/{actors.profile_a}/care-plan/edit?hna_id={hna_id}" in html

    with app.app_context():
        make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a))
    html = client.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)
    assert "Update the care plan" in html and "Write a care plan from this assessment" not in html


def test_a_first_assessment_says_there_is_nothing_to_compare(app, client, actors):
    from tests.helpers import sign_in_as

    with app.app_context():
        hna_id = submit_hna(db.session.get(PatientProfile, actors.profile_a)).id
    sign_in_as(client, actors.nurse_a)
    html = client.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)
    assert "nothing to compare it with yet" in html
