"""Care plan versions: immutable rows, one current, conflicts detected, drafts from an HNA."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.careplan import service
from app.careplan.models import ActionOwner, CarePlan, CarePlanItem, Support
from app.careplan.service import ItemInput, PlanChanged
from app.extensions import db
from app.models import PatientProfile, User
from app.timeutil import london_today
from tests.careplan.helpers import item, make_plan, make_service, submit_hna


@pytest.fixture
def patient(app, actors):
    with app.app_context():
        yield db.session.get(PatientProfile, actors.profile_a)


@pytest.fixture
def nurse(patient, actors):
    return db.session.get(User, actors.nurse_a)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_no_plan_to_start_with(patient):
    assert service.current_plan(patient) is None
    assert service.plan_versions(patient) == []


@pytest.mark.hazard("HAZ-006")
def test_a_change_is_a_new_version_and_the_old_one_is_kept_unchanged(patient, nurse):
    first = make_plan(patient, nurse, [item("Pain", agreed="Try the new painkillers")])
    second = make_plan(patient, nurse, [item("Pain", agreed="See the pain team")], change_note="Reviewed by phone")
    assert (first.version, second.version) == (1, 2)
    db.session.expire_all()
    assert [p.version for p in service.plan_versions(patient)] == [2, 1]
    assert service.current_plan(patient).id == second.id
    old = db.session.get(CarePlan, first.id)
    assert old.is_current is False
    assert [i.agreed for i in old.items] == ["Try the new painkillers"]
    assert second.change_note == "Reviewed by phone"
    assert count(CarePlanItem) == 2


@pytest.mark.hazard("HAZ-005")
def test_saving_on_top_of_an_old_version_is_refused_and_changes_nothing(patient, nurse):
    make_plan(patient, nurse)
    colleague = make_plan(patient, nurse, [item("Sleep")])
    with pytest.raises(PlanChanged) as caught:
        service.save_new_version(patient, 1, [item("Pain")], london_today() + timedelta(days=30), None, None, None, nurse)
    assert caught.value.current.id == colleague.id
    db.session.rollback()
    assert count(CarePlan) == 2
    assert service.current_plan(patient).id == colleague.id


def test_a_first_plan_saved_twice_at_once_is_refused_the_second_time(patient, nurse):
    make_plan(patient, nurse)
    with pytest.raises(PlanChanged):
        make_plan(patient, nurse, base_version=0)


@pytest.mark.hazard("HAZ-005")
def test_two_saves_racing_for_the_same_version_are_caught_by_the_database(patient, nurse, monkeypatch):
    """Both read version 1 as current; the second insert of version 2 hits the unique constraint."""
    first = make_plan(patient, nurse)
    make_plan(patient, nurse, [item("Sleep")])
    monkeypatch.setattr(service, "current_plan", lambda p: db.session.get(CarePlan, first.id))
    with pytest.raises(PlanChanged):
        service.save_new_version(patient, 1, [item("Pain")], london_today() + timedelta(days=30), None, None, None, nurse)
    monkeypatch.undo()
    db.session.rollback()
    assert count(CarePlan) == 2
    assert service.current_plan(patient).version == 2


def test_a_plan_needs_a_concern(patient, nurse):
    with pytest.raises(ValueError):
        service.save_new_version(patient, 0, [], london_today() + timedelta(days=30), None, None, None, nurse)


def test_a_draft_from_an_hna_puts_the_persons_top_concerns_first_then_those_scored_7_or_more(patient):
    hna = submit_hna(patient, scores={"pain": 7, "tiredness": 9, "sleep": 3, "worry_fear_anxiety": 5, "money_housing": 8},
                     top=["worry_fear_anxiety", "sleep"])
    drafted = service.draft_items_from_hna(hna)
    assert [(i.concern_id, i.domain) for i in drafted] == [
        ("worry_fear_anxiety", "emotional"), ("sleep", "physical"),
        ("tiredness", "physical"), ("money_housing", "practical"), ("pain", "physical"),
    ]
    assert drafted[0].concern == "Worry, fear or anxiety"


def test_merging_a_new_hna_into_a_plan_keeps_the_plan_and_adds_only_what_is_new():
    existing = [ItemInput("Pain", concern_id="pain", agreed="Painkillers"), ItemInput("Garden")]
    drafted = [ItemInput("Pain", concern_id="pain"), ItemInput("Sleep", concern_id="sleep")]
    merged = service.merge_drafts(existing, drafted)
    assert [(i.concern, i.agreed) for i in merged] == [("Pain", "Painkillers"), ("Garden", ""), ("Sleep", "")]


def test_services_for_a_concern_are_suggested_first_and_other_teams_services_are_not_offered(patient, actors):
    national = make_service("Macmillan support line", None, domains=("practical",))
    local = make_service("Hospital psychology", actors.team_a, domains=("emotional",))
    make_service("Team B psychology", actors.team_b, domains=("emotional",))
    make_service("Closed service", actors.team_a, domains=("emotional",), active=False)
    services = service.services_for(patient)
    assert {s.name for s in services} == {"Macmillan support line", "Hospital psychology"}
    options = service.service_options(services, "practical")
    assert options[0] == (national.id, "Suggested: Macmillan support line (Psychological support)")
    assert options[1] == (local.id, "Psychological support: Hospital psychology")


def plan_of(items, review=date(2030, 1, 1), summary=None):
    """An unsaved plan, for the pure comparison."""
    return CarePlan(version=1, review_date=review, summary=summary, items=[
        CarePlanItem(position=n, **fields) for n, fields in enumerate(items)
    ])


def test_what_changed_between_versions():
    old = plan_of([
        {"concern": "Worry", "concern_id": "worry_fear_anxiety", "agreed": "Talk", "owner": ActionOwner.KEY_WORKER, "support": Support.NONE},
        {"concern": "Garden", "agreed": "Ask for help", "owner": ActionOwner.PATIENT, "support": Support.NONE},
        {"concern": "Money", "agreed": "Advice", "owner": ActionOwner.PATIENT, "support": Support.NONE},
    ], summary="First")
    new = plan_of([
        # Same HNA item, reworded: the same concern.
        {"concern": "Worry about the future", "concern_id": "worry_fear_anxiety", "agreed": "Counselling", "owner": ActionOwner.SERVICE, "owner_name": "Maggie's", "support": Support.NONE},
        # Typed concerns match by their words, whatever the case and spacing.
        {"concern": "  garden ", "agreed": "Ask for help", "owner": ActionOwner.PATIENT, "support": Support.NONE},
        {"concern": "Sleep", "agreed": "Routine", "owner": ActionOwner.PATIENT, "support": Support.NONE},
    ], review=date(2030, 3, 1), summary="First")
    changes = service.changes_between(old, new)
    assert [i.concern for i in changes.added] == ["Sleep"]
    assert [i.concern for i in changes.removed] == ["Money"]
    assert len(changes.changed) == 1
    assert changes.changed[0].concern == "Worry about the future"
    assert [(f.label, f.before, f.after) for f in changes.changed[0].fields] == [
        ("What was agreed", "Talk", "Counselling"),
        ("Who will do it", "Key worker", "A service (Maggie's)"),
    ]
    assert changes.review_date == (date(2030, 1, 1), date(2030, 3, 1))
    assert changes.summary_changed is False
    assert changes.any


def test_nothing_changed_is_said_plainly():
    fields = {"concern": "Pain", "agreed": "Rest", "owner": ActionOwner.PATIENT, "support": Support.NONE}
    changes = service.changes_between(plan_of([fields]), plan_of([dict(fields)]))
    assert not changes.any
    first = service.changes_between(None, plan_of([fields]))
    assert [i.concern for i in first.added] == ["Pain"]


def test_the_same_content_is_recognised_for_a_retried_save(patient, nurse):
    plan = make_plan(patient, nurse, [item("Pain", agreed="Rest ")], review_date=date(2030, 1, 1), summary="S")
    assert service.same_content(plan, [item("Pain", agreed="Rest")], date(2030, 1, 1), "S")
    assert not service.same_content(plan, [item("Pain", agreed="Rest more")], date(2030, 1, 1), "S")
    assert not service.same_content(plan, [item("Pain", agreed="Rest")], date(2030, 1, 2), "S")
