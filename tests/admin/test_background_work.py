"""The admin page says whether the task queue's consumer is doing its regular work: each periodic
task that finishes records the time in the queue's storage (app/background.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.background import HEARTBEAT_KEY, PeriodicWork, huey, periodic_work
from app.triage.tasks import raise_due_care_plan_reviews


@pytest.fixture(autouse=True)
def no_heartbeat_yet():
    huey.storage.pop_data(HEARTBEAT_KEY)  # the app, and so its queue, is reused from test to test
    yield
    huey.storage.pop_data(HEARTBEAT_KEY)


def test_a_periodic_task_that_finishes_records_when(app):
    before = datetime.now(timezone.utc)
    raise_due_care_plan_reviews.call_local()
    recorded = periodic_work(datetime.now(timezone.utc))
    assert recorded.last_run >= before and not recorded.late


def test_a_periodic_task_that_fails_records_nothing(app, monkeypatch):
    def fails(_today):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("app.triage.service.raise_due_reviews_for_every_team", fails)
    with pytest.raises(RuntimeError):
        raise_due_care_plan_reviews.call_local()
    assert periodic_work(datetime.now(timezone.utc)).last_run is None


def test_a_run_where_a_team_failed_records_nothing(app, actors, monkeypatch):
    """The other teams' reviews are raised, but the run is a failure: a consumer whose every run
    fails for some team must look late on the admin page, not working (found in review)."""
    from app.triage import service

    def fails(_team_id, _today):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "raise_due_reviews", fails)
    with pytest.raises(service.TeamsFailed):
        raise_due_care_plan_reviews.call_local()
    assert periodic_work(datetime.now(timezone.utc)).last_run is None


NOW = datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("last_run, late", [
    (None, True),
    (NOW - timedelta(minutes=14), False),
    (NOW - timedelta(minutes=35), False),
    (NOW - timedelta(minutes=36), True),
    (NOW - timedelta(days=3), True),
])
def test_the_work_is_late_after_two_missed_quarter_hours(app, last_run, late):
    if last_run is not None:
        huey.put(HEARTBEAT_KEY, last_run.isoformat())
    assert periodic_work(NOW) == PeriodicWork(last_run, late)


def page(admin) -> str:
    response = admin.get("/admin/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_admin_page_says_when_the_worker_last_finished(app, admin):
    huey.put(HEARTBEAT_KEY, (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat())
    shown = page(admin)
    assert "The background worker last finished its regular work" in shown
    assert "may have stopped" not in shown


def test_the_admin_page_warns_when_the_worker_has_not_run(app, admin):
    assert "The background worker may have stopped" in page(admin)
    assert "It has not finished its regular work yet." in page(admin)
    huey.put(HEARTBEAT_KEY, datetime(2026, 1, 5, 9, 15, tzinfo=timezone.utc).isoformat())
    shown = page(admin)
    assert "The background worker may have stopped" in shown
    assert "It last finished its regular work on 5 January 2026 at 9:15am." in shown


def test_the_admin_page_says_so_when_the_queue_cannot_be_read(app, admin, monkeypatch):
    def unreachable(*_args, **_kwargs):
        raise ConnectionError("Redis is not there")

    monkeypatch.setattr(huey, "get", unreachable)
    assert "The task queue cannot be read" in page(admin)
