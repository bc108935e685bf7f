"""The demo's reminders: David's history is on his nurse's page, and nothing seeded is sent again."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from datetime import datetime, time, timedelta

from app import timeutil
from app.demo import seed_demo
from app.extensions import db
from app.models import PatientProfile, User
from app.reminders import service
from app.reminders.models import ReminderClaim
from app.timeutil import utcnow
from tests.helpers import page


@pytest.fixture
def app_config(app_config) -> dict:
    return {**app_config, "DEMO_MODE": True}


@pytest.fixture
def david(app) -> PatientProfile:
    with app.app_context():
        seed_demo("http://localhost:5000")
        db.session.commit()
        profile = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "David"))
        db.session.expunge(profile)
        return profile


def test_davids_reminders_are_on_his_nurses_page(app, client, david):
    with app.app_context():
        claims = list(db.session.scalars(select(ReminderClaim).where(ReminderClaim.user_id == david.user_id)))
        sam = db.session.scalar(select(User).where(User.display_name == "Sam Taylor"))
    assert {claim.about for claim in claims} >= {"team_reply", "gp_review_first", "gp_review_review"}
    assert {claim.outcome for claim in claims} == {"sent", "no_devices"}

    client.post_form("/demo/sign-in", {"user_id": sam.id})
    body = page(client.get(f"/nurse/patients/{david.id}"))
    assert "Reminders" in body and "Reply from the team" in body and "Sent" in body
    assert "GP Cancer Care Review due (12 months after diagnosis)" in body
    assert "Not sent: no phone set up for notifications" in body


def test_seeding_at_night_sends_nothing_live(app, monkeypatch):
    """Seeding at 11pm (everyone's quiet hours) gives the same history as by day: the news the
    seed makes (a care plan agreed, a reply) is recorded by the demo, never sent live and held
    for the morning (CI at night found a held reminder the daytime runs never saw)."""
    real_now = timeutil.utcnow()
    night = datetime.combine(real_now.astimezone(timeutil.LONDON).date(), time(23), tzinfo=timeutil.LONDON)
    if night < real_now:
        night += timedelta(days=1)
    monkeypatch.setattr(timeutil, "utcnow", lambda: night)
    with app.app_context():
        seed_demo("http://localhost:5000")
        db.session.commit()
        david = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "David"))
        held = db.session.scalars(select(ReminderClaim.about).where(ReminderClaim.user_id == david.user_id,
                                                                    ReminderClaim.outcome.is_(None))).all()
    assert held == []


def test_the_scheduler_sends_none_of_the_seeded_reminders_again(app, david):
    with app.app_context():
        handed_on = []
        service.find_due(utcnow(), handed_on.append)
    assert [reminder for reminder in handed_on if reminder.user_id == david.user_id] == []


def test_seeding_again_adds_no_reminders(app, david):
    with app.app_context():
        before = db.session.scalar(select(db.func.count(ReminderClaim.id)))
        seed_demo("http://localhost:5000")
        db.session.commit()
        assert db.session.scalar(select(db.func.count(ReminderClaim.id))) == before
