"""The audit log: who read or changed what, and when; append-only; read by admins alone."""
from __future__ import annotations

import html
import re
from datetime import timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, update

from app.audit import audit
from app.extensions import db
from app.models import AuditEvent, AuditLogIsAppendOnly, Team
from app.timeutil import utcnow
from tests.helpers import make_patient, sign_in_as


@pytest.fixture
def event_id(app, actors) -> int:
    with app.app_context():
        event = audit("patient.view", patient=actors.profile_a, commit=True)
        return event.id


def latest(action: str) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


# ---------------------------------------------------------------- append-only


def test_an_event_cannot_be_changed(app, event_id):
    with app.app_context():
        db.session.get(AuditEvent, event_id).outcome = "refused"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id).outcome == "success"


def test_an_event_cannot_be_deleted(app, event_id):
    with app.app_context():
        db.session.delete(db.session.get(AuditEvent, event_id))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(outcome="refused"),
        delete(AuditEvent),
    ],
    ids=["bulk update", "bulk delete"],
)
def test_events_cannot_be_changed_or_deleted_in_bulk(app, event_id, statement):
    with app.app_context():
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_new_events_are_still_added(app, event_id):
    with app.app_context():
        audit("patient.view", commit=True)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


# ---------------------------------------------------------------- what an event records


def test_a_nurse_reading_a_record_is_recorded_with_who_and_when_in_utc(app, client, actors):
    sign_in_as(client, actors.nurse_a)
    before = utcnow()
    assert client.get(f"/nurse/patients/{actors.profile_a}").status_code == 200
    with app.app_context():
        event = latest("patient.view")
        assert (event.actor_id, event.patient_id, event.outcome) == (actors.nurse_a, actors.profile_a, "success")
        assert event.occurred_at.tzinfo == timezone.utc
        assert before - timedelta(seconds=1) <= event.occurred_at <= utcnow()
        assert event.path == f"/nurse/patients/{actors.profile_a}"
        assert event.ip == "127.0.0.1"


def test_an_event_can_name_a_patient_not_yet_saved(app, actors):
    with app.app_context():
        profile = make_patient(db.session.get(Team, actors.team_a), "Nia", "New")
        audit("patient.create", patient=profile)
        db.session.commit()
        assert profile.id is not None
        assert latest("patient.create").patient_id == profile.id


def test_any_detail_is_kept_even_one_called_action(app):
    with app.app_context():
        audit("audit.view", action="patient.", before=None, commit=True)
        assert latest("audit.view").detail == {"action": "patient.", "before": None}


# ---------------------------------------------------------------- reading the log


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("nurse_a", 404), ("patient_a", 404)])
def test_only_admins_can_read_the_log(client, actors, who, status):
    sign_in_as(client, getattr(actors, who))
    assert client.get("/admin/audit").status_code == status


def test_reading_the_log_is_itself_recorded(app, client, actors):
    sign_in_as(client, actors.admin)
    client.get("/admin/audit?action=patient.")
    with app.app_context():
        event = latest("audit.view")
        assert event.actor_id == actors.admin
        assert event.detail["action_filter"] == "patient."


def test_the_log_shows_who_did_what_to_whom(client, actors):
    sign_in_as(client, actors.nurse_a)
    client.get(f"/nurse/patients/{actors.profile_a}")
    sign_in_as(client, actors.admin)
    page = client.get("/admin/audit?action=patient.view").get_data(as_text=True)
    assert "Nurse A" in page and "Ann Able" in page and "patient.view" in page


def shown_events(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"event:(\d+)\b", page)]


def older_link(page: str) -> str | None:
    match = re.search(r'<a href="([^"]+)">Older events</a>', page)
    return html.unescape(match.group(1)) if match else None


def test_the_log_pages_back_in_time_without_gaps_or_repeats(app, client, actors):
    with app.app_context():
        for n in range(1, 231):
            audit("test.paging", subject=f"event:{n}")
        db.session.commit()
    sign_in_as(client, actors.admin)

    first = client.get("/admin/audit?action=test.").get_data(as_text=True)
    second = client.get(older_link(first)).get_data(as_text=True)
    third = client.get(older_link(second)).get_data(as_text=True)

    assert shown_events(first) == list(range(230, 130, -1))
    assert shown_events(second) == list(range(130, 30, -1))
    assert shown_events(third) == list(range(30, 0, -1))
    assert older_link(third) is None
    assert "action=test." in older_link(first)  # the filter is kept from page to page
