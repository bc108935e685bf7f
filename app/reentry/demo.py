"""Demo data: David (prostate, supported self-management) has asked to be seen about new back
pain; a nurse has read it and replied in the app, and the request is open. Priya (colorectal)
is on clinician-led follow-up, so her page explains whom to contact instead. Made through the
services, by the same rules as anyone's. Only ever used with DEMO_MODE on (called from app.demo)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..followup.models import FollowUpPlan, FollowUpType
from ..followup.service import plan_of
from ..idempotency import new_form_token
from ..messages import service as messages
from ..models import PatientProfile, Team, User
from ..triage.models import QueueItem
from . import service
from .models import ContactMethod, ContactTime, RequestStatus

WORRY = ("I have had a new ache in my lower back for about two weeks. It is worse at night and "
         "paracetamol is not helping much. I'm not sure if it is anything to do with the cancer.")
REPLY = ("Thank you for letting us know, David. Back pain is common and usually not serious, but we "
         "would like to check it. Is the pain there all the time, and have you noticed any numbness "
         "or weakness in your legs? I will also phone you tomorrow morning.")


def _patient(team: Team, given_name: str) -> PatientProfile | None:
    return db.session.scalar(select(PatientProfile).where(PatientProfile.team_id == team.id,
                                                          PatientProfile.given_name == given_name))


def seed(team: Team, nurse: User) -> None:
    """Once: David's open request with the nurse's reply, and Priya's clinician-led plan."""
    priya = _patient(team, "Priya")
    if priya is not None and plan_of(priya) is None:
        db.session.add(FollowUpPlan(patient_id=priya.id, follow_up_type=FollowUpType.CLINICIAN_LED,
                                    updated_by_id=nurse.id))
    david = _patient(team, "David")
    if david is None or david.user is None or service.requests_of(david):
        return
    asked = service.ask(david, david.user, new_form_token(), WORRY, ContactMethod.PHONE, ContactTime.MORNING,
                        david.phone)
    request = asked.request
    if request is None:
        return
    service.move_on(request, service.Change(RequestStatus.SEEN), nurse, request.version)
    item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"reentry:{request.id}"))
    thread = messages.start_thread(item, nurse)
    db.session.flush()
    messages.send(thread, nurse, new_form_token(), REPLY)
    db.session.flush()
