"""An admin moves a patient to another team: they choose the team, read what moves and what
stays, then confirm; the patient's live work goes with them (app/team_moves.py)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.careplan.models import CarePlan
from app.extensions import db
from app.hna import service as hna_service
from app.models import AuditEvent, PatientProfile, User
from app.triage import service as triage_service
from app.triage.models import Outcome, QueueItem
from app.triage.queue import ItemKind
from tests.admin.test_admin import shown_in_summary_and_beside_the_field
from tests.helpers import page, sign_in_as
from tests.triage.helpers import care_plan, item


def patient_with_work(app, actors) -> dict:
    """Ann Able (team A) with two open items, one resolved, a draft HNA and two plan versions."""
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        red_flag = item(actors.profile_a, ItemKind.RED_FLAG, reason="Possible urgent symptom")
        review = item(actors.profile_a, ItemKind.PLAN_REVIEW_OVERDUE)
        done = item(actors.profile_a)
        triage_service.resolve(done, Outcome.PHONED, None, db.session.get(User, actors.nurse_a), 1)
        draft = hna_service.start_or_resume(profile)
        care_plan(actors.profile_a, date(2026, 1, 1), is_current=False, version=1)
        current = care_plan(actors.profile_a, date(2027, 1, 1), version=2)
        db.session.commit()
        return {"open": [red_flag.id, review.id], "done": done.id, "draft": draft.id, "plan": current.id,
                "version": str(profile.version)}


def address(actors) -> str:
    return f"/admin/users/{actors.patient_a}/team"


@pytest.mark.hazard("HAZ-004")
def test_an_admin_sees_what_moves_then_moves_the_patient_and_their_live_work(app, admin, actors, new_client):
    work = patient_with_work(app, actors)
    body = page(admin.get(address(actors)))
    assert "They are looked after by Team A" in body and "Team B" in body
    import re
    assert re.findall(r'name="team_id" type="radio" value="(\d+)"', body) == [str(actors.team_b)]  # not their own

    # Choosing the team only shows what would move.
    body = page(admin.post_form(address(actors), {"team_id": str(actors.team_b), "version": work["version"]}))
    assert "Move from Team A to Team B?" in body
    for line in ("2 open queue items", "1 needs assessment not yet sent", "their current care plan (version 2)",
                 "1 resolved queue item", "0 sent needs assessments", "1 earlier care plan version",
                 "Nurse A is their key worker in Team A"):
        assert line in body, line
    with app.app_context():
        assert db.session.get(PatientProfile, actors.profile_a).team_id == actors.team_a

    response = admin.post_form(address(actors), {"team_id": str(actors.team_b), "version": work["version"],
                                                  "confirmed": "1"})
    assert response.status_code == 303 and response.location.endswith(f"/admin/users/{actors.patient_a}")
    assert "Ann Able moved from Team A to Team B." in page(admin.get(response.location))
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        assert (profile.team_id, profile.user.team_id, profile.key_worker_id) == (actors.team_b, actors.team_b, None)
        assert {db.session.get(QueueItem, i).team_id for i in work["open"]} == {actors.team_b}
        assert db.session.get(QueueItem, work["done"]).team_id == actors.team_a
        assert db.session.get(CarePlan, work["plan"]).team_id == actors.team_b
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.team_move"))
        assert (event.actor_id, event.patient_id, event.outcome) == (actors.admin, actors.profile_a, "success")
        assert event.detail["from_team"] == actors.team_a and event.detail["to_team"] == actors.team_b
        assert (event.detail["open_items"], event.detail["draft_hnas"], event.detail["care_plan_version"]) == (2, 1, 2)

    nurse_a, nurse_b = new_client(), new_client()
    sign_in_as(nurse_a, actors.nurse_a)
    sign_in_as(nurse_b, actors.nurse_b)
    assert nurse_a.get(f"/nurse/patients/{actors.profile_a}").status_code == 404
    assert nurse_b.get(f"/nurse/patients/{actors.profile_a}").status_code == 200
    assert "Possible urgent symptom" in nurse_b.get("/nurse/queue").get_data(as_text=True)


@pytest.mark.hazard("HAZ-005")
def test_a_move_confirmed_after_a_colleague_changed_the_record_is_shown_again_not_made(app, admin, actors):
    work = patient_with_work(app, actors)
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).phone = "07700 900 982"  # a nurse's edit
        db.session.commit()
    response = admin.post_form(address(actors), {"team_id": str(actors.team_b), "version": work["version"],
                                                 "confirmed": "1"})
    assert response.status_code == 409
    body = page(response)
    assert "Someone else changed this patient's record" in body and "Move from Team A to Team B?" in body
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        assert profile.team_id == actors.team_a
        assert f'name="version" value="{profile.version}"' in body  # confirming again works
        assert db.session.scalar(select(AuditEvent.outcome).where(AuditEvent.action == "patient.team_move")) == "conflict"


@pytest.mark.parametrize(
    ("team_id", "message"),
    [
        (None, "Choose the team to move them to"),
        ("own", "Choose the team to move them to"),
        ("999999", "Choose the team to move them to"),
        ("9" * 30, "Choose the team to move them to"),
        ("Team B", "Choose the team to move them to"),
    ],
)
def test_the_team_must_be_another_existing_one(app, admin, actors, team_id, message):
    data = {"version": "1"}
    if team_id is not None:
        data["team_id"] = str(actors.team_a) if team_id == "own" else team_id
    body = page(admin.post_form(address(actors), data))
    assert shown_in_summary_and_beside_the_field(body, "team_id", message)
    with app.app_context():
        assert db.session.get(PatientProfile, actors.profile_a).team_id == actors.team_a


def test_staff_are_not_moved_here(app, admin, actors):
    response = admin.post_form(f"/admin/users/{actors.nurse_a}/team", {"team_id": str(actors.team_b), "confirmed": "1"})
    assert response.status_code == 303
    assert "Only patients move between teams here" in page(admin.get(response.location))
    with app.app_context():
        assert db.session.get(User, actors.nurse_a).team_id == actors.team_a


def test_the_patients_admin_page_offers_the_move(admin, actors):
    assert f'href="/admin/users/{actors.patient_a}/team"' in admin.get(f"/admin/users/{actors.patient_a}").get_data(as_text=True)
    assert "/team\"" not in admin.get(f"/admin/users/{actors.nurse_a}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["nurse_a", "patient_a"])
def test_only_admins_move_patients(app, client, actors, who):
    sign_in_as(client, getattr(actors, who))
    assert client.get(address(actors)).status_code == 404
    assert client.post_form(address(actors), {"team_id": str(actors.team_b), "confirmed": "1"}).status_code == 404
    with app.app_context():
        assert db.session.get(PatientProfile, actors.profile_a).team_id == actors.team_a


def _raise_red_flag_elsewhere(app, profile_id: int, outcome: dict) -> None:
    """Another request (its own thread, app context and connection) raises a red flag for the
    patient and commits; `outcome` gets the item's id, or the error it failed with."""
    try:
        with app.app_context():
            profile = db.session.get(PatientProfile, profile_id)
            outcome["id"] = triage_service.raise_item(
                profile, ItemKind.RED_FLAG, "Possible urgent symptom", "test:raised-during-move").id
            db.session.commit()
    except Exception as error:  # noqa: BLE001 - a failed request is a defined answer; the test reports it
        outcome["error"] = error


def _waiting_for_a_lock(engine, timeout: float = 10.0) -> bool:
    """Whether another connection is waiting for a row lock (PostgreSQL; SQLite cannot say, so a
    short pause lets the other request reach its write, where it waits for the one writer)."""
    import time
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return True
    from sqlalchemy import text
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            if watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()")).scalar():
                return True
            watcher.rollback()
            time.sleep(0.02)
    return False


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize("when", ["before", "after"])
def test_an_item_raised_while_the_patient_is_moved_goes_to_the_new_team(app, actors, when):
    """The real move (move_patient, its listener) on one connection; a red flag raised by
    another request just before the move writes the patient's record (it commits first: the move
    must then take it along) or just after (it must wait for the move and go to the new team).
    Never an open item left with the old team, whose queue no longer shows the patient."""
    import threading

    from sqlalchemy import event

    from app import team_moves
    from app.models import Team

    with app.app_context():
        engine = db.engine
    mover = threading.get_ident()
    outcome: dict = {}
    others: list[threading.Thread] = []

    def raise_elsewhere(_connection, _cursor, statement, *_):
        if others or threading.get_ident() != mover or not statement.startswith("UPDATE patient_profiles"):
            return
        other = threading.Thread(target=_raise_red_flag_elsewhere, args=(app, actors.profile_a, outcome))
        others.append(other)
        other.start()
        if when == "before":
            other.join(30)  # nothing is locked yet: it commits with the team it found
            assert not other.is_alive() and "error" not in outcome, outcome
        else:
            assert _waiting_for_a_lock(engine), "the other request should wait for the move"

    event.listen(engine, "before_cursor_execute" if when == "before" else "after_cursor_execute", raise_elsewhere)
    try:
        with app.app_context():
            profile = db.session.get(PatientProfile, actors.profile_a)
            team_moves.move_patient(profile, db.session.get(Team, actors.team_b))
            db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute" if when == "before" else "after_cursor_execute", raise_elsewhere)
    (other,) = others
    other.join(30)
    assert not other.is_alive() and "error" not in outcome, outcome
    with app.app_context():
        raised = db.session.get(QueueItem, outcome["id"])
        assert raised.team_id == actors.team_b
        assert db.session.get(PatientProfile, actors.profile_a).team_id == actors.team_b
