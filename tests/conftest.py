"""Shared fixtures: a fresh app and empty database for every test, on SQLite or PostgreSQL.

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://...) to run the suite on PostgreSQL.
"""
from __future__ import annotations

import atexit
import copy
import fcntl
import hashlib
import importlib.util
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import text

from app import create_app
from app.audit import erasing_events
from app.extensions import db
from app.timeutil import london_today
from tests.helpers import Actors, TestClient, make_actors, sign_in_as

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session):
    """The app serves static files from the asset build: rebuild it when static/ changed since
    (an edited script, a rebase), so a test never runs against stale hashed names."""
    spec = importlib.util.spec_from_file_location("build_assets", ROOT / "scripts" / "build_assets.py")
    build_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_assets)
    # Two runs starting at once (scripts/test runs both databases' passes together) would both
    # find the build stale and write the same folder: one builds, the other then finds it fresh.
    lock_name = f"mycc-build-assets-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}.lock"
    with open(Path(tempfile.gettempdir()) / lock_name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_assets.build_if_stale()


# Run on the SQLite pass only (issue 12, CI time): the browser tests, the tests that start real
# servers and the benchmarks' quick runs prove things about the browser, the processes and the
# benchmarks, which the database under them does not change, and developers' scripts make their
# own database; the rest of the suite runs on both.
ONE_DATABASE_MARKERS = ("browser", "servers", "bench", "tools")


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
    return f"sqlite:///{_sqlite_folder(tmp_path_factory) / 'test.sqlite'}"


def _sqlite_folder(tmp_path_factory) -> Path:
    """In memory-backed /dev/shm where there is one: every commit is an fsync on disk, and the
    suite commits thousands of times (what is tested is SQLite's behaviour, not the disk's)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="mycc-test-db-", dir=shm))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return folder
    return tmp_path_factory.mktemp("db")


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
    """Every table empty and every id counting from 1 again, as in a new database."""
    # Not the erasure permit's table: the erasure's own permit is in it while it runs.
    tables = [table for table in reversed(db.metadata.sorted_tables) if table.name != "audit_erasure_permits"]
    with db.engine.begin() as conn, erasing_events(conn, "a new test starts from empty tables"):
        if conn.dialect.name == "postgresql":
            _empty_postgresql_tables(conn, tables)
        else:
            for table in tables:
                conn.execute(table.delete())


def _empty_postgresql_tables(conn, tables) -> None:
    """TRUNCATE ... RESTART IDENTITY CASCADE of every table cost ~130 ms a test on PostgreSQL
    (each table gets new files, whether it had rows or not; issue 12, CI time). Instead: find
    the tables that have rows and the sequences that were used, in two queries, delete those
    rows, referring tables first, and set those sequences back to 1: ~35 ms."""
    has_rows = " UNION ALL ".join(
        f"SELECT '{t.name}' FROM (SELECT 1 FROM \"{t.name}\" LIMIT 1) AS any_row" for t in tables)
    with_rows = set(conn.execute(text(has_rows)).scalars())
    for table in tables:
        if table.name in with_rows:
            conn.execute(table.delete())
    # last_value is null until a sequence has given out a value since it was made or reset.
    used = conn.execute(text(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
        "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars().all()
    if used:
        conn.execute(text("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in used)))


@pytest.fixture
def today() -> date:
    """Today in London, taken as the test runs. A date taken when tests are collected (at module
    level, in parametrize arguments) is yesterday's once a run crosses midnight in London
    (tests/test_dates_at_run_time.py keeps it so)."""
    return london_today()


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Override in a test module to change settings for that module's app."""
    return base_test_config(database_url, tmp_path)


@pytest.fixture(autouse=True)
def _instance_path(tmp_path, monkeypatch):
    """Each test's app keeps its instance folder (SQLite default, uploads) out of the repo."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))


class _ReusedApp:
    """The last app made with the default test settings, handed to the next test that asks for
    the same settings, as it was when made (issue 12, CI time).

    Making an app costs ~75 ms (every URL rule compiled, the asset build scanned), and its first
    page ~75 ms more (each template loaded, each SQL statement compiled: caches that belong to
    the app and its engine); most tests are a page or two, so that was over half of each test.
    Only the plain default settings are reused: a module with settings of its own gets a new
    app per test as before. Between tests the app's settings and extensions are put back as
    made, its instance folder is the new test's, and the task queue is rebound to it with empty
    storage, exactly what create_app does. The limiter and the task queue are process-wide and
    bound by every create_app: when anything has made another app since (a test calling
    create_app), the next test gets a new app."""

    def __init__(self) -> None:
        self.app = None
        self.settings: dict | None = None
        self.config: dict = {}
        self.extensions: dict = {}

    def get(self, settings: dict):
        from app.background import _bound

        if self.app is not None and settings == self.settings and _bound.get("app") is self.app:
            return self._as_made()
        app = create_app(settings)
        app.jinja_env.bytecode_cache = TEMPLATE_CACHE
        app.test_client_class = TestClient
        self.app, self.settings = app, copy.deepcopy(settings)
        self.config = copy.deepcopy(dict(app.config))
        self.extensions = dict(app.extensions)
        return app

    def forget(self) -> None:
        self.app = None

    def _as_made(self):
        from app.background import init_background

        app = self.app
        app.config.clear()
        app.config.update(copy.deepcopy(self.config))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        # As create_app: this test's instance folder, and the queue bound to the app afresh.
        app.instance_path = os.environ.get("INSTANCE_PATH", app.instance_path)
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        init_background(app)
        return app


_REUSED_APP = _ReusedApp()


@pytest.fixture
def app(_schema, app_config, database_url, tmp_path):
    if app_config == base_test_config(database_url, tmp_path):
        app = _REUSED_APP.get(app_config)
    else:
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
