"""The one audit call. Every read or change of a patient's record by staff goes through it."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent


def audit(
    action: str,
    *,
    patient=None,
    subject: str | None = None,
    outcome: str = "success",
    actor=None,
    commit: bool = False,
    **detail: Any,
) -> AuditEvent:
    """Record who did what to which record. Added to the current transaction unless commit=True."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_id=getattr(actor, "id", None),
        patient_id=getattr(patient, "id", patient if isinstance(patient, int) else None),
        subject=subject,
        detail=detail,
    )
    if has_request_context():
        event.ip = request.remote_addr
        event.path = request.path[:500]
    db.session.add(event)
    if commit:
        db.session.commit()
    return event
