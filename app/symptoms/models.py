"""The person's symptom log. An entry is corrected in place, and each earlier wording is kept as
a version, so the team can always read what they were sent before the correction."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile
from ..timeutil import UTCDateTime, utcnow


class SymptomEntry(db.Model):
    __tablename__ = "symptom_entries"
    __table_args__ = (
        # The person's history, newest first, and the sweep over current entries.
        Index("ix_symptom_entries_patient", "patient_id", "removed_at", "logged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"))
    # A symptom of the pathway content (rules.symptom_choices), or None: something else, in
    # the person's own words (`own_words`).
    symptom_id: Mapped[str | None] = mapped_column(String(60))
    symptom_text: Mapped[str] = mapped_column(String(300))
    own_words: Mapped[str | None] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    started_on: Mapped[date] = mapped_column(Date)
    new_or_worse: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The London day it was logged: what the rules count repeats by.
    logged_on: Mapped[date] = mapped_column(Date)
    # The level the rules gave it when last logged, corrected or swept (rules.Level values),
    # which rule, and the version of the rules.
    level: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[str] = mapped_column(String(32))
    # The queue item this entry raised or was merged into (None: a watch symptom, never raised).
    queue_item_id: Mapped[int | None] = mapped_column(ForeignKey("queue_items.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: a correction names the version it started from. Counted by hand
    # (service.correct), so only a correction makes a new version, not linking the queue item.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    patient: Mapped[PatientProfile] = relationship()
    earlier_versions: Mapped[list["SymptomEntryVersion"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="SymptomEntryVersion.version.desc()"
    )


class SymptomEntryVersion(db.Model):
    """An entry as it was before a correction (what the team may already have read)."""

    __tablename__ = "symptom_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_symptom_entry_versions_entry_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("symptom_entries.id"))
    version: Mapped[int] = mapped_column(Integer)
    symptom_id: Mapped[str | None] = mapped_column(String(60))
    symptom_text: Mapped[str] = mapped_column(String(300))
    own_words: Mapped[str | None] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    started_on: Mapped[date] = mapped_column(Date)
    new_or_worse: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[SymptomEntry] = relationship(back_populates="earlier_versions")
