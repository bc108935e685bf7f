"""bench/generate.py: the volume generator writes records the app itself reads back, in the
shape the services leave behind (the flat-with-volume bench is only as true as its data)."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.followup.models import FollowUpPlan
from app.hna.models import HNA, HNAStatus
from app.models import PatientProfile
from app.symptoms.models import SymptomEntry
from app.symptoms.rules import Level
from app.triage.models import QueueItem
from app.triage.queue import KIND_RANK, ItemKind
from bench.generate import HNAS_PER_PATIENT, SYMPTOMS_PER_PATIENT, generate
from tests.helpers import sign_in_as


@pytest.fixture(autouse=True)
def no_statistics_left_behind(app):
    """generate() ends with ANALYZE, as a real volume needs. SQLite keeps the statistics in the
    database (sqlite_stat1), which the tests share: the statistics of a few rows steered every
    later test's query planner to read small tables end to end (tests/test_query_plans.py failed
    after this file in the whole suite). They are dropped, and the pooled connections that had
    read them closed."""
    yield
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.rollback()
            for table in ("sqlite_stat1", "sqlite_stat4"):
                if db.session.execute(text("SELECT 1 FROM sqlite_schema WHERE name = :t"), {"t": table}).first():
                    db.session.execute(text(f"DELETE FROM {table}"))
            db.session.commit()
            db.engine.dispose()


def test_every_person_gets_their_share_and_every_urgent_record_its_queue_item(app):
    with app.app_context():
        made = generate(patients=30, teams=3)
        profiles = db.session.scalars(select(PatientProfile)).all()
        assert len(profiles) == 30 and {p.team_id for p in profiles} == set(made.teams)
        assert set(Counter(h.patient_id for h in db.session.scalars(select(HNA))).values()) == {HNAS_PER_PATIENT}
        entries = db.session.scalars(select(SymptomEntry)).all()
        assert set(Counter(e.patient_id for e in entries).values()) == {SYMPTOMS_PER_PATIENT}
        assert db.session.scalar(select(func.count()).select_from(FollowUpPlan)) == 30

        items = {i.source_key: i for i in db.session.scalars(select(QueueItem))}
        for hna in db.session.scalars(select(HNA)):
            assert (f"hna:{hna.id}" in items) is (hna.status is HNAStatus.SUBMITTED)
        for entry in entries:
            item = db.session.get(QueueItem, entry.queue_item_id) if entry.queue_item_id else None
            if Level(entry.level) is Level.WATCH:
                assert item is None
            else:
                assert item.patient_id == entry.patient_id and item.kind in (ItemKind.RED_FLAG, ItemKind.EMERGENCY)
        assert all(i.rank == KIND_RANK[i.kind] and i.team_id == i.patient.team_id for i in items.values())


def test_the_app_carries_on_adding_rows_after_the_generated_ones(app):
    """Ids are given in bulk; PostgreSQL's sequences must have been moved past them."""
    with app.app_context():
        generate(patients=3, teams=1)
        first = db.session.scalar(select(PatientProfile).order_by(PatientProfile.id))
        highest = db.session.scalar(select(func.max(QueueItem.id)))
        item = QueueItem(team_id=first.team_id, patient_id=first.id, kind=ItemKind.REENTRY, reason="Asked to be seen",
                         source_key="reentry:test", due_at=first.created_at)
        db.session.add(item)
        db.session.commit()
        assert item.id > highest


def test_a_generated_person_can_open_their_pages(app, client):
    with app.app_context():
        generate(patients=4, teams=2)
        person = db.session.scalar(select(PatientProfile).order_by(PatientProfile.id))
        user_id = person.user_id
    sign_in_as(client, user_id)
    for path in ("/my-care", "/my-care/follow-up", "/my-care/symptoms", "/my-care/results"):
        assert client.get(path).status_code == 200, path
