"""`flask symptoms sweep`: an entry whose level has risen with time goes to the team, once."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.symptoms.models import SymptomEntry
from app.triage.models import QueueItem
from app.triage.queue import ItemKind

from .helpers import log

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def sweep(runner) -> str:
    result = runner.invoke(args=["symptoms", "sweep"])
    assert result.exit_code == 0, result.output
    return result.output


def rows(app, model):
    with app.app_context():
        return list(db.session.scalars(select(model).order_by(model.id)))


@pytest.mark.hazard("HAZ-015")
def test_a_symptom_that_reaches_its_duration_is_raised_once(app, patient, runner, clock):
    clock(MONDAY)
    # New bone pain is a red flag once it has lasted 14 days: 13 days today.
    log(patient, symptom="bone_pain", severity="moderate", started=date(2026, 11, 24))
    assert "0 symptoms raised" in sweep(runner)
    assert rows(app, QueueItem) == []

    clock(MONDAY + timedelta(days=1))
    assert "1 symptom raised" in sweep(runner)
    (item,) = rows(app, QueueItem)
    assert item.kind is ItemKind.RED_FLAG and "New pain in your bones" in item.reason
    assert "raised by the daily check" in item.reason
    (entry,) = rows(app, SymptomEntry)
    assert (entry.level, entry.rule, entry.queue_item_id) == ("red_flag", "red_flag_duration", item.id)

    # Again the same day, and the next day: nothing new.
    assert "0 symptoms raised" in sweep(runner)
    clock(MONDAY + timedelta(days=2))
    assert "0 symptoms raised" in sweep(runner)
    assert len(rows(app, QueueItem)) == 1


def test_a_risen_symptom_joins_the_open_symptom_item(app, patient, runner, clock):
    clock(MONDAY)
    log(patient, symptom="new_lump")
    log(patient, symptom="bone_pain", started=date(2026, 11, 24))
    clock(MONDAY + timedelta(days=1))
    assert "1 symptom raised" in sweep(runner)
    (item,) = rows(app, QueueItem)
    assert "A new lump" in item.reason and "New pain in your bones" in item.reason


def test_removed_and_watch_symptoms_that_have_not_risen_are_left_alone(app, patient, runner, clock):
    clock(MONDAY)
    log(patient, symptom="bone_pain", started=date(2026, 11, 24))
    log(patient, symptom="tiredness", started=date(2026, 12, 6))
    bone_pain = rows(app, SymptomEntry)[0]
    assert patient.post_form(f"/my-care/symptoms/{bone_pain.id}/remove").status_code == 303
    clock(MONDAY + timedelta(days=1))
    assert "0 symptoms raised" in sweep(runner)
    assert rows(app, QueueItem) == []
