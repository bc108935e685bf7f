"""When a patient moves to another team, the work still in hand moves with them.

Admins move a patient (admin.user_team: `what_moves` shows them what will go, `move_patient`
does it); whatever changes a PatientProfile's team, the listener below moves the live copies.

Queue items, HNAs and care plans carry a copy of the patient's team (so a team's lists need no
join). When a PatientProfile's team changes, the same flush moves the copies that are still
live, just after it writes the record: the patient's open queue items, draft HNAs and current care plan. Records that are
finished (resolved items, submitted HNAs, replaced plans) stay with the team that did the work.

The copies are moved with plain UPDATEs in the patient's own transaction, without touching the
records' revisions: a move is not an edit, so a patient half-way through a draft HNA (or a nurse
with the item open) is not told that someone else changed it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .careplan.models import CarePlan
from .hna.models import HNA, HNAStatus
from .extensions import db
from .models import PatientProfile, Team, User
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


@dataclass(frozen=True)
class MovePreview:
    """What moving a patient takes to the new team, and what stays with the old one."""

    open_items: int
    draft_hnas: int
    current_plan_version: int | None
    resolved_items: int
    sent_hnas: int
    earlier_plans: int
    key_worker: User | None  # a member of the old team: the new team names their own


def what_moves(profile: PatientProfile) -> MovePreview:
    def counted(model, where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(model.patient_id == profile.id, where))

    current_plan_version = db.session.scalar(
        select(CarePlan.version).where(CarePlan.patient_id == profile.id, CarePlan.is_current.is_(True)))
    return MovePreview(
        open_items=counted(QueueItem, QueueItem.status == ItemStatus.OPEN),
        draft_hnas=counted(HNA, HNA.status == HNAStatus.DRAFT),
        current_plan_version=current_plan_version,
        resolved_items=counted(QueueItem, QueueItem.status != ItemStatus.OPEN),
        sent_hnas=counted(HNA, HNA.status != HNAStatus.DRAFT),
        earlier_plans=counted(CarePlan, CarePlan.is_current.is_(False)),
        key_worker=profile.key_worker,
    )


def other_teams(profile: PatientProfile) -> list[Team]:
    """The teams a patient can move to: every team but their own, by name."""
    return list(db.session.scalars(select(Team).where(Team.id != profile.team_id).order_by(Team.name, Team.id)))


def move_patient(profile: PatientProfile, team: Team) -> MovePreview:
    """Move the patient (their record and their account) to `team`, with their live work (the
    listener below, at flush). Their key worker belongs to the old team, so the new team names
    their own. Returns what moved. Flushes: a colleague's edit of the record since the admin's
    page was shown fails the flush (the record's version column)."""
    moved = what_moves(profile)
    profile.team = team
    profile.user.team = team
    profile.key_worker = None
    db.session.flush()
    return moved


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
                    # Written by this flush already (the UPDATE above moved the stored row).
                    set_committed_value(obj, "team_id", team_id)


# After the flush, not before: the flush's UPDATE of the patient's record locks it (PostgreSQL; on
# SQLite the move holds the one write lock), so a request raising an item for them (its INSERT
# reads the team FOR SHARE, app/triage/service.py) either committed before that UPDATE, and its
# item is moved here with the others, or waits for the move's commit and reads the new team.
# Moved before the record's UPDATE, an item written in between kept the old team (HAZ-015).
@event.listens_for(Session, "after_flush")
def _patients_take_their_work_with_them(session: Session, flush_context) -> None:
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
