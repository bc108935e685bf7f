"""Threads and messages: starting a thread on the team's work, sending once, unread counts, and
the rule that a patient's answer always lands on open work for the team.

Routes make no queries: they call these functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, func, or_, select, update
from sqlalchemy.orm import aliased

from ..audit import audit
from ..authz import own_patient_record, patient_record_for_staff
from ..extensions import db
from ..idempotency import Once, add_once
from ..models import STAFF_ROLES, PatientProfile, PersonOnPage, User
from ..plain_rows import read_rows
from ..timeutil import utcnow
from ..triage import service as triage
from ..triage.models import ItemStatus, QueueItem
from ..triage.queue import KIND_LABELS, ItemKind, in_a_line
from ..versioning import added_or_found
from .models import Message, MessageThread

BODY_MAX = 2000


def about_for(item: QueueItem) -> str:
    """What a thread started on `item` is about: a re-entry request has one thread whichever of
    its items it is started from; any other item has its own."""
    return item.source_key if item.source_key.startswith("reentry:") else f"queue-item:{item.id}"


def subject_for(item: QueueItem) -> str:
    return "Your request to be seen" if item.kind is ItemKind.REENTRY else f"About your {KIND_LABELS[item.kind].lower()}"


def thread_about(about: str) -> MessageThread | None:
    return db.session.scalar(_thread_about_statement(), {"about": about})


@cache
def _thread_about_statement():
    """Built once per process with what it is about as a bound parameter (issue 12)."""
    return select(MessageThread).where(MessageThread.about == bindparam("about", type_=MessageThread.about.type))


def thread_for_item(item: QueueItem) -> MessageThread | None:
    """The thread `item` belongs to: the one a patient's answer raised it from, or its own."""
    prefix, _, number = item.source_key.partition(":")
    if prefix == "message" and number.isdigit():
        message = db.session.get(Message, int(number))
        if message is not None and message.thread.patient_id == item.patient_id:
            return message.thread
    return thread_about(about_for(item))


def start_thread(item: QueueItem, by: User) -> MessageThread:
    """The thread about `item`'s work, started now if it has none (a second nurse, or a double
    click, gets the same one)."""
    existing = thread_for_item(item)
    if existing is not None:
        return existing
    about = about_for(item)
    thread, added = added_or_found(
        MessageThread(patient_id=item.patient_id, about=about, queue_item_id=item.id, subject=subject_for(item)),
        lambda: thread_about(about))
    if not added:
        return thread
    audit("message.thread_start", patient=item.patient_id, subject=f"thread:{thread.id}", actor=by, queue_item=item.id)
    return thread


# ---------------------------------------------------------------- reaching a thread


def own_thread(thread_id: int) -> MessageThread:
    """One of the signed-in patient's own threads, or 404 (audited)."""
    return own_patient_record(MessageThread, thread_id, "message.access_refused", "thread")


def thread_for_staff(patient_id: int, thread_id: int) -> tuple[PatientProfile, MessageThread]:
    return patient_record_for_staff(patient_id, MessageThread, thread_id, "message.access_refused", "thread")


# ---------------------------------------------------------------- unread counts


def _unread(from_patient: bool):
    return (select(func.count()).select_from(Message).join(MessageThread)
            .where(Message.from_patient.is_(from_patient), Message.read_at.is_(None)))


def unread_for_patient(profile: PatientProfile) -> int:
    """Messages from the team the person has not opened yet."""
    return db.session.scalar(_unread(False).where(MessageThread.patient_id == profile.id))


def unread_for_team(team_id: int) -> int:
    """Patients' messages no one in the team has opened yet (patients of the team now)."""
    return db.session.scalar(_unread(True).join(PatientProfile, PatientProfile.id == MessageThread.patient_id)
                             .where(PatientProfile.team_id == team_id))


def header_unread_count(user_id):
    """The count for the header of the person whose id is `user_id` (a column of the statement
    loading the session, app/sessions.py), as one scalar subquery: a patient's unread replies from
    their team, or, for a member of staff, their team's unread messages from patients (0 for
    anyone else; each half is 0 for the other kind of person)."""
    reader = aliased(User)
    for_patient = (_unread(False).join(PatientProfile, PatientProfile.id == MessageThread.patient_id)
                   .where(PatientProfile.user_id == user_id))
    for_staff = (_unread(True).join(PatientProfile, PatientProfile.id == MessageThread.patient_id)
                 .join(reader, reader.team_id == PatientProfile.team_id)
                 .where(reader.id == user_id, or_(*(reader.role == role for role in STAFF_ROLES))))
    # Not `role.in_(STAFF_ROLES)`: a list's IN is rewritten into the whole statement's text on
    # every run ("post-compile"), which cost a third of the session's statement.
    return for_patient.scalar_subquery() + for_staff.scalar_subquery()


def unread_in(thread: MessageThread, from_patient: bool) -> int:
    return db.session.scalar(_unread(from_patient).where(MessageThread.id == thread.id))


@dataclass(frozen=True)
class ThreadLine:
    """A thread of the team's list of unread messages."""

    thread: MessageThread
    unread: int
    last_sent_at: object


class MessageOnPage(NamedTuple):
    """A message as a thread's page shows it (templates/messages/_thread.html): who wrote it, by
    name, as `Message.author` would give it; and whether it was unread (open_thread)."""

    id: int
    from_patient: bool
    author: PersonOnPage
    sent_at: object
    body: str
    unread: bool


def messages_of(thread: MessageThread) -> list[MessageOnPage]:
    """The thread's messages, oldest first (as `MessageThread.messages`), each with its author's
    name: one statement of plain values, where the thread's messages and then each author were
    loaded as ORM objects one statement at a time (issue 12)."""
    return [MessageOnPage(message_id, from_patient, PersonOnPage(name), sent_at, body, read_at is None)
            for message_id, from_patient, name, sent_at, body, read_at
            in read_rows(_messages_statement(), {"thread_id": thread.id})]


@cache
def _messages_statement():
    return (select(Message.id, Message.from_patient, User.display_name, Message.sent_at, Message.body, Message.read_at)
            .join(User, User.id == Message.author_id)
            .where(Message.thread_id == bindparam("thread_id", type_=Integer))
            .order_by(Message.id))


class PatientThreadLine(NamedTuple):
    """A thread as the person's list of messages shows it."""

    id: int
    subject: str
    unread: int
    last_sent_at: object


def threads_of(profile: PatientProfile, reader_is_patient: bool = True) -> list[PatientThreadLine]:
    """The person's threads, the newest message first, with how many are unread by the reader:
    plain values of the columns the list shows (issue 12: no ORM threads made for display)."""
    return [PatientThreadLine(*row) for row in read_rows(_threads_statement(reader_is_patient), {"patient_id": profile.id})]


@cache
def _threads_statement(reader_is_patient: bool):
    """Built once per process (per reader) with the person as a bound parameter (issue 12):
    building a statement cost more than running it."""
    unread = func.count(Message.id).filter(Message.from_patient.is_(not reader_is_patient), Message.read_at.is_(None))
    return (select(MessageThread.id, MessageThread.subject, unread, func.max(Message.sent_at))
            .join(Message, Message.thread_id == MessageThread.id, isouter=True)
            .where(MessageThread.patient_id == bindparam("patient_id", type_=Integer))
            .group_by(MessageThread.id)
            .order_by(func.max(Message.sent_at).desc(), MessageThread.id.desc()))


def team_threads_with_unread(team_id: int) -> list[ThreadLine]:
    """Threads of the team's patients holding messages from the patient nobody has opened, oldest first."""
    rows = db.session.execute(
        select(MessageThread, func.count(Message.id), func.min(Message.sent_at))
        .join(Message, Message.thread_id == MessageThread.id)
        .join(PatientProfile, PatientProfile.id == MessageThread.patient_id)
        .where(PatientProfile.team_id == team_id, Message.from_patient.is_(True), Message.read_at.is_(None))
        .group_by(MessageThread.id)
        .order_by(func.min(Message.sent_at), MessageThread.id)
    ).all()
    return [ThreadLine(thread, count, first) for thread, count, first in rows]


def open_thread(thread: MessageThread, reader_is_patient: bool, by: User | None, shown: list[MessageOnPage]) -> bool:
    """The reader opened the thread: the other side's messages its page `shown` them (messages_of),
    unread until now, are read now, in one statement, and none when there are none (most views:
    no write at all); a message sent after the page read them stays unread until it is shown.
    Staff's opening is audited (as `by`). Whether anything was written: the caller commits then."""
    unread = [message.id for message in shown if message.from_patient is not reader_is_patient and message.unread]
    if unread:
        db.session.execute(
            update(Message)
            .where(Message.thread_id == thread.id, Message.id.in_(unread), Message.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False)
        )
    if not reader_is_patient:
        audit("message.view", patient=thread.patient_id, subject=f"thread:{thread.id}", actor=by)
    return bool(unread) or not reader_is_patient


# ---------------------------------------------------------------- sending


def open_work(thread: MessageThread) -> QueueItem | None:
    """The team's open queue item for this thread: the one it began on, or one a later answer
    raised; None when all of it is resolved."""
    raised = select(Message.raised_item_id).where(Message.thread_id == thread.id, Message.raised_item_id.is_not(None))
    return db.session.scalar(
        select(QueueItem)
        .where(QueueItem.status == ItemStatus.OPEN,
               (QueueItem.id == thread.queue_item_id) | QueueItem.id.in_(raised))
        .order_by(QueueItem.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class Sent:
    status: Once
    message: Message | None


def send(thread: MessageThread, by: User, token: str | None, body: str) -> Sent:
    """Add the message once per form (a retry or a double tap answers with the first). A patient's
    message with no open work for the team raises a queue item, so no answer lands unseen.
    The caller commits."""
    from_patient = by.is_patient

    def make() -> dict:
        message = Message(thread_id=thread.id, author_id=by.id, from_patient=from_patient, body=body, sent_at=utcnow())
        db.session.add(message)
        db.session.flush()
        raised = None
        if from_patient and open_work(thread) is None:
            patient = db.session.get(PatientProfile, thread.patient_id)
            raised = triage.raise_item(patient, ItemKind.REENTRY, f"Answered a message after it was closed: {in_a_line(body, 150)}",
                                       f"message:{message.id}")
            message.raised_item_id = raised.id
        audit("message.send", patient=thread.patient_id, subject=f"thread:{thread.id}", actor=by,
              message=message.id, from_patient=from_patient, raised_item=raised.id if raised else None)
        if not from_patient:
            from ..reminders.tasks import notify_after_commit

            notify_after_commit(thread.patient.user_id, f"team_reply:{message.id}")
        return {"message_id": message.id}

    once = add_once(by.id, f"messages.send:{thread.id}", token, {"thread": thread.id, "body": body}, make)
    message = db.session.get(Message, once.made["message_id"]) if once.made else None
    return Sent(once.status, message)
