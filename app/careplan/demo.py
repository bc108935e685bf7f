"""Demo data: a realistic care plan, written from a patient's submitted HNA by their nurse."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..hna.models import HNA, HNAStatus
from ..models import Team, User
from ..triage import service as triage
from ..triage.models import Outcome
from . import service
from .forms import suggested_review_date
from .models import ActionOwner, CarePlan, Support
from .service import ItemInput

# What a key worker might agree for common concerns, in the words they would write.
_AGREED = {
    "emotional": ("Talked about the worry that the cancer will come back. Agreed it would help to talk "
                  "to someone who understands.",
                  "Referral to the psychological support service for a first conversation."),
    "physical": ("Tiredness is worst in the afternoons. Agreed to try a short walk each morning and "
                 "to rest after lunch.",
                 "Keep a simple diary of energy levels for 2 weeks and bring it to the review."),
    "practical": ("Worried about going back to work. Agreed to find out about a phased return.",
                  "Contact the money and benefits advice service about work and sick pay."),
}
_DEFAULT = ("Talked about this concern and what would help.", "Key worker to call in 2 weeks to see how things are.")


def seed(team: Team, nurse: User) -> CarePlan | None:
    """Write a plan for the first patient of `team` with a submitted HNA and no plan yet.

    Returns the plan, or None if there is no such patient. Safe to call again: a patient who
    already has a plan is left alone.
    """
    hnas = db.session.scalars(
        select(HNA).where(HNA.team_id == team.id, HNA.status == HNAStatus.SUBMITTED)
        .order_by(HNA.submitted_at.desc())
    ).all()
    for hna in hnas:
        if service.current_plan(hna.patient) is None:
            break
    else:
        return None
    patient = hna.patient
    services = service.services_for(patient)
    items = service.draft_items_from_hna(hna)[:3]
    if not items:
        items = [ItemInput(concern="Feeling tired", domain="physical")]
    referred = False
    for item in items:
        agreed, action = _AGREED.get(item.domain or "", _DEFAULT)
        item.agreed, item.action = agreed, action
        item.owner = ActionOwner.PATIENT if item.domain == "physical" else ActionOwner.KEY_WORKER
        if not referred:
            # The service that fits the concern best (its category first, as the editor suggests).
            suggested, _ = service.suggested_services(services, item.concern_id, item.domain)
            match = suggested[0] if suggested else None
            if match is not None:
                item.support, item.service_id = Support.REFERRAL, match.id
                item.owner, item.owner_name = ActionOwner.KEY_WORKER, nurse.display_name
                referred = True
    review = suggested_review_date()
    plan = service.save_new_version(
        patient, 0, items, review,
        summary="We talked about the things that matter most to you now and agreed the next steps below.",
        change_note=None, hna=hna, by=nurse,
    )
    db.session.flush()
    # As the editor does by default: an ordinary HNA item is done; a red flag never without a person.
    for queued in service.open_queue_items(hna, None):
        if not service.is_urgent(queued):
            triage.resolve_by_source(queued.source_key, Outcome.CARE_PLAN_AGREED, "Care plan version 1 agreed", by=nurse)
    return plan
