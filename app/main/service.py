"""What the patient's home page reads: its list of things to do and the cards below it, in as few
statements as it can (issue 12: a patient's page makes at most 6). Which rows are the person's is
each area's rule, from that area's service; this module only puts the reads together:

- one row per active surveillance test (one when there are none), each with the current care
  plan, the follow-up plan, the current treatment summary and the open symptom item, and whether
  each list that is usually empty has anything in it (new results, samples waiting, open
  requests to be seen, symptoms to act on today);
- the needs assessments, each sent one with its queue item;
- then each list the row says is not empty, and only those.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Date, Integer, bindparam, exists, select

from ..careplan import service as careplan
from ..careplan.models import CarePlan
from ..extensions import db
from ..followup import service as followup
from ..followup import summaries
from ..followup.models import EndOfTreatmentSummary, FollowUpPlan, SurveillanceTest
from ..hna import service as hna_service
from ..messages import service as messages
from ..models import PatientProfile
from ..reentry import service as reentry
from ..results import service as results
from ..symptoms import service as symptoms
from ..triage.models import QueueItem
from .things_to_do import ACT_TODAY_LEVELS, hna_reply


class CarePlanOnHome(NamedTuple):
    """What the home page shows of the current care plan (its card and its review's reminder)."""

    id: int
    created_at: datetime
    review_date: date | None


class SymptomItemOnHome(NamedTuple):
    """What the home page says about the open queue item from the symptom log."""

    id: int
    received_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class HomeRecords:
    draft: object
    sent: list  # newest first
    reply: dict | None  # about the newest sent one (things_to_do.hna_reply)
    tests: list  # active surveillance tests, soonest due first (followup.service.TestOnPage)
    care_plan: CarePlanOnHome | None
    has_follow_up_plan: bool
    has_summary: bool  # a current treatment summary
    symptom_item: SymptomItemOnHome | None  # the open queue item from the symptom log
    symptoms_today: list  # entries logged today at a level whose advice is to act today
    unread_results: list
    waiting_samples: list
    requests: list  # not closed
    unread_messages: int

    @property
    def last_sent(self):
        return self.sent[0] if self.sent else None


_CARE_PLAN_COLUMNS = (CarePlan.id.label("care_plan_id"), CarePlan.created_at.label("care_plan_created_at"),
                      CarePlan.review_date.label("care_plan_review_date"))
_SYMPTOM_ITEM_COLUMNS = (QueueItem.id.label("symptom_item_id"), QueueItem.received_at.label("symptom_item_received_at"),
                         QueueItem.due_at.label("symptom_item_due_at"))


@cache
def _home_row():
    """The one row's statement, built once per process with the person and the day as bound
    parameters: building it (four EXISTS, two aliased subqueries) cost more than running it, on
    every view of the home page. Plain columns, only those the page shows: loading the four
    records as ORM objects (the summary with all its text) cost more than the SQL."""
    pid, today = bindparam("patient_id", type_=Integer), bindparam("today", type_=Date)
    return (
        select(*_CARE_PLAN_COLUMNS, FollowUpPlan.id.label("follow_up_plan_id"),
               EndOfTreatmentSummary.id.label("summary_id"), *_SYMPTOM_ITEM_COLUMNS,
               exists().where(results.is_unread_result_of(pid)).label("any_unread_results"),
               exists().where(results.is_waiting_sample_of(pid)).label("any_waiting_samples"),
               exists().where(reentry.is_open_request_of(pid)).label("any_open_requests"),
               exists().where(symptoms.is_current_entry_of(pid, today, ACT_TODAY_LEVELS)).label("any_symptoms_today"),
               *followup.TEST_ON_PAGE_COLUMNS)
        .select_from(PatientProfile)
        .outerjoin(CarePlan, CarePlan.id == careplan.current_plan_id(pid))
        .outerjoin(FollowUpPlan, FollowUpPlan.patient_id == PatientProfile.id)
        .outerjoin(EndOfTreatmentSummary, summaries.is_current_summary_of(pid))
        .outerjoin(QueueItem, QueueItem.id == symptoms.open_symptom_item_id(pid))
        .outerjoin(SurveillanceTest, followup.is_active_test_of(PatientProfile.id))
        .where(PatientProfile.id == pid)
        .order_by(*followup.TESTS_ORDER)
    )


def home_records(profile: PatientProfile, today: date, unread_messages: int | None = None) -> HomeRecords:
    """Everything the home page shows about the person. `unread_messages`: the header's count,
    when the session's load has read it already (app/sessions.py)."""
    rows = db.session.execute(_home_row(), {"patient_id": profile.id, "today": today}).all()
    row, first_test_column = rows[0], len(rows[0]) - len(followup.TEST_ON_PAGE_COLUMNS)
    sent, draft, items = hna_service.sent_and_draft(profile)
    return HomeRecords(
        draft=draft, sent=sent, reply=hna_reply(sent[0], items.get(sent[0].id)) if sent else None,
        tests=[followup.TestOnPage(*each[first_test_column:]) for each in rows if each[first_test_column] is not None],
        care_plan=CarePlanOnHome(row.care_plan_id, row.care_plan_created_at, row.care_plan_review_date)
        if row.care_plan_id is not None else None,
        has_follow_up_plan=row.follow_up_plan_id is not None, has_summary=row.summary_id is not None,
        symptom_item=SymptomItemOnHome(row.symptom_item_id, row.symptom_item_received_at, row.symptom_item_due_at)
        if row.symptom_item_id is not None else None,
        symptoms_today=symptoms.history(profile, today, ACT_TODAY_LEVELS) if row.any_symptoms_today else [],
        unread_results=results.unread_results(profile) if row.any_unread_results else [],
        waiting_samples=results.waiting_samples(profile) if row.any_waiting_samples else [],
        requests=reentry.open_requests_of(profile) if row.any_open_requests else [],
        unread_messages=messages.unread_for_patient(profile) if unread_messages is None else unread_messages,
    )
