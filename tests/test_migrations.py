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
