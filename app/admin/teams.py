"""Teams as the admin area reads and makes them: the list, one team, and a new team whose name
no other team has (in any case), also when two admins add the same name at once."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Team
from ..versioning import added_unless_taken


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def team_or_none(team_id: int) -> Team | None:
    return db.session.get(Team, team_id)


def create_team(name: str) -> Team | None:
    """The new team, flushed so it has its id; None when the name is taken (another admin may
    have added it a moment ago: the unique constraint catches what the first check missed)."""
    if db.session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower())):
        return None
    team = Team(name=name)
    return team if added_unless_taken(team) else None
