"""Patients' records as the nurse pages read and add them: whose team already holds an NHS
number, a new patient with their account, the team's nurses. When they last signed in:
patient_page.records_of."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, Role, User
from ..versioning import added_unless_taken


def team_holding_nhs_number(nhs_number: str) -> int | None:
    """The team of the record with this NHS number, or None when no record has it."""
    return db.session.scalar(select(PatientProfile.team_id).where(PatientProfile.nhs_number == nhs_number))


def add_patient(team_id: int, nhs_number: str, details: dict) -> PatientProfile | None:
    """The new record and its account, flushed so both have ids; None when someone added the same
    NHS number a moment ago (the unique constraint catches it)."""
    user = User(role=Role.PATIENT, display_name=f"{details['given_name']} {details['family_name']}", team_id=team_id)
    profile = PatientProfile(user=user, team_id=team_id, nhs_number=nhs_number, **details)
    return profile if added_unless_taken(user, profile) else None


