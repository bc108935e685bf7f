"""The person's own home, care plan, follow-up and HNA question pages read them as their session read them
(`authz.signed_in_patient`: their columns, team and key worker as values, issue 12) and show
exactly what the same pages show from their tracked record (`authz.current_patient`), for a table
of people: with and without a key worker, a GP practice (with and without its phone), a team
phone and hours, a diagnosis date that brings the GP practice's review, a plan and follow-up or
none. Each view of the plan pages is audited against the person."""
from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app import authz
from app.careplan import routes as careplan_routes
from app.main import routes as main_routes
from app.extensions import db
from app.followup import routes as followup_routes
from app.hna import routes as hna_routes
from app.hna import service as hna_service
from app.followup.models import FollowUpPlan, FollowUpType, SurveillanceTest
from app.models import AuditEvent, PatientProfile, Team, User
from app.reminders.rules import GP_FIRST_PROMPT_MONTHS, add_months
from tests.careplan.helpers import make_plan



def _page_snapshot():
    """scripts/page_snapshot.py, whose `mask` hides what differs between two views of one page
    (the CSRF token, the nonce): loaded as tests/test_page_snapshot.py loads it."""
    if "page_snapshot" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "page_snapshot", Path(__file__).resolve().parent.parent / "scripts" / "page_snapshot.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["page_snapshot"]


page_snapshot = _page_snapshot()

# (path, the module whose view asks for the person, the audit of a view or None)
PAGES = [("/my-care", main_routes, None),
         ("/my-care/plan", careplan_routes, "careplan.patient_view"),
         ("/my-care/follow-up", followup_routes, "followup.view"),
         # A question whose concerns include emergencies: the advice is the person's pathway's.
         ("/hna/questions/domain-physical", hna_routes, None)]

# (key worker, GP practice name, GP phone, team phone, team hours, diagnosed (the GP practice's
# first review due now), with a plan and follow-up)
PEOPLE = [
    (True, "Riverside Surgery", "0161 496 0000", "0161 496 0123", "Mon to Fri, 9am to 5pm", True, True),
    (False, None, None, None, None, False, True),
    (True, "Hill & <Dale> Practice", None, None, "Weekdays", True, True),
    (False, "Riverside Surgery", "0161 496 0000", "0161 496 0123", None, False, False),
]


def _set_up(app, actors, today, key_worker, gp_name, gp_phone, team_phone, team_hours, diagnosed, with_plans) -> None:
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.key_worker_id = actors.nurse_a if key_worker else None
        profile.gp_practice_name, profile.gp_practice_phone = gp_name, gp_phone
        profile.diagnosed_on = add_months(today, -GP_FIRST_PROMPT_MONTHS) if diagnosed else None
        team = db.session.get(Team, actors.team_a)
        team.phone, team.hours = team_phone, team_hours
        db.session.commit()
        if with_plans:
            make_plan(profile, db.session.get(User, actors.nurse_a), summary="Feeling more settled.")
            db.session.add_all([
                FollowUpPlan(patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                             open_access_until=date(2030, 3, 14), updated_by_id=actors.nurse_a),
                SurveillanceTest(patient_id=profile.id, name="Mammogram", interval_months=12,
                                 next_due=date(2031, 1, 9), arranged_by="The breast unit"),
            ])
            db.session.commit()


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(("path", "routes", "action"), PAGES)
def test_the_page_from_the_session_values_is_the_page_from_the_record(app, patient, actors, monkeypatch, today,
                                                                     person, path, routes, action):
    _set_up(app, actors, today, *person)
    if path.startswith("/hna/"):
        with app.app_context():
            hna_service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
            db.session.commit()
    patient.get(path)  # a first look: the plan is marked seen, so both views below show the same
    made, tracked_in = [], authz.tracked_in
    monkeypatch.setattr(authz, "tracked_in", lambda session, model, *args: made.append(model) or tracked_in(
        session, model, *args))
    from_values = patient.get(path)
    assert from_values.status_code == 200 and made == []
    monkeypatch.setattr(routes, "signed_in_patient", authz.current_patient)
    from_record = patient.get(path)
    assert from_record.status_code == 200 and made  # the tracked record this time
    assert page_snapshot.mask(from_values.get_data(as_text=True)) == page_snapshot.mask(from_record.get_data(as_text=True))
    if path == "/my-care":
        diagnosed = person[5]
        assert ("Your GP practice: support after your diagnosis" in from_values.get_data(as_text=True)) is diagnosed
    if path.startswith("/hna/"):  # the pathway's words for an emergency, read from the values
        assert "You told us about something that can be an emergency" in from_values.get_data(as_text=True)
    if action is None:
        return
    with app.app_context():
        viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    assert len(viewed) == 3 and {event.patient_id for event in viewed} == {actors.profile_a}
    assert {event.actor_id for event in viewed} == {actors.patient_a}
