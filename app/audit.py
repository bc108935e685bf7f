"""The one audit call. Every read or change of a patient's record by staff goes through it.

The log is append-only: the model refuses changes to a loaded event (`app.models`), and the
listener below refuses bulk UPDATE and DELETE statements on the table through the ORM.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from .extensions import db
from .models import AuditEvent, AuditLogIsAppendOnly, PatientProfile, User
from .untrusted import without_control_characters

# URL arguments that are secrets in themselves.
SECRET_ARGUMENTS = frozenset({"token"})


def audit(
    action: str,
    /,
    *,
    patient: PatientProfile | int | None = None,
    subject: str | None = None,
    outcome: str = "success",
    actor: User | None = None,
    commit: bool = False,
    **detail: Any,
) -> AuditEvent:
    """Record who did what to which record. Added to the current transaction unless commit=True.

    `actor` defaults to the signed-in person; `patient` may be a record not yet flushed.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    # A refused request's subject may quote what was sent: PostgreSQL cannot store a NUL, and
    # the log's reader must not be shown terminal escapes.
    if subject is not None:
        subject = without_control_characters(subject)
    event_ = AuditEvent(action=action, outcome=outcome, subject=subject, detail=detail)
    if actor is not None:
        event_.actor = actor
    if isinstance(patient, PatientProfile):
        event_.patient = patient
    elif isinstance(patient, int):
        event_.patient_id = patient
    if has_request_context():
        event_.ip = request.remote_addr
        event_.path = _path_without_secrets()
    db.session.add(event_)
    if commit:
        db.session.commit()
    return event_


def _path_without_secrets() -> str:
    """The request's path; for a URL that carries a secret (an invitation link), its pattern,
    so that nobody reading the log could use it."""
    rule = request.url_rule
    if rule is not None and rule.arguments & SECRET_ARGUMENTS:
        return rule.rule
    return without_control_characters(request.path)[:500]


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditLogIsAppendOnly("Audit events can be added, never changed or removed.")


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
