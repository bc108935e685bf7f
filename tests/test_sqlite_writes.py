"""SQLite's writers queue for the write lock on an OS lock that wakes the next one as soon as the
holder's transaction is over, instead of sleeping in SQLite's busy handler (app/sqlite_writes.py,
issue 12).

Each writer that waits here has its connection's busy timeout set to 0: had it met SQLite's lock
taken, SQLite would have answered "database is locked" at once. So a writer that waited and then
wrote waited in the queue alone, and was let through only once the holder's transaction was over
(before the queue, every one of these writers failed at once). How soon it is let through is
the benchmarks' to print (bench/pages.py), not a test's to assert."""
from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from app.extensions import use_sqlite_wal
from app.idempotency import is_write_clash
from app.sqlite_writes import QueuedWriterConnection, database_file, queue_writers

ROOT = Path(__file__).resolve().parent.parent
# Long enough never to run out while a test's holder holds the lock (the machine may be busy),
# short enough that a writer wrongly left waiting fails the test soon.
PATIENT_SECONDS = 20
# How long a waiting writer is given to show it is waiting (it must not be done by then).
STILL_WAITING_SECONDS = 0.2


def queued_engine(path: Path, timeout_seconds: float = PATIENT_SECONDS):
    """A SQLite engine on `path` with the app's pragmas and its writers queued, and a table."""
    engine = create_engine(f"sqlite:///{path}")
    use_sqlite_wal(engine)
    queue_writers(engine, timeout_seconds)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)")
        connection.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS replies (id INTEGER PRIMARY KEY, note_id INTEGER "
            "REFERENCES notes (id) DEFERRABLE INITIALLY DEFERRED)")
    return engine


def notes(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT body FROM notes ORDER BY id")).scalars())


class WriterInAnotherThread:
    """Writes one note and commits, in its own thread, on a connection whose busy timeout is 0."""

    def __init__(self, engine, body: str = "second") -> None:
        self.engine, self.body = engine, body
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
                try:
                    connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": self.body})
                    connection.commit()
                finally:
                    connection.exec_driver_sql("PRAGMA busy_timeout = 15000")
        except BaseException as error:  # noqa: BLE001  (reported by finish)
            self.error = error
        finally:
            self.done.set()

    def is_waiting(self) -> bool:
        return not self.done.wait(STILL_WAITING_SECONDS)

    def finish(self) -> None:
        assert self.done.wait(PATIENT_SECONDS), "the writer is still waiting"
        if self.error is not None:
            raise self.error


def _insert(connection) -> None:
    connection.execute(text("INSERT INTO notes (body) VALUES ('first')"))


def _begin_immediate(connection) -> None:
    # extensions.savepoint's start on SQLite, before any write of its transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@pytest.mark.parametrize("opens", [_insert, _begin_immediate])
def test_a_second_writer_waits_in_the_queue_and_writes_once_the_first_commits(tmp_path, opens):
    engine = queued_engine(tmp_path / "db.sqlite")
    with engine.connect() as first:
        opens(first)
        second = WriterInAnotherThread(engine)
        assert second.is_waiting()
        if opens is _begin_immediate:
            _insert(first)
        first.commit()
        second.finish()
    assert notes(engine) == ["first", "second"]


def _commit(connection) -> None:
    connection.commit()


def _roll_back(connection) -> None:
    connection.rollback()


def _close(connection) -> None:
    connection.close()  # back to the pool, which rolls back


def _invalidate(connection) -> None:
    connection.invalidate()  # the driver's connection closed mid-transaction


def _drop_unclosed(connection) -> None:
    # The driver's connection garbage-collected unclosed (SQLite rolls it back).
    driver = connection.connection.dbapi_connection
    connection.connection.dbapi_connection = None
    connection.invalidate()
    del driver


@pytest.mark.parametrize(("ends", "kept"), [
    (_commit, ["first", "second"]),
    (_roll_back, ["second"]),
    (_close, ["second"]),
    (_invalidate, ["second"]),
    (_drop_unclosed, ["second"]),
])
def test_the_turn_is_given_back_however_the_transaction_ends(tmp_path, ends, kept):
    engine = queued_engine(tmp_path / "db.sqlite")
    first = engine.connect()
    _insert(first)
    second = WriterInAnotherThread(engine)
    assert second.is_waiting()
    ends(first)
    second.finish()
    first.close()
    assert notes(engine) == kept


def test_a_commit_that_fails_and_leaves_the_transaction_open_keeps_the_turn_until_its_rollback(tmp_path):
    """A deferred foreign key fails the COMMIT and SQLite keeps the transaction, and its write
    lock: the next writer waits for the driver's rollback. (A failed COMMIT that ends the
    transaction gives the turn back with it, as any commit.)"""
    engine = queued_engine(tmp_path / "db.sqlite")
    with engine.connect() as first:
        first.execute(text("INSERT INTO replies (note_id) VALUES (999)"))
        second = WriterInAnotherThread(engine)
        assert second.is_waiting()
        with pytest.raises(IntegrityError):
            first.commit()
        driver = first.connection.dbapi_connection
        assert driver.in_transaction
        assert second.is_waiting()
        # The driver's own: after a failed commit SQLAlchemy 2.1 sends none (see the report of
        # issue 12's SQLite writers), and SQLite's lock stays with the connection until it has one.
        driver.rollback()
        second.finish()
    assert notes(engine) == ["second"]


def test_a_writer_that_waits_past_the_deadline_is_told_the_database_is_locked_a_write_clash(tmp_path):
    engine = queued_engine(tmp_path / "db.sqlite", timeout_seconds=0.3)
    with engine.connect() as first:
        _insert(first)
        second = WriterInAnotherThread(engine)
        assert second.done.wait(PATIENT_SECONDS)
        assert isinstance(second.error, OperationalError)
        assert "database is locked" in str(second.error.orig)
        assert is_write_clash(second.error)  # retried, then 409 busy (app/idempotency.py)
        first.commit()
    assert notes(engine) == ["first"]
    WriterInAnotherThread(engine, "third").finish()  # the turn given back after the deadline


def test_a_threads_second_connection_is_not_queued_behind_the_thread_itself(tmp_path):
    """Its wait could never end before the deadline (the holder is the thread that waits): it
    meets SQLite's lock and its own busy timeout at once, as before the queue."""
    engine = queued_engine(tmp_path / "db.sqlite")
    with engine.connect() as first, engine.connect() as other:
        _insert(first)
        other.exec_driver_sql("PRAGMA busy_timeout = 0")
        with pytest.raises(OperationalError, match="database is locked"):
            other.execute(text("INSERT INTO notes (body) VALUES ('other')"))
        other.rollback()
        other.exec_driver_sql("PRAGMA busy_timeout = 15000")
        first.commit()
    assert notes(engine) == ["first"]


HOLDER = """
import sys
from sqlalchemy import create_engine, text
from app.extensions import use_sqlite_wal
from app.sqlite_writes import queue_writers
engine = create_engine("sqlite:///" + sys.argv[1])
use_sqlite_wal(engine)
queue_writers(engine, 20)
with engine.connect() as connection:
    connection.execute(text("INSERT INTO notes (body) VALUES ('first')"))
    print("holding", flush=True)
    sys.stdin.readline()
    connection.commit()
"""


@pytest.mark.parametrize("ends", ["commits", "is killed"])
def test_a_writer_in_another_process_is_waited_for_until_it_commits_or_dies(tmp_path, ends):
    engine = queued_engine(tmp_path / "db.sqlite")
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "db.sqlite")], cwd=ROOT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline() == "holding\n"
            second = WriterInAnotherThread(engine)
            assert second.is_waiting()
            if ends == "commits":
                holder.stdin.write("\n")
                holder.stdin.flush()
            else:
                holder.kill()
            assert holder.wait(PATIENT_SECONDS) == (0 if ends == "commits" else -9)
            second.finish()
        finally:
            holder.kill()
    assert notes(engine) == (["first", "second"] if ends == "commits" else ["second"])


def _hold_in_a_forked_child(engine, holding, release) -> None:
    with engine.connect() as connection:
        _insert(connection)
        holding.set()
        release.wait(PATIENT_SECONDS)
        connection.commit()


def test_a_forked_child_queues_on_a_lock_file_of_its_own_not_its_parents(tmp_path):
    """A child forked after its parent wrote (the lock file open, as a gunicorn worker forked
    from a master that made the app) shares the parent's open files, and an flock is its open
    file's: on the parent's, a child's lock would be the parent's too, and exclude neither."""
    engine = queued_engine(tmp_path / "db.sqlite")
    WriterInAnotherThread(engine, "zero").finish()  # the parent has written: its lock file is open
    engine.dispose()
    fork = multiprocessing.get_context("fork")
    holding, release = fork.Event(), fork.Event()
    child = fork.Process(target=_hold_in_a_forked_child, args=(engine, holding, release))
    child.start()
    try:
        assert holding.wait(PATIENT_SECONDS)
        second = WriterInAnotherThread(engine)
        assert second.is_waiting()
        release.set()
        second.finish()
    finally:
        release.set()
        child.join(PATIENT_SECONDS)
    assert child.exitcode == 0
    assert notes(engine) == ["zero", "first", "second"]


def test_the_lock_file_is_made_with_the_databases_permissions(tmp_path):
    """As SQLite makes its -wal and -shm files: whoever may write the database may queue."""
    engine = queued_engine(tmp_path / "db.sqlite")
    (tmp_path / "db.sqlite").chmod(0o640)
    WriterInAnotherThread(engine).finish()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "db.sqlite-write-lock").stat().st_mode & 0o777 == 0o640 & ~umask


def test_writers_that_cannot_open_the_lock_file_still_write_unqueued_and_it_is_logged(tmp_path, caplog):
    (tmp_path / "db.sqlite-write-lock").mkdir()  # in the way: it cannot be opened as a file
    engine = queued_engine(tmp_path / "db.sqlite")
    with caplog.at_level(logging.WARNING, logger="app.sqlite_writes"):
        with engine.connect() as first:
            _insert(first)
            assert not first.connection.dbapi_connection.holds_the_write_turn
            first.commit()
        WriterInAnotherThread(engine).finish()
    assert notes(engine) == ["first", "second"]
    logged = [record.getMessage() for record in caplog.records if "not queued" in record.getMessage()]
    assert len(logged) == 1 and "db.sqlite-write-lock" in logged[0]  # once, naming the file


@pytest.mark.parametrize(("url", "path"), [
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
    ("sqlite:////srv/app/app.sqlite", "/srv/app/app.sqlite"),
    ("sqlite:///file:/srv/app/app.sqlite?mode=rwc&uri=true", "/srv/app/app.sqlite"),
    ("sqlite:///relative.sqlite", str(Path("relative.sqlite").resolve())),
])
def test_only_a_database_file_has_a_queue(url, path):
    assert database_file(make_url(url)) == path


def test_an_in_memory_database_is_not_queued():
    engine = create_engine("sqlite://")
    use_sqlite_wal(engine)
    queue_writers(engine, PATIENT_SECONDS)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
        connection.exec_driver_sql("INSERT INTO notes VALUES ('kept')")
        assert type(connection.connection.dbapi_connection) is sqlite3.Connection
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT body FROM notes").scalars().all() == ["kept"]


def test_the_apps_sqlite_writers_are_queued(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's writers")
    from app.extensions import db

    with app.app_context():
        connection = db.session.connection().connection.dbapi_connection
        assert isinstance(connection, QueuedWriterConnection)
        db.session.execute(text("UPDATE teams SET name = name"))
        assert connection.holds_the_write_turn
        db.session.commit()
        assert not connection.holds_the_write_turn
        assert Path(connection.write_queue.lock_path).exists()
