"""The local services directory: where a care plan can refer or signpost people."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Team, enum_values
from ..timeutil import UTCDateTime, utcnow


class ServiceCategory(str, enum.Enum):
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    REHABILITATION = "rehabilitation"
    DIETITIAN = "dietitian"
    MONEY_AND_BENEFITS = "money_and_benefits"
    CHARITY_SUPPORT = "charity_support"
    EXERCISE = "exercise"
    CARERS_SUPPORT = "carers_support"
    OTHER = "other"


CATEGORY_LABELS = {
    ServiceCategory.PSYCHOLOGICAL_SUPPORT: "Psychological support",
    ServiceCategory.REHABILITATION: "Rehabilitation",
    ServiceCategory.DIETITIAN: "Dietitian",
    ServiceCategory.MONEY_AND_BENEFITS: "Money and benefits advice",
    ServiceCategory.CHARITY_SUPPORT: "Charity support",
    ServiceCategory.EXERCISE: "Exercise",
    ServiceCategory.CARERS_SUPPORT: "Carers' support",
    ServiceCategory.OTHER: "Other support",
}


class Service(db.Model):
    __tablename__ = "services"
    __table_args__ = (Index("ix_services_active_category", "active", "category", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[ServiceCategory] = mapped_column(Enum(ServiceCategory, native_enum=False, length=40, values_callable=enum_values))
    description: Mapped[str | None] = mapped_column(Text)
    # Null: a national service, offered to every team's patients.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    hours: Mapped[str | None] = mapped_column(String(200))
    # HNA concern domains the service helps with ("physical", "emotional", ...).
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    team: Mapped[Team | None] = relationship()

    @property
    def national(self) -> bool:
        return self.team_id is None
