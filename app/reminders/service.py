"""Reminders from the record: gathering the facts, finding what is due, and sending each once.

The rules are plain functions in `rules.py`; this module reads the record into their facts
(a few queries for everyone at once, or for one person) and keeps the claims.

Sending one reminder (`send`), in this order, each step committed before the next:
1. Recompute the person's reminders now: one whose fact has changed (the test was done, the
   reply read) is not sent, and no claim is made (one held back for quiet hours is finished as
   not needed).
2. Claim it: insert its row (unique key) with a lease of CLAIM_LIMIT. If the row exists, take it
   over only if it is unfinished, was never being sent, and its lease has run out (one atomic
   UPDATE ... WHERE, so of two workers exactly one wins). Otherwise someone else has it: stop.
3. Quiet hours: if it is quiet now, move the lease to the end of quiet hours and schedule the
   send for then (the periodic finder also picks it up once the lease runs out). Never sent in
   quiet hours, whatever happens.
4. Mark `sending_at` and commit: the point of no return.
5. Call the push service (app/push `deliver`), then record the outcome and commit.

What a crash does, by where it happens:
- before 2 commits: no claim, nothing sent; the next finder run sends it (exactly once);
- between 2 and 4 (claimed, not yet sending): the lease runs out, the finder re-enqueues, the
  next worker takes the claim over and sends it (exactly once);
- between 4 and 5 (sending, outcome not recorded): we cannot know whether the push service took
  it, so it is NOT sent again. After the lease the finder records it as "unconfirmed".
So delivery is at most once: a doubled notification is avoided at the price of, rarely, none
after a crash in the middle of the one network call. That is safe because nothing relies on the
notification alone: every reminder's fact is on the person's home page and the team's queue or
monitoring list (HAZ-023).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable

from sqlalchemy import Select, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, savepoint
from ..models import PatientProfile, User
from . import rules
from .models import ReminderClaim
from .rules import Facts, Reminder

# How long a claim keeps others off: a send that crashed is tried again after this.
CLAIM_LIMIT = timedelta(minutes=10)

SENT, OFF, NO_DEVICES, FAILED = "sent", "off", "no_devices", "failed"
NOT_NEEDED, UNCONFIRMED = "not_needed", "unconfirmed"
# What `send` answers when it did not finish the reminder.
TAKEN, QUIET, RETRY_LATER, NOT_DUE = "taken", "quiet", "retry_later", "not_due"

# How many people's facts one query reads (keeps IN lists and memory small at 100,000 people).
CHUNK = 2000


# ---------------------------------------------------------------- the record, as facts


def _by_patient(rows) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for patient_id, *values in rows:
        grouped[patient_id].append(values)
    return grouped


def facts_for(first_id: int, last_id: int, now: datetime) -> list[Facts]:
    """The facts the rules need, for the people with patient ids from `first_id` to `last_id`
    (active accounts only), in a few queries. A range, not a list of ids: every query then walks
    its patient_id index once (a long IN list made SQLite look up every id for every row)."""
    from ..careplan.models import CarePlan
    from ..followup.models import SurveillanceTest
    from ..hna.models import HNA, HNAStatus
    from ..messages.models import Message, MessageThread
    from ..reentry.models import ReentryRequest, ReentryStatusChange
    from ..results.models import SampleTaken, TestResult

    people = db.session.execute(
        select(PatientProfile.id, PatientProfile.user_id, PatientProfile.diagnosed_on)
        .join(User, User.id == PatientProfile.user_id)
        .where(PatientProfile.id.between(first_id, last_id), User.active.is_(True))
    ).all()
    if not people:
        return []

    def ids(column):
        return column.between(first_id, last_id)

    hnas = _by_patient(db.session.execute(
        select(HNA.patient_id, HNA.id, HNA.offered_at, HNA.last_step)
        .where(ids(HNA.patient_id), HNA.status == HNAStatus.DRAFT, HNA.offered_at.is_not(None))))
    tests = _by_patient(db.session.execute(
        select(SurveillanceTest.patient_id, SurveillanceTest.id, SurveillanceTest.next_due)
        .where(ids(SurveillanceTest.patient_id), SurveillanceTest.active.is_(True))))
    last_sample = dict(db.session.execute(
        select(SampleTaken.surveillance_test_id, func.max(SampleTaken.taken_on))
        .where(ids(SampleTaken.patient_id)).group_by(SampleTaken.surveillance_test_id)).all())
    last_result = dict(db.session.execute(
        select(TestResult.surveillance_test_id, func.max(TestResult.taken_on))
        .where(ids(TestResult.patient_id)).group_by(TestResult.surveillance_test_id)).all())
    samples = _by_patient(db.session.execute(
        select(SampleTaken.patient_id, SampleTaken.id, SampleTaken.taken_on)
        .join(SurveillanceTest, SurveillanceTest.id == SampleTaken.surveillance_test_id)
        .where(ids(SampleTaken.patient_id), SampleTaken.result_id.is_(None), SurveillanceTest.active.is_(True))))
    plans = {row.patient_id: row for row in db.session.execute(
        select(CarePlan.patient_id, CarePlan.id, CarePlan.review_date, CarePlan.created_at, CarePlan.seen_by_patient_at)
        .where(ids(CarePlan.patient_id), CarePlan.is_current.is_(True)))}
    recent = now - rules.EVENT_STALE
    replies = _by_patient(db.session.execute(
        select(MessageThread.patient_id, Message.id, Message.sent_at, Message.read_at)
        .join(MessageThread, MessageThread.id == Message.thread_id)
        .where(ids(MessageThread.patient_id), Message.from_patient.is_(False), Message.sent_at >= recent)))
    changes = _by_patient(db.session.execute(
        select(ReentryRequest.patient_id, ReentryStatusChange.id, ReentryStatusChange.request_id,
               ReentryStatusChange.status, ReentryStatusChange.changed_at, ReentryStatusChange.changed_by_id)
        .join(ReentryRequest, ReentryRequest.id == ReentryStatusChange.request_id)
        .where(ids(ReentryRequest.patient_id), ReentryStatusChange.changed_at >= recent)))

    def latest(*days):
        known = [day for day in days if day is not None]
        return max(known) if known else None

    facts = []
    for person in people:
        plan = plans.get(person.id)
        facts.append(Facts(
            user_id=person.user_id, patient_id=person.id, diagnosed_on=person.diagnosed_on,
            offered_hnas=tuple(rules.OfferedHNA(hna_id, offered_at, last_step is not None)
                               for hna_id, offered_at, last_step in hnas.get(person.id, ())),
            tests=tuple(rules.DueTest(test_id, next_due, latest(last_sample.get(test_id), last_result.get(test_id)))
                        for test_id, next_due in tests.get(person.id, ())),
            samples=tuple(rules.WaitingSample(sample_id, taken_on) for sample_id, taken_on in samples.get(person.id, ())),
            care_plan_id=plan.id if plan else None, care_plan_review=plan.review_date if plan else None,
            care_plan_created_at=plan.created_at if plan else None,
            care_plan_seen=plan.seen_by_patient_at is not None if plan else True,
            team_replies=tuple(rules.TeamReply(message_id, sent_at, read_at is not None)
                               for message_id, sent_at, read_at in replies.get(person.id, ())),
            # The person's own steps (sending the request) are not news to them.
            status_changes=tuple(rules.StatusChange(change_id, request_id, status.value, changed_at)
                                 for change_id, request_id, status, changed_at, changed_by in changes.get(person.id, ())
                                 if changed_by != person.user_id),
        ))
    return facts


def due_reminders(now: datetime, patient_id: int | None = None) -> list[Reminder]:
    """Every reminder whose time has come, for one person or (by default) everyone, CHUNK
    patient ids at a time."""
    if patient_id is not None:
        first, last = patient_id, patient_id
    else:
        first, last = db.session.execute(select(func.min(PatientProfile.id), func.max(PatientProfile.id))).one()
        if first is None:
            return []
    found: list[Reminder] = []
    for start in range(first, last + 1, CHUNK):
        for facts in facts_for(start, min(start + CHUNK - 1, last), now):
            found += rules.due(rules.schedule(facts), now)
    return found


def current_reminder(user_id: int, key: str, now: datetime) -> Reminder | None:
    """The reminder with this key if the person's record still calls for it now."""
    patient_id = db.session.scalar(select(PatientProfile.id).where(PatientProfile.user_id == user_id))
    if patient_id is None:
        return None
    for reminder in due_reminders(now, patient_id):
        if reminder.key == key:
            return reminder
    return None


# ---------------------------------------------------------------- finding what to send


def find_due(now: datetime, enqueue: Callable[[Reminder], None]) -> int:
    """The periodic check: give `enqueue` every due reminder nobody is sending or has sent
    (never claimed, or claimed by a worker that stopped before sending and whose lease has run
    out). Claims stopped in the middle of a send are recorded as unconfirmed, never resent.
    Commits; returns how many reminders were handed on."""
    db.session.execute(
        update(ReminderClaim)
        .where(ReminderClaim.finished_at.is_(None), ReminderClaim.sending_at.is_not(None),
               ReminderClaim.lease_until <= now)
        .values(finished_at=now, outcome=UNCONFIRMED))
    db.session.commit()
    handed_on = 0
    reminders = due_reminders(now)
    for start in range(0, len(reminders), CHUNK):
        chunk = reminders[start:start + CHUNK]
        busy = set(db.session.scalars(
            select(ReminderClaim.key).where(
                ReminderClaim.key.in_([reminder.key for reminder in chunk]),
                # Finished, being sent, or leased to a worker (or held back until quiet hours end).
                (ReminderClaim.finished_at.is_not(None)) | (ReminderClaim.sending_at.is_not(None))
                | (ReminderClaim.lease_until > now))))
        for reminder in chunk:
            if reminder.key not in busy:
                enqueue(reminder)
                handed_on += 1
    db.session.commit()
    return handed_on


# ---------------------------------------------------------------- sending one


def take_claim(reminder: Reminder, now: datetime) -> ReminderClaim | None:
    """Claim the reminder for this worker (committed), or None when someone else has it or it
    was already sent."""
    try:
        with savepoint():
            claim = ReminderClaim(key=reminder.key, user_id=reminder.user_id, kind=reminder.kind, about=reminder.about,
                                  due_at=reminder.send_at, claimed_at=now, lease_until=now + CLAIM_LIMIT, attempts=1)
            db.session.add(claim)
    except IntegrityError:
        taken = db.session.execute(
            update(ReminderClaim)
            .where(and_(ReminderClaim.key == reminder.key, ReminderClaim.finished_at.is_(None),
                        ReminderClaim.sending_at.is_(None), ReminderClaim.lease_until <= now))
            .values(claimed_at=now, lease_until=now + CLAIM_LIMIT, attempts=ReminderClaim.attempts + 1)
            .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            db.session.rollback()
            return None
        claim = db.session.scalar(select(ReminderClaim).where(ReminderClaim.key == reminder.key))
    db.session.commit()
    return claim


def _hold_until(claim: ReminderClaim, until: datetime) -> None:
    claim.sending_at, claim.lease_until = None, until
    db.session.commit()


def _finish(claim: ReminderClaim, outcome: str, now: datetime) -> None:
    claim.finished_at, claim.outcome = now, outcome
    db.session.commit()


def send(user_id: int, key: str, now: datetime, send_later: Callable[[int, str, datetime], None]) -> str:
    """Send one reminder at most once (see the module's docstring for the order of the steps).
    `send_later(user_id, key, when)` schedules another try (quiet hours, a push service asking
    us to wait). Returns the outcome, or why nothing was sent this time."""
    from ..push import service as push

    reminder = current_reminder(user_id, key, now)
    if reminder is None:
        # One held back (quiet hours) whose fact has changed since: say it was not needed, so the
        # team's page does not show it waiting for ever. One being sent is left as it is.
        db.session.execute(
            update(ReminderClaim)
            .where(ReminderClaim.key == key, ReminderClaim.finished_at.is_(None), ReminderClaim.sending_at.is_(None),
                   ReminderClaim.lease_until <= now)
            .values(finished_at=now, outcome=NOT_NEEDED))
        db.session.commit()
        return NOT_DUE
    claim = take_claim(reminder, now)
    if claim is None:
        return TAKEN
    quiet_end = push.quiet_until(user_id, now)
    if quiet_end is not None:
        _hold_until(claim, quiet_end)
        send_later(user_id, key, quiet_end)
        return QUIET
    claim.sending_at, claim.lease_until = now, now + CLAIM_LIMIT
    db.session.commit()
    delivery = push.deliver(user_id, reminder.kind, now=now)
    outcome = delivery.outcome.value
    if outcome in (QUIET, RETRY_LATER):
        # Nothing went out: quiet hours began meanwhile, or the push service asked us to wait.
        again = delivery.not_before or now + CLAIM_LIMIT
        _hold_until(claim, again)
        send_later(user_id, key, again)
        return outcome
    _finish(claim, outcome, now)
    return outcome


# ---------------------------------------------------------------- what people see

# What each reminder was about, in the team's words (rules.Reminder.about).
ABOUT_WORDS = {
    "hna_offered": "Needs assessment offered",
    "hna_not_started": "Needs assessment offered, not started",
    "test_due_6w": "Test due in 6 weeks",
    "test_due_4w": "Test due in 4 weeks",
    "test_overdue": "Test overdue",
    "no_result": "No result 3 weeks after a sample",
    "gp_review_first": "GP practice's first contact due (3 months after diagnosis)",
    "gp_review_review": "GP Cancer Care Review due (12 months after diagnosis)",
    "care_plan_review": "Care plan review in a week",
    "care_plan_updated": "Care plan updated",
    "team_reply": "Reply from the team",
}
OUTCOME_WORDS = {
    SENT: "Sent",
    OFF: "Not sent: they turned these off",
    NO_DEVICES: "Not sent: no phone set up for notifications",
    FAILED: "Not sent: the phone's notification service refused it",
    NOT_NEEDED: "Not sent: no longer needed",
    UNCONFIRMED: "May not have arrived (interrupted while sending)",
}


@dataclass(frozen=True)
class ReminderLine:
    claimed_at: datetime
    about: str
    outcome: str


def about_words(about: str) -> str:
    if about.startswith("reentry_"):
        return "Request to be seen updated"
    return ABOUT_WORDS.get(about, about)


def outcome_words(claim: ReminderClaim, now: datetime) -> str:
    """What happened to a reminder, from its claim (or a row of the claim's outcome, sending_at
    and lease_until, as `recent_reminders` reads them)."""
    if claim.outcome is not None:
        return OUTCOME_WORDS.get(claim.outcome, claim.outcome)
    if claim.sending_at is not None:
        return "Sending"
    return "Waiting for quiet hours to end" if claim.lease_until > now else "Waiting to send"


@lru_cache(maxsize=1)
def _recent_reminders_statement() -> Select:
    """Built once per process with the person and the limit as bound parameters, reading only the
    columns the words come from (the nurse's page for the person reads it on every view)."""
    return (
        select(ReminderClaim.claimed_at, ReminderClaim.about, ReminderClaim.outcome, ReminderClaim.sending_at,
               ReminderClaim.lease_until)
        .where(ReminderClaim.user_id == bindparam("user_id"))
        .order_by(ReminderClaim.claimed_at.desc(), ReminderClaim.id.desc())
        .limit(bindparam("limit"))
    )


def recent_reminders(user_id: int, now: datetime, limit: int = 10) -> list[ReminderLine]:
    """The person's latest reminders, newest first, in words."""
    claims = db.session.execute(_recent_reminders_statement(), {"user_id": user_id, "limit": limit})
    return [ReminderLine(claim.claimed_at, about_words(claim.about), outcome_words(claim, now)) for claim in claims]
