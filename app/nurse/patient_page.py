"""What the nurse's page for one person reads besides the record itself, each in one statement
of plain values where the page shows plain values (issue 12).

The account's sign-in summary used to take three statements (the account, its passkeys, its
latest session) and the needs assessment two (the draft, then every HNA sent, to show the last).
Each statement is built once per process with the person as a bound parameter (as the session's,
sessions._session_statement): building them cost about as much as running them.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Integer, Select, bindparam, func, or_, select

from ..extensions import db
from ..hna.models import HNA, HNAStatus, PathwayPoint
from ..models import PasskeyCredential, User, UserSession


class SignIn(NamedTuple):
    active: bool
    has_password: bool
    passkeys: int
    last_signed_in: datetime | None


@lru_cache(maxsize=1)
def _sign_in_statement() -> Select:
    passkeys = select(func.count()).where(PasskeyCredential.user_id == User.id).scalar_subquery()
    last_session = select(func.max(UserSession.created_at)).where(UserSession.user_id == User.id).scalar_subquery()
    return select(User.active, User.password_hash.is_not(None), passkeys, last_session).where(
        User.id == bindparam("user_id", type_=Integer))


def sign_in_of(user_id: int) -> SignIn:
    """How the person signs in and when they last did, from the indexes on user_id."""
    row = db.session.execute(_sign_in_statement(), {"user_id": user_id}).one()
    return SignIn(bool(row[0]), bool(row[1]), row[2], row[3])


class AssessmentShown(NamedTuple):
    """What the page says of one HNA: never its answers (a whole questionnaire's JSON, which
    loading the HNA would parse for nothing)."""

    id: int
    status: HNAStatus
    offered_by_id: int | None
    offered_by_name: str | None
    offered_at: datetime | None
    pathway_point: PathwayPoint | None
    last_step: str | None
    submitted_at: datetime | None


class NeedsAssessment(NamedTuple):
    draft: AssessmentShown | None
    last_sent: AssessmentShown | None


@lru_cache(maxsize=1)
def _needs_assessment_statement() -> Select:
    patient_id = bindparam("patient_id", type_=Integer)
    last_sent_id = (
        select(HNA.id).where(HNA.patient_id == patient_id, HNA.status == HNAStatus.SUBMITTED)
        .order_by(HNA.submitted_at.desc(), HNA.id.desc()).limit(1).scalar_subquery()
    )
    return (
        select(HNA.id, HNA.status, HNA.offered_by_id, User.display_name, HNA.offered_at, HNA.pathway_point,
               HNA.last_step, HNA.submitted_at)
        .outerjoin(User, User.id == HNA.offered_by_id)
        .where(HNA.patient_id == patient_id, or_(HNA.status == HNAStatus.DRAFT, HNA.id == last_sent_id))
    )


def needs_assessment_of(patient_id: int) -> NeedsAssessment:
    """The person's draft HNA and the last one they sent, in one statement."""
    rows = [AssessmentShown._make(row)
            for row in db.session.execute(_needs_assessment_statement(), {"patient_id": patient_id})]
    return NeedsAssessment(next((h for h in rows if h.status is HNAStatus.DRAFT), None),
                           next((h for h in rows if h.status is HNAStatus.SUBMITTED), None))
