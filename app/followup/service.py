"""Follow-up queries the area's pages and other areas' pages use: a person's follow-up plan,
their surveillance tests, and the panels the nurse's patient page and the patient's home page
show (passed to the templates by those views, never fetched by the templates themselves)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile
from ..timeutil import london_today
from .models import FollowUpPlan, SurveillanceTest
from .summaries import current_summary


def plan_of(profile: PatientProfile) -> FollowUpPlan | None:
    return db.session.scalar(select(FollowUpPlan).where(FollowUpPlan.patient_id == profile.id))


def tests_of(profile: PatientProfile, active: bool = True) -> list[SurveillanceTest]:
    return list(db.session.scalars(
        select(SurveillanceTest)
        .where(SurveillanceTest.patient_id == profile.id, SurveillanceTest.active.is_(active))
        .order_by(SurveillanceTest.next_due, SurveillanceTest.name, SurveillanceTest.id)
    ))


def nurse_panel(profile: PatientProfile) -> dict:
    """What the nurse's patient page shows about follow-up."""
    return {"plan": plan_of(profile), "tests": tests_of(profile), "summary": current_summary(profile)}


def patient_cards(profile: PatientProfile) -> dict:
    """What the patient's home page shows about follow-up: only what exists."""
    tests = tests_of(profile)
    next_test = tests[0] if tests else None
    return {"plan": plan_of(profile), "next_test": next_test, "summary": current_summary(profile),
            "next_test_overdue": bool(next_test and next_test.next_due < london_today())}
