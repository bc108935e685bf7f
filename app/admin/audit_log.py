"""Reading the audit log: newest first, filtered by action, by who did it, by the patient it was
about and by a range of London dates, a page at a time (keyset paging on the id, so a page deep
in the log costs what the first does and events written meanwhile never repeat or hide one)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import patient_search
from ..extensions import db
from ..models import AuditEvent, PatientProfile, User
from ..timeutil import LONDON

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""     # the action starts with this ("patient." for every patient action)
    person: str = ""     # part of the name or email of who did it
    patient: str = ""    # a patient's name, or the start of their NHS number (patient_search)
    from_date: date | None = None  # London dates, both days included
    to_date: date | None = None


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # the id older events start before, or None on the last page


def london_midnight(day: date) -> datetime:
    """The UTC moment a London day starts (midnight is 23:00 UTC the evening before in summer)."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(timezone.utc)


def audit_page(filters: AuditFilters, before: int | None = None, limit: int = PAGE_SIZE) -> AuditPage:
    stmt = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.patient))
        .order_by(AuditEvent.id.desc())
    )
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.person:
        who = select(User.id).where(or_(
            User.display_name.icontains(filters.person, autoescape=True),
            User.email.icontains(filters.person, autoescape=True),
        ))
        stmt = stmt.where(AuditEvent.actor_id.in_(who))
    if filters.patient:
        stmt = stmt.where(AuditEvent.patient_id.in_(select(PatientProfile.id).where(patient_search.matches(filters.patient))))
    if filters.from_date:
        stmt = stmt.where(AuditEvent.occurred_at >= london_midnight(filters.from_date))
    if filters.to_date:
        stmt = stmt.where(AuditEvent.occurred_at < london_midnight(filters.to_date + timedelta(days=1)))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    return AuditPage(events=rows[:limit], next_before=rows[limit - 1].id if len(rows) > limit else None)
