"""Demo re-entry: David's open request with a nurse's reply; Priya on clinician-led follow-up."""
from __future__ import annotations

from sqlalchemy import func, select

from app.demo import seed_demo
from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType
from app.messages import service as messages
from app.messages.models import Message
from app.models import PatientProfile
from app.reentry import demo as reentry_demo
from app.reentry.models import ReentryRequest, RequestStatus
from app.triage.models import ItemStatus, QueueItem


def test_david_has_an_open_request_with_a_nurses_reply_and_priya_is_clinician_led_once(app):
    with app.app_context():
        seed_demo("http://localhost:5000")
        team_patients = {p.given_name: p for p in db.session.scalars(select(PatientProfile))}
        david, priya = team_patients["David"], team_patients["Priya"]

        request = db.session.scalar(select(ReentryRequest))
        assert request.patient_id == david.id and request.status is RequestStatus.SEEN
        assert request.seen_by is not None
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"reentry:{request.id}"))
        assert item.status is ItemStatus.OPEN
        reply = db.session.scalar(select(Message))
        assert not reply.from_patient and "phone you tomorrow" in reply.body
        assert messages.unread_for_patient(david) == 1
        plan = db.session.scalar(select(FollowUpPlan).where(FollowUpPlan.patient_id == priya.id))
        assert plan.follow_up_type is FollowUpType.CLINICIAN_LED

        # Seeding again adds nothing.
        reentry_demo.seed(david.team, request.seen_by)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ReentryRequest)) == 1
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1
