"""What a request pays the database layer around its own statements, and how a connection the
server dropped is recovered from (issue 12).

Before, every checkout from the pool sent a ping (`pool_pre_ping`): `SELECT 1` on SQLite, an
empty query on PostgreSQL, one round trip per request on top of the page's own. These tests
hold the two halves of what replaced it: nothing but the request's own statements reaches the
driver, and a connection the server ended while it sat in the pool is still never a failed
request.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from app.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from app.models import PatientProfile, Team


@contextmanager
def statements_sent(engine):
    """(what SQLAlchemy executed, what reached the driver's cursors) while inside, on
    connections opened inside (the pool is emptied first)."""
    from_sqlalchemy: list[str] = []
    to_driver: list[str] = []

    def executed(_conn, _cursor, statement, *_args):
        from_sqlalchemy.append(statement)

    def watch_driver(dbapi_connection, _record):
        if engine.dialect.name == "sqlite":
            # The sqlite3 module's implicit BEGIN/COMMIT are traced too; a read sends neither.
            dbapi_connection.set_trace_callback(to_driver.append)
        else:
            base = dbapi_connection.cursor_factory

            class RecordingCursor(base):
                def execute(self, query, *args, **kwargs):
                    to_driver.append(str(query))
                    return super().execute(query, *args, **kwargs)

            dbapi_connection.cursor_factory = RecordingCursor

    engine.dispose()
    event.listen(engine, "connect", watch_driver)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        yield from_sqlalchemy, to_driver
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "connect", watch_driver)
        engine.dispose()


@pytest.mark.parametrize("path", ["/healthz", "/my-care"])
def test_a_request_sends_the_database_only_its_own_statements(app, patient, path):
    with app.app_context():
        engine = db.engine
    with statements_sent(engine) as (from_sqlalchemy, to_driver):
        # The first request opens the connection (SQLite's pragmas run then, once).
        assert patient.get(path).status_code == 200
        from_sqlalchemy.clear()
        to_driver.clear()
        assert patient.get(path).status_code == 200
        assert patient.get(path).status_code == 200
    assert from_sqlalchemy, "the page reads the database"
    # SQLite's trace shows each statement with its parameters filled in: compare the number.
    assert len(to_driver) == len(from_sqlalchemy), to_driver


def test_sqlite_pragmas_are_set_once_per_connection_not_per_request(app, patient, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's pragmas")
    with app.app_context():
        engine = db.engine
    traced: list[str] = []

    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(traced.append)

    engine.dispose()
    # First, so that it sees the app's own connect listener's pragmas.
    event.listen(engine, "connect", trace, insert=True)
    try:
        for _ in range(3):
            assert patient.get("/my-care").status_code == 200
    finally:
        event.remove(engine, "connect", trace)
        engine.dispose()
    pragmas = [sql for sql in traced if sql.lstrip().upper().startswith("PRAGMA")]
    assert pragmas == [f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}", "PRAGMA journal_mode = WAL",
                       "PRAGMA foreign_keys = ON", "PRAGMA recursive_triggers = ON"]


@pytest.mark.parametrize("column, missing", [("team_id", "a team"), ("key_worker_id", "a member of staff")])
def test_a_row_naming_a_record_that_is_not_there_is_refused_on_every_database(app, actors, column, missing):
    """SQLite enforces the schema's foreign keys as PostgreSQL does: the same tests, the same
    rules (a patient in a team that is not there would be on no team's list)."""
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(update(PatientProfile).where(PatientProfile.id == actors.profile_a)
                               .values({column: 999_999}))
            db.session.flush()
        db.session.rollback()
        assert db.session.get(PatientProfile, actors.profile_a).team_id == actors.team_a


def _terminate(database_url: str, pid: int) -> None:
    """End one server process as an administrator (or a failover, or an idle timeout) would,
    waiting until it has gone."""
    other = create_engine(database_url)
    try:
        with other.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()
    finally:
        other.dispose()


@pytest.mark.parametrize("path", ["/healthz", "/my-care"])
def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it(app, patient, database_url, path):
    if not database_url.startswith("postgresql"):
        pytest.skip("a server process to end: PostgreSQL")
    with app.app_context():
        db.engine.dispose()
    assert patient.get(path).status_code == 200
    with app.app_context():
        # The pool holds the one connection the request above used: this is it.
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    _terminate(database_url, pid)

    response = patient.get(path)

    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != pid
        db.session.remove()
    assert patient.get(path).status_code == 200


# ---------------------------------------------------------------- a read ends with a commit


def _prepared_statements_on_the_pooled_connection(app) -> int:
    with app.app_context():
        # The pool holds the one connection the requests used: this is it.
        count = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        db.session.remove()
    return count


def test_a_page_that_only_reads_keeps_its_statements_prepared(app, patient, database_url):
    """psycopg forgets a connection's prepared statements on a ROLLBACK, which is how closing the
    session ended every read: PostgreSQL planned the session's and the page's statements anew on
    every request (app/extensions.py `end_a_read_with_a_commit`)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("prepared statements: PostgreSQL")
    with app.app_context():
        db.engine.dispose()
    # psycopg prepares a statement on its sixth use on a connection.
    for _ in range(7):
        assert patient.get("/my-care").status_code == 200

    assert _prepared_statements_on_the_pooled_connection(app) > 0


@pytest.mark.parametrize("inner", ["a request sent from inside", "a request context pushed inside"])
def test_a_request_inside_an_app_context_leaves_the_outer_work_its_transaction(app, patient, database_url, inner):
    """A request made inside another's application context (a test client's request sent while a
    view runs, a request context pushed by code already in an app context) shares its session:
    the end of the inner request must not end the outer work's transaction under it. (It did on
    PostgreSQL: the inner request's end committed the shared connection's transaction, and the
    outer work's commit then failed, "This transaction is inactive".)"""
    if not database_url.startswith("postgresql"):
        pytest.skip("a read ends with a commit on PostgreSQL only")
    with app.app_context():
        db.session.scalar(select(Team.id).limit(1))  # the outer work's transaction has begun
        if inner == "a request sent from inside":
            assert patient.get("/my-care").status_code == 200
        else:
            with app.test_request_context("/"):
                db.session.scalar(select(Team.id).limit(1))
        db.session.add(Team(name="Written after the inner request"))
        db.session.commit()
        db.session.remove()
    assert _a_team_named(app, "Written after the inner request")


def _a_team_named(app, name: str) -> bool:
    with app.app_context():
        found = db.session.scalar(select(Team.id).where(Team.name == name)) is not None
        db.session.remove()
    return found


@pytest.mark.parametrize("how", ["statement", "orm object flushed", "orm object not flushed"])
def test_a_request_that_wrote_without_committing_is_still_rolled_back(app, database_url, how):
    """What a view wrote but did not commit (refused half-way, or left on purpose) is never
    committed by the end of the request."""
    from app.extensions import end_a_read_with_a_commit

    if not database_url.startswith("postgresql"):
        pytest.skip("a read ends with a commit on PostgreSQL only")

    with app.test_request_context():
        session = db.session()
        session.scalar(select(Team.id).limit(1))
        if how == "statement":
            session.execute(insert(Team).values(name="Left unsaved"))
        else:
            session.add(Team(name="Left unsaved"))
            if how == "orm object flushed":
                session.flush()
        end_a_read_with_a_commit(session)
    # The request context has ended: Flask-SQLAlchemy closed the session.
    assert not _a_team_named(app, "Left unsaved")


def test_work_queued_for_after_a_commit_is_not_run_by_the_end_of_a_read(app, database_url):
    from app.background import after_commit
    from app.extensions import end_a_read_with_a_commit

    if not database_url.startswith("postgresql"):
        pytest.skip("a read ends with a commit on PostgreSQL only")

    ran = []
    with app.test_request_context():
        session = db.session()
        session.scalar(text("SELECT 1"))
        after_commit(ran.append, "sent")
        end_a_read_with_a_commit(session)
    assert ran == []


def test_a_failed_write_the_view_caught_is_left_to_the_rollback(app, database_url):
    """A view that caught a failed flush without rolling back still gets its page: the end of
    the request leaves that transaction to the rollback instead of failing on it."""
    from sqlalchemy.exc import IntegrityError

    from app.extensions import end_a_read_with_a_commit

    if not database_url.startswith("postgresql"):
        pytest.skip("a read ends with a commit on PostgreSQL only")
    with app.test_request_context():
        session = db.session()
        session.add(Team(name="Twice"))
        session.commit()
        session.add(Team(name="Twice"))
        with pytest.raises(IntegrityError):
            session.flush()
        end_a_read_with_a_commit(session)
    assert _a_team_named(app, "Twice")


def test_the_end_of_a_read_commits_the_driver_s_transaction_not_the_session_s_work(app, database_url):
    """A read's COMMIT only ends the database's transaction (its prepared statements kept): the
    session's commit, with its hooks for work committed (after_commit) and its expiry of every
    record read, is for views that store something, not for the end of a page that read."""
    from sqlalchemy.orm import Session

    from app.extensions import end_a_read_with_a_commit

    if not database_url.startswith("postgresql"):
        pytest.skip("a read ends with a commit on PostgreSQL only")
    import psycopg

    hooks = []

    def after_commit(_session):
        hooks.append("after_commit")

    event.listen(Session, "after_commit", after_commit)
    try:
        with app.test_request_context():
            session = db.session()
            team = session.scalars(select(Team).limit(1)).first()
            dbapi_connection = session.connection().connection.dbapi_connection
            end_a_read_with_a_commit(session)
            committed = dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            expired = team is not None and "name" not in team.__dict__
    finally:
        event.remove(Session, "after_commit", after_commit)
    assert committed
    assert hooks == []
    assert not expired
