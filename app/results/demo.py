"""Demo data: David (prostate, supported self-management) has a PSA series after radiotherapy,
low and steady, then a rise waiting for the team's review (a red flag on the queue, and he is
marked as needing review). Recorded through the service, by the same rules as anyone's. Only
ever used with DEMO_MODE on (called from app.demo)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..followup.models import SurveillanceTest
from ..idempotency import new_form_token
from ..models import PatientProfile, Team, User
from ..timeutil import london_today
from . import service
from .models import TestResult

# (days before today it was taken, value in ng/mL, the team's comment)
SERIES = (
    (270, "0.9", "Your PSA has come down well after radiotherapy."),
    (180, "0.6", "Lower again, as we hoped. Nothing to do."),
    (90, "0.5", "Low and steady. Your next test is in 6 months."),
    (7, "1.4", None),  # a rise of 0.9 within 6 months: waiting for the team's review
)


def seed(team: Team, nurse: User, today: date | None = None) -> list[TestResult] | None:
    """David's PSA safe range and results, once (None when he has no PSA test in `team`, or
    already has results)."""
    today = today or london_today()
    test = db.session.scalar(
        select(SurveillanceTest).join(PatientProfile, PatientProfile.id == SurveillanceTest.patient_id)
        .where(PatientProfile.team_id == team.id, PatientProfile.given_name == "David",
               SurveillanceTest.name == "PSA blood test", SurveillanceTest.active.is_(True))
    )
    if test is None or service.results_of(test):
        return None
    david = test.patient
    service.save_rule(david, test, service.RuleEntry(unit="ng/mL", upper_limit=Decimal("4"),
                                                     rise_amount=Decimal("0.75"), rise_months=6), 0, nurse)
    recorded = []
    for days_ago, value, comment in SERIES:
        taken = today - timedelta(days=days_ago)
        entry = service.ResultEntry(value=Decimal(value), unit="ng/mL", taken_on=taken,
                                    resulted_on=taken + timedelta(days=3 if days_ago > 7 else 2), comment=comment)
        recorded.append(service.record_result(david, test, entry, nurse, new_form_token()))
    if not recorded[-1].abnormal or any(r.needs_review for r in recorded[:-1]):  # the demo must show what it says
        raise ValueError("David's demo PSA series does not end in one rise waiting for review")
    return recorded
