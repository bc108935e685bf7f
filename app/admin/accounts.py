"""People's accounts as the admin area reads and changes them: how many of each, the staff list,
a new staff account with an email address no one else has, open sessions, closing an account."""
from __future__ import annotations

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Invitation, Role, Team, User, UserSession
from ..timeutil import utcnow
from ..versioning import added_unless_taken


def headcounts() -> dict[str, int]:
    """What the admin home page counts: teams, staff and patients."""
    return {
        "teams": db.session.scalar(select(func.count(Team.id))),
        "staff": db.session.scalar(select(func.count(User.id)).where(User.role != Role.PATIENT)),
        "patients": db.session.scalar(select(func.count(User.id)).where(User.role == Role.PATIENT)),
    }


def staff_members() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role != Role.PATIENT).order_by(User.display_name)))


def create_staff(role: Role, display_name: str, email: str, team_id: int) -> User | None:
    """The new account, flushed so it has its id; None when the email address already has an
    account (added by someone else a moment ago too: the unique constraint catches that)."""
    if db.session.scalar(select(User.id).where(User.email == email)):
        return None
    user = User(role=role, display_name=display_name, email=email, team_id=team_id)
    return user if added_unless_taken(user) else None


def active_session_count(person: User) -> int:
    return db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.user_id == person.id, UserSession.revoked_at.is_(None))
    )


def revoke_open_invitations(person: User) -> None:
    """No invitation still waiting to be used can bring a closed account back in."""
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == person.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
