"""Background work on huey (app/background.py): where the queue is kept, tasks in an app context
of their own, enqueue after commit, London-time schedules, and the consumer running a task."""
from __future__ import annotations

import os
from datetime import datetime

import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from app import create_app
from app.background import after_commit, every_minutes, huey, london_time_of_day, task
from app.extensions import db
from app.models import Team
from app.symptoms.tasks import daily_symptom_sweep
from app.triage.queue import ItemKind
from tests.conftest import base_test_config
from tests.servers import consumer, sweep_queued_from_here
from tests.symptoms.helpers import clock, log_a_symptom_the_daily_sweep_raises  # noqa: F401  (clock is a fixture)

ran: list = []


@task()
def note_what_the_task_sees(label: str) -> str:
    """A task for these tests: records its label and the app it ran in, and reads the database."""
    from flask import current_app

    teams = db.session.scalars(select(Team.name)).all()
    ran.append((label, current_app.config["SECRET_KEY"], teams))
    return label


@pytest.fixture(autouse=True)
def _nothing_ran_yet():
    ran.clear()


def test_the_queue_is_a_sqlite_file_in_the_instance_folder_by_default(database_url, tmp_path):
    app = create_app({**base_test_config(database_url, tmp_path), "HUEY_IMMEDIATE": False})

    assert isinstance(huey.storage, SqliteStorage)
    assert huey.storage.filename == os.path.join(app.instance_path, "huey.sqlite")
    assert not huey.immediate


def test_the_queue_is_in_redis_when_redis_url_is_set(database_url, tmp_path):
    create_app({**base_test_config(database_url, tmp_path), "HUEY_IMMEDIATE": False,
                "REDIS_URL": "redis://queue.internal:6380/2"})

    assert isinstance(huey.storage, RedisStorage)
    kwargs = huey.storage.conn.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("queue.internal", 6380, 2)


def test_tests_run_tasks_at_once_in_memory(app):
    assert huey.immediate and isinstance(huey.storage, MemoryStorage)


def test_a_task_runs_in_an_app_context_with_a_session_of_its_own(app):
    with app.app_context():
        db.session.add(Team(name="Oncology"))
        db.session.flush()  # not committed: a task with its own session cannot see it
        note_what_the_task_sees("inside")
        db.session.commit()
    note_what_the_task_sees("outside")  # no app context at all: the bound app's

    assert ran == [("inside", app.config["SECRET_KEY"], []), ("outside", app.config["SECRET_KEY"], ["Oncology"])]


def test_after_commit_enqueues_once_the_change_is_committed(app):
    with app.app_context():
        db.session.add(Team(name="Oncology"))
        after_commit(note_what_the_task_sees, "committed")
        assert ran == []
        db.session.commit()

    assert ran == [("committed", app.config["SECRET_KEY"], ["Oncology"])]


def test_after_commit_forgets_the_task_when_the_change_is_rolled_back(app):
    with app.app_context():
        db.session.add(Team(name="Oncology"))
        after_commit(note_what_the_task_sees, "rolled back")
        db.session.rollback()
        db.session.add(Team(name="Haematology"))
        db.session.commit()

    assert ran == []


def test_a_savepoint_rolled_back_keeps_the_outer_changes_task(app):
    with app.app_context():
        db.session.add(Team(name="Oncology"))
        after_commit(note_what_the_task_sees, "outer")
        with db.session.begin_nested() as savepoint:
            savepoint.rollback()
        db.session.commit()

    assert [label for label, _, _ in ran] == ["outer"]


def test_a_savepoint_released_is_not_the_commit(app):
    with app.app_context():
        with db.session.begin_nested():
            db.session.add(Team(name="Oncology"))
            after_commit(note_what_the_task_sees, "in a savepoint")
        assert ran == []
        db.session.commit()

    assert ran == [("in a savepoint", app.config["SECRET_KEY"], ["Oncology"])]


def utc(*parts) -> datetime:
    return datetime(*parts)  # huey hands schedules a naive UTC minute


@pytest.mark.hazard("HAZ-015")  # a missed day of the sweep would leave a lasting symptom as watch
@pytest.mark.parametrize("utc_minute, runs", [
    (utc(2026, 1, 15, 6, 0), True),     # GMT: 06:00 London is 06:00 UTC
    (utc(2026, 7, 15, 5, 0), True),     # BST: 06:00 London is 05:00 UTC
    (utc(2026, 7, 15, 6, 0), False),
    (utc(2026, 3, 28, 6, 0), True),     # the Saturday before the clocks go forward
    (utc(2026, 3, 29, 5, 0), True),     # the first BST morning
    (utc(2026, 3, 29, 6, 0), False),
    (utc(2026, 10, 25, 6, 0), True),    # the first GMT morning again
    (utc(2026, 10, 25, 5, 0), False),
    (utc(2027, 3, 28, 5, 0), True),
    (utc(2027, 10, 31, 6, 0), True),
    (utc(2026, 1, 15, 6, 1), False),
])
def test_the_daily_sweep_runs_at_six_in_the_morning_london_time_all_year(utc_minute, runs):
    assert london_time_of_day(6, 0)(utc_minute) is runs
    assert (daily_symptom_sweep.task_class in {type(t) for t in huey.read_periodic(utc_minute)}) is runs


@pytest.mark.parametrize("minute, runs", [(0, True), (15, True), (30, True), (45, True), (1, False), (14, False)])
def test_every_minutes_runs_on_the_quarter_hours(minute, runs):
    assert every_minutes(15)(utc(2026, 1, 1, 10, minute)) is runs


def test_the_daily_sweep_task_runs_the_symptom_sweep(app):
    assert daily_symptom_sweep.call_local() == 0  # nothing logged: nothing to raise


def test_the_consume_command_refuses_when_tasks_already_run_at_once(runner):
    result = runner.invoke(args=["tasks", "consume"])

    assert result.exit_code != 0
    assert "HUEY_IMMEDIATE is on" in result.output


def test_the_consumer_runs_a_queued_task_and_stops_when_told(app, patient, clock, database_url, tmp_path):  # noqa: F811
    """`flask tasks consume` as scripts/run-demo starts it: a task queued in the SQLite file by
    another process runs in the consumer, with the database, and SIGTERM stops it."""
    log_a_symptom_the_daily_sweep_raises(patient, clock)
    queue_file = tmp_path / "huey.sqlite"
    with consumer(database_url, tmp_path, HUEY_SQLITE_PATH=str(queue_file)) as running:
        # This process queues into the same file, as the web server does.
        raised = sweep_queued_from_here(app, database_url, tmp_path, HUEY_SQLITE_PATH=str(queue_file))
    assert raised == [ItemKind.RED_FLAG], running.output
    assert running.returncode == 0, running.output
    assert f"queue in SQLite file {queue_file}" in running.output
