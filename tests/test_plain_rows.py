"""app/plain_rows.py: a statement read again is kept compiled and sent to the driver's cursor
directly (issue 12); what a read gives, what it counts as and how it fails stay Core's."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, exc, func, insert, select, text, update

from app.extensions import db
from app.models import PatientProfile, Role, Team, User, UserSession
from app import plain_rows
from app.plain_rows import read_rows
from app.timeutil import utcnow

USERS, PROFILES, TEAMS = User.__table__, PatientProfile.__table__, Team.__table__

# Every kind of column and parameter the app's statements read with: a UTC date-time (a type
# decorator), an enum, JSON, a boolean, bytes, a date, text and integers; a supplied parameter
# with a processor (a date-time: SQLite stores text), constants bound in the statement (an enum,
# an integer) and a label.
STATEMENTS = {
    "every column type": lambda: (
        select(USERS.c.id, USERS.c.role, USERS.c.active, USERS.c.webauthn_user_handle, USERS.c.created_at,
               PROFILES.c.date_of_birth, PROFILES.c.nhs_number, TEAMS.c.response_targets, TEAMS.c.name,
               (PROFILES.c.version + 1).label("next_version"))
        .join(PROFILES, PROFILES.c.user_id == USERS.c.id)
        .join(TEAMS, TEAMS.c.id == PROFILES.c.team_id)
        .where(USERS.c.role == Role.PATIENT, USERS.c.created_at < bindparam("before"), USERS.c.id > 0)
        .order_by(USERS.c.id)),
    "repeated column names": lambda: (
        select(USERS.c.id, TEAMS.c.id, USERS.c.created_at, TEAMS.c.created_at)
        .join(TEAMS, TEAMS.c.id == USERS.c.team_id).where(USERS.c.created_at < bindparam("before"))
        .order_by(USERS.c.id)),
    "ORM columns": lambda: (
        select(User.id, User.display_name, Team.name).join(Team, Team.id == User.team_id)
        .where(User.created_at < bindparam("before")).order_by(User.id)),
}


def _core(statement, values):
    result = db.session.connection().execute(statement, values)
    return list(result.keys()), result.all()


@pytest.mark.parametrize("name", STATEMENTS)
def test_a_kept_read_gives_what_core_gives(app, actors, name):
    values = {"before": utcnow() + timedelta(days=1)}
    with app.app_context():
        statement = STATEMENTS[name]()
        keys, rows = _core(statement, values)
        assert rows
        for _ in range(3):  # read once through Core, then kept
            result = read_rows(statement, values)
            assert list(result.keys()) == keys
            got = result.all()
            assert got == rows
            assert [[type(value) for value in row] for row in got] == [[type(value) for value in row] for row in rows]
            assert [row._mapping[keys[-1]] for row in got] == [row._mapping[keys[-1]] for row in rows]
        # A supplied value is the read's own, never the first read's.
        assert read_rows(statement, {"before": utcnow() - timedelta(days=3650)}).all() == []


def test_supplied_values_go_through_their_types_processors(app, actors):
    """An enum is sent as its stored value, a date-time as the database stores it (on SQLite, text
    of Core's own shape: an equality with a stored time finds it)."""
    statement = select(User.id).where(User.role == bindparam("role"), User.created_at == bindparam("at"))
    with app.app_context():
        at = db.session.get(User, actors.nurse_a).created_at
        for _ in range(3):
            assert read_rows(statement, {"role": Role.NURSE, "at": at}).scalars().all() == [actors.nurse_a]


def test_a_kept_read_counts_as_a_statement_and_sees_pending_changes(app, actors):
    statement = select(UserSession.id).where(UserSession.user_id == bindparam("user_id"))
    sent = []

    def count(_conn, _cursor, sql, *_args):
        sent.append(sql)

    with app.app_context():
        read_rows(statement, {"user_id": actors.patient_a}).all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            db.session.add(UserSession(user_id=actors.patient_a, token_hash="a" * 64, method="test"))
            rows = read_rows(statement, {"user_id": actors.patient_a}).all()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    assert len(rows) == 1
    assert [sql.split()[0] for sql in sent] == ["INSERT", "SELECT"]


def test_a_statement_whose_sql_depends_on_its_values_goes_through_core(app, actors):
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True))).order_by(User.id)
    with app.app_context():
        for ids in ([actors.nurse_a], [actors.nurse_a, actors.nurse_b], [actors.nurse_b, actors.admin, actors.nurse_a]):
            assert read_rows(statement, {"ids": ids}).scalars().all() == sorted(ids)


def test_other_values_than_the_kept_ones_go_through_core(app, actors):
    statement = select(User.id).where(User.id == bindparam("user_id", actors.nurse_a))
    with app.app_context():
        assert read_rows(statement, {}).scalar() == actors.nurse_a
        assert read_rows(statement, {}).scalar() == actors.nurse_a
        assert read_rows(statement, {"user_id": actors.nurse_b}).scalar() == actors.nurse_b


def test_a_driver_error_in_a_kept_read_is_core_s_error(app, actors):
    statement = select(text("id")).select_from(text("a_table_made_for_this_test"))
    with app.app_context():
        db.session.execute(text("CREATE TABLE a_table_made_for_this_test (id INTEGER)"))
        assert read_rows(statement).all() == []
        assert read_rows(statement).all() == []
        db.session.execute(text("DROP TABLE a_table_made_for_this_test"))
        with pytest.raises(exc.DBAPIError):
            read_rows(statement).all()
        db.session.rollback()


# Finding 1 (review of `_Kept`): Core takes a value keyed by a bind's key or by its compiled name
# (`id_1` for `User.id == 2`). Every way a read can supply values: each read of a statement must
# give what Core gives for that read's own values, never a value frozen from an earlier read.
# Each case: the statement, and a read's values from the ids of three people (one per read).
def _compiled_name(statement, key):
    """The name Core compiles the bind of this key to (an anonymous bind's key is `%(<id> key)s`)."""
    compiled = statement.compile(dialect=db.engine.dialect)
    return next(name for bind, name in compiled.bind_names.items() if bind.key.endswith(f" {key})s"))


def _by_compiled_name():
    statement = select(User.id).where(User.id == 0)
    return statement, lambda user_id: {_compiled_name(statement, "id"): user_id}


def _by_key_and_compiled_name():
    statement = select(User.id).where(User.id == 0, User.active == bindparam("active"))
    return statement, lambda user_id: {"active": True, _compiled_name(statement, "id"): user_id}


def _unique_bind_by_compiled_name():
    statement = select(User.id).where(User.id == bindparam("user_id", 0, unique=True))
    return statement, lambda user_id: {_compiled_name(statement, "user_id"): user_id}


def _a_key_that_is_no_bind():
    statement = select(User.id).where(User.id == bindparam("user_id"))
    return statement, lambda user_id: {"user_id": user_id, "not_a_parameter": user_id}


def _values_given_to_the_statement():
    statement = select(User.id).where(User.id == bindparam("user_id")).params(user_id=0)
    return statement, lambda user_id: {"user_id": user_id}


SUPPLIED_VALUES = {
    "a constant's compiled name": _by_compiled_name,
    "a key and a compiled name": _by_key_and_compiled_name,
    "a unique bind's compiled name": _unique_bind_by_compiled_name,
    "a key that is no parameter": _a_key_that_is_no_bind,
    "values given with .params()": _values_given_to_the_statement,
}


@pytest.mark.parametrize("case", SUPPLIED_VALUES)
def test_every_read_uses_its_own_supplied_values(app, actors, case):
    with app.app_context():
        statement, values_for = SUPPLIED_VALUES[case]()
        for user_id in (actors.nurse_a, actors.nurse_a, actors.nurse_b, actors.admin, actors.patient_a):
            values = values_for(user_id)
            expected = db.session.connection().execute(statement, values).scalars().all()
            assert expected == [user_id]
            assert read_rows(statement, values).scalars().all() == expected


def test_a_key_naming_no_bind_does_not_stop_a_statement_being_kept(app, actors):
    """Core passes over such a key, so it can never be taken as a value: a statement read with
    the values of all its variants (the symptom send's, the queue's) stays kept, for speed."""
    statement = select(User.id).where(User.id == bindparam("user_id"))
    with app.app_context():
        for user_id in (actors.nurse_a, actors.nurse_b):
            assert read_rows(statement, {"user_id": user_id, "not_a_parameter": 0}).scalar() == user_id
        assert isinstance(plain_rows._KEPT[db.engine.dialect][statement], plain_rows._Kept)


# Finding 2: only plain SELECTs are kept. Core does work per execution for a statement that
# writes (a column's Python-side default or onupdate, computed anew each time) and for one with
# execution options (a schema translated, ...): those always go through Core.
def test_an_insert_returning_gets_its_python_side_default_every_time(app, actors):
    sessions = UserSession.__table__
    statement = (insert(sessions)
                 .values(user_id=bindparam("user_id"), token_hash=bindparam("token_hash"), method="test")
                 .returning(sessions.c.created_at, sessions.c.last_seen_at))
    with app.app_context():
        for n in range(3):
            row = read_rows(statement, {"user_id": actors.patient_a, "token_hash": f"{n}" * 64}).one()
            assert row.created_at is not None and row.last_seen_at is not None
        db.session.rollback()


def test_an_update_returning_gets_its_onupdate_every_time(app, actors):
    statement = (update(PROFILES).where(PROFILES.c.id == bindparam("profile_id"))
                 .values(phone=bindparam("phone")).returning(PROFILES.c.updated_at))
    long_ago = utcnow() - timedelta(days=3650)
    with app.app_context():
        for n in range(3):
            db.session.connection().execute(
                update(PROFILES).where(PROFILES.c.id == actors.profile_a).values(updated_at=long_ago))
            updated_at = read_rows(statement, {"profile_id": actors.profile_a, "phone": f"0700 90000{n}"}).scalar()
            assert updated_at is not None and updated_at > long_ago + timedelta(days=1)
        db.session.rollback()


def _with_the_statement_s_options(statement, options):
    return statement.execution_options(**options)


def _with_the_connection_s_options(statement, options):
    db.session.connection(execution_options=options)
    return statement


@pytest.mark.parametrize("options_of", [_with_the_statement_s_options, _with_the_connection_s_options])
def test_execution_options_are_applied_every_time(app, actors, options_of):
    schema = "main" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "public"
    sent = []

    def keep(_conn, _cursor, sql, *_args):
        sent.append(sql)

    with app.app_context():
        statement = options_of(select(User.id).where(User.id == bindparam("user_id")),
                               {"schema_translate_map": {None: schema}})
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            for user_id in (actors.nurse_a, actors.nurse_b, actors.admin):
                assert read_rows(statement, {"user_id": user_id}).scalar() == user_id
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
    assert len(sent) == 3
    assert all(f"{schema}.users" in sql for sql in sent), sent


@pytest.mark.parametrize("identifier", ["before_execute", "after_execute"])
def test_the_engine_s_execute_events_see_every_read(app, actors, identifier):
    statement = select(User.id).where(User.id == bindparam("user_id"))
    seen = []

    def note(_conn, clauseelement, *_args):
        seen.append(clauseelement)

    with app.app_context():
        event.listen(db.engine, identifier, note)
        try:
            for user_id in (actors.nurse_a, actors.nurse_b, actors.admin):
                assert read_rows(statement, {"user_id": user_id}).scalar() == user_id
        finally:
            event.remove(db.engine, identifier, note)
    assert seen == [statement] * 3


# Finding 3: a driver error while fetching rows after the first (SQLite steps through them in
# `fetchall()`, after `execute`) is Core's error, and the engine's `handle_error` sees it.
def test_a_driver_error_while_fetching_is_core_s_error(app, actors):
    statement = select(func.abs(bindparam("first"))).union_all(select(func.abs(bindparam("second"))))
    handled = []

    def handle(context):
        handled.append(context.original_exception)

    with app.app_context():
        assert read_rows(statement, {"first": 1, "second": -2}).scalars().all() == [1, 2]
        assert read_rows(statement, {"first": 1, "second": -2}).scalars().all() == [1, 2]
        event.listen(db.engine, "handle_error", handle)
        try:
            with pytest.raises(exc.DBAPIError):  # abs() of the smallest 64-bit integer overflows
                read_rows(statement, {"first": 1, "second": -2**63}).all()
        finally:
            event.remove(db.engine, "handle_error", handle)
        db.session.rollback()
    assert len(handled) == 1


# write_row: an INSERT or UPDATE sent again is kept and sent to the driver, sending what Core
# sends (the same SQL, each value through its type's processor), answering the rows written,
# counted as a statement; one needing Core's work per execution goes through Core every time.
SESSIONS = UserSession.__table__
# A fixed instant, not the clock at collection (tests/test_dates_at_run_time.py): the writes only
# compare what is stored with what was sent.
AT = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def _session_values(user_id, n, token=None):
    return {"user_id": user_id, "token_hash": f"{n if token is None else token:064d}", "method": "test",
            "created_at": AT - timedelta(minutes=n), "last_seen_at": AT, "kept_post": {"step": "distress", "data": {"distress": n}}}


# Each case: the statement, a write's values (the second argument makes a unique token when it
# matters), the rows it writes.
WRITES = {
    "an INSERT of every column it is given: JSON, date-times": (
        lambda: insert(SESSIONS).inline(),
        lambda actors, n, token: _session_values(actors.patient_a, n, token), 1),
    "an UPDATE of bound values, JSON and a date-time, where a value matches": (
        lambda: update(TEAMS).where(TEAMS.c.id == bindparam("team_id"))
        .values(response_targets=bindparam("targets"), created_at=bindparam("at")),
        lambda actors, n, token: {"team_id": actors.team_a, "targets": {"urgent": n, "routine": [n, "x"]},
                                  "at": AT - timedelta(days=n)}, 1),
    "an UPDATE where no row matches": (
        lambda: update(TEAMS).where(TEAMS.c.id == bindparam("team_id")).values(name=bindparam("name")),
        lambda actors, n, token: {"team_id": 10**6, "name": f"Team {n}"}, 0),
}


def _parameter_values(parameters):
    values = parameters.values() if isinstance(parameters, dict) else parameters
    # psycopg's JSON wrapper compares by identity: compared by what it wraps (and its type).
    return [(type(value), value.obj) if hasattr(value, "obj") else value for value in values]


@pytest.mark.parametrize("name", WRITES)
def test_a_kept_write_sends_what_core_sends(app, actors, name):
    make, values_for, rows = WRITES[name]
    statement = make()
    sent = []

    def keep(_conn, _cursor, sql, parameters, *_args):
        sent.append((sql, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            for n in range(4):
                # Through write_row (Core the first time, then kept), then through Core itself.
                assert plain_rows.write_row(statement, values_for(actors, n, n)) == rows
                assert db.session.connection().execute(statement, values_for(actors, n, 100 + n),
                                                       execution_options={"preserve_rowcount": True}).rowcount == rows
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert isinstance(plain_rows._KEPT[db.engine.dialect][statement], plain_rows._Kept)
        if name.startswith("an INSERT"):
            stored = db.session.execute(select(SESSIONS.c.token_hash, SESSIONS.c.created_at, SESSIONS.c.kept_post)
                                        .where(SESSIONS.c.method == "test").order_by(SESSIONS.c.id)).all()
            assert [int(row.token_hash) for row in stored] == [0, 100, 1, 101, 2, 102, 3, 103]
            assert [row.created_at for row in stored] == [AT - timedelta(minutes=n) for n in range(4) for _ in "kc"]
            assert [row.kept_post for row in stored] == [{"step": "distress", "data": {"distress": n}}
                                                         for n in range(4) for _ in "kc"]
        db.session.rollback()
    # Every write was a statement of its own, with Core's SQL, and the same values through the
    # same processors as Core's (an INSERT's differ only in the token that keeps it unique).
    assert len(sent) == 8
    for (kept_sql, kept_parameters), (core_sql, core_parameters) in zip(sent[2::2], sent[3::2], strict=True):
        assert kept_sql == core_sql
        assert type(kept_parameters) is type(core_parameters)
        kept_values, core_values = _parameter_values(kept_parameters), _parameter_values(core_parameters)
        differing = [(kept, core) for kept, core in zip(kept_values, core_values, strict=True) if kept != core]
        assert len(differing) == (1 if name.startswith("an INSERT") else 0), differing


def test_a_write_with_a_python_side_default_not_given_gets_it_every_time(app, actors):
    """created_at's default (utcnow) is Core's work per execution: never kept, so never frozen."""
    statement = insert(SESSIONS).inline()
    with app.app_context():
        for n in range(3):
            values = _session_values(actors.patient_a, n)
            del values["created_at"]
            assert plain_rows.write_row(statement, values) == 1
        assert plain_rows._KEPT[db.engine.dialect][statement] is plain_rows._NOT_KEPT
        times = db.session.execute(select(SESSIONS.c.created_at).where(SESSIONS.c.method == "test")).scalars().all()
        db.session.rollback()
    assert len(times) == 3 and all(times)


def test_a_kept_write_s_driver_error_is_core_s(app, actors):
    """A unique key broken by a kept INSERT is Core's IntegrityError (the idempotency mechanism
    answers a key sent again by it), and the engine's handle_error sees it."""
    statement = insert(SESSIONS).inline()
    handled = []

    def handle(context):
        handled.append(context.original_exception)

    with app.app_context():
        plain_rows.write_row(statement, _session_values(actors.patient_a, 1))
        plain_rows.write_row(statement, _session_values(actors.patient_a, 2))
        event.listen(db.engine, "handle_error", handle)
        try:
            with pytest.raises(exc.IntegrityError):
                plain_rows.write_row(statement, _session_values(actors.patient_a, 2))
        finally:
            event.remove(db.engine, "handle_error", handle)
        db.session.rollback()
    assert len(handled) == 1


def test_a_kept_write_is_never_a_kept_read(app, actors):
    """read_rows of a statement kept for writing goes through Core (its rows, if any, are Core's)."""
    statement = update(TEAMS).where(TEAMS.c.id == bindparam("team_id")).values(name=bindparam("name"))
    with app.app_context():
        for n in range(2):
            plain_rows.write_row(statement, {"team_id": actors.team_a, "name": f"Team {n}"})
        assert read_rows(statement, {"team_id": actors.team_a, "name": "Team 9"}).rowcount == 1
        db.session.rollback()


def test_an_insert_returning_its_id_is_kept_and_reads_what_core_reads(app, actors):
    """An INSERT sending back the new row's id with every column given (a symptom sent's entry):
    kept from its second read, each read the id of its own new row, one statement each."""
    statement = insert(SESSIONS).returning(SESSIONS.c.id, SESSIONS.c.token_hash)
    sent = []

    def keep(_conn, _cursor, sql, *_args):
        sent.append(sql)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            rows = [read_rows(statement, _session_values(actors.patient_a, n)).one() for n in range(3)]
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert isinstance(plain_rows._KEPT[db.engine.dialect][statement], plain_rows._Kept)
        stored = db.session.execute(select(SESSIONS.c.id, SESSIONS.c.token_hash).where(SESSIONS.c.method == "test")
                                    .order_by(SESSIONS.c.id)).all()
        db.session.rollback()
    assert [tuple(row) for row in rows] == [tuple(row) for row in stored]
    assert len({row.id for row in rows}) == 3
    assert len(sent) == 3 and len(set(sent)) == 1
