"""End of Treatment Summaries as plain operations on records: read the current one and its
versions, and save a correction as a new version (never an edit in place).

A nurse saves on top of the version she opened (`base_version`), and the new version is numbered
from it: base_version + 1. So two saves from the same opened version ask for the same number and
the unique (patient, version) constraint lets only one of them in, even when both pass the
"is it still current?" check at the same moment. The database also keeps at most one current
summary per patient (the partial unique index `uq_eots_one_current_per_patient`), so the patient
and the team can never be shown different "current" summaries.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, select

from .. import versioning
from ..extensions import db
from ..models import PatientProfile, User
from ..timeutil import london_today, utcnow
from .models import EndOfTreatmentSummary


class SummaryChanged(Exception):
    """Someone saved a newer version than the one the nurse opened; nothing was saved."""

    def __init__(self, current: EndOfTreatmentSummary | None) -> None:
        super().__init__("The End of Treatment Summary changed while it was being edited")
        self.current = current


def is_current_summary_of(patient_id: int):
    """Which row is the person's current summary (at most one: a unique index holds it)."""
    return and_(EndOfTreatmentSummary.patient_id == patient_id, EndOfTreatmentSummary.is_current.is_(True))


def current_summary(profile: PatientProfile) -> EndOfTreatmentSummary | None:
    return db.session.scalar(select(EndOfTreatmentSummary).where(is_current_summary_of(profile.id)))


def summary_versions(profile: PatientProfile) -> list[EndOfTreatmentSummary]:
    """Every version, newest first."""
    return list(db.session.scalars(
        select(EndOfTreatmentSummary)
        .where(EndOfTreatmentSummary.patient_id == profile.id)
        .order_by(EndOfTreatmentSummary.version.desc())
    ))


def save_new_version(profile: PatientProfile, base_version: int, values: dict[str, Any],
                     by: User) -> EndOfTreatmentSummary:
    """Store `values` as version base_version + 1 and make it the current one. Flushes.

    `base_version` is the version the nurse opened (0 for a first summary). Raises
    SummaryChanged, changing nothing, if that is no longer the current version, including when
    a colleague's save of the same version lands between this check and the insert.
    """
    current = current_summary(profile)
    if base_version != (current.version if current is not None else 0):
        raise SummaryChanged(current)
    summary = EndOfTreatmentSummary(
        patient_id=profile.id, team_id=profile.team_id, version=base_version + 1, is_current=True,
        created_by_id=by.id, **values,
    )
    if not versioning.replace_current(current, summary):
        # A colleague's save took this version number (or the current place) a moment ago.
        raise SummaryChanged(current_summary(profile))
    return summary


def summary_version(profile: PatientProfile, version: int | None) -> EndOfTreatmentSummary | None:
    if version is None:
        return None
    return db.session.scalar(
        select(EndOfTreatmentSummary).where(
            EndOfTreatmentSummary.patient_id == profile.id, EndOfTreatmentSummary.version == version)
    )


class SentBeforeWritten(ValueError):
    """The date given for the GP's copy is before that version of the summary was written."""


def record_gp_copy(summary: EndOfTreatmentSummary, sent_on: date, method: str, by: User) -> None:
    """Record that the team sent this version to the GP practice (the app itself sends nothing).
    A later record of the same version corrects the earlier one."""
    if sent_on < london_today(summary.created_at):  # the London date it was written
        raise SentBeforeWritten(summary.version)
    summary.gp_copy_sent_on, summary.gp_copy_method = sent_on, method
    summary.gp_copy_recorded_by_id, summary.gp_copy_recorded_at = by.id, utcnow()


def same_content(summary: EndOfTreatmentSummary, values: dict[str, Any]) -> bool:
    """Whether `summary` already says exactly this (a retried or double-clicked save)."""
    return all(getattr(summary, name) == value for name, value in values.items())
