"""Demo reminders: the history of what David's phone was sent, so the nurse's patient page shows
how reminders work. Only ever used with DEMO_MODE on (called from app.demo)."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, Team
from ..timeutil import LONDON, utcnow
from . import rules
from .models import ReminderClaim
from .service import NO_DEVICES, SENT, facts_for


def seed(team: Team, now: datetime | None = None) -> int:
    """Every reminder David's record has called for up to now, recorded as sent (his phone was
    set up for notifications after his treatment review: earlier ones found no phone), so the
    scheduler sends none of them again. Safe to rerun. Returns how many were added."""
    now = now or utcnow()
    profile = db.session.scalar(select(PatientProfile).where(
        PatientProfile.team_id == team.id, PatientProfile.given_name == "David"))
    if profile is None:
        return 0
    [facts] = facts_for(profile.id, profile.id, now) or [None]
    if facts is None:
        return 0
    from ..followup.models import FollowUpPlan

    review = db.session.scalar(select(FollowUpPlan.treatment_review_date).where(FollowUpPlan.patient_id == profile.id))
    phone_from = datetime.combine(review, time(12), tzinfo=LONDON) if review else now
    known = set(db.session.scalars(select(ReminderClaim.key).where(ReminderClaim.user_id == profile.user_id)))
    added = 0
    for reminder in rules.schedule(facts):
        if reminder.send_at > now or reminder.key in known:
            continue
        sent_at = reminder.send_at
        outcome = SENT if sent_at >= phone_from else NO_DEVICES
        db.session.add(ReminderClaim(key=reminder.key, user_id=profile.user_id, kind=reminder.kind, about=reminder.about,
                                     due_at=reminder.send_at, claimed_at=sent_at, lease_until=sent_at,
                                     sending_at=sent_at, finished_at=sent_at, outcome=outcome))
        added += 1
    return added
