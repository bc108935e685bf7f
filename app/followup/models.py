"""Follow-up after treatment: the pathway agreed at the Treatment Review, the surveillance
schedule, and End of Treatment Summaries."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile, User, enum_values
from ..timeutil import UTCDateTime, utcnow


class FollowUpType(str, enum.Enum):
    CLINICIAN_LED = "clinician_led"
    SUPPORTED_SELF_MANAGEMENT = "supported_self_management"


FOLLOW_UP_TYPE_LABELS = {
    FollowUpType.CLINICIAN_LED: "Clinician-led follow-up",
    FollowUpType.SUPPORTED_SELF_MANAGEMENT: "Supported self-management",
}


class FollowUpPlan(db.Model):
    """The follow-up pathway decided with the person at the Treatment Review (one per person)."""

    __tablename__ = "follow_up_plans"
    # Who is on supported self-management (remote monitoring).
    __table_args__ = (Index("ix_follow_up_plans_type", "follow_up_type", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"), unique=True)
    follow_up_type: Mapped[FollowUpType] = mapped_column(Enum(FollowUpType, native_enum=False, length=40, values_callable=enum_values))
    treatment_review_date: Mapped[date | None] = mapped_column(Date)
    # Until when the person can come straight back to the team (open-access re-entry).
    open_access_until: Mapped[date | None] = mapped_column(Date)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[PatientProfile] = relationship()
    updated_by: Mapped[User] = relationship()


class SurveillanceTest(db.Model):
    """One test in a person's surveillance schedule: what, how often, when next due."""

    __tablename__ = "surveillance_tests"
    __table_args__ = (
        Index("ix_surveillance_tests_due", "active", "next_due"),
        # A person's active tests by due date (remote monitoring: overdue, due soon, no schedule).
        Index("ix_surveillance_tests_patient_due", "patient_id", "active", "next_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    interval_months: Mapped[int] = mapped_column(Integer)
    next_due: Mapped[date] = mapped_column(Date)
    # Who arranges it ("The hospital sends a blood test form", "Your GP practice").
    arranged_by: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[PatientProfile] = relationship()


class EndOfTreatmentSummary(db.Model):
    """One version of a person's End of Treatment Summary; a correction is a new version."""

    __tablename__ = "end_of_treatment_summaries"
    __table_args__ = (
        UniqueConstraint("patient_id", "version", name="uq_eots_patient_version"),
        # At most one current summary per person, whatever races the app loses.
        Index("uq_eots_one_current_per_patient", "patient_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    diagnosis: Mapped[str] = mapped_column(String(300))
    diagnosis_date: Mapped[date | None] = mapped_column(Date)
    # [{"treatment": "...", "started": "YYYY-MM-DD", "ended": "YYYY-MM-DD"|null, "intent": "curative"|...}]
    treatments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    side_effects: Mapped[str | None] = mapped_column(Text)
    late_effects: Mapped[str | None] = mapped_column(Text)
    red_flags_contact_team: Mapped[str | None] = mapped_column(Text)
    red_flags_emergency: Mapped[str | None] = mapped_column(Text)
    follow_up_plan: Mapped[str | None] = mapped_column(Text)
    contacts: Mapped[str | None] = mapped_column(Text)
    gp_actions: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The copy for the GP: sent by the team outside the app (the app sends nothing), so the
    # patient is told only what a nurse recorded: when and how it went, and who said so.
    gp_copy_sent_on: Mapped[date | None] = mapped_column(Date)
    gp_copy_method: Mapped[str | None] = mapped_column(String(20))
    gp_copy_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    gp_copy_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[PatientProfile] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    gp_copy_recorded_by: Mapped[User | None] = relationship(foreign_keys=[gp_copy_recorded_by_id])
