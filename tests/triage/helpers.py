"""Making queue items and care plans for the triage tests."""
from __future__ import annotations

from datetime import date, datetime, timezone
from itertools import count

from app.extensions import db
from app.models import PatientProfile, Role, Team, User
from app.triage.queue import ItemKind
from app.triage.service import raise_item

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)  # a Tuesday morning
_keys = count(1)


def item(profile_id: int, kind: ItemKind = ItemKind.HNA_NEW, received_at: datetime = T0,
         reason: str = "Needs assessment: distress 3 out of 10", **links):
    patient = db.session.get(PatientProfile, profile_id)
    made = raise_item(patient, kind, reason, f"test:{next(_keys)}", received_at=received_at, **links)
    db.session.commit()
    return made


def nurse(team_id: int, name: str, active: bool = True) -> User:
    user = User(role=Role.NURSE, display_name=name, email=f"{name.replace(' ', '.').lower()}@example.test",
                team_id=team_id, active=active)
    db.session.add(user)
    db.session.commit()
    return user


def care_plan(profile_id: int, review_date: date, is_current: bool = True, version: int = 1):
    from app.careplan.models import CarePlan

    patient = db.session.get(PatientProfile, profile_id)
    author = patient.key_worker_id or db.session.scalar(db.select(User.id).where(User.role == Role.NURSE))
    plan = CarePlan(patient_id=patient.id, team_id=patient.team_id, version=version, is_current=is_current,
                    review_date=review_date, created_by_id=author)
    db.session.add(plan)
    db.session.commit()
    return plan


def team(team_id: int) -> Team:
    return db.session.get(Team, team_id)


def make_reviews_fail_for(monkeypatch, failing_team_id: int) -> None:
    """One team's overdue-review run raises (a lost connection, say); every other team's runs."""
    from app.triage import service

    real_raise_due_reviews = service.raise_due_reviews

    def failing_for_one_team(team_id, today):
        if team_id == failing_team_id:
            raise RuntimeError("the database went away")
        return real_raise_due_reviews(team_id, today)

    monkeypatch.setattr(service, "raise_due_reviews", failing_for_one_team)
