"""Shared fixtures: a fresh app and empty database for every test, on SQLite or PostgreSQL.

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://...) to run the suite on PostgreSQL.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.helpers import Actors, TestClient, make_actors, sign_in_as

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session):
    """The app serves static files from the asset build: rebuild it when static/ changed since
    (an edited script, a rebase), so a test never runs against stale hashed names."""
    spec = importlib.util.spec_from_file_location("build_assets", ROOT / "scripts" / "build_assets.py")
    build_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_assets)
    build_assets.build_if_stale()


# Run on the SQLite pass only (issue 12, CI time): the browser tests, the tests that start real
# servers and the benchmarks' quick runs prove things about the browser, the processes and the
# benchmarks, which the database under them does not change; the rest of the suite runs on both.
ONE_DATABASE_MARKERS = ("browser", "servers", "bench")


@pytest.hookimpl(trylast=True)  # after tests/e2e/conftest.py has marked the browser tests
def pytest_collection_modifyitems(config, items):
    if not TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="runs on the SQLite pass only (CI time, issue 12): "
                                   "it does not depend on the database")
    for item in items:
        if any(item.get_closest_marker(name) for name in ONE_DATABASE_MARKERS):
            item.add_marker(skip)


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    """The test Redis (scripts/test starts one: scripts/test-redis-server), emptied for this test."""
    if not TEST_REDIS_URL:
        pytest.skip("needs a Redis server: set TEST_REDIS_URL (scripts/test starts one with "
                    "scripts/test-redis-server and always sets it)")
    import redis

    with redis.Redis.from_url(TEST_REDIS_URL) as connection:
        connection.flushdb()
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


class _SharedBytecodeCache(BytecodeCache):
    """Every test builds a new app; compiling each template once per run, not once per test,
    saves about half a second for every test that renders a page."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _SharedBytecodeCache()


def base_test_config(database_url: str, instance_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        # Background tasks run at once, in the test's thread (app/background.py).
        "HUEY_IMMEDIATE": True,
        "SERVER_NAME": None,
        "WEBAUTHN_RP_ID": "localhost",
        "WEBAUTHN_ORIGINS": ["http://localhost:5000", "http://localhost"],
    }


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the tables once per run; each test then starts from empty tables."""
    app = create_app(base_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Override in a test module to change settings for that module's app."""
    return base_test_config(database_url, tmp_path)


@pytest.fixture(autouse=True)
def _instance_path(tmp_path, monkeypatch):
    """Each test's app keeps its instance folder (SQLite default, uploads) out of the repo."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture
def app(_schema, app_config):
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    app.test_client_class = TestClient
    with app.app_context():
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> TestClient:
    return app.test_client()


@pytest.fixture
def new_client(app):
    """A second, independent browser."""
    return lambda: app.test_client()


@pytest.fixture
def actors(app) -> Actors:
    """Two teams, each with a nurse and two patients, plus an admin."""
    with app.app_context():
        return make_actors()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def nurse(client, actors) -> TestClient:
    """A nurse of team A, signed in."""
    sign_in_as(client, actors.nurse_a)
    return client


@pytest.fixture
def patient(client, actors) -> TestClient:
    """Patient A (team A), signed in."""
    sign_in_as(client, actors.patient_a)
    return client


@pytest.fixture
def admin(client, actors) -> TestClient:
    """The admin, signed in."""
    sign_in_as(client, actors.admin)
    return client


# ---------------------------------------------------------------- push: the local push service


@pytest.fixture(scope="session")
def _local_push_service(tmp_path_factory):
    from tests.push_service import LocalPushService

    service = LocalPushService(tmp_path_factory.mktemp("push-service"))
    yield service
    service.close()


@pytest.fixture
def push_service(_local_push_service):
    """The test suite's own push service (tests/push_service.py), emptied for each test. Use
    with `push_config(push_service)` in the module's app_config so the app may send to it."""
    _local_push_service.reset()
    return _local_push_service


def push_config(service) -> dict:
    """Settings that let the app send to the local push service (and nowhere new besides)."""
    from config import Config

    return {
        "PUSH_SERVICE_HOSTS": [*Config.PUSH_SERVICE_HOSTS, service.host_entry],
        "PUSH_TLS_VERIFY": service.cert_path,
        "PUSH_TIMEOUT_SECONDS": 2,
    }
