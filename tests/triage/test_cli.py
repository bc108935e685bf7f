"""`flask queue raise-due-reviews`: every team's passed care plan reviews, raised once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.timeutil import london_today
from app.triage.cli import init_queue_cli
from app.triage.models import QueueItem
from app.triage.queue import ItemKind
from tests.triage.helpers import care_plan, make_reviews_fail_for


def test_raise_due_reviews_command(app, actors):
    if "queue" not in app.cli.commands:  # until app.cli registers it
        init_queue_cli(app)
    with app.app_context():
        care_plan(actors.profile_a, london_today() - timedelta(days=1))
        care_plan(actors.profile_b, london_today() - timedelta(days=20))
        care_plan(actors.profile_a2, london_today() + timedelta(days=20))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["queue", "raise-due-reviews"])
    assert result.exit_code == 0, result.output
    assert "Team A: 1 overdue care plan review added" in result.output
    assert "Team B: 1 overdue care plan review added" in result.output
    assert "2 items added to team queues." in result.output
    again = runner.invoke(args=["queue", "raise-due-reviews"])
    assert "0 items added to team queues." in again.output
    with app.app_context():
        items = db.session.scalars(select(QueueItem)).all()
        assert sorted((i.team_id, i.kind) for i in items) == [
            (actors.team_a, ItemKind.PLAN_REVIEW_OVERDUE), (actors.team_b, ItemKind.PLAN_REVIEW_OVERDUE)]


def test_raise_due_reviews_command_names_a_team_that_failed_and_exits_1(app, actors, monkeypatch):
    if "queue" not in app.cli.commands:
        init_queue_cli(app)
    with app.app_context():
        care_plan(actors.profile_b, london_today() - timedelta(days=20))
    make_reviews_fail_for(monkeypatch, actors.team_a)
    result = app.test_cli_runner().invoke(args=["queue", "raise-due-reviews"])
    assert result.exit_code == 1
    assert "Team B: 1 overdue care plan review added" in result.output
    assert "Team A: failed, nothing added" in result.output
