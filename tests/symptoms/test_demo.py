"""The demo: David has logged a watch symptom, through the same service as anyone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.demo import seed_demo
from app.extensions import db
from app.models import PatientProfile
from app.symptoms.models import SymptomEntry
from app.triage.models import QueueItem
from tests.helpers import page, sign_in_as


@pytest.fixture
def app_config(app_config) -> dict:
    return {**app_config, "DEMO_MODE": True}


def test_david_has_a_watch_symptom_once_and_no_queue_item_from_it(app, client):
    with app.app_context():
        seed_demo("http://localhost:5000")
        seed_demo("http://localhost:5000")
        david = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "David"))
        (entry,) = db.session.scalars(select(SymptomEntry).where(SymptomEntry.patient_id == david.id)).all()
        assert (entry.symptom_id, entry.level) == ("tiredness", "watch")
        assert not db.session.scalars(select(QueueItem).where(QueueItem.source_key.startswith("symptoms:"),
                                                              QueueItem.patient_id == david.id)).all()
        david_user = david.user_id
    sign_in_as(client, david_user)
    assert "More tired in the afternoons" in page(client.get("/my-care/symptoms"))


def test_margarets_red_flag_from_yesterday_is_one_item_listing_both_entries_and_the_correction(app, client, new_client):
    from app.models import Role, User

    with app.app_context():
        seed_demo("http://localhost:5000")
        seed_demo("http://localhost:5000")
        margaret = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "Margaret"))
        entries = db.session.scalars(select(SymptomEntry).where(SymptomEntry.patient_id == margaret.id)).all()
        assert len(entries) == 2 and all(e.level == "red_flag" for e in entries)
        (item,) = db.session.scalars(select(QueueItem).where(QueueItem.patient_id == margaret.id,
                                                            QueueItem.source_key.startswith("symptoms:"))).all()
        assert {e.queue_item_id for e in entries} == {item.id}
        nurse = db.session.scalar(select(User).where(User.role == Role.NURSE, User.team_id == margaret.team_id))
        nurse_id, margaret_user, item_id = nurse.id, margaret.user_id, item.id
    sign_in_as(client, nurse_id)
    shown = page(client.get(f"/nurse/queue/{item_id}"))
    assert "What Margaret reported (2 entries, newest first)" in shown
    assert "Still there this afternoon." in shown and "As sent before the correction" in shown
    her_phone = new_client()
    sign_in_as(her_phone, margaret_user)
    home = page(her_phone.get("/my-care"))
    assert "Your team has your symptom report" in home or "Call your team about your symptom" in home
