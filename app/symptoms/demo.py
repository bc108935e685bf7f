"""Demo data: David has logged a watch symptom (tiredness, mild, for a few days), so his symptom
log and its advice can be seen at once. Logged through the service, by the same rules as anyone's."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, Team
from ..timeutil import london_today, utcnow
from . import service
from .models import SymptomEntry
from .rules import Level
from .service import SymptomDetails


def seed(team: Team) -> SymptomEntry | None:
    """David's watch symptom, once (None when he is not in `team`, or already has entries)."""
    david = db.session.scalar(select(PatientProfile).where(PatientProfile.team_id == team.id,
                                                             PatientProfile.given_name == "David"))
    if david is None or service.history(david):
        return None
    now = utcnow()
    entry = service.log_symptom(david, SymptomDetails(
        symptom_id="tiredness", own_words=None, severity="mild",
        started_on=london_today(now) - timedelta(days=4), new_or_worse=False,
        note="More tired in the afternoons since my last appointment.",
    ), now)
    if entry.level != Level.WATCH.value:  # the demo must show what it says it shows
        raise ValueError(f"David's demo symptom is {entry.level}, not a watch symptom")
    return entry
