"""Personalised Care and Support Plans: versioned, never edited in place."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile, User, enum_values
from ..timeutil import UTCDateTime, utcnow


class ActionOwner(str, enum.Enum):
    PATIENT = "patient"
    KEY_WORKER = "key_worker"
    GP = "gp"
    SERVICE = "service"
    OTHER = "other"


class Support(str, enum.Enum):
    NONE = "none"
    REFERRAL = "referral"
    SIGNPOSTING = "signposting"


class CarePlan(db.Model):
    """One version of a person's plan. A change is a new row with the next version number."""

    __tablename__ = "care_plans"
    __table_args__ = (
        UniqueConstraint("patient_id", "version", name="uq_care_plans_patient_version"),
        # The overdue-review sweep: current plans of a team whose review date has passed.
        Index("ix_care_plans_review", "team_id", "is_current", "review_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(default=True)
    hna_id: Mapped[int | None] = mapped_column(ForeignKey("hnas.id"))
    review_date: Mapped[date] = mapped_column(Date)
    # What the person and key worker agreed overall, in plain words.
    summary: Mapped[str | None] = mapped_column(Text)
    # Why this version was made ("Reviewed at 3-month call").
    change_note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person first opened this version in the app (None: not yet). "What changed"
    # compares the current version with the newest one they have seen.
    seen_by_patient_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[PatientProfile] = relationship()
    created_by: Mapped[User] = relationship()
    items: Mapped[list["CarePlanItem"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="CarePlanItem.position"
    )


class CarePlanItem(db.Model):
    __tablename__ = "care_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # The concern discussed: its HNA item id when it came from the checklist, and its words.
    concern_id: Mapped[str | None] = mapped_column(String(80))
    domain: Mapped[str | None] = mapped_column(String(40))
    concern: Mapped[str] = mapped_column(String(200))
    agreed: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[ActionOwner] = mapped_column(Enum(ActionOwner, native_enum=False, length=20, values_callable=enum_values))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    support: Mapped[Support] = mapped_column(Enum(Support, native_enum=False, length=20, values_callable=enum_values), default=Support.NONE)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))

    plan: Mapped[CarePlan] = relationship(back_populates="items")
    service: Mapped["Service | None"] = relationship()  # noqa: F821


from ..directory.models import Service  # noqa: E402,F401  (for the relationship above)
