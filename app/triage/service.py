"""Raising queue items. Every source raises through `raise_item`, keyed so it happens once (or
`raise_new_item`, for a source made in the same transaction)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .. import patient_search, versioning
from ..extensions import db
from ..models import PatientProfile, Role, Team, User
from ..plain_rows import read_rows
from ..timeutil import LONDON, UTCDateTime, utcnow
from .models import HNA_SOURCE, PLAN_REVIEW_SOURCE, QUEUE_ORDER, ItemStatus, Outcome, QueueItem, source_key, source_key_of
from .queue import DEFAULT_TARGET_WORKING_DAYS, KIND_RANK, ItemKind, clipped, kind_for_hna
from .working_days import response_deadline

log = logging.getLogger(__name__)


def target_working_days(team: Team, kind: ItemKind) -> int:
    """The team's response target for `kind`, in working days (0: the same working day)."""
    configured = (team.response_targets or {}).get(kind.value)
    return DEFAULT_TARGET_WORKING_DAYS[kind] if configured is None else int(configured)


def _new_item(patient: PatientProfile, kind: ItemKind, reason: str, source_key: str,
              received_at: datetime | None, **links) -> dict:
    """A new item's values for `_insert_item_statement`, which reads its team as it writes: its
    rank, and its response deadline from the target of the team the record read earlier names
    (`_correct_deadline` puts that right in the rare case the INSERT finds another)."""
    at = received_at or utcnow()
    # Every column with a default given here (an open item, at its first revision), so that Core
    # computes nothing per INSERT and `plain_rows` can keep it compiled (raise_new_item).
    return dict(patient_id=patient.id, kind=kind, rank=KIND_RANK[kind], reason=clipped(reason),
                source_key=source_key, received_at=at,
                due_at=response_deadline(at, target_working_days(patient.team, kind)), **links,
                status=ItemStatus.OPEN, revision=1, patient_of_item=patient.id)


@lru_cache(maxsize=2)
def _insert_item_statement(as_item: bool):
    """The one way an item is written. Its team is the patient's as the INSERT runs, their record
    locked until the commit (FOR SHARE; SQLite has one writer at a time already): a team move
    committed after the request read the record would otherwise leave the item with a team whose
    queue no longer shows the patient. A move writes the record before it moves the open items
    (app/team_moves.py, after the flush), so this INSERT either runs first and its item is moved
    with the others, or waits for the move's commit and reads the new team. Returns the item as an object (`as_item`, in the session like one loaded) or, for
    the symptom send, as its id; and the team it went to either way. Built once per process."""
    team_now = (select(PatientProfile.team_id).where(PatientProfile.id == bindparam("patient_of_item"))
                .with_for_update(read=True).scalar_subquery())
    if as_item:
        return insert(QueueItem).values(team_id=team_now).returning(QueueItem)
    items = QueueItem.__table__
    return insert(items).values(team_id=team_now).returning(items.c.id, items.c.team_id)


def _deadline_for_team_of_now(patient: PatientProfile, team_id: int, values: dict):
    """The response deadline the item must have: from the target of the team it went to. None
    when that is the team the values were worked out for (all but a move in between)."""
    if team_id == patient.team_id:
        return None
    return response_deadline(values["received_at"], target_working_days(db.session.get(Team, team_id), values["kind"]))


def raise_item(patient: PatientProfile, kind: ItemKind, reason: str, source_key: str,
               received_at: datetime | None = None, **links) -> QueueItem:
    """The open or past item for `source_key`, creating it if this is the first time."""
    def find() -> QueueItem | None:
        return db.session.scalar(select(QueueItem).where(QueueItem.source_key == source_key))

    existing = find()
    if existing is not None:
        return existing
    values = _new_item(patient, kind, reason, source_key, received_at, **links)
    # Raised a moment ago by another request, if it is there now.
    item, added = versioning.written_or_found(
        lambda: db.session.scalars(_insert_item_statement(True), values).one(), find)
    if added and (due_at := _deadline_for_team_of_now(patient, item.team_id, values)) is not None:
        _correct_deadline(item.id, due_at)
        # The object as the row now is; as an ORM change it would be an edit (its revision 2).
        set_committed_value(item, "due_at", due_at)
    return item


@lru_cache(maxsize=1)
def _correct_deadline_statement():
    items = QueueItem.__table__
    return update(items).where(items.c.id == bindparam("item_id")).values(due_at=bindparam("due_at"))


def _correct_deadline(item_id: int, due_at: datetime) -> None:
    """A new item's deadline from its team of now (`_deadline_for_team_of_now`), written as part
    of its writing (one plain UPDATE, the one way for both raise paths), before anything could
    have seen it: the item is not committed yet."""
    db.session.connection().execute(_correct_deadline_statement(), {"item_id": item_id, "due_at": due_at})


def raise_new_item(patient: PatientProfile, kind: ItemKind, reason: str, source_key: str,
                   received_at: datetime | None = None) -> int:
    """`raise_item` for a record made in this very transaction (a symptom's red flag), so no item
    can have its key yet: it is neither looked up nor guarded by a savepoint, and it is written
    by one statement built once, with no item made as an object (an object's flush cost several
    times the insert), kept compiled and sent to the driver (`plain_rows.read_rows`: through the
    ORM's execution it cost about 120 Python calls of a red flag sent). Were the key there after
    all, the unique key would fail the whole transaction: an error, never an item lost silently.
    The new item's id."""
    values = _new_item(patient, kind, reason, source_key, received_at)
    item_id, team_id = read_rows(_insert_item_statement(False), values).one()
    if (due_at := _deadline_for_team_of_now(patient, team_id, values)) is not None:
        _correct_deadline(item_id, due_at)
    return item_id


def raise_for_hna(hna, urgent_symptoms: list[str] = (), emergencies: list[str] = ()) -> QueueItem:
    """A submitted HNA goes to its team: emergencies and urgent symptoms at the top, then high
    distress.

    `urgent_symptoms` are the ticked symptoms' words, so the queue says which one it is;
    `emergencies` those of them that may be an emergency (the patient was told to call now)."""
    kind = kind_for_hna(hna.high_priority, hna.has_urgent_symptom, emergency=bool(emergencies))
    if kind is ItemKind.EMERGENCY:
        reason = (f"Needs assessment: possible emergency ({'; '.join(emergencies)}); "
                  "the patient was told to call 999 or the 24-hour line now")
        if hna.distress is not None:
            reason += f"; distress {hna.distress} out of 10"
    elif kind is ItemKind.RED_FLAG:
        named = "; ".join(urgent_symptoms)
        reason = f"Needs assessment: possible urgent symptom ({named})" if named else "Needs assessment: possible urgent symptom"
        if hna.distress is not None:
            reason += f"; distress {hna.distress} out of 10"
    else:
        reason = "Needs assessment: " + (
            f"distress {hna.distress} out of 10" if hna.distress is not None else "sent"
        )
    if hna.high_scoring_count:
        reason += f"; {hna.high_scoring_count} concern{'s' if hna.high_scoring_count != 1 else ''} scored 7 or more"
    return raise_item(hna.patient, kind, reason, source_key(HNA_SOURCE, hna.id), received_at=hna.submitted_at, hna_id=hna.id)


def resolve_by_source(source_key: str, outcome: Outcome, note: str | None, by) -> QueueItem | None:
    """Resolve the open item raised by `source_key` (e.g. when a care plan is written from an
    HNA), audited as `by` resolving it. Nothing happens if there is none or it is already resolved."""
    from ..audit import audit

    item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == source_key))
    if item is None or item.status is ItemStatus.RESOLVED:
        return None
    item.status = ItemStatus.RESOLVED
    item.outcome = outcome
    item.outcome_note = note
    item.resolved_at = utcnow()
    item.resolved_by_id = by.id
    if item.assignee_id is None:
        item.assignee_id, item.assigned_at = by.id, item.resolved_at
    # `by` may be Flask-Login's current_user proxy. The note is free text: only whether there was one.
    actor = by._get_current_object() if hasattr(by, "_get_current_object") else by
    audit("queue.resolve", patient=item.patient_id, subject=f"queue-item:{item.id}", actor=actor,
          resolution=Outcome(outcome).value, via=source_key, note=bool(note))
    return item


# ---------------------------------------------------------------- overdue care plan reviews


def raise_due_reviews(team_id: int, today: date) -> int:
    """Raise an item, once, for each current care plan of the team whose review date has passed.

    The plans come from the (team_id, is_current, review_date) index, and plans already raised
    are left out through the unique source_key. Returns how many items were raised.
    """
    from ..careplan.models import CarePlan

    raised_from = source_key_of(PLAN_REVIEW_SOURCE, CarePlan.id)
    plans = db.session.scalars(
        select(CarePlan)
        .where(CarePlan.team_id == team_id, CarePlan.is_current.is_(True), CarePlan.review_date < today)
        .where(~select(QueueItem.id).where(QueueItem.source_key == raised_from).exists())
        .order_by(CarePlan.review_date, CarePlan.id)
    ).all()
    now = utcnow()
    for plan in plans:
        # It became overdue when the review day ended (UK time), or now, if that is earlier.
        passed = datetime.combine(plan.review_date + timedelta(days=1), time(0), tzinfo=LONDON)
        raise_item(
            plan.patient, ItemKind.PLAN_REVIEW_OVERDUE,
            f"Care plan review was due on {plan.review_date.day} {plan.review_date:%B %Y}",
            source_key(PLAN_REVIEW_SOURCE, plan.id), received_at=min(passed.astimezone(timezone.utc), now),
            care_plan_id=plan.id,
        )
    return len(plans)


class TeamRef(NamedTuple):
    id: int
    name: str


class TeamsFailed(RuntimeError):
    """A periodic run in which some team's reviews could not be raised (the others' were)."""


class DueReviews(NamedTuple):
    """One run over every team: each team done and how many items it got, and the teams whose
    run failed (rolled back and logged; the next run tries them again)."""

    raised: list[tuple[TeamRef, int]]
    failed: list[TeamRef]


def raise_due_reviews_for_every_team(today: date) -> DueReviews:
    """`raise_due_reviews` for each team, committed team by team. The task queue runs this every
    quarter hour (app/triage/tasks.py); so does `flask queue raise-due-reviews` when asked.

    One team's failure (a bad row, a lost connection) must not leave every later team's overdue
    reviews off their queues: its work is rolled back, the error logged with the team, and the
    run goes on to the next team."""
    teams = [TeamRef._make(row) for row in db.session.execute(select(Team.id, Team.name).order_by(Team.id))]
    done, failed = [], []
    for team in teams:
        try:
            raised = raise_due_reviews(team.id, today)
            db.session.commit()
        except Exception:  # noqa: BLE001  (any failure: this team waits for the next run, the rest go on)
            db.session.rollback()
            log.exception("Overdue care plan reviews: the run for team %s (%s) failed; its reviews "
                          "are tried again next run.", team.id, team.name)
            failed.append(team)
            continue
        done.append((team, raised))
    return DueReviews(done, failed)


# ---------------------------------------------------------------- the queue page

STATUSES = ("open", "mine", "unassigned", "resolved")


@dataclass(frozen=True)
class QueueFilters:
    """What the nurse asked to see. `user_id` is the nurse looking, for 'mine'."""

    status: str = "open"
    pathway: str | None = None
    key_worker_id: int | None = None
    search: str = ""
    user_id: int | None = None


class QueueRow(NamedTuple):
    """One line of the queue page: the columns it shows, read as plain values (no ORM objects,
    no further loads), with the patient's name and number and who has the item in the same row."""

    id: int
    kind: ItemKind
    rank: int
    status: ItemStatus
    reason: str
    received_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    outcome: Outcome | None
    assignee_id: int | None
    assignee_name: str | None
    patient_id: int
    given_name: str
    family_name: str
    nhs_number: str


_ASSIGNEE = aliased(User)
_ROW_COLUMNS = (
    QueueItem.id, QueueItem.kind, QueueItem.rank, QueueItem.status, QueueItem.reason, QueueItem.received_at,
    QueueItem.due_at, QueueItem.resolved_at, QueueItem.outcome, QueueItem.assignee_id,
    _ASSIGNEE.display_name, QueueItem.patient_id, PatientProfile.given_name, PatientProfile.family_name,
    PatientProfile.nhs_number,
)


@dataclass
class QueuePage:
    items: list[QueueRow] = field(default_factory=list)
    # Where the next page starts (opaque, for the URL), or None on the last page.
    next_after: str | None = None


def _micros(moment: datetime) -> int:
    return round(moment.astimezone(timezone.utc).timestamp() * 1_000_000)


def _moment(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)


def cursor_for(item: QueueItem | QueueRow, status: str) -> str:
    """The position just after `item` in its list: what `after=` carries to the next page."""
    if status == "resolved":
        return f"r.{_micros(item.resolved_at)}.{item.id}"
    return f"o.{item.rank}.{_micros(item.due_at)}.{_micros(item.received_at)}.{item.id}"


def _parse_cursor(after: str | None, status: str) -> tuple | None:
    """The cursor's values, or None for the first page (a cursor that is not one of ours)."""
    if not after:
        return None
    parts = after.split(".")
    try:
        numbers = [int(p) for p in parts[1:]]
    except ValueError:
        return None
    if status == "resolved" and parts[0] == "r" and len(numbers) == 2:
        return _moment(numbers[0]), numbers[1]
    if status != "resolved" and parts[0] == "o" and len(numbers) == 4:
        return numbers[0], _moment(numbers[1]), _moment(numbers[2]), numbers[3]
    return None


@lru_cache(maxsize=64)
def _queue_statement(status: str, from_cursor: bool, pathway: bool, key_worker: bool, limit: int) -> Select:
    """The queue page's statement for one shape of filters, built once per process with the
    values as bound parameters (team_id, user_id, pathway, key_worker_id and the cursor's):
    building it (two joins, an alias, the keyset comparison) cost more than running it."""
    stmt = (
        # The patient's team last: each line's patient must be the team's now, too (as on the
        # item page), which `queue_page` checks.
        select(*_ROW_COLUMNS, PatientProfile.team_id)
        .join(QueueItem.patient)
        # Who has it, in the same statement (by the users' primary key), not one more per page.
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == QueueItem.assignee_id)
        .where(QueueItem.team_id == bindparam("team_id"))
    )
    if status == "resolved":
        # A finished item stays with the team that did the work when its patient moves on
        # (app/team_moves.py): the list keeps to the team's patients of now.
        stmt = stmt.where(PatientProfile.team_id == bindparam("team_id"), QueueItem.status == ItemStatus.RESOLVED)
        if from_cursor:
            stmt = stmt.where(tuple_(QueueItem.resolved_at, QueueItem.id)
                              < tuple_(bindparam("after_resolved_at", type_=UTCDateTime()), bindparam("after_id")))
        stmt = stmt.order_by(QueueItem.resolved_at.desc(), QueueItem.id.desc())
    else:
        # An open item moves with its patient, in the same flush (app/team_moves.py), so the
        # patient's team is not asked here: PostgreSQL, not knowing that the two always agree,
        # read every patient of the team to join them, 16.7 ms at 100,000 people against 1.0 ms
        # walking the queue's index in order (bench/volume.py). `queue_page` still checks it.
        stmt = stmt.where(QueueItem.status == ItemStatus.OPEN)
        if status == "mine":
            stmt = stmt.where(QueueItem.assignee_id == bindparam("user_id"))
        elif status == "unassigned":
            stmt = stmt.where(QueueItem.assignee_id.is_(None))
        if from_cursor:
            # The rank bound lets the database start its index range at the right place.
            stmt = stmt.where(
                QueueItem.rank >= bindparam("after_rank"),
                tuple_(*QUEUE_ORDER) > tuple_(
                    bindparam("after_rank"), bindparam("after_due_at", type_=UTCDateTime()),
                    bindparam("after_received_at", type_=UTCDateTime()), bindparam("after_id")),
            )
        stmt = stmt.order_by(*QUEUE_ORDER)
    if pathway:
        stmt = stmt.where(PatientProfile.tumour_pathway == bindparam("pathway"))
    if key_worker:
        stmt = stmt.where(PatientProfile.key_worker_id == bindparam("key_worker_id"))
    return stmt.limit(limit + 1)


def queue_page(team_id: int, filters: QueueFilters, after: str | None = None, limit: int = 50) -> QueuePage:
    """One page of the team's queue: open items most urgent first, resolved ones newest first.

    Keyset pagination: each page starts after the last row of the one before, so a page deep in
    the queue costs what the first does, and items that arrive or go meanwhile never make a row
    appear twice or be skipped.
    """
    position = _parse_cursor(after, filters.status)
    values = {"team_id": team_id, "user_id": filters.user_id, "pathway": filters.pathway,
              "key_worker_id": filters.key_worker_id}
    if position is not None and filters.status == "resolved":
        values["after_resolved_at"], values["after_id"] = position
    elif position is not None:
        values["after_rank"], values["after_due_at"], values["after_received_at"], values["after_id"] = position
    stmt = _queue_statement(filters.status if filters.status in ("resolved", "mine", "unassigned") else "open",
                            position is not None, bool(filters.pathway), bool(filters.key_worker_id), limit)
    if filters.search:
        # Searches are few, and their words are in the statement (escaped for LIKE), so this
        # one shape is completed per request.
        stmt = stmt.where(patient_search.matches(filters.search))
    rows = read_rows(stmt, values).all()
    lines = [QueueRow._make(row[:-1]) for row in rows[:limit]]
    page = QueuePage(items=[line for line, row in zip(lines, rows[:limit], strict=True) if row[-1] == team_id])
    if len(page.items) < len(lines):
        # Never expected: an open item moves with its patient (app/team_moves.py).
        log.error("queue: %d line(s) of team %s whose patient is in another team",
                                 len(lines) - len(page.items), team_id)
    if len(rows) > limit:
        # After the last line read, shown or not.
        page.next_after = cursor_for(lines[-1], filters.status)
    return page


@lru_cache(maxsize=1)
def _summary_statement() -> Select:
    """How many open items the team has, how many are red flags or emergencies, how many overdue
    (through the team's queue-order index). Built once per process (see `_queue_statement`)."""
    return select(
        func.count(),
        func.count().filter(QueueItem.rank == 0),
        func.count().filter(QueueItem.due_at < bindparam("now", type_=UTCDateTime())),
    ).where(QueueItem.team_id == bindparam("team_id"), QueueItem.status == ItemStatus.OPEN)


@lru_cache(maxsize=1)
def _summary_and_nurses_statement() -> Select:
    """The summary's one row, beside each of the team's nurses (`_team_nurses_statement`'s
    columns, None for a team with none). Built once per process (see `_queue_statement`)."""
    summary = _summary_statement().subquery("summary")
    nurses = _team_nurses_statement().whereclause
    return (
        select(*summary.c, User.id, User.display_name)
        .select_from(summary.outerjoin(User, nurses))
        .order_by(User.display_name, User.id)
    )


def queue_summary_and_nurses(team_id: int, now: datetime) -> tuple[dict, list[TeamNurse]]:
    """The team's open, urgent and overdue counts (`_summary_statement`) and `team_nurses`, in
    one statement, as the queue page shows both: a statement less on every view of the queue
    (on PostgreSQL a round trip to the server)."""
    rows = read_rows(_summary_and_nurses_statement(), {"team_id": team_id, "now": now}).all()
    first = rows[0]
    summary = {"open": first[0], "urgent": first[1], "overdue": first[2]}
    return summary, [TeamNurse(row[3], row[4]) for row in rows if row[3] is not None]


def user_to_assign(user_id: int | None) -> User | None:
    """The person an item is to be given to, by id (`assign` checks they may have it)."""
    return db.session.get(User, user_id) if user_id is not None else None


@lru_cache(maxsize=1)
def _open_items_for_patient_statement() -> Select:
    """Built once per process (see `_queue_statement`)."""
    return (
        select(*_ROW_COLUMNS)
        .join(QueueItem.patient)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == QueueItem.assignee_id)
        .where(QueueItem.patient_id == bindparam("patient_id"), QueueItem.status == ItemStatus.OPEN)
        .order_by(*QUEUE_ORDER)
    )


def open_items_for_patient(patient_id: int) -> list[QueueRow]:
    """The person's open items, most urgent first, as the queue page's lines read them (plain
    values, who has each in the same row), for the nurse's page for the person."""
    return [QueueRow._make(row)
            for row in read_rows(_open_items_for_patient_statement(), {"patient_id": patient_id})]


class TeamNurse(NamedTuple):
    """A nurse as the pages list them (the key worker filters, "give it to a colleague")."""

    id: int
    display_name: str


@lru_cache(maxsize=1)
def _team_nurses_statement() -> Select:
    """Built once per process (see `_queue_statement`)."""
    return (
        select(User.id, User.display_name)
        .where(User.team_id == bindparam("team_id"), User.role == Role.NURSE, User.active.is_(True))
        .order_by(User.display_name, User.id)
    )


def team_nurses(team_id: int) -> list[TeamNurse]:
    """The team's active nurses: who an item can be given to, and the key worker filters' choices
    (plain rows through the `users (team_id, role, display_name)` index)."""
    return [TeamNurse._make(row) for row in read_rows(_team_nurses_statement(), {"team_id": team_id})]


# ---------------------------------------------------------------- acting on an item


class QueueError(Exception):
    """An action that cannot be done, with a message for the nurse."""

    def __init__(self, message: str, item: QueueItem | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


class Conflict(QueueError):
    """Someone else changed the item since the nurse loaded it. Nothing was saved."""

    def __init__(self, item: QueueItem, changed_by: User | None) -> None:
        who = changed_by.display_name if changed_by is not None else "Someone else"
        super().__init__(
            f"{who} changed this item while you were looking at it, so your change was not saved. "
            f"{state_in_words(item)} Check it below, then try again if it is still needed.",
            item,
        )
        self.changed_by = changed_by


def state_in_words(item: QueueItem) -> str:
    """Where the item stands now, in a sentence."""
    from .models import OUTCOME_LABELS

    if item.status is ItemStatus.RESOLVED:
        by = f" by {item.resolved_by.display_name}" if item.resolved_by else ""
        outcome = f": {OUTCOME_LABELS[item.outcome].lower()}" if item.outcome else ""
        return f"It has been resolved{by}{outcome}."
    if item.assignee is not None:
        return f"{item.assignee.display_name} has it now."
    return "Nobody has it now."


CHANGE_ACTIONS = ("queue.claim", "queue.assign", "queue.release", "queue.resolve")


def last_changed_by(item: QueueItem) -> User | None:
    """Who made the item's latest change, from the audit log (None if it was never changed)."""
    return versioning.last_changed_by(f"queue-item:{item.id}", CHANGE_ACTIONS, patient_id=item.patient_id)


class AlreadyDone(QueueError):
    """The nurse's own change, sent again (a retry or a double click): the item is already as
    she asked, so there is nothing to save and nothing to warn her about."""

    def __init__(self, item: QueueItem) -> None:
        super().__init__("Already done.", item)


Done = Callable[[QueueItem], bool]


def _conflict(item_id: int, expected_revision: int | None, by: User | None = None,
              done: Done | None = None) -> QueueError:
    """What to raise when the item moved on: AlreadyDone if it is `by`'s own change sent again
    (one change past the revision she saw, hers, and the item just as `done` wants it),
    otherwise a Conflict naming who changed it."""
    db.session.rollback()
    item = db.session.get(QueueItem, item_id, populate_existing=True)
    changed_by = last_changed_by(item)
    if by is not None and done is not None and versioning.is_own_retry(
        stored_version=item.revision, shown_version=expected_revision,
        changed_by_id=changed_by.id if changed_by else None, by_id=by.id, same_content=lambda: done(item),
    ):
        return AlreadyDone(item)
    return Conflict(item, changed_by)


def _check(item: QueueItem, expected_revision: int | None, by: User | None = None,
           done: Done | None = None, *, open_only: bool = True) -> None:
    if expected_revision != item.revision:
        raise _conflict(item.id, expected_revision, by, done)
    if open_only and item.status is not ItemStatus.OPEN:
        raise QueueError("This item has been resolved, so it cannot be changed.", item)


def _save(item: QueueItem, by: User | None = None, done: Done | None = None) -> QueueItem:
    """Flush with the revision check; a change that slipped in meanwhile is a Conflict."""
    item_id, shown = item.id, item.revision  # as checked against what the nurse's page showed
    try:
        db.session.flush()
    except StaleDataError:
        raise _conflict(item_id, shown, by, done) from None
    return item


def _has(assignee_id: int) -> Done:
    return lambda item: item.status is ItemStatus.OPEN and item.assignee_id == assignee_id


def claim(item: QueueItem, nurse: User, expected_revision: int | None) -> QueueItem:
    """The nurse takes the item (from nobody, or over from a colleague)."""
    done = _has(nurse.id)
    _check(item, expected_revision, nurse, done)
    item.assignee_id, item.assigned_at = nurse.id, utcnow()
    return _save(item, nurse, done)


def assign(item: QueueItem, to_user: User | None, by: User, expected_revision: int | None) -> QueueItem:
    """Give the item to a colleague: an active nurse of the item's team."""
    done = _has(to_user.id) if to_user is not None else None
    _check(item, expected_revision, by, done)
    if (
        to_user is None or to_user.role is not Role.NURSE or not to_user.active
        or to_user.team_id != item.team_id
    ):
        raise QueueError("Choose a nurse in your team", item)
    item.assignee_id, item.assigned_at = to_user.id, utcnow()
    return _save(item, by, done)


def release(item: QueueItem, by: User, expected_revision: int | None) -> QueueItem:
    """Nobody has the item any more: it goes back to the team."""
    def done(current: QueueItem) -> bool:
        return current.status is ItemStatus.OPEN and current.assignee_id is None

    _check(item, expected_revision, by, done)
    item.assignee_id, item.assigned_at = None, None
    return _save(item, by, done)


def resolve(item: QueueItem, outcome: Outcome, note: str | None, by: User, expected_revision: int | None) -> QueueItem:
    """Close the item with what was done."""
    def done(current: QueueItem) -> bool:
        # The note too: her stale second resolve with a different note is not a retry.
        return (current.status is ItemStatus.RESOLVED and current.outcome is outcome
                and current.resolved_by_id == by.id and current.outcome_note == ((note or "").strip() or None))

    _check(item, expected_revision, by, done)
    now = utcnow()
    item.status, item.outcome = ItemStatus.RESOLVED, outcome
    item.outcome_note = (note or "").strip() or None
    item.resolved_at, item.resolved_by_id = now, by.id
    if item.assignee_id is None:
        item.assignee_id, item.assigned_at = by.id, now
    return _save(item, by, done)
