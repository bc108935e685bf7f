"""The one audit call. Every read or change of a patient's record by staff goes through it.

The log is append-only, refused by the database: triggers on audit_events (app/models.py, made
by the migrations and by a schema made from the models) refuse every UPDATE and DELETE of an
event (and TRUNCATE, on PostgreSQL), however the statement is written or sent; the refusal
reaches callers as AuditLogIsAppendOnly. The one way past them is `erasing_events`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache, lru_cache
from typing import Any

from flask import Flask, Request, Response, current_app, has_request_context, request
from sqlalchemy import Connection, Engine, Insert, delete, event, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import instance_state
from werkzeug.routing import Map

from .extensions import committed_alone, db
from .plain_rows import write_row
from .models import AUDIT_LOG_REFUSAL, AuditErasurePermit, AuditEvent, AuditLogIsAppendOnly, PatientProfile, User
from .sessions import SignedInUser, signed_in_person, touch_committed, touch_with_this_commit
from .timeutil import utcnow
from .untrusted import without_control_characters

# URL arguments that are secrets in themselves.
SECRET_ARGUMENTS = frozenset({"token"})
# Where each request leaves its path as the logs may show it, for the web server's access log
# (gunicorn.conf.py prints it instead of the URL as sent, which may carry an invitation's secret).
ACCESS_LOG_PATH = "mycc.path_without_secrets"


def audit(
    action: str,
    /,
    *,
    patient: PatientProfile | int | None = None,
    subject: str | None = None,
    outcome: str = "success",
    actor: User | SignedInUser | None = None,
    commit: bool = False,
    **detail: Any,
) -> None:
    """Record who did what to which record. Written in the current transaction (so a rollback
    takes it back), and committed now if commit=True: a staff page that reads a patient's records
    renders first and then calls this with commit=True, so that the page goes out once the audit
    of its read is stored.

    `actor` defaults to the signed-in person; `patient` may be a record not yet flushed.

    One prepared INSERT, sent now: every staff page writes one, and an ORM object cost a flush
    of the unit of work (with the person and the patient cascaded into it) several times the
    statement's own cost (issue 12); kept compiled and sent to the driver (`plain_rows.write_row`:
    Core's execution of it was half of an audit's Python calls).
    """
    current = request._get_current_object() if has_request_context() else None
    if actor is None and current is not None:
        # The signed-in person where Flask-Login keeps them (`sessions.signed_in_person`: one
        # look-up; `current_user`'s proxy took ~12 Python calls on every staff page).
        signed_in = signed_in_person()
        if signed_in.is_authenticated:
            actor = signed_in.id
    # A refused request's subject may quote what was sent: PostgreSQL cannot store a NUL, and
    # the log's reader must not be shown terminal escapes.
    if subject is not None:
        subject = without_control_characters(subject)
    values = {
        "occurred_at": utcnow(),
        "actor_id": actor if actor is None or isinstance(actor, int) else _id_of(actor),
        "action": action,
        "outcome": outcome,
        "patient_id": _id_of(patient) if isinstance(patient, PatientProfile) else patient,
        "subject": subject,
        "detail": detail,
        "ip": current.remote_addr if current is not None else None,
        "path": _path_without_secrets(current) if current is not None else None,
    }
    if not commit:
        write_row(_insert_statement(), values)
        return
    # The session's activity, when due, goes in the same commit (a view marked
    # `sessions.carries_the_session_touch`): one commit, on SQLite one fsync, per audited read.
    # Written before the event, so that the event finds it in the transaction.
    touch_with_this_commit()
    # The event of a page that only read (nothing written before it, nothing of the ORM's waiting)
    # is the one statement to commit: on PostgreSQL it is sent alone, committed as it runs (one
    # round trip instead of BEGIN, INSERT and COMMIT; issue 12). After a change it records it
    # goes in that change's transaction, and the two commit together or not at all.
    with committed_alone():
        write_row(_insert_statement(), values)
    db.session.commit()
    touch_committed()


@cache
def _insert_statement() -> Insert:
    # inline(): the event's id is never used, so PostgreSQL is not asked to send it back
    # (SQLAlchemy adds RETURNING to a one-row INSERT to fill in the inserted key).
    return insert(AuditEvent.__table__).inline()


def _id_of(record: User | PatientProfile | SignedInUser) -> int:
    """The record's id as the session knows it, so a record the last commit expired is not read
    again for it; a record not yet stored is flushed first."""
    if isinstance(record, SignedInUser):
        return record.id
    # The record's identity key as `inspect(record).identity` reads it, from its instance state
    # directly (`instance_state` is an attribute getter in C; the inspection and the property were
    # a dozen Python calls on every audited read).
    key = instance_state(record).key
    if key is None:
        db.session.flush()
        key = instance_state(record).key
    return key[1][0]


def _path_without_secrets(current: Request) -> str:
    """The request's path; for a URL that carries a secret (an invitation link), its pattern,
    so that nobody reading the log could use it. (Given the request itself: each read through
    Flask's `request` proxy looks up the context again.)"""
    rule = current.url_rule
    if rule is not None and not SECRET_ARGUMENTS.isdisjoint(rule.arguments):
        return rule.rule
    if rule is None:
        # No route matched (a 404 or 405), yet the path may still hold a link's secret: the link
        # with a slash added, or more after it. Any path under a secret route's fixed start is
        # logged as that route's pattern.
        for start, pattern in _secret_routes(current_app.url_map):
            if current.path.startswith(start):
                return pattern
    return without_control_characters(current.path)[:500]


@lru_cache(maxsize=4)
def _secret_routes(url_map: Map) -> tuple[tuple[str, str], ...]:
    """(the fixed start of the path, the pattern) of each route with a secret in its path."""
    return tuple((rule.rule.split("<", 1)[0], rule.rule) for rule in url_map.iter_rules()
                 if not SECRET_ARGUMENTS.isdisjoint(rule.arguments))


def init_access_log_path(app: Flask) -> None:
    # after_request: it runs for every answer Flask makes, an error page's too, before gunicorn
    # writes the line (it does so before closing the response, which is when teardown runs).
    app.after_request(_leave_the_path_for_the_access_log)


def _leave_the_path_for_the_access_log(response: Response) -> Response:
    current = request._get_current_object()
    current.environ[ACCESS_LOG_PATH] = _path_without_secrets(current)
    return response


@event.listens_for(Engine, "handle_error")
def _the_log_is_append_only(context) -> None:
    """The database refuses a change to the log (its triggers, app/models.py); callers see the
    refusal as AuditLogIsAppendOnly, whatever the driver calls it."""
    if AUDIT_LOG_REFUSAL in str(context.original_exception):
        raise AuditLogIsAppendOnly("Audit events can be added, never changed or removed.") from context.original_exception


@contextmanager
def erasing_events(connection: Connection, why: str) -> Iterator[Connection]:
    """The one way past the database's refusal, in this connection's transaction while inside:
    for a job that must remove events by rule (a retention period, an erasure the law requires),
    saying why. It writes the erasure permit and removes it again before the block ends, so the
    permit is never committed and no other transaction ever sees it. Nothing in the app removes
    events today; the test suite empties every table between tests."""
    permits = AuditErasurePermit.__table__
    connection.execute(insert(permits).values(id=1, why=why))
    try:
        yield connection
    except BaseException:
        # PostgreSQL: a failed transaction can run nothing more; its rollback takes the permit.
        with suppress(DBAPIError):
            connection.execute(delete(permits))
        raise
    connection.execute(delete(permits))


def changes_since(action: str, seen_version: int | None, field_labels: dict[str, str], *,
                  subject: str | None = None, patient_id: int | None = None) -> list[dict]:
    """Who changed which fields of a record after the version someone was looking at, read
    from the audit log (`action` events recording `fields` and `version`), oldest first.

    For the message shown when two people edit at once: "Sam Taylor changed the phone number at
    10:42am". An event without a version number is shown, in case it is the one that clashed."""
    stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == "success")
    if subject is not None:
        stmt = stmt.where(AuditEvent.subject == subject)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    events = db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(50)).all()
    changes = []
    for event_ in reversed(events):
        detail = event_.detail or {}
        version = detail.get("version")
        if seen_version is None or not isinstance(version, int) or version > seen_version:
            changes.append({
                "who": event_.actor.display_name if event_.actor else "Someone",
                "when": event_.occurred_at,
                "fields": [field_labels.get(name, name) for name in detail.get("fields", [])],
            })
    return changes
