"""Surveillance test results and each person's safe range for a test."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..followup.models import SurveillanceTest
from ..models import PatientProfile, User
from ..timeutil import UTCDateTime, utcnow

# Results are stored exactly (no binary floating point), so a boundary compares exactly.
VALUE_TYPE = Numeric(12, 3)


class ResultRule(db.Model):
    """A person's own safe range for one of their surveillance tests: a level above which the
    result is abnormal, and/or a rise of `rise_amount` within `rise_months`. Versioned: each
    change is audited with the version it made."""

    __tablename__ = "result_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    surveillance_test_id: Mapped[int] = mapped_column(ForeignKey("surveillance_tests.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"), index=True)
    unit: Mapped[str] = mapped_column(String(20))
    upper_limit: Mapped[Decimal | None] = mapped_column(VALUE_TYPE)
    rise_amount: Mapped[Decimal | None] = mapped_column(VALUE_TYPE)
    rise_months: Mapped[int | None] = mapped_column(Integer)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    test: Mapped[SurveillanceTest] = relationship()
    updated_by: Mapped[User] = relationship()


class TestResult(db.Model):
    """One result of a surveillance test, as the nurse recorded or imported it.

    `needs_review` is the person's "needs review" flag: set when the result is outside their safe
    range (or no range was set to judge it by) and kept until a nurse clears it. It never changes
    the person's follow-up type: open-access re-entry stays open to them."""

    __tablename__ = "test_results"
    __test__ = False  # not a pytest test class, whatever its name
    __table_args__ = (
        # A test's results in date order (its series, and earlier readings for a rise).
        Index("ix_test_results_test_taken", "surveillance_test_id", "taken_on"),
        # Whose results wait for a nurse's review.
        Index("ix_test_results_patient_review", "patient_id", "needs_review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    surveillance_test_id: Mapped[int] = mapped_column(ForeignKey("surveillance_tests.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"))
    value: Mapped[Decimal] = mapped_column(VALUE_TYPE)
    unit: Mapped[str] = mapped_column(String(20))
    taken_on: Mapped[date] = mapped_column(Date)
    resulted_on: Mapped[date] = mapped_column(Date)
    # The team's comment, shown to the patient with the result.
    comment: Mapped[str | None] = mapped_column(Text)
    # When the person first opened their results page after this result was recorded: until
    # then a result with a comment is on their home page's "To do now".
    seen_by_patient_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abnormal: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it is abnormal or was not judged, in the team's words ("Above 4 ng/mL").
    review_reason: Mapped[str | None] = mapped_column(String(300))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "nurse" (typed on the results page) or "import" (a CSV file).
    source: Mapped[str] = mapped_column(String(20), default="nurse")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    test: Mapped[SurveillanceTest] = relationship()
    patient: Mapped[PatientProfile] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    cleared_by: Mapped[User | None] = relationship(foreign_keys=[cleared_by_id])


class SampleTaken(db.Model):
    """A sample taken (or scan done) for a surveillance test, before its result is in. Remote
    monitoring lists it when no result has come 3 weeks later; recording a result for the test
    taken on or after that day settles it."""

    __tablename__ = "samples_taken"
    __table_args__ = (Index("ix_samples_taken_waiting", "patient_id", "result_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    surveillance_test_id: Mapped[int] = mapped_column(ForeignKey("surveillance_tests.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"))
    taken_on: Mapped[date] = mapped_column(Date)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("test_results.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    test: Mapped[SurveillanceTest] = relationship()
