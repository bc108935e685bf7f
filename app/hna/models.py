"""HNA records: questionnaire versions as stored data, and each person's assessments."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile, User, enum_values
from ..timeutil import UTCDateTime, utcnow


class PathwayPoint(str, enum.Enum):
    DIAGNOSIS = "diagnosis"
    START_OF_TREATMENT = "start_of_treatment"
    DURING_TREATMENT = "during_treatment"
    END_OF_TREATMENT = "end_of_treatment"
    AFTER_TREATMENT = "after_treatment"
    OTHER = "other"


PATHWAY_POINT_LABELS = {
    PathwayPoint.DIAGNOSIS: "Around the time of diagnosis",
    PathwayPoint.START_OF_TREATMENT: "Starting treatment",
    PathwayPoint.DURING_TREATMENT: "During treatment",
    PathwayPoint.END_OF_TREATMENT: "At the end of treatment",
    PathwayPoint.AFTER_TREATMENT: "After treatment has finished",
    PathwayPoint.OTHER: "None of these, or I'm not sure",
}
# As a question page offers them: (value, label).
PATHWAY_POINT_CHOICES = tuple((point.value, label) for point, label in PATHWAY_POINT_LABELS.items())


class HNAStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class QuestionnaireVersion(db.Model):
    """A published questionnaire, exactly as people saw it. Never edited once published."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_questionnaire_versions_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    published_by: Mapped[User | None] = relationship()


class HNA(db.Model):
    __tablename__ = "hnas"
    __table_args__ = (
        Index("ix_hnas_patient_status", "patient_id", "status"),
        Index("ix_hnas_team_submitted", "team_id", "status", "submitted_at"),
        # At most one draft per person, so a double tap on "Start" cannot make two.
        Index(
            "uq_hnas_one_draft_per_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"))
    # Copied from the patient so a team's list needs no join (and stays right if they move).
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    status: Mapped[HNAStatus] = mapped_column(Enum(HNAStatus, native_enum=False, length=16, values_callable=enum_values), default=HNAStatus.DRAFT)
    pathway_point: Mapped[PathwayPoint | None] = mapped_column(Enum(PathwayPoint, native_enum=False, length=32, values_callable=enum_values))
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the care team asked for it (reported nationally with the point of pathway).
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_step: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on submission, for the team list.
    distress: Mapped[int | None] = mapped_column(Integer)
    high_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    high_scoring_count: Mapped[int] = mapped_column(Integer, default=0)
    # Ticked concerns whose advice is not to wait (e.g. fever): these go to the top of the list.
    urgent_symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    has_urgent_symptom: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}

    patient: Mapped[PatientProfile] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    offered_by: Mapped[User | None] = relationship()

    @property
    def offered_by_self(self) -> bool:
        return self.offered_by_id is None
