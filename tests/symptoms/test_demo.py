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
        (entry,) = db.session.scalars(select(SymptomEntry)).all()
        assert (entry.patient_id, entry.symptom_id, entry.level) == (david.id, "tiredness", "watch")
        assert not db.session.scalars(select(QueueItem).where(QueueItem.source_key.startswith("symptoms:"))).all()
        david_user = david.user_id
    sign_in_as(client, david_user)
    assert "More tired in the afternoons" in page(client.get("/my-care/symptoms"))
