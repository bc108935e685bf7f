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

from flask import url_for
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from ..careplan import service as careplan
from ..careplan.models import CarePlan
from ..followup import service as followup
from ..followup import summaries
from ..main.urgent_line import team_urgent_line
from ..followup.models import EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
from ..extensions import generate_csrf_token
from ..models import PasskeyCredential, PatientProfile, User, UserSession
from ..pathways import pathway_name
from ..plain_rows import read_rows
from ..templating import personal
from ..timeutil import long_date


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


# ---------------------------------------------------------------- the page's fixed text, as shapes
#
# templates/nurse/_patient_page.html holds the page's two parts of fixed text (details and the
# needs assessment; contacts and signing in) as macros the components' memo renders once per
# shape (memoised_component): four summary lists of a person's values, each made by the design
# system's component and then walked by the memo for its key on every view, were a fifth of the
# page's Python calls (issue 12). What decides which text is shown is a plain flag here (in the
# memo's key, the same for everyone in that state); every value one person sees is personal(),
# formatted here once, and given only where the shape shows it (a value given but not shown would
# make the memo render the whole part every time). Nothing personal is ever kept.


def _own(text: str):
    """A person's value as the page shows it: personal, unless empty (an empty personal value
    would make the memo render the part directly; an empty text is the same for everyone)."""
    return personal(text) if text else text


def sign_in_words(sign_in: SignIn) -> str:
    """How the person signs in, as the page says it: "2 passkeys and a password"."""
    passkeys = sign_in.passkeys
    if not (passkeys or sign_in.has_password):
        return "No passkey or password set up yet"
    words = ((f"{passkeys} passkey" + ("" if passkeys == 1 else "s")) if passkeys else "") + (
        " and " if passkeys and sign_in.has_password else "") + ("a password" if sign_in.has_password else "")
    return words[:1].upper() + words[1:]


def patient_details_page(profile: PatientProfile, hna, pathway_point_labels: dict) -> dict:
    """`hna`: hna.service.needs_assessment_of the person (their draft and the last one sent)."""
    edit_url = url_for("nurse.edit_patient", patient_id=profile.id)
    key_worker = profile.key_worker
    draft, last_sent = hna.draft, hna.last_sent
    offered = bool(draft and draft.offered_by_id)
    page = {
        "nhs_number": _own(profile.nhs_number_display),
        "date_of_birth": _own(long_date(profile.date_of_birth)),
        "diagnosed_on": _own(long_date(profile.diagnosed_on, "Not recorded")),
        "pathway": _own(pathway_name(profile.tumour_pathway)),
        "phone": _own(profile.phone or "Not recorded"),
        "key_worker": _own(key_worker.display_name if key_worker else "None"),
        "edit_url": _own(edit_url),
        "full_name": _own(profile.full_name),
        "offered": offered,
        "draft": draft is not None,
        "last_sent": last_sent is not None,
    }
    if (draft is not None and not offered) or (draft is None and last_sent is None):
        # "... has started one but not sent it", "... has not filled one in yet": only then.
        page["given_name"] = _own(profile.given_name)
    if offered:
        page["offered_by"] = _own(draft.offered_by_name or "The team")
        page["offered_on"] = _own(long_date(draft.offered_at))
        page["pathway_point"] = (_own(pathway_point_labels[draft.pathway_point.value].lower())
                                 if draft.pathway_point else None)
        page["started"] = bool(draft.last_step)
    else:
        page["offer_url"] = _own(url_for("nurse.offer_hna", patient_id=profile.id))
    if last_sent is not None:
        page["last_sent_on"] = _own(long_date(last_sent.submitted_at))
        page["last_sent_url"] = _own(url_for("hna.team_view", hna_id=last_sent.id))
    return page


def patient_contacts_page(profile: PatientProfile, team, sign_in: SignIn) -> dict:
    """`team`: the person's team, whose contacts the person sees."""
    # The line as the patient's pages give it (HAZ-002: one rule, team_urgent_line, names it).
    line = team_urgent_line(team)
    out_of_hours = (f"{line.name}: {line.phone}" if line
                    else "Not recorded: patients are told to call 111, or 999 in an emergency")
    return {
        "edit_url": _own(url_for("nurse.edit_patient", patient_id=profile.id)),
        "gp_practice_name": _own(profile.gp_practice_name or "Not recorded"),
        "gp_practice_phone": _own(profile.gp_practice_phone or "Not recorded"),
        "gp_practice_address": _own(profile.gp_practice_address or "Not recorded"),
        "team_name": _own(team.name),
        "given_name": _own(profile.given_name),
        "team_phone": _own(team.phone or "Not recorded"),
        "team_hours": _own(team.hours or "Not recorded"),
        "team_email": _own(team.email or "Not recorded"),
        "out_of_hours": _own(out_of_hours),
        "sign_in": _own(sign_in_words(sign_in)),
        "last_signed_in": _own(long_date(sign_in.last_signed_in, "Never")),
        "reinvite_url": _own(url_for("nurse.reinvite", patient_id=profile.id)),
        "csrf_token": _own(generate_csrf_token()),
    }
