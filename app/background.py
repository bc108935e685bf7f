"""Background work on huey: one queue for the whole app, bound to the app in the factory.

Storage: SQLite in the instance folder by default (so `scripts/run-demo` needs no other server),
Redis when `REDIS_URL` is set (production, or more than one machine). Tests run in huey's
immediate mode (`HUEY_IMMEDIATE`): a task runs at once, in the caller's thread, in memory.

Tasks are declared with `task()` and `periodic_task()` below (never `huey.task` directly):
each run gets its own Flask app context, so it has the app's config and a database session of
its own (a task enqueued from a request never shares, or commits, the request's session).
Areas declare their tasks in a `tasks` module imported by their package, so that creating the
app registers every task, which the consumer (`flask tasks consume`) needs.

`after_commit(task, *args)` enqueues only once the current transaction has committed: a task
never runs for a change that was rolled back, nor before its change is visible to it.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from .timeutil import LONDON

HUEY_NAME = "manage-your-cancer-care"

# Storage is chosen when the app is made (init_background); until then, memory.
huey = Huey(HUEY_NAME, utc=True, storage_class=MemoryStorage)

_bound: dict[str, Flask] = {}


def init_background(app: Flask) -> None:
    """Point the queue at this app's storage and run its tasks in this app's context."""
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        storage_class, storage_kwargs = RedisStorage, {"url": redis_url}
    else:
        filename = app.config.get("HUEY_SQLITE_PATH") or str(Path(app.instance_path) / "huey.sqlite")
        storage_class, storage_kwargs = SqliteStorage, {"filename": filename}
    huey.storage_class, huey.storage_kwargs = storage_class, storage_kwargs
    # Setting the same value would keep a storage made for another app: set it, then rebuild.
    huey._immediate = immediate
    huey.storage = huey.create_storage()
    _bound["app"] = app


def storage_description() -> str:
    """What the queue is kept in, for the consumer's first line (no password shown)."""
    storage = huey.storage
    if isinstance(storage, SqliteStorage):
        return f"SQLite file {storage.filename}"
    if isinstance(storage, RedisStorage):
        kwargs = storage.conn.connection_pool.connection_kwargs
        return f"Redis at {kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
    return type(storage).__name__


def _app() -> Flask:
    # In immediate mode a task runs inside whatever app enqueued it; the consumer has one app.
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return _bound["app"]


def _in_app_context(function: Callable) -> Callable:
    @functools.wraps(function)
    def run(*args, **kwargs):
        with _app().app_context():
            return function(*args, **kwargs)

    return run


def task(**options: Any) -> Callable:
    """A huey task run in a fresh app context (options as for `huey.task`)."""
    return lambda function: huey.task(**options)(_in_app_context(function))


def periodic_task(validate_datetime: Callable[[datetime], bool], **options: Any) -> Callable:
    """A huey periodic task run in a fresh app context. The consumer asks `validate_datetime`
    once a minute with that minute as a naive UTC datetime. Each run that finishes records the
    time (`last_periodic_run`), so the admin page can say whether the consumer is working."""
    return lambda function: huey.periodic_task(validate_datetime, **options)(_in_app_context(_beating(function)))


# ---------------------------------------------------------------- is the consumer working?

# The consumer's heartbeat, kept in the queue's own storage (Redis in production, beside the
# queued tasks), which the web processes and the consumer share: no table, no migration.
HEARTBEAT_KEY = "heartbeat:periodic-run"
# The quarter-hour task (app/triage/tasks.py) finishes at least every 15 minutes on a working
# consumer: two missed runs and a bit mean it is stopped, stuck or failing.
PERIODIC_WORK_LATE_AFTER = timedelta(minutes=35)


def _beating(function: Callable) -> Callable:
    @functools.wraps(function)
    def run(*args, **kwargs):
        result = function(*args, **kwargs)
        # Only a run that finished: one that fails every time must look like the consumer stopped.
        huey.put(HEARTBEAT_KEY, datetime.now(timezone.utc).isoformat())
        return result

    return run


@dataclass(frozen=True)
class PeriodicWork:
    last_run: datetime | None   # None: never, as far as the queue's storage knows
    late: bool
    readable: bool = True       # False: the queue's storage could not be read


def periodic_work(now: datetime) -> PeriodicWork:
    """When the consumer last finished a periodic task, and whether that is too long ago."""
    try:
        recorded = huey.get(HEARTBEAT_KEY, peek=True)
    except Exception:  # noqa: BLE001  (Redis unreachable: say so on the page rather than fail it)
        logging.getLogger(__name__).exception("The task queue's storage could not be read")
        return PeriodicWork(None, True, readable=False)
    if not recorded:
        return PeriodicWork(None, True)
    last_run = datetime.fromisoformat(recorded)
    return PeriodicWork(last_run, now - last_run > PERIODIC_WORK_LATE_AFTER)


def london_time_of_day(hour: int, minute: int = 0) -> Callable[[datetime], bool]:
    """A periodic task's schedule: every day at this London clock time, in GMT and in BST alike
    (huey's own crontab reads UTC, an hour off for half the year)."""
    wanted = time(hour, minute)

    def at_that_time(utc_minute: datetime) -> bool:
        local = utc_minute.replace(tzinfo=timezone.utc).astimezone(LONDON)
        return (local.hour, local.minute) == (wanted.hour, wanted.minute)

    return at_that_time


def every_minutes(minutes: int) -> Callable[[datetime], bool]:
    """A periodic task's schedule: every `minutes` minutes past the hour (0, 15, 30, 45)."""
    return lambda utc_minute: utc_minute.minute % minutes == 0


# ---------------------------------------------------------------- enqueue after commit

_PENDING = "background.after_commit"


def after_commit(task_function: Callable, *args: Any, session: Session | None = None) -> None:
    """Enqueue `task_function(*args)` once the session's current transaction commits; forget it
    if the transaction rolls back. Without a session, Flask-SQLAlchemy's of this app context."""
    if session is None:
        from .extensions import db

        session = db.session()
    session.info.setdefault(_PENDING, []).append((task_function, args))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    # Also called when a savepoint is released: the change is not committed until the outer
    # transaction is, and a task run now would not see it.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, [])
    for task_function, args in pending:
        task_function(*args)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous_transaction) -> None:
    # A savepoint rolled back (a lost race caught and handled) leaves the outer change standing.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
