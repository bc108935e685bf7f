"""Setting people up for re-entry tests."""
from __future__ import annotations

import re
from datetime import date, timedelta

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType
from app.models import PatientProfile
from app.timeutil import london_today


def give_plan(profile_id: int, nurse_id: int, follow_up_type: FollowUpType = FollowUpType.SUPPORTED_SELF_MANAGEMENT,
              open_access_until: date | None = None) -> None:
    """A follow-up plan; self-managed plans get an open-access period lasting a year unless told."""
    if open_access_until is None and follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT:
        open_access_until = london_today() + timedelta(days=365)
    db.session.add(FollowUpPlan(patient_id=profile_id, follow_up_type=follow_up_type,
                                open_access_until=open_access_until, updated_by_id=nurse_id))
    db.session.commit()


def form_token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def ask_data(token: str, **changes) -> dict:
    data = {"token": token, "worry": "A new ache in my lower back for two weeks",
            "contact_method": "phone", "contact_phone": "07700 900123", "contact_time": "morning"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def profile(profile_id: int) -> PatientProfile:
    return db.session.get(PatientProfile, profile_id)
