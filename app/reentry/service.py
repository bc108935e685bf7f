"""Re-entry requests: who may ask, making a request once, and the team moving it on.

Routes make no queries: they call these functions. The rules (`access_for`, `next_statuses`)
are plain functions over plain data, tested by tables of cases.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Integer, and_, bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import versioning
from ..audit import audit
from ..authz import own_patient_record, patient_record_for_staff
from ..extensions import db
from ..followup.models import FollowUpPlan, FollowUpType
from ..followup.service import plan_of
from ..idempotency import Once, add_once
from ..models import PatientProfile, User
from ..symptoms import service as symptoms
from ..timeutil import utcnow
from ..triage import service as triage
from ..triage.models import Outcome, QueueItem
from ..triage.queue import ItemKind, in_a_line
from .models import ContactMethod, ContactTime, ReentryRequest, ReentryStatusChange, RequestStatus


# ---------------------------------------------------------------- who may ask


class Access(enum.Enum):
    OPEN = "open"                    # self-managed, within the open-access period
    ENDED = "ended"                  # self-managed, the open-access period is over
    CLINICIAN_LED = "clinician_led"  # the team arranges check-ups: contact them as agreed
    NO_PLAN = "no_plan"              # no follow-up plan recorded (yet)


def access_for(follow_up_type: FollowUpType | None, open_access_until: date | None, today: date) -> Access:
    """Whether the person can ask to be seen through the app today. Open access lasts to the end
    of its last day; a self-managed plan with no end date recorded is not open (the team has not
    agreed a period, so nobody is promised a reply that the app cannot stand behind)."""
    if follow_up_type is None:
        return Access.NO_PLAN
    if follow_up_type is FollowUpType.CLINICIAN_LED:
        return Access.CLINICIAN_LED
    if open_access_until is None or today > open_access_until:
        return Access.ENDED
    return Access.OPEN


def access_of(profile: PatientProfile, today: date) -> tuple[Access, FollowUpPlan | None]:
    plan = plan_of(profile)
    return access_for(plan.follow_up_type if plan else None, plan.open_access_until if plan else None, today), plan


# ---------------------------------------------------------------- the status rule


# Where a request can go from each status. Every step may be skipped (a nurse may book an
# appointment straight away), none goes back, and a closed request stays closed.
_ORDER = (RequestStatus.SENT, RequestStatus.SEEN, RequestStatus.WILL_CALL,
          RequestStatus.APPOINTMENT_BOOKED, RequestStatus.CLOSED)


def next_statuses(current: RequestStatus) -> tuple[RequestStatus, ...]:
    if current is RequestStatus.CLOSED:
        return ()
    return _ORDER[_ORDER.index(current) + 1:]


# The outcomes a nurse closes a request with, as the person reads them.
OUTCOME_LABELS_FOR_PATIENT = {
    Outcome.ADVICE_GIVEN: "A nurse gave you advice",
    Outcome.PHONED: "A nurse spoke to you on the phone",
    Outcome.APPOINTMENT_BOOKED: "You had an appointment with your team",
    Outcome.TEST_ARRANGED: "Your team arranged a test",
    Outcome.REFERRED: "Your team referred you to another service",
    Outcome.NO_ACTION_NEEDED: "Your team found nothing more needed doing",
    Outcome.CARE_PLAN_AGREED: "You agreed a care plan with your team",
}
CLOSING_OUTCOMES = tuple(OUTCOME_LABELS_FOR_PATIENT)


# ---------------------------------------------------------------- reaching a request


def own_request(request_id: int) -> ReentryRequest:
    """One of the signed-in patient's own requests, or 404 (audited), with what its page shows:
    the symptoms attached, its history with who made each change, and who saw it, in the same
    statement (each was a lazy load while rendering, one more per nurse named)."""
    return own_patient_record(ReentryRequest, request_id, "reentry.access_refused", "reentry",
                              options=_REQUEST_PAGE)


_REQUEST_PAGE = (joinedload(ReentryRequest.symptoms), joinedload(ReentryRequest.changes).joinedload(ReentryStatusChange.changed_by),
                 joinedload(ReentryRequest.seen_by))


def request_for_staff(patient_id: int, request_id: int) -> tuple[PatientProfile, ReentryRequest]:
    """The patient (of the member of staff's team) and their request, or 404 (audited)."""
    return patient_record_for_staff(patient_id, ReentryRequest, request_id, "reentry.access_refused", "reentry")


def is_open_request_of(patient_id: int):
    """The person's requests not closed yet."""
    return and_(ReentryRequest.patient_id == patient_id, ReentryRequest.status != RequestStatus.CLOSED)


def requests_of(profile: PatientProfile) -> list[ReentryRequest]:
    """The person's requests, newest first, each with who saw it (its status names them)."""
    return list(db.session.scalars(_requests_statement(), {"patient_id": profile.id}))


@cache
def _requests_statement():
    """Built once per process with the person as a bound parameter (issue 12): building a
    statement cost more than running it. Who saw each request is read with it: the status words
    name them (a lazy load per nurse while rendering). (The home page's open ones: app/main.)"""
    return (select(ReentryRequest)
            .where(ReentryRequest.patient_id == bindparam("patient_id", type_=Integer))
            .options(joinedload(ReentryRequest.seen_by))
            .order_by(ReentryRequest.created_at.desc(), ReentryRequest.id.desc()))


def request_for_queue_item(item: QueueItem) -> ReentryRequest | None:
    """The request a re-entry queue item was raised for (its source key is `reentry:<id>`)."""
    prefix, _, number = (item.source_key or "").partition(":")
    if prefix != "reentry" or not number.isdigit():
        return None
    request = db.session.get(ReentryRequest, int(number))
    return request if request is not None and request.patient_id == item.patient_id else None


# ---------------------------------------------------------------- asking to be seen


@dataclass(frozen=True)
class Asked:
    status: Once
    request: ReentryRequest | None


def attachable_symptoms(profile: PatientProfile) -> list:
    """The person's own current symptom log entries, newest first: what they may attach."""
    return symptoms.history(profile)


def ask(profile: PatientProfile, by: User, token: str | None, worry: str, contact_method: ContactMethod,
        contact_time: ContactTime, contact_phone: str | None, symptom_entries: list = ()) -> Asked:
    """Make the request and its queue item, once per form (a retry or a double tap answers with
    the request the first one made). The caller checks access first and commits."""
    content = {"patient": profile.id, "worry": worry, "method": contact_method.value,
               "time": contact_time.value, "phone": contact_phone,
               "symptoms": sorted(entry.id for entry in symptom_entries)}

    def make() -> dict:
        now = utcnow()
        request = ReentryRequest(patient_id=profile.id, worry=worry, contact_method=contact_method,
                                 contact_time=contact_time, contact_phone=contact_phone,
                                 status=RequestStatus.SENT, created_at=now, due_at=now,
                                 symptoms=[e for e in symptom_entries if e.patient_id == profile.id])
        db.session.add(request)
        db.session.flush()
        # One deadline, the queue's: the date the person is given is the one the team works to.
        item = triage.raise_item(profile, ItemKind.REENTRY, f"Asked to be seen: {in_a_line(worry, 200)}",
                                 f"reentry:{request.id}", received_at=now)
        request.due_at = item.due_at
        request.changes.append(ReentryStatusChange(status=RequestStatus.SENT, changed_at=now, changed_by_id=by.id))
        db.session.flush()
        audit("reentry.create", patient=profile, subject=f"reentry:{request.id}", actor=by,
              contact_method=contact_method.value, queue_item=item.id, symptoms=len(request.symptoms))
        return {"reentry_request_id": request.id}

    once = add_once(by.id, "reentry.ask", token, content, make)
    request = db.session.get(ReentryRequest, once.made["reentry_request_id"]) if once.made else None
    return Asked(once.status, request)


# ---------------------------------------------------------------- the team moves it on


@dataclass(frozen=True)
class Change:
    status: RequestStatus
    appointment_at: datetime | None = None
    appointment_place: str | None = None
    outcome: Outcome | None = None
    outcome_note: str | None = None


class ReentryError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestChanged(ReentryError):
    """A colleague changed the request since the nurse's page showed it: nothing was saved."""

    def __init__(self, changed_by: User | None) -> None:
        super().__init__(versioning.conflict_message(
            changed_by, "this request", "Check where it stands now, then choose again if it is still needed.",
            did="updated"))


class AlreadyChanged(ReentryError):
    """The nurse's own change sent twice (a double click or a retry): already saved."""

    def __init__(self) -> None:
        super().__init__("Already saved.")


STATUS_CHANGE = "reentry.status"


def _is_as_asked(request: ReentryRequest, change: Change) -> bool:
    if request.status is not change.status:
        return False
    if change.status is RequestStatus.APPOINTMENT_BOOKED:
        return (request.appointment_at, request.appointment_place) == (change.appointment_at, change.appointment_place)
    if change.status is RequestStatus.CLOSED:
        return (request.outcome, request.outcome_note) == (change.outcome, change.outcome_note)
    return True


def _stale(request_id: int, shown: int | None, by: User, change: Change) -> ReentryError:
    db.session.rollback()
    request = db.session.get(ReentryRequest, request_id, populate_existing=True)
    changed_by = versioning.last_changed_by(f"reentry:{request.id}", (STATUS_CHANGE,), patient_id=request.patient_id)
    if versioning.is_own_retry(stored_version=request.version, shown_version=shown,
                               changed_by_id=changed_by.id if changed_by else None, by_id=by.id,
                               same_content=lambda: _is_as_asked(request, change)):
        return AlreadyChanged()
    return RequestChanged(changed_by)


def _record_step(request: ReentryRequest, change: Change, by: User) -> None:
    """The one way a request moves on, whichever page the nurse was on: the step dated and named."""
    request.status = change.status
    if request.seen_by_id is None:
        request.seen_by_id = by.id  # the nurse who first acts on it is the one named as having seen it
    if change.status is RequestStatus.APPOINTMENT_BOOKED:
        request.appointment_at, request.appointment_place = change.appointment_at, change.appointment_place
    if change.status is RequestStatus.CLOSED:
        request.outcome, request.outcome_note = change.outcome, change.outcome_note
    request.changes.append(ReentryStatusChange(status=change.status, changed_at=utcnow(), changed_by_id=by.id))


def _audit_step(request: ReentryRequest, by: User, **detail) -> None:
    """After the step is flushed: audited, and the person's phone told once it is committed."""
    from ..reminders.tasks import notify_after_commit

    audit(STATUS_CHANGE, patient=request.patient_id, subject=f"reentry:{request.id}", actor=by,
          status=request.status.value, version=request.version, **detail)
    notify_after_commit(request.patient.user_id, f"reentry_status:{request.changes[-1].id}")


def move_on(request: ReentryRequest, change: Change, by: User, shown: int | None) -> ReentryRequest:
    """Record the team's next step on the request, if the nurse's page showed the request as it
    is now; dated and audited, and closing it resolves its queue item. The caller commits."""
    if shown != request.version:
        raise _stale(request.id, shown, by, change)
    if change.status not in next_statuses(request.status):
        raise ReentryError("This request has already moved past that step. Choose what happens next.")
    _record_step(request, change, by)
    request_id = request.id
    try:
        db.session.flush()
    except StaleDataError:
        raise _stale(request_id, shown, by, change) from None
    _audit_step(request, by)
    if change.status is RequestStatus.CLOSED:
        triage.resolve_by_source(f"reentry:{request.id}", change.outcome, change.outcome_note, by)
    return request


def resolve_queue_item(item: QueueItem, outcome: Outcome, note: str | None, by: User,
                       expected_revision: int | None) -> QueueItem:
    """Resolve a queue item from the queue (checked against the revision the nurse's page showed,
    as `triage.service.resolve`). A re-entry item's request closes with it, with the same outcome
    and note, dated, named and audited like a close on the request's own page, so the person never
    reads "sent" about a request the team has finished with. The caller audits the item and commits."""
    triage.resolve(item, outcome, note, by, expected_revision)
    request = request_for_queue_item(item)
    if request is None or request.status is RequestStatus.CLOSED:
        return item
    _record_step(request, Change(RequestStatus.CLOSED, outcome=outcome, outcome_note=item.outcome_note), by)
    item_id = item.id
    try:
        db.session.flush()
    except StaleDataError:
        # A colleague moved the request on at the same moment: nothing is saved, she is told who.
        db.session.rollback()
        item = db.session.get(QueueItem, item_id, populate_existing=True)
        raise triage.Conflict(item, versioning.last_changed_by(
            f"reentry:{request.id}", (STATUS_CHANGE,), patient_id=item.patient_id)) from None
    _audit_step(request, by, via=f"queue-item:{item.id}")
    return item
