"""What the patient needs to do now, for the top of their home page: gathered from each area's
records, in one order (`in_order`, a plain rule over plain data).

The records are read by app/main/service.py `home_records` (each area's rule for which are the
person's, read in few statements). The wording lives in templates/main/_home.html (thing_item), one
block per `kind`, given its values by app/main/home_page.py (`_thing`). A new area adds its kinds
here (with their urgency), its read there, a block in the template and its values in home_page;
the order rule stays the one below.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from ..models import PatientProfile
from ..reentry.models import RequestStatus
from ..reminders.rules import CARE_PLAN_REVIEW_DAYS_BEFORE, NO_RESULT_DAYS, gp_review_dates
from ..timeutil import utcnow
from ..triage.models import ItemStatus

if TYPE_CHECKING:  # for annotations only: the domain rules need no Flask at run time
    from ..sessions import RecordValues

# A test due within this many days is something to arrange now.
DUE_SOON_DAYS = 28


class Urgency(IntEnum):
    """Most urgent first: what is late, then what the team asked, then what is due soon, then
    the person's own unfinished work, then the status of what they sent."""

    LATE = 0
    ASKED = 1
    DUE_SOON = 2
    STARTED = 3
    WAITING = 4


@dataclass(frozen=True)
class ToDo:
    urgency: Urgency
    kind: str
    # The date that orders things of the same urgency, earliest first (None: after those with one).
    when: date | None = None
    subject: Any = None
    detail: dict | None = None


def in_order(things: list[ToDo]) -> list[ToDo]:
    """Most urgent first; of the same urgency, the earliest date first; ties keep their order."""
    return sorted(things, key=lambda thing: (thing.urgency, thing.when is None, thing.when or date.min))


def due_tests(tests, today: date) -> list[ToDo]:
    """Surveillance tests past their due date, or due within DUE_SOON_DAYS (plain data in)."""
    things = []
    for test in tests:
        if test.next_due < today:
            things.append(ToDo(Urgency.LATE, "test_overdue", test.next_due, test))
        elif test.next_due <= today + timedelta(days=DUE_SOON_DAYS):
            things.append(ToDo(Urgency.DUE_SOON, "test_due", test.next_due, test))
    return things


def hna_things(draft, last_sent, reply: dict | None) -> list[ToDo]:
    """The needs assessment: one the team offered, one the person started, or the reply to the
    one they sent (late, or on its way); nothing once the team has dealt with it."""
    if draft is not None and draft.offered_by_id:
        return [ToDo(Urgency.ASKED, "hna_offered", _day(draft.offered_at), draft)]
    if draft is not None:
        return [ToDo(Urgency.STARTED, "hna_started", _day(draft.created_at), draft)]
    if last_sent is not None and reply is not None and not reply["done"]:
        if reply["late"]:
            return [ToDo(Urgency.LATE, "hna_reply_late", _day(reply["by"]), last_sent, reply)]
        return [ToDo(Urgency.WAITING, "hna_sent", _day(reply["by"]), last_sent, reply)]
    return []


# Symptom levels whose instruction is to act the same day (call 999, the 24-hour line or the team).
ACT_TODAY_LEVELS = ("emergency", "red_flag")


def symptom_things(entries, today: date) -> list[ToDo]:
    """Emergency and red-flag symptoms logged today: their page says what to do now, so it stays
    at the top of the home page for the rest of the day (watch symptoms have advice, not a task)."""
    return [ToDo(Urgency.LATE, "symptom_act_today", entry.logged_on, entry)
            for entry in entries if entry.level in ACT_TODAY_LEVELS and entry.logged_on == today]


def symptom_item_things(item, acting_today: bool, now: datetime) -> list[ToDo]:
    """The person's open emergency or red-flag item from their symptom log, once its day's "what
    to do now" has gone (`acting_today` False): the team has it and says by when; past that
    target with no one closing it, call them. Nothing once the team has resolved it."""
    if item is None or acting_today:
        return []
    if now > item.due_at:
        return [ToDo(Urgency.LATE, "symptom_reply_late", _day(item.due_at), item)]
    return [ToDo(Urgency.WAITING, "symptom_with_team", _day(item.due_at), item)]


def result_things(unread) -> list[ToDo]:
    """Results with the team's comment the person has not read yet (`unread`: how many, and the
    newest; None when there are none): one thing, to read them on the results page."""
    return [ToDo(Urgency.ASKED, "results_unread", unread.newest_taken_on, unread)] if unread else []


def message_things(unread: int) -> list[ToDo]:
    """Replies from the team the person has not opened: what the team asked or answered."""
    return [ToDo(Urgency.ASKED, "messages_unread", None, unread)] if unread else []


def request_things(requests, now: datetime) -> list[ToDo]:
    """Each open request to be seen (re-entry): an appointment to go to, a request past the
    team's response target with no answer yet, or where it stands; nothing once closed."""
    things = []
    for request in requests:
        if request.status is RequestStatus.CLOSED:
            continue
        if request.status is RequestStatus.APPOINTMENT_BOOKED and request.appointment_at:
            things.append(ToDo(Urgency.DUE_SOON, "request_appointment", _day(request.appointment_at), request))
        elif request.status is RequestStatus.SENT and now > request.due_at:
            things.append(ToDo(Urgency.LATE, "request_late", _day(request.due_at), request))
        else:
            things.append(ToDo(Urgency.WAITING, "request_status", _day(request.created_at), request))
    return things


# ---------------------------------------------------------------- what a reminder is also about
# Every reminder's fact is here too (or on the team's pages), from the day the reminder goes:
# nothing relies on a notification arriving (HAZ-023). The days come from app/reminders/rules.py.


def waiting_result_things(samples, today: date) -> list[ToDo]:
    """A sample taken with no result after the weeks results usually take: ask the team."""
    return [ToDo(Urgency.LATE, "no_result", sample.taken_on, sample)
            for sample in samples if today >= sample.taken_on + timedelta(days=NO_RESULT_DAYS)]


def gp_review_things(diagnosed_on: date | None, today: date) -> list[ToDo]:
    """The GP practice's Cancer Care Reviews, from the day to ask about each until it is due."""
    if diagnosed_on is None:
        return []
    return [ToDo(Urgency.DUE_SOON, f"gp_review_{which}", due_by)
            for which, prompt_on, due_by in gp_review_dates(diagnosed_on) if prompt_on <= today < due_by]


def care_plan_review_things(plan, today: date) -> list[ToDo]:
    """The care plan's review, in the week before its date and on the day."""
    if plan is None or plan.review_date is None:
        return []
    if plan.review_date - timedelta(days=CARE_PLAN_REVIEW_DAYS_BEFORE) <= today <= plan.review_date:
        return [ToDo(Urgency.DUE_SOON, "care_plan_review", plan.review_date, plan)]
    return []


def hna_reply(item, due_without_item=None) -> dict:
    """What the patient is told about the reply to the assessment they sent: by when the team
    will contact them (its open queue item's due date; with no item, `due_without_item`, the
    target the team's pages compute), whether that date has passed, or that the team has already
    dealt with it. `item`: its queue item's status, due date and who has it, None when it has none."""
    if item is not None and item.status is ItemStatus.RESOLVED:
        return {"by": None, "late": False, "done": True, "taken_by": None}
    due = item.due_at if item is not None else due_without_item
    # Named only once someone has taken it: "Sam has your answers" must be true.
    taken_by = item.assignee_name if item is not None else None
    return {"by": due, "late": utcnow() > due, "done": False, "taken_by": taken_by}


def things_to_do(patient: PatientProfile | RecordValues, today: date, records=None) -> list[ToDo]:
    """Everything the patient needs to do now, most urgent first, from what the home page read
    (app/main/service.py `home_records`; read here when not given). `patient`: their record, or
    their columns as read with the session (`authz.patient_columns`)."""
    if records is None:
        from .service import home_records

        records = home_records(patient, today)
    now = utcnow()
    acting_today = symptom_things(records.symptoms_today, today)
    return in_order(hna_things(records.draft, records.last_sent, records.reply) + due_tests(records.tests, today)
                    + message_things(records.unread_messages) + result_things(records.unread_results)
                    + request_things(records.requests, now)
                    + acting_today + symptom_item_things(records.symptom_item, bool(acting_today), now)
                    + waiting_result_things(records.waiting_samples, today)
                    + gp_review_things(patient.diagnosed_on, today) + care_plan_review_things(records.care_plan, today))


def _day(moment: datetime | date | None) -> date | None:
    return moment.date() if isinstance(moment, datetime) else moment
