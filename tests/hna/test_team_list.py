"""What the team receives: submitted HNAs in priority order, for their own team only."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.hna import service
from app.hna.models import HNA, HNAStatus
from app.models import AuditEvent, PatientProfile
from app.timeutil import utcnow
from tests.helpers import make_patient, sign_in_as


def submitted(patient, distress, high_scores=0, minutes_ago=0):
    version = service.latest_version()
    hna = HNA(
        patient_id=patient.id, team_id=patient.team_id, questionnaire_version_id=version.id,
        status=HNAStatus.SUBMITTED, answers={"distress": distress}, distress=distress,
        high_priority=distress >= 4, high_scoring_count=high_scores,
        submitted_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    db.session.add(hna)
    return hna


def test_list_puts_high_distress_first_then_distress_then_high_scores(app, client, actors):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        people = [make_patient(team, "P", f"Person{i}") for i in range(5)]
        db.session.flush()
        submitted(people[0], 2, minutes_ago=50)
        submitted(people[1], 4, minutes_ago=10)
        submitted(people[2], 9, minutes_ago=5)
        submitted(people[3], 2, high_scores=2, minutes_ago=1)
        submitted(people[4], 4, high_scores=1, minutes_ago=20)
        db.session.commit()
    sign_in_as(client, actors.nurse_a)
    html = client.get("/nurse/hnas").get_data(as_text=True)
    order = [html.index(f"P Person{i}") for i in (2, 4, 1, 3, 0)]
    assert order == sorted(order)
    assert html.count("High distress") == 3


def test_viewing_an_hna_is_audited(app, client, actors):
    with app.app_context():
        hna = submitted(db.session.get(PatientProfile, actors.profile_a), 5)
        db.session.commit()
        hna_id = hna.id
    sign_in_as(client, actors.nurse_a)
    assert client.get(f"/nurse/hnas/{hna_id}").status_code == 200
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="hna.view").one()
        assert event.actor_id == actors.nurse_a and event.patient_id == actors.profile_a


def test_drafts_are_not_shown_to_the_team(app, client, actors):
    with app.app_context():
        service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
        db.session.commit()
        draft_id = db.session.query(HNA.id).scalar()
    sign_in_as(client, actors.nurse_a)
    assert client.get(f"/nurse/hnas/{draft_id}").status_code == 404


def test_reply_due_counts_working_days_and_marks_overdue(app, client, actors):
    from datetime import datetime, timezone

    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        hna = submitted(patient, 8)
        # Thursday 24 December 2099, 10:00: Christmas Friday, Boxing Day moved to Monday 28,
        # so two working days end on Wednesday 30 December. (Far off, so never overdue.)
        hna.submitted_at = datetime(2099, 12, 24, 10, tzinfo=timezone.utc)
        old = submitted(db.session.get(PatientProfile, actors.profile_a2), 1)
        old.submitted_at = datetime(2020, 1, 6, 10, tzinfo=timezone.utc)
        db.session.commit()
    sign_in_as(client, actors.nurse_a)
    html = client.get("/nurse/hnas").get_data(as_text=True)
    assert "Wed 30 Dec, 17:00" in html
    assert html.count("Overdue") == 1
