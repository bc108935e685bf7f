"""app/plain_rows.py: a statement read again is kept compiled and sent to the driver's cursor
directly (issue 12); what a read gives, what it counts as and how it fails stay Core's."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, event, exc, select, text

from app.extensions import db
from app.models import PatientProfile, Role, Team, User, UserSession
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
