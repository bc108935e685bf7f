"""bench/pages.py's durable save floor (issue 12): the least a save can cost, a bare Flask route
that stores one row and commits it through the driver alone. It stands for every save's commit
only if it commits as the app does: on SQLite with the app's journal, `synchronous` and busy
timeout, its writers queued as the app's are; each save one row, committed, its write turn given
back. Its figures are the benchmark's to print, not a test's."""
from __future__ import annotations

import contextlib
import fcntl
import sqlite3

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from bench import pages
from tests.conftest import TEST_DATABASE_URL


def _pragmas(execute) -> dict:
    return {name: execute(f"PRAGMA {name}") for name in ("synchronous", "journal_mode", "busy_timeout")}


def test_the_floor_commits_on_sqlite_as_the_app_does(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "floor-test", "RATELIMIT_ENABLED": False})
    with app.app_context():
        apps = _pragmas(lambda pragma: db.session.execute(text(pragma)).scalar())
        db.session.remove()
        db.engine.dispose()
    saves = pages.DurableSaves(url)
    try:
        floors = _pragmas(lambda pragma: saves.connection().execute(pragma).fetchone()[0])
        # Queued for the write lock on the app's own queue of this file's writers.
        assert type(saves.connection()).write_queue.database_path == str(tmp_path / "bench.sqlite")
    finally:
        saves.close()
    assert floors == apps
    assert floors["journal_mode"] == "wal"


def test_each_save_is_one_row_committed_with_its_write_turn_given_back(tmp_path, monkeypatch):
    path = tmp_path / "bench.sqlite"
    url = f"sqlite:///{path}"
    made = pages.DurableSaves(url)
    made.make_table()
    made.close()
    monkeypatch.setenv(pages.FLOOR_DATABASE_ENV, url)
    bare = pages.bare_app()
    bodies = ['{"symptom": "cough"}', '{"symptom": "fever"}', '{"symptom": "cough"}']
    try:
        for body in bodies:
            response = bare.test_client().post(pages.FLOOR_PATH, data=body, content_type="application/json")
            assert response.status_code == 201
        # Read by another connection: each row was committed, none left in an open transaction.
        with contextlib.closing(sqlite3.connect(path)) as reader:
            stored = [body for (body,) in reader.execute(f"SELECT body FROM {pages.FLOOR_TABLE} ORDER BY id")]
        assert stored == bodies
        # The turn was given back by the save's commit (before the connection is closed, which
        # would give it back too): another process's writer takes the lock file's flock at once.
        with open(f"{path}-write-lock", "rb") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    finally:
        bare.extensions["durable_saves"].close()


def test_a_failed_save_gives_the_write_lock_back(tmp_path):
    path = tmp_path / "bench.sqlite"
    saves = pages.DurableSaves(f"sqlite:///{path}")
    saves.make_table()
    try:
        with pytest.raises(sqlite3.IntegrityError):
            saves.store(None)  # the body is NOT NULL
        assert not saves.connection().in_transaction
        with open(f"{path}-write-lock", "rb") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    finally:
        saves.close()


def test_the_floor_says_what_its_commits_wait_for(tmp_path):
    saves = pages.DurableSaves(f"sqlite:///{tmp_path / 'bench.sqlite'}")
    try:
        assert saves.how_commits_wait() == "synchronous=FULL"
    finally:
        saves.close()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the PostgreSQL pass (TEST_DATABASE_URL) checks it there")
def test_the_floor_stores_and_commits_on_postgresql():
    saves = pages.DurableSaves(TEST_DATABASE_URL)
    try:
        saves.make_table()
        before = saves.count()
        saves.store('{"symptom": "cough"}')
        saves.store('{"symptom": "fever"}')
        assert saves.how_commits_wait().startswith("fsync=")
        reader = pages.DurableSaves(TEST_DATABASE_URL)
        try:
            assert reader.count() == before + 2
        finally:
            reader.close()
    finally:
        connection = saves.connection()
        connection.execute(f"DROP TABLE IF EXISTS {pages.FLOOR_TABLE}")
        connection.commit()
        saves.close()
