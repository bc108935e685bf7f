"""Follow-up queries the area's pages and other areas' pages use: a person's follow-up plan,
their surveillance tests, and the panels the nurse's patient page and the patient's home page
show (passed to the templates by those views, never fetched by the templates themselves)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile
from ..timeutil import london_today
from ..untrusted import id_or_none
from .models import FollowUpPlan, SurveillanceTest
from .pathway_content import PathwayContent, PathwayContentError, pathway_content
from .summaries import current_summary


def plan_of(profile: PatientProfile) -> FollowUpPlan | None:
    return db.session.scalar(select(FollowUpPlan).where(FollowUpPlan.patient_id == profile.id))


def tests_of(profile: PatientProfile, active: bool = True) -> list[SurveillanceTest]:
    return list(db.session.scalars(
        select(SurveillanceTest)
        .where(SurveillanceTest.patient_id == profile.id, SurveillanceTest.active.is_(active))
        .order_by(SurveillanceTest.next_due, SurveillanceTest.name, SurveillanceTest.id)
    ))


def test_of(profile: PatientProfile, test_id: int | None) -> SurveillanceTest | None:
    """The person's own surveillance test with this id, or None: someone else's test, no test,
    and an id the database cannot hold (a tampered form) are all no test of theirs."""
    if id_or_none(test_id) is None:
        return None
    test = db.session.get(SurveillanceTest, test_id)
    return test if test is not None and test.patient_id == profile.id else None


def stored_profile_version(profile: PatientProfile) -> int:
    """The person's details' version as stored now (after a rollback, for a conflict answer)."""
    return db.session.get(PatientProfile, profile.id).version


def content_for(profile: PatientProfile) -> PathwayContent | None:
    """The pathway content for the person's tumour pathway, or None for an unknown pathway."""
    try:
        return pathway_content(profile.tumour_pathway)
    except PathwayContentError:
        return None


def team_contact_lines(profile: PatientProfile) -> list[str]:
    """Who to contact, from the patient's record and their team's details, one per line."""
    team = profile.team
    lines = [", ".join(part for part in (f"Your cancer team: {team.name}", team.phone, team.hours) if part)]
    if profile.key_worker:
        lines.append(f"Your key worker: {profile.key_worker.display_name}")
    if team.out_of_hours_phone:
        lines.append(f"Out of hours: {team.out_of_hours_name or 'your 24-hour line'}, {team.out_of_hours_phone}")
    if profile.gp_practice_name:
        lines.append(f"Your GP practice: {profile.gp_practice_name}" + (f", {profile.gp_practice_phone}" if profile.gp_practice_phone else ""))
    return lines


def nurse_panel(profile: PatientProfile) -> dict:
    """What the nurse's patient page shows about follow-up."""
    return {"plan": plan_of(profile), "tests": tests_of(profile), "summary": current_summary(profile)}


def patient_cards(profile: PatientProfile) -> dict:
    """What the patient's home page shows about follow-up: only what exists."""
    tests = tests_of(profile)
    next_test = tests[0] if tests else None
    return {"plan": plan_of(profile), "next_test": next_test, "summary": current_summary(profile),
            "next_test_overdue": bool(next_test and next_test.next_due < london_today())}
