"""Accounts as sign-in finds them: the person whose NHS number was typed on the password sign-in page."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, User


def user_with_nhs_number(nhs_number: str) -> User | None:
    """The patient's account, or None when no record holds this number (the caller still checks
    a password against a dummy hash, so the answer takes as long either way)."""
    profile = db.session.scalar(select(PatientProfile).where(PatientProfile.nhs_number == nhs_number))
    return profile.user if profile else None
