"""Follow-up queries the area's pages and other areas' pages use: a person's follow-up plan,
their surveillance tests, and the cards the patient's home page shows (passed to the templates by
the views, never fetched by the templates themselves)."""
from __future__ import annotations

from datetime import date
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, select

from ..audit import audit
from ..authz import patient_columns
from ..extensions import db
from ..models import PatientProfile, User
from ..plain_rows import read_rows
from ..sessions import SignedInPatient
from ..timeutil import london_today
from ..untrusted import id_or_none
from .models import FollowUpPlan, FollowUpType, SurveillanceTest
from .schedule import next_due_after_result
from .pathway_content import PathwayContent, PathwayContentError, pathway_content


def plan_of(profile: PatientProfile) -> FollowUpPlan | None:
    return db.session.scalar(_plan_statement(), {"patient_id": profile.id})


@cache
def _plan_statement():
    """Built once per process with the person as a bound parameter (issue 12)."""
    return select(FollowUpPlan).where(FollowUpPlan.patient_id == bindparam("patient_id", type_=Integer))


# The order a person's tests are listed in: the soonest due first.
TESTS_ORDER = (SurveillanceTest.next_due, SurveillanceTest.name, SurveillanceTest.id)


def tests_of(profile: PatientProfile, active: bool = True) -> list[SurveillanceTest]:
    return list(db.session.scalars(_tests_statement(active), {"patient_id": profile.id}))


@cache
def _tests_statement(active: bool):
    """Built once per process (per `active`) with the person as a bound parameter (issue 12):
    building a statement cost more than running it, on every home page."""
    return (select(SurveillanceTest)
            .where(SurveillanceTest.patient_id == bindparam("patient_id", type_=Integer),
                   SurveillanceTest.active.is_(active))
            .order_by(*TESTS_ORDER))


def is_active_test_of(patient_id):
    """The person's tests still scheduled (a stopped one is kept, with its results)."""
    return and_(SurveillanceTest.patient_id == patient_id, SurveillanceTest.active.is_(True))


class PlanOnPage(NamedTuple):
    """What the person's follow-up page shows of their plan."""

    id: int
    follow_up_type: FollowUpType
    open_access_until: date | None


class TestOnPage(NamedTuple):
    """What the person's follow-up page shows of each active test."""

    id: int
    name: str
    interval_months: int
    next_due: date
    arranged_by: str | None
    notes: str | None


_PLAN_COLUMNS = (FollowUpPlan.id, FollowUpPlan.follow_up_type, FollowUpPlan.open_access_until)
# A test as pages show it (TestOnPage), for a statement of another page that reads them too.
TEST_ON_PAGE_COLUMNS = (SurveillanceTest.id, SurveillanceTest.name, SurveillanceTest.interval_months,
                 SurveillanceTest.next_due, SurveillanceTest.arranged_by, SurveillanceTest.notes)


def plan_and_tests_of(profile: PatientProfile | SignedInPatient) -> tuple[PlanOnPage | None, list[TestOnPage]]:
    """`plan_of` and `tests_of` (the active ones, in the same order) in one statement, for the
    person's page that shows both, as plain values of the columns it shows: each active test is
    a row with the plan beside it (one row, with no test, when there are none)."""
    rows = read_rows(_plan_and_tests_statement(), {"patient_id": profile.id}).all()
    planned = len(_PLAN_COLUMNS)
    plan = PlanOnPage(*rows[0][:planned]) if rows and rows[0][0] is not None else None
    return plan, [TestOnPage(*row[planned:]) for row in rows if row[planned] is not None]


@cache
def _plan_and_tests_statement():
    """Built once per process with the person as a bound parameter (issue 12): building a
    statement cost more than running it, and loading ORM objects more than reading the values."""
    return (
        select(*_PLAN_COLUMNS, *TEST_ON_PAGE_COLUMNS).select_from(PatientProfile)
        .outerjoin(FollowUpPlan, FollowUpPlan.patient_id == PatientProfile.id)
        .outerjoin(SurveillanceTest, is_active_test_of(PatientProfile.id))
        .where(PatientProfile.id == bindparam("patient_id", type_=Integer))
        .order_by(*TESTS_ORDER)
    )


def test_of(profile: PatientProfile, test_id: int | None) -> SurveillanceTest | None:
    """The person's own surveillance test with this id, or None: someone else's test, no test,
    and an id the database cannot hold (a tampered form) are all no test of theirs."""
    if id_or_none(test_id) is None:
        return None
    test = db.session.get(SurveillanceTest, test_id)
    return test if test is not None and test.patient_id == profile.id else None


# The audit actions that change a surveillance test, for naming who changed it last (a
# colleague's page left open is told who, whether she edited it or a result moved it on).
TEST_CHANGES = ("followup.test_add", "followup.test_update", "followup.test_stop", "followup.test_restart",
                "followup.test_due_moved")


def move_due_after_result(test: SurveillanceTest, taken_on: date, by: User) -> bool:
    """A result taken on `taken_on` was recorded: move the test's next due date on
    (`schedule.next_due_after_result`), audited as `by`'s change to the test. True if it moved.
    The test's version changes with it, so a schedule page showing the old date is out of date.
    Flushes nothing; the caller's flush saves it."""
    due = next_due_after_result(test.next_due, test.interval_months, taken_on)
    if due == test.next_due:
        return False
    test.next_due = due
    # Dates of the schedule, not clinical free text.
    audit("followup.test_due_moved", patient=test.patient_id, subject=f"surveillance_test:{test.id}", actor=by,
          next_due=due.isoformat(), taken_on=taken_on.isoformat())
    return True


def stored_profile_version(profile: PatientProfile) -> int:
    """The person's details' version as stored now (after a rollback, for a conflict answer)."""
    return db.session.get(PatientProfile, profile.id).version


def content_for(profile: PatientProfile | SignedInPatient) -> PathwayContent | None:
    """The pathway content for the person's tumour pathway, or None for an unknown pathway: from
    their record, or from their values read with the session (`authz.signed_in_patient`)."""
    try:
        return pathway_content(patient_columns(profile).tumour_pathway)
    except PathwayContentError:
        return None


def team_contact_lines(profile: PatientProfile) -> list[str]:
    """Who to contact, from the patient's record and their team's details, one per line."""
    team = profile.team
    lines = [", ".join(part for part in (f"Your cancer team: {team.name}", team.phone, team.hours) if part)]
    if profile.key_worker:
        lines.append(f"Your key worker: {profile.key_worker.display_name}")
    # Named as the patient's pages name it (HAZ-002: one rule, team_urgent_line). Imported here:
    # app.main imports this module (through reentry) while it loads.
    from ..main.urgent_line import team_urgent_line

    if out_of_hours := team_urgent_line(team):
        lines.append(f"Out of hours: {out_of_hours.name_in_a_sentence}, {out_of_hours.phone}")
    if profile.gp_practice_name:
        lines.append(f"Your GP practice: {profile.gp_practice_name}" + (f", {profile.gp_practice_phone}" if profile.gp_practice_phone else ""))
    return lines


def patient_cards(tests: list[SurveillanceTest], has_plan: bool, has_summary: bool) -> dict:
    """What the patient's home page shows about follow-up: only what exists, from what the page
    read (the active tests, soonest due first; whether there is a plan and a current treatment
    summary)."""
    next_test = tests[0] if tests else None
    return {"plan": has_plan, "next_test": next_test, "summary": has_summary,
            "next_test_overdue": bool(next_test and next_test.next_due < london_today())}
