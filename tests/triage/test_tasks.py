"""The queue's periodic task: overdue care plan reviews raised by the task queue's consumer, not
by whoever opens the queue page."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.background import huey
from app.extensions import db
from app.timeutil import london_today
from app.triage.models import QueueItem
from app.triage.queue import ItemKind
from app.triage.tasks import raise_due_care_plan_reviews
from tests.triage.helpers import care_plan, make_reviews_fail_for


@pytest.fixture
def clock(monkeypatch):
    """Set the time the task reads (an aware UTC datetime): it reads app.timeutil's."""
    def set_to(moment: datetime) -> None:
        monkeypatch.setattr("app.timeutil.utcnow", lambda: moment)

    return set_to


def raised(app) -> list[tuple[int, ItemKind]]:
    with app.app_context():
        return sorted((i.team_id, i.kind) for i in db.session.scalars(select(QueueItem)))


@pytest.mark.parametrize("minute, runs", [(0, True), (15, True), (30, True), (45, True), (7, False)])
def test_reviews_are_raised_every_quarter_hour_so_one_shows_by_a_quarter_past_midnight(minute, runs):
    utc_minute = datetime(2026, 3, 11, 0, minute)
    assert (raise_due_care_plan_reviews.task_class in {type(t) for t in huey.read_periodic(utc_minute)}) is runs


def test_the_task_raises_every_teams_passed_reviews_once(app, actors):
    with app.app_context():
        care_plan(actors.profile_a, london_today() - timedelta(days=1))
        care_plan(actors.profile_b, london_today() - timedelta(days=20))
        care_plan(actors.profile_a2, london_today() + timedelta(days=20))
    assert raise_due_care_plan_reviews.call_local() == 2
    assert raise_due_care_plan_reviews.call_local() == 0
    assert raised(app) == [(actors.team_a, ItemKind.PLAN_REVIEW_OVERDUE), (actors.team_b, ItemKind.PLAN_REVIEW_OVERDUE)]


def test_the_day_a_review_becomes_overdue_is_londons(app, actors, clock):
    """At 00:05 on 12 August in London it is still 11 August in UTC (BST): a review due on the
    11th has passed, and is raised at the first quarter hour of the 12th, not an hour later."""
    with app.app_context():
        care_plan(actors.profile_a, date(2026, 8, 11))
    clock(datetime(2026, 8, 11, 22, 50, tzinfo=timezone.utc))  # 23:50 on the 11th in London
    assert raise_due_care_plan_reviews.call_local() == 0
    clock(datetime(2026, 8, 11, 23, 5, tzinfo=timezone.utc))   # 00:05 on the 12th in London
    assert raise_due_care_plan_reviews.call_local() == 1


def test_one_teams_failure_does_not_stop_the_other_teams_and_is_logged(app, actors, monkeypatch, caplog):
    """Team A's run fails (the first team): the error is logged with the team, team B's reviews
    are still raised, and the next run raises team A's."""
    from app.triage import service

    with app.app_context():
        care_plan(actors.profile_a, london_today() - timedelta(days=1))
        care_plan(actors.profile_b, london_today() - timedelta(days=20))
    make_reviews_fail_for(monkeypatch, actors.team_a)
    with caplog.at_level(logging.ERROR), pytest.raises(service.TeamsFailed, match="1 team"):
        raise_due_care_plan_reviews.call_local()
    assert raised(app) == [(actors.team_b, ItemKind.PLAN_REVIEW_OVERDUE)]
    failures = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert f"team {actors.team_a} (Team A)" in failures[0].getMessage()
    assert failures[0].exc_info and "the database went away" in str(failures[0].exc_info[1])

    monkeypatch.undo()
    assert raise_due_care_plan_reviews.call_local() == 1
    assert raised(app) == [(actors.team_a, ItemKind.PLAN_REVIEW_OVERDUE), (actors.team_b, ItemKind.PLAN_REVIEW_OVERDUE)]
