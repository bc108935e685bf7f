"""Re-entry requests and the dated history of each one's status."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile, User, enum_values
from ..symptoms.models import SymptomEntry
from ..timeutil import UTCDateTime, utcnow
from ..triage.models import Outcome


class ContactMethod(str, enum.Enum):
    PHONE = "phone"
    MESSAGE = "message"


CONTACT_METHOD_LABELS = {
    ContactMethod.PHONE: "A phone call",
    ContactMethod.MESSAGE: "A message in this app",
}


class ContactTime(str, enum.Enum):
    ANY = "any"
    MORNING = "morning"
    AFTERNOON = "afternoon"


CONTACT_TIME_LABELS = {
    ContactTime.ANY: "Any time in working hours",
    ContactTime.MORNING: "Mornings (9am to 12pm)",
    ContactTime.AFTERNOON: "Afternoons (12pm to 5pm)",
}


class RequestStatus(str, enum.Enum):
    SENT = "sent"
    SEEN = "seen"
    WILL_CALL = "will_call"
    APPOINTMENT_BOOKED = "appointment_booked"
    CLOSED = "closed"


# The symptom log entries a person attached to a request (their own, chosen on the form).
request_symptoms = Table(
    "reentry_request_symptoms", db.metadata,
    Column("request_id", ForeignKey("reentry_requests.id"), primary_key=True),
    Column("entry_id", ForeignKey("symptom_entries.id"), primary_key=True),
)


class ReentryRequest(db.Model):
    """One request to be seen. Each has one queue item (source key `reentry:<id>`)."""

    __tablename__ = "reentry_requests"
    __table_args__ = (Index("ix_reentry_requests_patient", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"))
    worry: Mapped[str] = mapped_column(Text)
    contact_method: Mapped[ContactMethod] = mapped_column(Enum(ContactMethod, native_enum=False, length=16, values_callable=enum_values))
    contact_time: Mapped[ContactTime] = mapped_column(Enum(ContactTime, native_enum=False, length=16, values_callable=enum_values))
    # The number to call, as the person gave it for this request (their record's may be out of date).
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[RequestStatus] = mapped_column(Enum(RequestStatus, native_enum=False, length=24, values_callable=enum_values), default=RequestStatus.SENT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The queue item's response target, kept so the person is always shown the date they were given.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_place: Mapped[str | None] = mapped_column(String(200))
    # The queue's outcomes, so closing the request and resolving its queue item say the same thing.
    outcome: Mapped[Outcome | None] = mapped_column(Enum(Outcome, native_enum=False, length=32, values_callable=enum_values))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Optimistic locking: two nurses acting on one request at once; the second is told (409).
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[PatientProfile] = relationship()
    seen_by: Mapped[User | None] = relationship(foreign_keys=[seen_by_id])
    symptoms: Mapped[list[SymptomEntry]] = relationship(secondary=request_symptoms, order_by=SymptomEntry.logged_at.desc())
    changes: Mapped[list["ReentryStatusChange"]] = relationship(
        back_populates="request", order_by="ReentryStatusChange.id", cascade="all, delete-orphan")


class ReentryStatusChange(db.Model):
    """What the person sees of the request's history: each status, when, and who."""

    __tablename__ = "reentry_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("reentry_requests.id"), index=True)
    status: Mapped[RequestStatus] = mapped_column(Enum(RequestStatus, native_enum=False, length=24, values_callable=enum_values))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    request: Mapped[ReentryRequest] = relationship(back_populates="changes")
    changed_by: Mapped[User] = relationship()
