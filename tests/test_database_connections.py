"""What a request pays the database layer around its own statements, and how a connection the
server dropped is recovered from (issue 12).

Before, every checkout from the pool sent a ping (`pool_pre_ping`): `SELECT 1` on SQLite, an
empty query on PostgreSQL, one round trip per request on top of the page's own. These tests
hold the two halves of what replaced it: nothing but the request's own statements reaches the
driver, and a connection the server ended while it sat in the pool is still never a failed
request.

On PostgreSQL, a request's reads also ran in a transaction: BEGIN before them and COMMIT or
ROLLBACK after, two round trips of a page's three or four. Now only what writes is in one; the
tests below count every round trip from libpq's own trace of what psycopg sends.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from app.models import PatientProfile, Team
from tests.test_migrations import empty_database, migrations_app  # noqa: F401  (fixtures)


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


def test_the_app_s_engine_has_no_listener_of_a_connection_s_events(database_url, tmp_path):
    """What the app does around each statement is on the dialect's execution events (SQLite's
    writers' queue, PostgreSQL's BEGIN before a first write) and the pool's (a connection the
    server ended replaced on checkout), never on the connection's events (`before_cursor_execute`
    and the rest): one such listener makes SQLAlchemy join the engine's events into every
    connection it makes and dispatch its begin, rollback, commit and after-statement events on
    every request, ~120 Python calls of a PostgreSQL patient home page (issue 12). A new app's
    engine: tests that count statements add such listeners to the shared one."""
    from tests.conftest import base_test_config

    app = create_app(base_test_config(database_url, tmp_path))
    with app.app_context():
        engine = db.engine
        listened = [name for name in ("before_cursor_execute", "after_cursor_execute", "before_execute",
                                      "after_execute", "begin", "commit", "rollback", "engine_connect")
                    if getattr(engine.dispatch, name)]
        assert (engine._has_events, listened) == (False, [])
        engine.dispose()


# ---------------------------------------------------------------- PostgreSQL: no transaction for a read
# Statements that only read run without a transaction of their own, and a request's transaction
# begins just before its first statement that is not a plain read (app/extensions.py
# `begin_before_the_first_write`).


def _prepared_statements_on_the_pooled_connection(app) -> int:
    with app.app_context():
        # The pool holds the one connection the requests used: this is it.
        count = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        db.session.remove()
    return count


def test_a_page_that_only_reads_keeps_its_statements_prepared(app, patient, database_url):
    """psycopg forgets a connection's prepared statements on a ROLLBACK, which is how closing the
    session ended every read: PostgreSQL planned the session's and the page's statements anew on
    every request. A read now ends with no transaction to roll back."""
    if not database_url.startswith("postgresql"):
        pytest.skip("prepared statements: PostgreSQL")
    with app.app_context():
        db.engine.dispose()
    # psycopg prepares a statement on its sixth use on a connection.
    for _ in range(7):
        assert patient.get("/my-care").status_code == 200

    assert _prepared_statements_on_the_pooled_connection(app) > 0


@pytest.mark.parametrize("inner", ["a request sent from inside", "a request context pushed inside"])
def test_a_request_inside_an_app_context_leaves_the_outer_work_its_transaction(app, patient, inner):
    """A request made inside another's application context (a test client's request sent while a
    view runs, a request context pushed by code already in an app context) shares its session:
    the end of the inner request must not end the outer work's transaction under it."""
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
@pytest.mark.parametrize("read_first", [True, False], ids=["read first", "write first"])
def test_a_request_that_wrote_without_committing_is_rolled_back_with_its_reads_outside(app, how, read_first):
    """What a view wrote but did not commit (refused half-way, or left on purpose) is never
    committed by the end of the request, whether a read ran before it outside the transaction
    or not."""
    with app.test_request_context():
        session = db.session()
        if read_first:
            session.scalar(select(Team.id).limit(1))
        if how == "statement":
            session.execute(insert(Team).values(name="Left unsaved"))
        else:
            session.add(Team(name="Left unsaved"))
            if how == "orm object flushed":
                session.flush()
    # The request context has ended: Flask-SQLAlchemy closed the session.
    assert not _a_team_named(app, "Left unsaved")


def test_work_queued_for_after_a_commit_is_not_run_by_the_end_of_a_read(app):
    from app.background import after_commit

    ran = []
    with app.test_request_context():
        db.session.scalar(text("SELECT 1"))
        after_commit(ran.append, "sent")
    assert ran == []


def test_a_failed_write_the_view_caught_is_left_to_the_rollback(app):
    """A view that caught a failed flush without rolling back still gets its page: the end of
    the request rolls that transaction back instead of failing on it."""
    with app.test_request_context():
        session = db.session()
        session.add(Team(name="Twice"))
        session.commit()
        session.add(Team(name="Twice"))
        with pytest.raises(IntegrityError):
            session.flush()
    assert _a_team_named(app, "Twice")


def test_every_write_after_the_first_is_in_its_transaction_and_a_rollback_takes_them_all(app):
    """From the first statement that is not a plain read on, the work is one transaction: a
    rollback takes back every write, the reads between them see the writes before them, and the
    reads before the first write left nothing to take back."""
    with app.test_request_context():
        session = db.session()
        assert session.scalar(select(Team.id).where(Team.name == "First")) is None
        session.execute(insert(Team).values(name="First"))
        assert session.scalar(select(Team.id).where(Team.name == "First")) is not None
        session.execute(insert(Team).values(name="Second"))
        session.rollback()
        assert session.scalar(select(Team.id).where(Team.name.in_(["First", "Second"]))) is None
    assert not _a_team_named(app, "First") and not _a_team_named(app, "Second")


def test_a_read_leaves_the_driver_with_no_transaction_open(app, database_url):
    """A read on PostgreSQL runs in no transaction: the connection is idle after it, with nothing
    to commit or roll back at the end of the request (each of which was a round trip)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's autocommit: PostgreSQL")
    import psycopg

    with app.test_request_context():
        session = db.session()
        session.scalar(select(Team.id).limit(1))
        driver = session.connection().connection.driver_connection
        after_a_read = driver.info.transaction_status
        session.execute(insert(Team).values(name="Begun"))
        after_a_write = driver.info.transaction_status
        session.rollback()
    assert after_a_read == psycopg.pq.TransactionStatus.IDLE
    assert after_a_write == psycopg.pq.TransactionStatus.INTRANS


def test_a_transaction_advisory_lock_taken_first_is_held_until_the_end_of_the_transaction(app, database_url):
    """A request whose first statement takes a transaction's advisory lock (the try_ form
    included) must hold it until its commit or rollback: run outside a transaction, the lock
    would be let go as the statement ended and another connection would get it meanwhile."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's advisory locks")
    from sqlalchemy import text

    with app.test_request_context():
        assert db.session.scalar(text("SELECT pg_try_advisory_xact_lock(4242)")) is True
        with db.engine.connect() as other:
            other_got_it = other.scalar(text("SELECT pg_try_advisory_xact_lock(4242)"))
            other.rollback()
        db.session.rollback()
    assert other_got_it is False


# Which statements may run outside a transaction: only a SELECT that locks nothing and calls none
# of PostgreSQL's functions whose effect belongs to a transaction. Anything else begins one.
ONLY_READS = [
    ("SELECT users.id FROM users WHERE users.id = %(id_1)s::INTEGER", True),
    ("  select 1", True),
    ("SELECT count(*) FROM pg_prepared_statements", True),
    ("SELECT patient_profiles.team_id FROM patient_profiles WHERE patient_profiles.id = %(id)s FOR SHARE", False),
    ("SELECT care_plans.id FROM care_plans FOR UPDATE", False),
    ("SELECT care_plans.id FROM care_plans FOR NO KEY UPDATE OF care_plans", False),
    ("select id from care_plans for key share", False),
    ("SELECT care_plans.id FROM care_plans FOR\nUPDATE SKIP LOCKED", False),
    ("SELECT pg_advisory_xact_lock(42)", False),
    ("SELECT pg_try_advisory_xact_lock(42)", False),
    ("SELECT pg_try_advisory_lock(42)", False),
    ("SELECT * INTO copied_teams FROM teams", False),
    ("SELECT teams.id INTO TEMPORARY kept_teams FROM teams", False),
    ("SELECT pg_notify('queue', 'changed')", False),
    ("SELECT set_config('app.actor', '7', true)", False),
    ("SELECT nextval('users_id_seq')", False),
    ("SELECT pg_current_xact_id()", False),
    ("INSERT INTO audit_events (action) VALUES (%(action)s)", False),
    ("UPDATE care_plans SET seen_by_patient_at=%(now)s WHERE care_plans.id = %(plan_id)s", False),
    ("DELETE FROM idempotency_records WHERE created_at < %(before)s", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("SET LOCAL lock_timeout = '1s'", False),
    ("LOCK TABLE queue_items IN SHARE MODE", False),
    ("WITH moved AS (UPDATE queue_items SET team_id = 2 RETURNING id) SELECT id FROM moved", False),
    ("SHOW transaction_isolation", False),
    ("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)", False),
    ("SELECTED", False),
]


@pytest.mark.parametrize(("statement", "reads_only"), ONLY_READS)
def test_only_a_plain_select_runs_outside_a_transaction(statement, reads_only):
    from app.extensions import only_reads

    assert only_reads(statement) is reads_only
    assert only_reads(statement) is reads_only  # the answer kept is the same


# ---------------------------------------------------------------- round trips on PostgreSQL


@contextmanager
def round_trips(engine):
    """What each round trip to PostgreSQL carried while inside, on connections opened inside (the
    pool is emptied first): libpq's own trace of the protocol (psycopg's `PGconn.trace`), so that
    everything the driver sends is seen, its own BEGIN, COMMIT, ROLLBACK and DEALLOCATE included.
    A round trip ends when the server says it is ready for the next query (ReadyForQuery); each is
    named by its statement's first word (a prepared statement's by the statement it was prepared
    from), upper case. The list is filled in when the block ends."""
    import tempfile

    import psycopg

    traced = []

    def trace(dbapi_connection, _record):
        log = tempfile.TemporaryFile()
        dbapi_connection.pgconn.trace(log.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        traced.append((dbapi_connection, log))

    names: list[str] = []
    engine.dispose()
    event.listen(engine, "connect", trace)
    try:
        yield names
    finally:
        event.remove(engine, "connect", trace)
        for dbapi_connection, log in traced:
            with log:
                if not dbapi_connection.closed:
                    dbapi_connection.pgconn.untrace()  # flushes the trace
                log.seek(0)
                names.extend(_round_trips_in(log.read().decode()))
        engine.dispose()


def _round_trips_in(trace: str) -> list[str]:
    """Each round trip's first word, from libpq's trace: a line per message, `F` (sent) or `B`
    (received), its length, its type and its fields, strings in double quotes as they are."""
    import re

    messages: list[list[str]] = []
    for line in trace.splitlines():
        message_line = re.match(r"([FB])\t\d+\t(\w+)\t?(.*)", line)
        if message_line is not None:
            messages.append(list(message_line.groups()))
        elif messages:
            messages[-1][2] += "\n" + line  # a statement or value sent or received holds a line break
    prepared: dict[str, str] = {}  # psycopg's name of a prepared statement: its first word
    trips, sent = [], None
    for direction, message, fields in messages:
        fields = fields.strip()
        if direction == "F" and message == "Query":  # a simple query: BEGIN, COMMIT, ROLLBACK, ...
            sent = sent or re.match(r'"\s*([^"\s]+)', fields).group(1)
        elif direction == "F" and message == "Parse":  # "name" "statement" ...
            name, first_word = re.match(r'"([^"]*)" "\s*([^"\s]+)', fields).groups()
            prepared[name] = first_word
            sent = sent or first_word
        elif direction == "F" and message == "Bind":  # "portal" "prepared statement's name" ...
            name = re.match(r'"[^"]*" "([^"]*)"', fields).group(1)
            sent = sent or prepared.get(name, f"unknown prepared statement {name}")
        elif direction == "B" and message == "ReadyForQuery":
            if sent is not None:
                trips.append(sent.upper())
            sent = None
    return trips


@pytest.fixture
def demo(app, database_url, monkeypatch):
    """The demo's people signed in (tests/test_query_counts.py), on PostgreSQL, with the sessions'
    clock standing still: a person's activity is written at most every 30 s, and a slow run must
    not find that write in a page's round trips."""
    if not database_url.startswith("postgresql"):
        pytest.skip("round trips to PostgreSQL")
    from app import sessions
    from app.timeutil import utcnow
    from tests.test_query_counts import signed_in_demo

    signed_in = signed_in_demo(app)
    now = utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: now)
    with app.app_context():
        engine = db.engine
    return (*signed_in, engine)


TRANSACTION = {"BEGIN", "COMMIT", "ROLLBACK"}


def test_no_page_sends_a_transaction_to_only_read_or_to_store_the_audit_of_its_read(app, demo):
    """Every main page, seen a second time (the first may store something: a plan marked seen):
    each round trip is one of its own statements, with no BEGIN, COMMIT or ROLLBACK around them;
    a staff page's audit of its read is one INSERT, committed as it runs, after the reads."""
    from tests.test_query_counts import PAGES

    clients, ids, engine = demo
    failures = []
    for who, path, _budget in PAGES:
        url = path.format(**ids)
        clients[who].get(url)
        with round_trips(engine) as trips:
            assert clients[who].get(url).status_code == 200, url
        writes = [trip for trip in trips if trip != "SELECT"]
        if writes not in ([], ["INSERT"]) or (writes and trips[-1] != "INSERT"):
            failures.append(f"{url} as {who}: {trips}")
    assert not failures, "\n".join(failures)


def test_a_patient_page_that_only_reads_sends_its_reads_alone(demo):
    clients, _ids, engine = demo
    clients["patient"].get("/my-care")
    with round_trips(engine) as trips:
        assert clients["patient"].get("/my-care").status_code == 200
    assert trips == ["SELECT", "SELECT"]


def test_a_staff_page_sends_its_reads_and_then_the_audit_of_them_alone(demo):
    clients, _ids, engine = demo
    clients["nurse"].get("/nurse/patients")
    with round_trips(engine) as trips:
        assert clients["nurse"].get("/nurse/patients").status_code == 200
    assert trips == ["SELECT", "SELECT", "INSERT"]


def test_a_change_and_the_audit_that_records_it_commit_together(app, demo):
    """The patient's first look at a new care plan version marks it seen and audits the view:
    one transaction, begun just before the mark, committed once after the audit."""
    from app.careplan.models import CarePlan

    clients, ids, engine = demo
    with app.app_context():
        assert db.session.scalar(select(CarePlan.seen_by_patient_at).where(
            CarePlan.patient_id == ids["david"]).order_by(CarePlan.version.desc()).limit(1)) is None
        db.session.remove()
    with round_trips(engine) as trips:
        assert clients["patient"].get("/my-care/plan").status_code == 200
    first_write = trips.index("BEGIN")
    assert set(trips[:first_write]) == {"SELECT"}
    assert trips[first_write:] == ["BEGIN", "UPDATE", "INSERT", "COMMIT"]


@pytest.mark.parametrize(("who", "path", "body"), [
    ("hna_patient", "/api/hna/answers", {"step": "distress", "data": {"distress": 4}}),
    # A symptom: its form token is claimed before the entry is made (idempotency.add_once).
    ("patient", "/my-care/symptoms/api/log", "symptom"),
])
def test_a_save_begins_just_before_its_first_write_and_commits_once(app, demo, today, who, path, body):
    from app.idempotency import new_form_token
    from tests.helpers import date_fields
    from tests.test_query_counts import symptom

    clients, _ids, engine = demo
    client = clients[who]
    if body == "symptom":
        body = {**date_fields(symptom("tiredness"), today), "form_token": new_form_token()}
    headers = {"X-CSRFToken": client.csrf_token(), "Accept": "application/json", "Idempotency-Key": "round-trips-1"}
    with round_trips(engine) as trips:
        response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    assert trips.count("BEGIN") == 1 and trips.count("COMMIT") == 1 and "ROLLBACK" not in trips, trips
    begin = trips.index("BEGIN")
    assert set(trips[:begin]) == {"SELECT"}, trips
    assert trips[begin + 1] != "SELECT", "BEGIN comes just before the first write"
    assert trips[-1] == "COMMIT", trips


@pytest.mark.usefixtures("migrations_app")
def test_the_migrations_still_run_in_one_transaction(database_url):
    """Alembic's DDL on PostgreSQL is transactional: a migration that fails half-way leaves nothing.
    Its first statement that is not a read begins the one transaction, committed at the end."""
    import flask_migrate

    if not database_url.startswith("postgresql"):
        pytest.skip("transactional DDL: PostgreSQL (SQLite's is opened by migrations/env.py)")
    with round_trips(db.engine) as trips:
        flask_migrate.upgrade()
    begin = trips.index("BEGIN")
    assert set(trips[:begin]) == {"SELECT"}, trips[:begin + 2]
    assert trips.count("BEGIN") == 1 and trips.count("COMMIT") == 1 and trips[-1] == "COMMIT", trips
    assert "ROLLBACK" not in trips


def _sessions_clock_moved_on(monkeypatch, seconds: int) -> None:
    """The sessions' clock (standing still in `demo`) moved on past the time a person's activity is
    written again (sessions.TOUCH_EVERY)."""
    from app import sessions

    later = sessions.utcnow() + timedelta(seconds=seconds)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)


def test_a_person_s_activity_written_before_a_page_is_one_statement_committed_alone(demo, monkeypatch):
    from app.sessions import TOUCH_EVERY

    clients, _ids, engine = demo
    clients["patient"].get("/my-care")
    _sessions_clock_moved_on(monkeypatch, int(TOUCH_EVERY.total_seconds()) + 1)
    with round_trips(engine) as trips:
        assert clients["patient"].get("/my-care").status_code == 200
    # The session; its activity; the page's reads (the records read again after that commit).
    assert trips[:2] == ["SELECT", "UPDATE"] and set(trips[2:]) == {"SELECT"}, trips


def test_a_person_s_activity_due_with_an_audited_read_goes_in_the_audit_s_one_commit(demo, monkeypatch):
    """A staff page that carries the activity's write (sessions.carries_the_session_touch) stores it
    with the audit of its read: one transaction, one commit, as on SQLite's one fsync."""
    from app.sessions import TOUCH_EVERY

    clients, _ids, engine = demo
    clients["nurse"].get("/nurse/patients")
    _sessions_clock_moved_on(monkeypatch, int(TOUCH_EVERY.total_seconds()) + 1)
    with round_trips(engine) as trips:
        assert clients["nurse"].get("/nurse/patients").status_code == 200
    assert trips == ["SELECT", "SELECT", "BEGIN", "UPDATE", "INSERT", "COMMIT"]


def test_a_save_answered_from_its_earlier_send_writes_the_activity_due_alone(demo, monkeypatch):
    """A save sent again (the phone did not hear the answer) stores nothing: its attempt is rolled
    back and the stored answer read. The person's activity, due, is then the one thing to write."""
    from app.sessions import TOUCH_EVERY

    clients, _ids, engine = demo
    client = clients["hna_patient"]
    headers = {"X-CSRFToken": client.csrf_token(), "Accept": "application/json", "Idempotency-Key": "sent-twice"}
    body = {"step": "distress", "data": {"distress": 4}}
    assert client.post("/api/hna/answers", json=body, headers=headers).status_code in (200, 201)
    _sessions_clock_moved_on(monkeypatch, int(TOUCH_EVERY.total_seconds()) + 1)
    with round_trips(engine) as trips:
        response = client.post("/api/hna/answers", json=body, headers=headers)
    assert response.headers.get("Idempotent-Replayed") == "true"
    after_the_attempt = trips[len(trips) - trips[::-1].index("ROLLBACK"):]
    assert after_the_attempt[-1] == "UPDATE" and set(after_the_attempt) <= {"SELECT", "UPDATE"}, trips


def test_committed_alone_covers_one_statement_and_joins_a_transaction_already_open(app, database_url):
    """Two writes inside would be two commits, the first standing whatever became of the second:
    refused. After a write, a statement inside joins that write's transaction, and a rollback
    takes both back."""
    from app.extensions import committed_alone

    with app.test_request_context():
        session = db.session()
        with committed_alone():
            session.execute(insert(Team).values(name="Alone"))
            if database_url.startswith("postgresql"):
                with pytest.raises(RuntimeError, match="one statement"):
                    session.execute(insert(Team).values(name="Second"))
        session.commit()
        session.execute(insert(Team).values(name="First of two"))
        with committed_alone():
            session.execute(insert(Team).values(name="Second of two"))
        session.rollback()
    assert _a_team_named(app, "Alone")
    assert not _a_team_named(app, "Second")
    assert not _a_team_named(app, "First of two") and not _a_team_named(app, "Second of two")


def test_a_session_whose_close_fails_is_still_forgotten_with_its_app_context(app, monkeypatch):
    """Sessions are kept per app context, by the context's id: one left behind by a failed close
    (its connection's rollback refused) would be given to a later app context at the same
    address, with its transaction and tracked records. The teardown forgets it first."""
    context = app.app_context()
    context.push()
    session = db.session()
    scope = db.session.registry.scopefunc()
    session.execute(select(1))

    def refused(_session):
        raise RuntimeError("the rollback failed")

    monkeypatch.setattr(type(session), "close", refused)
    with pytest.raises(RuntimeError, match="the rollback failed"):
        context.pop()
    monkeypatch.undo()
    left_behind = db.session.registry.registry.pop(scope, None)
    session.close()  # its connection back to the pool (the test's own clean-up)
    assert left_behind is None


def test_the_teardown_closes_the_request_s_session_and_gives_back_its_connection(app, patient):
    with app.app_context():
        pool = db.engine.pool
    assert patient.get("/my-care").status_code == 200
    assert pool.checkedout() == 0
    assert not db.session.registry.registry
