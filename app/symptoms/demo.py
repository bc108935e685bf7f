"""Demo data: David has logged a watch symptom (tiredness, mild, for a few days), so his symptom
log and its advice can be seen at once; Margaret logged a red flag yesterday (a new lump), added
to it by a correction and logged it again, so the team's queue item lists both entries with the
correction, and her home page says her team has her report. Logged through the service, by the
same rules as anyone's."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, Team
from ..timeutil import LONDON, london_today, utcnow
from . import service
from .models import SymptomEntry
from .rules import Level
from .service import SymptomDetails


def seed(team: Team) -> service.LoggedEntry | None:
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


def seed_red_flag(team: Team) -> service.LoggedEntry | None:
    """Margaret's red flag from yesterday, once (None when she is not in `team`, or already has
    entries): logged at 10am, corrected at 11am to add what she noticed, logged again at 4pm."""
    margaret = db.session.scalar(select(PatientProfile).where(PatientProfile.team_id == team.id,
                                                                PatientProfile.given_name == "Margaret"))
    if margaret is None or service.history(margaret):
        return None
    yesterday = london_today() - timedelta(days=1)

    def at(hour: int) -> datetime:
        return datetime.combine(yesterday, time(hour), tzinfo=LONDON)

    lump = dict(symptom_id="new_lump", own_words=None, started_on=yesterday - timedelta(days=2), new_or_worse=True)
    first = db.session.get(SymptomEntry, service.log_symptom(
        margaret, SymptomDetails(severity="mild", note=None, **lump), at(10)).id)
    service.correct(margaret, first, first.version, SymptomDetails(
        severity="moderate", note="Under my left arm, about the size of a pea. It is a bit sore.", **lump), at(11))
    again = service.log_symptom(margaret, SymptomDetails(
        severity="moderate", note="Still there this afternoon.", **lump), at(16))
    if Level(again.level) is not Level.RED_FLAG or again.queue_item_id != first.queue_item_id:
        raise ValueError("Margaret's demo red flag is not one queue item with both entries")
    return again
