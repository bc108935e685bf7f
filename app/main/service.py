"""What the patient's home page reads: its list of things to do and the cards below it, in as few
statements as it can (issue 12: a patient's page makes at most 6). Which rows are the person's is
each area's rule, from that area's service; this module only puts the reads together:

- one row per active surveillance test (one when there are none), each with the current care
  plan, the follow-up plan, the current treatment summary, the open symptom item, the draft
  needs assessment and the last one sent (with its queue item), how many results are unread and
  the newest of them, the newest open request to be seen and how many there are, and whether
  each other list that is usually empty has anything in it (samples waiting, symptoms to act on
  today);
- then each list the row says is not empty, and only those (the open requests only when there
  are more than the one the row holds).

Plain values of the columns the page shows, never ORM objects: loading the assessments (their
answers' JSON) and the results as objects cost more than running the SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Date, Integer, bindparam, exists, func, select
from sqlalchemy.orm import aliased

from ..careplan import service as careplan
from ..careplan.models import CarePlan
from ..followup import service as followup
from ..followup import summaries
from ..followup.models import EndOfTreatmentSummary, FollowUpPlan, SurveillanceTest
from ..hna import service as hna_service
from ..hna.models import HNA
from ..messages import service as messages
from ..models import PatientProfile, PersonOnPage, User
from ..plain_rows import read_rows
from ..reentry import service as reentry
from ..reentry.models import ReentryRequest, RequestStatus
from ..results import service as results
from ..results.models import TestResult
from ..symptoms import service as symptoms
from ..triage.models import ItemStatus, QueueItem
from .things_to_do import ACT_TODAY_LEVELS, hna_reply

if TYPE_CHECKING:  # for annotations only: the domain rules need no Flask at run time
    from ..sessions import RecordValues


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


class DraftOnHome(NamedTuple):
    """What the home page says about the person's draft needs assessment."""

    id: int
    offered_by_id: int | None
    offered_by_name: str | None
    offered_at: datetime | None
    last_step: str | None
    created_at: datetime


class SentOnHome(NamedTuple):
    """What the home page says about the last needs assessment the person sent."""

    id: int
    submitted_at: datetime


class HnaItemOnHome(NamedTuple):
    """The last sent assessment's queue item: whether the team has dealt with it, by when they
    will, and who has taken it."""

    status: ItemStatus
    due_at: datetime
    assignee_name: str | None


class UnreadResults(NamedTuple):
    """Results with the team's comment the person has not read yet: how many, and the newest."""

    count: int
    newest_test_name: str
    newest_taken_on: date


class RequestOnHome(NamedTuple):
    """What the home page says about an open request to be seen (things_to_do.request_things and
    reentry's status words, which name the nurse who saw it)."""

    id: int
    status: RequestStatus
    created_at: datetime
    due_at: datetime
    appointment_at: datetime | None
    appointment_place: str | None
    seen_by: PersonOnPage | None


@dataclass(frozen=True)
class HomeRecords:
    draft: DraftOnHome | None
    last_sent: SentOnHome | None
    reply: dict | None  # about the last sent one (things_to_do.hna_reply)
    tests: list  # active surveillance tests, soonest due first (followup.service.TestOnPage)
    care_plan: CarePlanOnHome | None
    has_follow_up_plan: bool
    has_summary: bool  # a current treatment summary
    symptom_item: SymptomItemOnHome | None  # the open queue item from the symptom log
    symptoms_today: list  # entries logged today at a level whose advice is to act today
    unread_results: UnreadResults | None
    waiting_samples: list
    requests: list  # not closed
    unread_messages: int


_CARE_PLAN_COLUMNS = (CarePlan.id.label("care_plan_id"), CarePlan.created_at.label("care_plan_created_at"),
                      CarePlan.review_date.label("care_plan_review_date"))
_SYMPTOM_ITEM_COLUMNS = (QueueItem.id.label("symptom_item_id"), QueueItem.received_at.label("symptom_item_received_at"),
                         QueueItem.due_at.label("symptom_item_due_at"))
_DRAFT, _OFFERED_BY = aliased(HNA, name="draft"), aliased(User, name="offered_by")
_SENT, _SENT_ITEM, _ASSIGNEE = aliased(HNA, name="sent"), aliased(QueueItem, name="sent_item"), aliased(User, name="assignee")
_NEWEST_RESULT, _NEWEST_RESULT_TEST = aliased(TestResult, name="newest_result"), aliased(SurveillanceTest, name="newest_test")
_NEWEST_REQUEST, _REQUEST_SEEN_BY = aliased(ReentryRequest, name="newest_request"), aliased(User, name="request_seen_by")
# RequestOnHome's fields, its seen_by's name last (as _open_requests_statement reads them).
_REQUEST_COLUMNS = (_NEWEST_REQUEST.id, _NEWEST_REQUEST.status, _NEWEST_REQUEST.created_at, _NEWEST_REQUEST.due_at,
                    _NEWEST_REQUEST.appointment_at, _NEWEST_REQUEST.appointment_place, _REQUEST_SEEN_BY.display_name)
# The row starts with these, in this order (DraftOnHome's, SentOnHome's, HnaItemOnHome's fields).
_DRAFT_COLUMNS = (_DRAFT.id, _DRAFT.offered_by_id, _OFFERED_BY.display_name, _DRAFT.offered_at, _DRAFT.last_step,
                  _DRAFT.created_at)
_SENT_COLUMNS = (_SENT.id, _SENT.submitted_at)
_SENT_ITEM_COLUMNS = (_SENT_ITEM.status, _SENT_ITEM.due_at, _ASSIGNEE.display_name)
_DRAFT_PART = slice(0, len(_DRAFT_COLUMNS))
_SENT_PART = slice(_DRAFT_PART.stop, _DRAFT_PART.stop + len(_SENT_COLUMNS))
_SENT_ITEM_PART = slice(_SENT_PART.stop, _SENT_PART.stop + len(_SENT_ITEM_COLUMNS))
_REQUEST_PART = slice(_SENT_ITEM_PART.stop, _SENT_ITEM_PART.stop + len(_REQUEST_COLUMNS))


@cache
def _home_row():
    """The one row's statement, built once per process with the person and the day as bound
    parameters: building it (subqueries, a dozen joins) cost more than running it, on every view
    of the home page. Plain columns, only those the page shows."""
    pid, today = bindparam("patient_id", type_=Integer), bindparam("today", type_=Date)
    return (
        select(*_DRAFT_COLUMNS, *_SENT_COLUMNS, *_SENT_ITEM_COLUMNS, *_REQUEST_COLUMNS,
               *_CARE_PLAN_COLUMNS, FollowUpPlan.id.label("follow_up_plan_id"),
               EndOfTreatmentSummary.id.label("summary_id"), *_SYMPTOM_ITEM_COLUMNS,
               select(func.count()).where(results.is_unread_result_of(pid)).scalar_subquery().label("unread_results"),
               _NEWEST_RESULT_TEST.name.label("newest_result_test_name"),
               _NEWEST_RESULT.taken_on.label("newest_result_taken_on"),
               exists().where(results.is_waiting_sample_of(pid)).label("any_waiting_samples"),
               select(func.count()).where(reentry.is_open_request_of(pid)).scalar_subquery().label("open_requests"),
               exists().where(symptoms.is_current_entry_of(pid, today, ACT_TODAY_LEVELS)).label("any_symptoms_today"),
               *followup.TEST_ON_PAGE_COLUMNS)
        .select_from(PatientProfile)
        .outerjoin(CarePlan, CarePlan.id == careplan.current_plan_id(pid))
        .outerjoin(FollowUpPlan, FollowUpPlan.patient_id == PatientProfile.id)
        .outerjoin(EndOfTreatmentSummary, summaries.is_current_summary_of(pid))
        .outerjoin(QueueItem, QueueItem.id == symptoms.open_symptom_item_id(pid))
        .outerjoin(_NEWEST_RESULT, _NEWEST_RESULT.id == results.newest_unread_result_id(pid))
        .outerjoin(_NEWEST_RESULT_TEST, _NEWEST_RESULT_TEST.id == _NEWEST_RESULT.surveillance_test_id)
        .outerjoin(_DRAFT, _DRAFT.id == hna_service.current_draft_id(pid))
        .outerjoin(_OFFERED_BY, _OFFERED_BY.id == _DRAFT.offered_by_id)
        .outerjoin(_SENT, _SENT.id == hna_service.last_sent_id(pid))
        .outerjoin(_SENT_ITEM, hna_service.is_queue_item_of(_SENT_ITEM, _SENT.id))
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == _SENT_ITEM.assignee_id)
        .outerjoin(_NEWEST_REQUEST, _NEWEST_REQUEST.id == _newest_open_request_id(pid))
        .outerjoin(_REQUEST_SEEN_BY, _REQUEST_SEEN_BY.id == _NEWEST_REQUEST.seen_by_id)
        .outerjoin(SurveillanceTest, followup.is_active_test_of(PatientProfile.id))
        .where(PatientProfile.id == pid)
        .order_by(*followup.TESTS_ORDER)
    )


# The person's open requests (reentry's rule), newest first: the row holds the first.
_OPEN_REQUESTS_ORDER = (ReentryRequest.created_at.desc(), ReentryRequest.id.desc())


def _newest_open_request_id(patient_id):
    return (select(ReentryRequest.id).where(reentry.is_open_request_of(patient_id)).order_by(*_OPEN_REQUESTS_ORDER)
            .limit(1).scalar_subquery())


@cache
def _open_requests_statement():
    """The person's open requests, with the name of who saw each: plain values, built once with
    the person as a bound parameter."""
    seen_by = aliased(User, name="seen_by")
    return (select(ReentryRequest.id, ReentryRequest.status, ReentryRequest.created_at, ReentryRequest.due_at,
                   ReentryRequest.appointment_at, ReentryRequest.appointment_place, seen_by.display_name)
            .outerjoin(seen_by, seen_by.id == ReentryRequest.seen_by_id)
            .where(reentry.is_open_request_of(bindparam("patient_id", type_=Integer)))
            .order_by(*_OPEN_REQUESTS_ORDER))


def _request_on_home(values) -> RequestOnHome:
    return RequestOnHome(*values[:-1], PersonOnPage(values[-1]) if values[-1] is not None else None)


def _open_requests(profile: PatientProfile, row) -> list[RequestOnHome]:
    """Most people have none open, or one, which the row holds: the list is read only when there
    are more."""
    if not row.open_requests:
        return []
    if row.open_requests == 1:
        return [_request_on_home(row[_REQUEST_PART])]
    return [_request_on_home(each) for each in read_rows(_open_requests_statement(), {"patient_id": profile.id})]


def home_records(profile: PatientProfile | RecordValues, today: date, unread_messages: int | None = None) -> HomeRecords:
    """Everything the home page shows about the person (`profile`: their record, or their columns
    as read with the session, `authz.patient_columns`; its id is all that is read of it here).
    `unread_messages`: the header's count, when the session's load has read it already
    (app/sessions.py)."""
    rows = read_rows(_home_row(), {"patient_id": profile.id, "today": today}).all()
    row, first_test_column = rows[0], len(rows[0]) - len(followup.TEST_ON_PAGE_COLUMNS)
    last_sent = SentOnHome(*row[_SENT_PART]) if row[_SENT_PART.start] is not None else None
    reply = None
    if last_sent is not None:
        item = HnaItemOnHome(*row[_SENT_ITEM_PART]) if row[_SENT_ITEM_PART.start] is not None else None
        # With no queue item, the target the team's pages compute, from the assessment itself.
        reply = hna_reply(item, hna_service.reply_due(hna_service.hna_by_id(last_sent.id)) if item is None else None)
    return HomeRecords(
        draft=DraftOnHome(*row[_DRAFT_PART]) if row[_DRAFT_PART.start] is not None else None,
        last_sent=last_sent, reply=reply,
        tests=[followup.TestOnPage(*each[first_test_column:]) for each in rows if each[first_test_column] is not None],
        care_plan=CarePlanOnHome(row.care_plan_id, row.care_plan_created_at, row.care_plan_review_date)
        if row.care_plan_id is not None else None,
        has_follow_up_plan=row.follow_up_plan_id is not None, has_summary=row.summary_id is not None,
        symptom_item=SymptomItemOnHome(row.symptom_item_id, row.symptom_item_received_at, row.symptom_item_due_at)
        if row.symptom_item_id is not None else None,
        symptoms_today=symptoms.history(profile, today, ACT_TODAY_LEVELS) if row.any_symptoms_today else [],
        unread_results=UnreadResults(row.unread_results, row.newest_result_test_name, row.newest_result_taken_on)
        if row.unread_results else None,
        waiting_samples=results.waiting_samples(profile) if row.any_waiting_samples else [],
        requests=_open_requests(profile, row),
        unread_messages=messages.unread_for_patient(profile) if unread_messages is None else unread_messages,
    )
