"""Queue items: everything in a team's triage queue that needs a person."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, cast, literal
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile, Team, User, enum_values
from ..timeutil import UTCDateTime, utcnow
from .queue import KIND_RANK, REASON_LENGTH, ItemKind


class ItemStatus(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"


class Outcome(str, enum.Enum):
    PHONED = "phoned"
    ADVICE_GIVEN = "advice_given"
    APPOINTMENT_BOOKED = "appointment_booked"
    TEST_ARRANGED = "test_arranged"
    REFERRED = "referred"
    CARE_PLAN_AGREED = "care_plan_agreed"
    NO_ACTION_NEEDED = "no_action_needed"


OUTCOME_LABELS = {
    Outcome.PHONED: "Phoned the patient",
    Outcome.ADVICE_GIVEN: "Advice given",
    Outcome.APPOINTMENT_BOOKED: "Appointment booked",
    Outcome.TEST_ARRANGED: "Test arranged",
    Outcome.REFERRED: "Referred",
    Outcome.CARE_PLAN_AGREED: "Care plan agreed",
    Outcome.NO_ACTION_NEEDED: "No action needed",
}


# What raised an item (`QueueItem.source_key`) for the sources other areas find items by: built
# here only, so the key an item is raised with and the key it is looked up by are the same.
HNA_SOURCE = "hna:"
PLAN_REVIEW_SOURCE = "plan-review:"


def source_key(source: str, record_id: int) -> str:
    return f"{source}{record_id}"


def source_key_of(source: str, id_column):
    """`source_key` in SQL, to find items by the rows that raised them."""
    return literal(source) + cast(id_column, String)


class QueueItem(db.Model):
    __tablename__ = "queue_items"
    __table_args__ = (
        # The queue's order, for keyset pagination: open items of a team by rank, due, age, id.
        Index("ix_queue_items_team_order", "team_id", "status", "rank", "due_at", "received_at", "id"),
        # Resolved items, newest first, for keyset pages of the 'Resolved' filter.
        Index("ix_queue_items_team_resolved", "team_id", "status", "resolved_at", "id"),
        Index("ix_queue_items_assignee_status", "assignee_id", "status"),
        Index("ix_queue_items_patient", "patient_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"))
    kind: Mapped[ItemKind] = mapped_column(Enum(ItemKind, native_enum=False, length=32, values_callable=enum_values))
    # Stored so the queue can be ordered (and paged) by an index; always KIND_RANK[kind].
    rank: Mapped[int] = mapped_column(Integer)
    # Why the item is here, in the team's words (e.g. "Distress 8 of 10; 3 concerns scored 7+").
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    # What raised it, once: "hna:12", "plan-review:7". A retry or a second sweep cannot add another.
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    hna_id: Mapped[int | None] = mapped_column(ForeignKey("hnas.id"))
    care_plan_id: Mapped[int | None] = mapped_column(ForeignKey("care_plans.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ItemStatus] = mapped_column(Enum(ItemStatus, native_enum=False, length=16, values_callable=enum_values), default=ItemStatus.OPEN)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[Outcome | None] = mapped_column(Enum(Outcome, native_enum=False, length=32, values_callable=enum_values))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Optimistic locking: two nurses acting on one item at once; the second is told (409).
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}

    team: Mapped[Team] = relationship()
    patient: Mapped[PatientProfile] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.kind is not None and self.rank is None:
            self.rank = KIND_RANK[self.kind]


# The one order of open queue items, most urgent first: clinical rank, then the nearest (or
# furthest past) response target, then the oldest, then the id so that ties have an order too.
# Keyset paging compares rows in this same order (triage.service.queue_page).
QUEUE_ORDER = (QueueItem.rank, QueueItem.due_at, QueueItem.received_at, QueueItem.id)
