"""Raising queue items. Every source raises through `raise_item`, keyed so it happens once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import PatientProfile, Team
from ..timeutil import utcnow
from .models import QueueItem
from .queue import DEFAULT_TARGET_WORKING_DAYS, ItemKind, kind_for_hna
from .working_days import response_deadline


def target_working_days(team: Team, kind: ItemKind) -> int:
    """The team's response target for `kind`, in working days (0: the same working day)."""
    configured = (team.response_targets or {}).get(kind.value)
    return DEFAULT_TARGET_WORKING_DAYS[kind] if configured is None else int(configured)


def raise_item(patient: PatientProfile, kind: ItemKind, reason: str, source_key: str,
               received_at: datetime | None = None, **links) -> QueueItem:
    """The open or past item for `source_key`, creating it if this is the first time."""
    existing = db.session.scalar(select(QueueItem).where(QueueItem.source_key == source_key))
    if existing is not None:
        return existing
    received_at = received_at or utcnow()
    item = QueueItem(
        team_id=patient.team_id, patient_id=patient.id, kind=kind, reason=reason[:300],
        source_key=source_key, received_at=received_at,
        due_at=response_deadline(received_at, target_working_days(patient.team, kind)), **links,
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        # Raised a moment ago by another request.
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == source_key))
    return item


def raise_for_hna(hna) -> QueueItem:
    """A submitted HNA goes to its team: urgent symptoms at the top, then high distress."""
    if hna.has_urgent_symptom:
        kind = ItemKind.RED_FLAG
        reason = "Needs assessment: possible urgent symptom"
    else:
        kind = kind_for_hna(hna.high_priority)
        reason = "Needs assessment: " + (
            f"distress {hna.distress} out of 10" if hna.distress is not None else "sent"
        )
    if hna.high_scoring_count:
        reason += f"; {hna.high_scoring_count} concern{'s' if hna.high_scoring_count != 1 else ''} scored 7 or more"
    return raise_item(hna.patient, kind, reason, f"hna:{hna.id}", received_at=hna.submitted_at, hna_id=hna.id)


def resolve_by_source(source_key: str, outcome, note: str | None, by) -> QueueItem | None:
    """Resolve the open item raised by `source_key` (e.g. when a care plan is written from an
    HNA). Nothing happens if there is none or it is already resolved."""
    from .models import ItemStatus

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
    return item
