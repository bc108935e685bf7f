"""The HNA's urgent concerns take their level from the symptom rules: one source of levels."""
from __future__ import annotations

from datetime import date

import pytest

from app.hna.answers import PUBLISHED_SYMPTOM_LINKS, concern_level, emergency_of, linked_symptom
from app.hna.questionnaire import bundled_definition_paths, load_questionnaire
from app.pathways import PATHWAYS
from app.symptoms.rules import Level, hna_concern_level

TODAY = date(2026, 3, 2)
QUESTIONNAIRES = [load_questionnaire(path) for path in bundled_definition_paths()]


def urgent_concerns():
    return [(q, c) for q in QUESTIONNAIRES for c in q.all_concern_ids if q.concern(c).urgent]


@pytest.mark.hazard("HAZ-009")
@pytest.mark.parametrize("pathway", [*PATHWAYS, None])
@pytest.mark.parametrize("questionnaire", QUESTIONNAIRES, ids=lambda q: f"hna-v{q.version}")
@pytest.mark.parametrize(("concern", "expected"), [
    ("fever", Level.EMERGENCY),         # possible sepsis, on every pathway
    ("breathing", Level.RED_FLAG),      # a red flag on the lung pathway, severe something else elsewhere
])
def test_the_hna_urgent_symptoms_have_the_symptom_rules_levels(pathway, questionnaire, concern, expected):
    assert concern_level(questionnaire, concern, pathway, TODAY) == expected
    assert emergency_of(questionnaire, concern, pathway) == ("possible_sepsis" if expected is Level.EMERGENCY else None)


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize("pathway", [*PATHWAYS, None])
def test_every_urgent_concern_is_at_least_a_red_flag_and_others_have_no_level(pathway):
    for questionnaire, concern in urgent_concerns():
        assert concern_level(questionnaire, concern, pathway, TODAY) in (Level.RED_FLAG, Level.EMERGENCY), concern
    for questionnaire in QUESTIONNAIRES:
        calm = [c for c in questionnaire.all_concern_ids if not questionnaire.concern(c).urgent]
        assert calm and {concern_level(questionnaire, c, pathway, TODAY) for c in calm} == {None}


@pytest.mark.parametrize(("pathway", "symptom_id", "expected", "rule"), [
    ("lung", "breathlessness", Level.RED_FLAG, "red_flag"),
    ("colorectal", "breathlessness", Level.RED_FLAG, "something_else_severe"),  # not on this pathway
    ("breast", "possible_sepsis", Level.EMERGENCY, "emergency"),
    (None, "possible_sepsis", Level.EMERGENCY, "emergency"),
    ("colorectal", "bowel_habit_change", Level.RED_FLAG, "watch_severe"),       # below its duration
    ("breast", "tiredness", Level.RED_FLAG, "watch_severe"),
    ("breast", None, Level.RED_FLAG, "something_else_severe"),
])
def test_a_linked_symptom_is_taken_as_severe_and_started_today(pathway, symptom_id, expected, rule):
    assessment = hna_concern_level(pathway, symptom_id, TODAY)
    assert (assessment.level, assessment.rule) == (expected, rule)


def test_every_published_link_names_a_concern_with_urgent_advice():
    by_version = {(q.key, q.version): q for q in QUESTIONNAIRES}
    for (key, version, concern), symptom in PUBLISHED_SYMPTOM_LINKS.items():
        questionnaire = by_version[(key, version)]
        assert questionnaire.concern(concern).urgent and linked_symptom(questionnaire, concern) == symptom
