"""What the person reads around sending: the check page names the questions still to answer in
their own words, sent assessments can be told apart, and home shows the sent one's status."""
from __future__ import annotations

from datetime import datetime, timezone

from app.extensions import db
from app.hna import service
from app.hna.models import HNAStatus, PathwayPoint
from app.models import PatientProfile
from app.timeutil import utcnow
from app.triage.models import ItemStatus, QueueItem
from tests.helpers import page


def test_check_before_answering_names_each_question_never_a_step(patient):
    patient.post_form("/hna/start")
    body = page(patient.get("/hna/check"))
    assert "Answer: Where are you in your treatment?" in body
    assert 'href="/hna/questions/point?return=check"' in body
    assert "Answer this question" not in body and "Answer: point" not in body
    assert "Answer: Which of these physical" in body
    assert "Answer: physical" not in body and "Answer: domain" not in body


def test_every_step_has_its_question_words(app, actors):
    with app.app_context():
        draft = service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
        questionnaire = service.questionnaire_of(draft.questionnaire_version)
        for step in service.journey(draft, questionnaire):
            words = service.step_question(questionnaire, step)
            assert words.endswith("?") or len(words.split()) > 3, (step, words)
            assert ":" not in words and "_" not in words, (step, words)


def send(app, actors, at: datetime, point: PathwayPoint) -> int:
    with app.app_context():
        hna = service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
        hna.answers, hna.pathway_point = {"distress": 2}, point
        hna.status, hna.submitted_at = HNAStatus.SUBMITTED, at
        db.session.commit()
        return hna.id


def test_two_assessments_sent_the_same_day_read_differently(app, patient, actors):
    first = send(app, actors, datetime(2026, 12, 2, 9, 5, tzinfo=timezone.utc), PathwayPoint.START_OF_TREATMENT)
    send(app, actors, datetime(2026, 12, 2, 16, 40, tzinfo=timezone.utc), PathwayPoint.DURING_TREATMENT)
    body = page(patient.get("/hna"))
    assert "Sent on 2 December 2026 at 9:05am – Starting treatment" in body
    assert "Sent on 2 December 2026 at 4:40pm – During treatment" in body
    sent = page(patient.get(f"/hna/{first}"))
    assert "Your assessment, sent 2 December 2026 at 9:05am" in sent
    assert "Where you were in your treatment: Starting treatment" in sent


def test_straight_after_sending_home_shows_its_status_not_an_invitation(app, patient, actors):
    hna_id = send(app, actors, utcnow(), PathwayPoint.DURING_TREATMENT)
    body = page(patient.get("/my-care"))
    assert "Start a new assessment" not in body and "Tell your care team how you have been feeling" not in body
    assert ">Sent</strong>" in body and "has your answers and will contact you by" in body
    with app.app_context():
        db.session.add(QueueItem(team_id=actors.team_a, patient_id=actors.profile_a, kind="hna_new", reason="New",
                                 source_key=f"hna:{hna_id}", hna_id=hna_id, due_at=utcnow(),
                                 status=ItemStatus.RESOLVED, resolved_at=utcnow()))
        db.session.commit()
    # Once the team has dealt with it, the person may start another.
    assert "Start a new assessment" in page(patient.get("/my-care"))
