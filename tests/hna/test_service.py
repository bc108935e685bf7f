"""The HNA journey rules, without HTTP."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.hna import service
from app.hna.models import HNA, HNAStatus
from app.models import PatientProfile


@pytest.fixture
def patient(app, actors):
    with app.app_context():
        yield db.session.get(PatientProfile, actors.profile_a)


def draft_for(patient):
    hna = service.start_or_resume(patient)
    db.session.commit()
    return hna, service.questionnaire_of(hna.questionnaire_version)


def test_the_journey_is_the_same_whatever_is_answered(patient):
    hna, q = draft_for(patient)
    before = service.journey(hna, q)
    service.apply_step(hna, q, "domain:physical", {"concerns": ["pain"], "scores": {"pain": 4}})
    assert service.journey(hna, q) == before
    assert before[:3] == ["point", "distress", "domain:physical"]
    assert before[-4:] == [f"matters:{m.id}" for m in q.what_matters]


def test_a_journey_offered_by_a_nurse_does_not_ask_the_point_of_pathway(patient, actors):
    from app.models import User

    hna = service.start_or_resume(patient, offered_by=db.session.get(User, actors.nurse_a))
    q = service.questionnaire_of(hna.questionnaire_version)
    assert "point" not in service.journey(hna, q)


def test_resume_goes_to_the_page_after_the_last_one_answered(patient):
    hna, q = draft_for(patient)
    assert service.resume_step(hna, q) == "point"
    service.apply_step(hna, q, "distress", {"distress": "3"})
    assert service.resume_step(hna, q) == "domain:physical"


@pytest.mark.parametrize(
    ("answers", "missing"),
    [
        ({}, ["point", "distress", "domain:physical"]),
    ],
)
def test_missing_lists_required_pages(patient, answers, missing):
    hna, q = draft_for(patient)
    assert service.missing(hna, q)[:3] == missing


def test_unscored_concern_makes_its_domain_missing(patient):
    hna, q = draft_for(patient)
    hna.answers = {"distress": 2, "concerns": {"pain": None}, "domains_none": [d.id for d in q.domains if d.id != "physical"]}
    hna.pathway_point = None
    assert "domain:physical" in service.missing(hna, q)


def test_invalid_answer_changes_nothing(patient):
    hna, q = draft_for(patient)
    service.apply_step(hna, q, "distress", {"distress": 5})
    result = service.apply_step(hna, q, "distress", {"distress": 50})
    assert not result.ok and hna.answers["distress"] == 5


def test_a_submitted_hna_cannot_be_changed(patient):
    hna, q = draft_for(patient)
    service.apply_step(hna, q, "point", {"pathway_point": "diagnosis"})
    service.apply_step(hna, q, "distress", {"distress": 1})
    for d in q.domains:
        service.apply_step(hna, q, f"domain:{d.id}", {"concerns": ["none"]})
    assert service.submit(hna, q) == []
    assert hna.status is HNAStatus.SUBMITTED and hna.high_priority is False
    with pytest.raises(service.AlreadySubmitted):
        service.apply_step(hna, q, "distress", {"distress": 9})


def test_only_one_draft_per_person_even_if_asked_twice(patient):
    first = service.start_or_resume(patient)
    db.session.commit()
    second = service.start_or_resume(patient)
    assert first.id == second.id
    assert len(db.session.scalars(select(HNA)).all()) == 1


def test_the_database_refuses_a_second_draft(patient):
    service.start_or_resume(patient)
    db.session.commit()
    version_id = service.latest_version().id
    db.session.add(HNA(patient_id=patient.id, team_id=patient.team_id, questionnaire_version_id=version_id, answers={}))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_publishing_the_same_version_twice_is_refused(patient):
    q = service.questionnaire_of(service.latest_version())
    with pytest.raises(ValueError):
        service.publish(q, None)
