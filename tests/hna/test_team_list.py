"""What the team receives: submitted HNAs in priority order, for their own team only."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

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


def test_the_teams_list_never_shows_drafts(app, client, actors):
    with app.app_context():
        draft = service.start_or_resume(db.session.get(PatientProfile, actors.profile_a2))
        draft.answers = {"distress": 9, "concerns": {"pain": 9}}
        sent = submitted(db.session.get(PatientProfile, actors.profile_a), 2)
        db.session.commit()
        draft_id, sent_id = draft.id, sent.id
    sign_in_as(client, actors.nurse_a)
    html = client.get("/nurse/hnas").get_data(as_text=True)
    assert f'href="/nurse/hnas/{sent_id}"' in html
    assert f'href="/nurse/hnas/{draft_id}"' not in html and "Arthur Ames" not in html


def test_hna_templates_show_dates_only_through_the_timeutil_filters():
    """No Linux-only strftime('%-d') and never a UTC time: the timeutil filters give London time."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    files = [*templates.joinpath("hna").glob("*.html"), templates / "main" / "patient_home.html",
             templates / "partials" / "emergency.html", templates / "partials" / "mental_health_crisis.html"]
    offenders = [str(f.relative_to(templates)) for f in files
                 if "strftime" in f.read_text(encoding="utf-8") or "astimezone" in f.read_text(encoding="utf-8")]
    assert offenders == []


@pytest.mark.hazard("HAZ-001")
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
    # Neither has a queue item, so the target is worked out from the HNA itself.
    assert "Wed 30 Dec, 5pm" in html
    assert len(re.findall(r">\s*Overdue\s*<", html)) == 1  # the tag; its words say by how much
    assert "Overdue by" in html


def _red_flag_hna(patient):
    """An HNA sent now with a possible emergency (a fever): the queue raises an emergency, the
    same-working-day target as a red flag."""
    from tests.careplan.helpers import submit_hna

    return submit_hna(patient, distress=2, scores={"fever": 8}, top=["fever"])


def test_the_list_and_the_hna_page_say_what_the_queue_says(app, client, actors):
    from sqlalchemy import select

    from app.timeutil import short_date_time
    from app.triage.models import QueueItem

    with app.app_context():
        hna = _red_flag_hna(db.session.get(PatientProfile, actors.profile_a))
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"hna:{hna.id}"))
        assert item.kind.value == "emergency"
        # The queue's target (the same working day), not the HNA's own 5 working days.
        hna_id, item_id, due = hna.id, item.id, short_date_time(item.due_at)
    sign_in_as(client, actors.nurse_a)
    for url in ("/nurse/hnas", f"/nurse/hnas/{hna_id}"):
        html = client.get(url).get_data(as_text=True)
        assert due in html, url
        assert f'href="/nurse/queue/{item_id}"' in html, url
        assert "Due by" in html or "Overdue" in html, url


def test_a_resolved_hna_says_who_did_what_and_when(app, client, actors):
    from sqlalchemy import select

    from app.models import User
    from app.timeutil import long_date, utcnow
    from app.triage import service as triage
    from app.triage.models import Outcome, QueueItem

    with app.app_context():
        hna = _red_flag_hna(db.session.get(PatientProfile, actors.profile_a))
        triage.resolve_by_source(f"hna:{hna.id}", Outcome.PHONED, None, by=db.session.get(User, actors.nurse_a))
        db.session.commit()
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"hna:{hna.id}"))
        hna_id, name, on = hna.id, item.resolved_by.display_name, long_date(utcnow())
    sign_in_as(client, actors.nurse_a)
    for url in ("/nurse/hnas", f"/nurse/hnas/{hna_id}"):
        html = client.get(url).get_data(as_text=True)
        assert f"Done: Phoned the patient by {name} on {on}" in html, url
        assert "Due by" not in html and "Overdue" not in html, url


def test_the_list_reads_every_queue_item_in_one_query(app, client, actors):
    from sqlalchemy import event

    with app.app_context():
        for profile in (actors.profile_a, actors.profile_a2):
            _red_flag_hna(db.session.get(PatientProfile, profile))
        engine = db.engine
    sign_in_as(client, actors.nurse_a)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/nurse/hnas").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if "FROM queue_items" in s]) == 1


@pytest.mark.hazard("HAZ-012")
def test_the_patient_is_given_the_same_reply_date_as_the_queue(app, actors):
    """A possible emergency: the patient's pages promise the emergency's same-day target,
    before sending (as if sent now) and after (the queue item's own due time)."""
    from sqlalchemy import select

    from app.hna import service
    from app.hna.service import reply_due
    from app.timeutil import utcnow
    from app.triage.models import QueueItem
    from app.triage.queue import ItemKind
    from app.triage.service import target_working_days
    from app.triage.working_days import response_deadline

    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        draft = service.start_or_resume(patient)
        draft.answers = {"distress": 2, "concerns": {"fever": 8}}
        expected = response_deadline(utcnow(), target_working_days(patient.team, ItemKind.EMERGENCY))
        assert reply_due(draft) == expected
        db.session.rollback()

        hna = _red_flag_hna(patient)
        item = db.session.scalar(select(QueueItem).where(QueueItem.hna_id == hna.id))
        assert reply_due(hna) == item.due_at
