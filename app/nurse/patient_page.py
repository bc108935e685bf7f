"""What the nurse's page for one person reads besides the record itself, each in one statement
of plain values where the page shows plain values (issue 12).

The account's sign-in summary used to take three statements (the account, its passkeys, its
latest session); the needs assessment is read by the HNA area (hna.service.needs_assessment_of).
The sign-in summary, the current care plan (with who agreed it), the follow-up plan, the active
tests and the current treatment summary are one statement (`records_of`): five before, and a
lazy load of the plan's author while rendering. Which rows are the person's is each area's rule,
from that area's service, as on the patient's home page (app/main/service.py). Each statement is
built once per process with the person as a bound parameter (as the session's,
sessions._session_statement): building them cost about as much as running them.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from ..careplan import service as careplan
from ..careplan.models import CarePlan
from ..followup import service as followup
from ..followup import summaries
from ..followup.models import EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
from ..models import PasskeyCredential, PatientProfile, User, UserSession
from ..plain_rows import read_rows


class SignIn(NamedTuple):
    active: bool
    has_password: bool
    passkeys: int
    last_signed_in: datetime | None


class CarePlanOnPage(NamedTuple):
    version: int
    created_at: datetime
    created_by_name: str
    review_date: date | None


class FollowUpPlanOnPage(NamedTuple):
    follow_up_type: FollowUpType
    open_access_until: date | None


class SummaryOnPage(NamedTuple):
    version: int
    created_at: datetime


class PatientPageRecords(NamedTuple):
    sign_in: SignIn
    care_plan: CarePlanOnPage | None
    # plan (FollowUpPlanOnPage or None), tests (the active ones, soonest due first, as
    # followup.service.TestOnPage), summary (SummaryOnPage or None)
    follow_up: dict


_FIXED = ("active", "has_password", "passkeys", "last_signed_in", "plan_id", "plan_version", "plan_created_at",
          "plan_created_by", "plan_review_date", "follow_up_plan_id", "follow_up_type", "open_access_until",
          "summary_id", "summary_version", "summary_created_at")


def records_of(profile: PatientProfile) -> PatientPageRecords:
    """How the person signs in, their current care plan, follow-up plan, active tests and
    treatment summary: one row per active test, the rest beside each (one row when none)."""
    rows = read_rows(_records_statement(), {"patient_id": profile.id, "user_id": profile.user_id}).all()
    row = rows[0]
    fixed = len(_FIXED)
    return PatientPageRecords(
        sign_in=SignIn(bool(row.active), bool(row.has_password), row.passkeys, row.last_signed_in),
        care_plan=CarePlanOnPage(row.plan_version, row.plan_created_at, row.plan_created_by, row.plan_review_date)
        if row.plan_id is not None else None,
        follow_up={
            "plan": FollowUpPlanOnPage(row.follow_up_type, row.open_access_until)
            if row.follow_up_plan_id is not None else None,
            "tests": [followup.TestOnPage(*each[fixed:]) for each in rows if each[fixed] is not None],
            "summary": SummaryOnPage(row.summary_version, row.summary_created_at) if row.summary_id is not None else None,
        },
    )


@lru_cache(maxsize=1)
def _records_statement() -> Select:
    """From the person's account (the record itself is the page's own read)."""
    pid = bindparam("patient_id", type_=Integer)
    author = aliased(User)
    passkeys = select(func.count()).where(PasskeyCredential.user_id == User.id).scalar_subquery()
    last_session = select(func.max(UserSession.created_at)).where(UserSession.user_id == User.id).scalar_subquery()
    fixed = (User.active, User.password_hash.is_not(None), passkeys, last_session,
             CarePlan.id, CarePlan.version, CarePlan.created_at, author.display_name, CarePlan.review_date,
             FollowUpPlan.id, FollowUpPlan.follow_up_type, FollowUpPlan.open_access_until,
             EndOfTreatmentSummary.id, EndOfTreatmentSummary.version, EndOfTreatmentSummary.created_at)
    return (
        select(*(column.label(name) for column, name in zip(fixed, _FIXED, strict=True)), *followup.TEST_ON_PAGE_COLUMNS)
        .select_from(User)
        .outerjoin(CarePlan, CarePlan.id == careplan.current_plan_id(pid))
        .outerjoin(author, author.id == CarePlan.created_by_id)
        .outerjoin(FollowUpPlan, FollowUpPlan.patient_id == pid)
        .outerjoin(EndOfTreatmentSummary, summaries.is_current_summary_of(pid))
        .outerjoin(SurveillanceTest, followup.is_active_test_of(pid))
        .where(User.id == bindparam("user_id", type_=Integer))
        .order_by(*followup.TESTS_ORDER)
    )
