"""A PSA test with a safe range, for the results tests and the app-wide walks."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.followup.models import SurveillanceTest
from app.results.models import ResultRule, TestResult
from app.timeutil import london_today


def make_psa(profile_id: int, nurse_id: int) -> SurveillanceTest:
    """A self-managed person's PSA test: abnormal above 4 ng/mL, or a rise of 0.75 within 6 months."""
    test = SurveillanceTest(patient_id=profile_id, name="PSA blood test", interval_months=6,
                            next_due=london_today() + timedelta(days=30))
    db.session.add(test)
    db.session.flush()
    db.session.add(ResultRule(surveillance_test_id=test.id, patient_id=profile_id, unit="ng/mL",
                              upper_limit=4, rise_amount="0.75", rise_months=6, updated_by_id=nurse_id))
    db.session.commit()
    return test


def flagged_result(test: SurveillanceTest, nurse_id: int) -> TestResult:
    today = london_today()
    result = TestResult(surveillance_test_id=test.id, patient_id=test.patient_id, value=5, unit="ng/mL",
                        taken_on=today, resulted_on=today, abnormal=True, needs_review=True, recorded_by_id=nurse_id)
    db.session.add(result)
    db.session.commit()
    return result
