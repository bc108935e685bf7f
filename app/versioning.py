"""The one kit for concurrent edits of versioned records (optimistic locking through a version
column), used by every page that changes one: care plans, End of Treatment Summaries, follow-up
plans and surveillance tests, patients' details, team contacts, the services directory and the
queue.

- `shown_version`: the version the page showed, from its hidden field.
- `is_own_retry`: a person's own save arriving twice (a double click or a retry) is recognised
  on author AND content, so it is answered "saved"; anything else, a colleague's save or her own
  stale save with different content, is a conflict (otherwise her change would be silently lost
  while the page says it was saved).
- `last_changed_by` and `conflict_message`: the conflict names who changed what.
- `answer_conflict`: the one 409 answer, the page again with what the person typed kept.
- `replace_current`: a new version of a record kept as versions (care plans, End of Treatment
  Summaries) takes the current place, or the race for it is lost cleanly.
- `added_unless_taken` and `added_or_found`: a new record whose unique key another request took a
  moment ago (after the caller looked) is told apart in a savepoint, the rest of the transaction
  kept: refused (a team's name, a staff email, an NHS number), or the one stored is used (a queue
  item for its source, a message thread, an HNA draft).
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Iterable, TypeVar

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db, savepoint
from .models import AuditEvent, User

CONFLICT = 409
# More digits than any version a record reaches: anything longer is not one the page showed.
_MAX_VERSION_DIGITS = 9


def shown_version(field: Any = "version") -> int | None:
    """The version the page showed, from its hidden field: a form field (its data) or the name of
    a posted field. None when missing or tampered with, which never matches a stored version."""
    value = field.data if hasattr(field, "data") else request.form.get(field)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10 ** _MAX_VERSION_DIGITS else None
    value = (value or "").strip() if isinstance(value, str) else ""
    if value.isascii() and value.isdigit() and len(value) <= _MAX_VERSION_DIGITS:
        return int(value)
    return None


def is_own_retry(*, stored_version: int | None, shown_version: int | None, changed_by_id: int | None,
                 by_id: int, same_content: Callable[[], bool]) -> bool:
    """True when the stored record is exactly one change past the version the person's page showed,
    that change was hers, and it stored exactly what she sends now: the same save sent twice, so
    it is already stored. A colleague's change, or her own earlier save with different content,
    is not a retry: that is a conflict."""
    return (
        stored_version is not None and shown_version is not None
        and stored_version == shown_version + 1
        and changed_by_id is not None and changed_by_id == by_id
        and bool(same_content())
    )


def last_changed_by(subject: str, actions: Iterable[str], patient_id: int | None = None) -> User | None:
    """Who made the latest successful change (one of `actions`) to `subject`, from the audit log;
    None if nobody did (for records without a column saying who changed them last). Give the
    patient's id when the record is about one: the audit log is indexed by patient."""
    stmt = (
        select(User).join(AuditEvent, AuditEvent.actor_id == User.id)
        .where(AuditEvent.subject == subject, AuditEvent.action.in_(tuple(actions)), AuditEvent.outcome == "success")
    )
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    return db.session.scalar(stmt.order_by(AuditEvent.id.desc()).limit(1))


def conflict_message(who: Any, what: str, next_step: str, *, did: str = "changed") -> str:
    """'Sam Taylor changed the follow-up plan while you were editing it, so your changes have not
    been saved. <next step>'. `who` is a User, a name, or None (someone else)."""
    name = getattr(who, "display_name", who) or "Someone else"
    return f"{name} {did} {what} while you were editing it, so your changes have not been saved. {next_step}"


def answer_conflict(template: str, /, **context) -> tuple[str, int]:
    """The one answer to a lost race: 409, and the page again with the record as it is now and
    everything the person typed kept (the caller puts the stored version into the form's hidden
    field, so saving again is a knowing choice)."""
    return render_template(template, **context), CONFLICT


def replace_current(current: Any, new: Any) -> bool:
    """Make `new` (a record with `is_current`) the current version in place of `current` (None
    for a first version), in a savepoint. False when another save took the version number or the
    current place a moment ago (the unique constraints that catch two saves arriving together):
    nothing changed, and every record is expired so the caller reads what is stored now to name
    it in its conflict. Flushes."""
    try:
        with savepoint():
            if current is not None:
                current.is_current = False
            db.session.add(new)
    except IntegrityError:
        db.session.expire_all()
        return False
    return True


def added_unless_taken(*records: Any) -> bool:
    """Add `records` and flush them in a savepoint. False when a unique key of theirs is taken
    (someone added the same a moment ago): none of them is kept, and the rest of the transaction
    is as it was."""
    try:
        with savepoint():
            db.session.add_all(records)
    except IntegrityError:
        return False
    return True


Record = TypeVar("Record")


def added_or_found(record: Record, find: Callable[[], Record | None]) -> tuple[Record, bool]:
    """(`record`, True) once added and flushed in a savepoint; or, when its unique key was taken
    a moment ago by another request, (`find()`, False): the one stored. A clash with nothing to
    find is a fault, raised, never lost silently."""
    def add() -> Record:
        db.session.add(record)  # flushed as the savepoint ends
        return record

    return written_or_found(add, find)


def written_or_found(write: Callable[[], Record], find: Callable[[], Record | None]) -> tuple[Record, bool]:
    """`added_or_found` for a record written by a statement: (`write()`, True) when it ran in a
    savepoint, or (`find()`, False) when its unique key was taken a moment ago."""
    try:
        with savepoint():
            written = write()
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found, False
    return written, True


class Switch(enum.Enum):
    DONE = "done"        # changed now
    ALREADY = "already"  # the same change was made a moment ago (a double click or a retry)
    STALE = "stale"      # someone changed the record since the page was shown: nothing changed


def set_active(record: Any, active: bool, shown_version: int | None, *, by_id: int,
               last_changed_by_now: Callable[[], User | None]) -> Switch:
    """Stop or restart `record` (with `active` and a `version_id_col` named `version`) if it is
    still the version the page showed. Flushes; on a lost race the session is rolled back.
    ALREADY only for this person's own click arriving twice (`last_changed_by_now` reads who made
    the latest change); a colleague's change meanwhile is STALE, so she is told."""
    if shown_version is not None and shown_version == record.version:
        record.active = active
        try:
            db.session.flush()
            return Switch.DONE
        except StaleDataError:
            db.session.rollback()  # the record reloads below, as now stored
    changed_by = last_changed_by_now()
    if is_own_retry(stored_version=record.version, shown_version=shown_version,
                    changed_by_id=changed_by.id if changed_by else None, by_id=by_id,
                    same_content=lambda: record.active is active):
        return Switch.ALREADY
    return Switch.STALE
