"""The migrations build exactly the schema the models describe, and take it all down again.

They run on a database of their own (the rest of the suite uses create_all elsewhere): a new
SQLite file, or on PostgreSQL a new database on the TEST_DATABASE_URL server.
"""
from __future__ import annotations

import os

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a database with nothing in it, removed afterwards."""
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"mycc_migrations_{os.getpid()}"  # its own name, so parallel runs never collide
    maintenance = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with maintenance.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        maintenance.dispose()


@pytest.fixture
def migrations_app(empty_database, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": empty_database,
    })
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def differences_from_the_models() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_the_migrations_have_one_head(migrations_app):
    config = migrations_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(migrations_app):
    flask_migrate.upgrade()
    assert table_names() == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
    assert differences_from_the_models() == []


def test_downgrading_to_base_removes_every_table_and_upgrading_again_works(migrations_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert table_names() == {"alembic_version"}
    flask_migrate.upgrade()
    assert differences_from_the_models() == []


def test_the_checker_notices_a_schema_that_differs(migrations_app):
    """So that an empty list above means something."""
    flask_migrate.upgrade()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    assert [diff[0] for diff in differences_from_the_models()] == ["remove_table"]


ONE_CURRENT_SUMMARY = "b7e1c2d4f5a6"  # heals duplicate current summaries, then forbids them


@pytest.mark.hazard("HAZ-006")
def test_upgrading_heals_two_current_summaries_keeping_the_highest_version(migrations_app):
    from sqlalchemy import text

    config = migrations_app.extensions["migrate"].migrate.get_config()
    before = ScriptDirectory.from_config(config).get_revision(ONE_CURRENT_SUMMARY).down_revision
    flask_migrate.upgrade(revision=before)
    now = "2026-12-01 09:00:00"
    rows = {  # (patient, version): is_current, as the race left them
        (1, 1): False, (1, 2): True, (1, 3): True,  # the race: versions 2 and 3 both current
        (2, 1): False, (2, 2): True,                 # healthy
    }
    with db.engine.begin() as conn:
        def insert(table, **values):
            conn.execute(text(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + c for c in values)})"), values)

        insert("teams", id=1, name="Team A", created_at=now)
        for user_id, role in ((1, "nurse"), (2, "patient"), (3, "patient")):
            insert("users", id=user_id, role=role, display_name=f"Person {user_id}", webauthn_user_handle=bytes([user_id]) * 16,
                   failed_password_count=0, active=True, created_at=now, team_id=1)
        for profile_id in (1, 2):
            insert("patient_profiles", id=profile_id, user_id=profile_id + 1, team_id=1, nhs_number=f"943476591{profile_id}",
                   given_name="Pat", family_name=f"Ient{profile_id}", date_of_birth=f"1960-01-0{profile_id}",
                   tumour_pathway="breast", created_at=now, updated_at=now, version=1)
        for n, ((patient, version), current) in enumerate(rows.items(), start=1):
            insert("end_of_treatment_summaries", id=n, patient_id=patient, team_id=1, version=version, is_current=current,
                   diagnosis="Breast cancer", treatments="[]", created_by_id=1, created_at=now)
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        current = sorted(conn.execute(text(
            "SELECT patient_id, version FROM end_of_treatment_summaries WHERE is_current")).all())
    assert current == [(1, 3), (2, 2)]
    assert differences_from_the_models() == []


def trigger_names() -> set[str]:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        return set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())


def test_a_migrated_database_refuses_changes_to_the_audit_log_as_one_made_from_the_models_does(migrations_app):
    """The append-only triggers are made by the migrations, the same ones the models make for the
    tests' schema; downgrading takes them away with the table."""
    import re

    from sqlalchemy import delete, insert

    from app.audit import erasing_events
    from app.models import AUDIT_LOG_TRIGGERS, AuditEvent, AuditLogIsAppendOnly

    flask_migrate.upgrade()
    made_by_the_models = {name for statement in AUDIT_LOG_TRIGGERS[db.engine.dialect.name]
                          for name in re.findall(r"CREATE TRIGGER (\w+)", statement)}
    assert trigger_names() == made_by_the_models != set()
    events = AuditEvent.__table__
    with db.engine.begin() as conn:
        conn.execute(insert(events).values(action="patient.view", outcome="success", detail={}))
    with pytest.raises(AuditLogIsAppendOnly), db.engine.begin() as conn:
        conn.execute(delete(events))
    with db.engine.begin() as conn, erasing_events(conn, "a test of the migrated triggers"):
        assert conn.execute(delete(events)).rowcount == 1
    flask_migrate.downgrade(revision="base")
    assert trigger_names() == set()


def _a_user_of_a_team_that_is_not_there(conn) -> None:
    """A row as SQLite stored it before foreign keys were enforced (aa8504a): it names team 99."""
    from sqlalchemy import text

    conn.execute(text("INSERT INTO users (id, role, display_name, webauthn_user_handle, active, "
                      "created_at, team_id) VALUES (1, 'nurse', 'Old Row', :handle, 1, '2026-01-01 09:00:00', 99)"),
                 {"handle": b"\x01" * 16})


def _sqlite_only() -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL always enforced foreign keys: no old broken references to carry")


def test_an_old_broken_reference_does_not_stop_later_upgrades(migrations_app):
    """A SQLite database carrying a reference broken before foreign keys were enforced upgrades:
    only references the migrations break fail the upgrade."""
    _sqlite_only()
    config = migrations_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    flask_migrate.upgrade(revision=ScriptDirectory.from_config(config).get_revision(head).down_revision)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.commit()
        _a_user_of_a_team_that_is_not_there(conn)
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.commit()
    flask_migrate.upgrade()
    assert differences_from_the_models() == []


def test_a_reference_the_migrations_break_fails_the_upgrade_and_leaves_nothing_behind(migrations_app, monkeypatch,
                                                                                      caplog):
    from alembic.runtime.environment import EnvironmentContext
    from sqlalchemy import text

    _sqlite_only()
    config = migrations_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    before = ScriptDirectory.from_config(config).get_revision(head).down_revision
    flask_migrate.upgrade(revision=before)
    tables_before = table_names()
    run_migrations = EnvironmentContext.run_migrations

    def migrations_that_break_a_reference(self, **kw):
        run_migrations(self, **kw)
        _a_user_of_a_team_that_is_not_there(self.get_bind())

    monkeypatch.setattr(EnvironmentContext, "run_migrations", migrations_that_break_a_reference)
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
        flask_migrate.upgrade()
    monkeypatch.undo()
    assert "1 row of users names a teams row that is not there" in caplog.text
    # All or nothing: the head's own table is not there, nor any copy batch mode made.
    assert table_names() == tables_before
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == before
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
