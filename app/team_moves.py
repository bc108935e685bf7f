"""When a patient moves to another team, the work still in hand moves with them.

Queue items, HNAs and care plans carry a copy of the patient's team (so a team's lists need no
join). When a PatientProfile's team changes, the same flush moves the copies that are still
live: the patient's open queue items, draft HNAs and current care plan. Records that are
finished (resolved items, submitted HNAs, replaced plans) stay with the team that did the work.

The copies are moved with plain UPDATEs in the patient's own transaction, without touching the
records' revisions: a move is not an edit, so a patient half-way through a draft HNA (or a nurse
with the item open) is not told that someone else changed it.
"""
from __future__ import annotations

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .careplan.models import CarePlan
from .hna.models import HNA, HNAStatus
from .models import PatientProfile
from .triage.models import ItemStatus, QueueItem


def _new_team_id(profile: PatientProfile) -> int | None:
    """The team the patient is moving to in this flush, or None if they are not moving."""
    state = inspect(profile)
    team_id = state.attrs.team_id.history
    if team_id.added and team_id.deleted and team_id.added[0] != team_id.deleted[0]:
        return team_id.added[0]
    team = state.attrs.team.history
    if team.added and team.added[0] is not None and team.deleted and team.added[0] is not team.deleted[0]:
        new = inspect(team.added[0]).identity
        return new[0] if new else None
    return None


# The records whose team follows the patient: (model, what makes one live).
_FOLLOWERS = (
    (QueueItem, lambda table: table.c.status == ItemStatus.OPEN, lambda values: values.get("status") is ItemStatus.OPEN),
    (HNA, lambda table: table.c.status == HNAStatus.DRAFT, lambda values: values.get("status") is HNAStatus.DRAFT),
    (CarePlan, lambda table: table.c.is_current.is_(True), lambda values: values.get("is_current") is True),
)


def move_patient_records(session: Session, patient_id: int, team_id: int) -> None:
    """Give the patient's live queue items, draft HNAs and current care plan to `team_id`."""
    for model, live_in_table, _ in _FOLLOWERS:
        table = model.__table__
        values = {"team_id": team_id}
        if "updated_at" in table.c:
            values["updated_at"] = table.c.updated_at  # a move is not an edit
        session.execute(
            update(table).where(table.c.patient_id == patient_id, live_in_table(table)).values(values)
        )
    # Copies already loaded in this session show the move too (without loading anything).
    for obj in list(session.identity_map.values()) + list(session.new):
        for model, _, live_loaded in _FOLLOWERS:
            if isinstance(obj, model):
                loaded = inspect(obj).dict
                if loaded.get("patient_id") == patient_id and live_loaded(loaded):
                    if obj in session.new:
                        obj.team_id = team_id
                    else:
                        set_committed_value(obj, "team_id", team_id)


@event.listens_for(Session, "before_flush")
def _patients_take_their_work_with_them(session: Session, flush_context, instances) -> None:
    moves = [
        (profile.id, team_id)
        for profile in session.dirty
        if isinstance(profile, PatientProfile) and profile.id is not None
        and (team_id := _new_team_id(profile)) is not None
    ]
    if not moves:
        return
    with session.no_autoflush:
        for patient_id, team_id in moves:
            move_patient_records(session, patient_id, team_id)
