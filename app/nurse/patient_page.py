"""What the nurse's page for one person reads besides the record itself, each in one statement
of plain values where the page shows plain values (issue 12).

The account's sign-in summary used to take three statements (the account, its passkeys, its
latest session) and the needs assessment two (the draft, then every HNA sent, to show the last).
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, or_, select

from ..extensions import db
from ..hna.models import HNA, HNAStatus
from ..models import PasskeyCredential, User, UserSession


class SignIn(NamedTuple):
    active: bool
    has_password: bool
    passkeys: int
    last_signed_in: datetime | None


def sign_in_of(user_id: int) -> SignIn:
    """How the person signs in and when they last did, from the indexes on user_id."""
    passkeys = select(func.count()).where(PasskeyCredential.user_id == User.id).scalar_subquery()
    last_session = select(func.max(UserSession.created_at)).where(UserSession.user_id == User.id).scalar_subquery()
    row = db.session.execute(
        select(User.active, User.password_hash.is_not(None), passkeys, last_session).where(User.id == user_id)
    ).one()
    return SignIn(bool(row[0]), bool(row[1]), row[2], row[3])


class NeedsAssessment(NamedTuple):
    draft: HNA | None
    last_sent: HNA | None


def needs_assessment_of(patient_id: int) -> NeedsAssessment:
    """The person's draft HNA and the last one they sent, in one statement."""
    last_sent_id = (
        select(HNA.id).where(HNA.patient_id == patient_id, HNA.status == HNAStatus.SUBMITTED)
        .order_by(HNA.submitted_at.desc(), HNA.id.desc()).limit(1).scalar_subquery()
    )
    rows = db.session.scalars(
        select(HNA).where(HNA.patient_id == patient_id,
                          or_(HNA.status == HNAStatus.DRAFT, HNA.id == last_sent_id))
    ).all()
    return NeedsAssessment(next((h for h in rows if h.status is HNAStatus.DRAFT), None),
                           next((h for h in rows if h.status is HNAStatus.SUBMITTED), None))
