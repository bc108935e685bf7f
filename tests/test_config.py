"""Settings: production refuses anything unsafe; database URLs are read the way we run them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import create_app
from config import DEFAULT_SECRET_KEY, Config, ConfigError, ProductionConfig, config_for_env, database_url

GOOD_SECRET = "k" * 32
ENVIRONMENT_VARIABLES = ("APP_ENV", "SECRET_KEY", "DEMO_MODE", "DATABASE_URL", "SESSION_COOKIE_SECURE",
                         "SESSION_IDLE_SECONDS", "WEBAUTHN_ORIGINS", "REDIS_URL", "DATABASE_POOL_SIZE",
                         "WEB_THREADS", "TASK_WORKERS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))


def production(monkeypatch, **variables):
    monkeypatch.setenv("APP_ENV", "production")
    # Production needs Redis for its rate limits (checked below); nothing connects at start.
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


# ---------------------------------------------------------------- production refuses


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "not set"),
        ("", "empty"),
        (DEFAULT_SECRET_KEY, "the development default"),
        ("k" * 31, "one character short"),
    ],
)
def test_production_refuses_a_missing_default_or_short_secret_key(monkeypatch, secret, reason):
    production(monkeypatch, **({"SECRET_KEY": secret} if secret is not None else {}))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_long_random_secret_key(monkeypatch):
    production(monkeypatch, SECRET_KEY=GOOD_SECRET)
    app = create_app()
    assert app.config["APP_ENV"] == "production"
    assert app.config["SECRET_KEY"] == GOOD_SECRET


def test_production_refuses_demo_mode_from_the_environment(monkeypatch):
    production(monkeypatch, SECRET_KEY=GOOD_SECRET, DEMO_MODE="1")
    with pytest.raises(ConfigError, match="Demo mode"):
        create_app()


def test_production_refuses_demo_mode_from_the_test_config():
    with pytest.raises(ConfigError, match="Demo mode"):
        create_app({"SECRET_KEY": GOOD_SECRET, "DEMO_MODE": True}, config_class=ProductionConfig)


def test_production_refuses_testing_mode():
    with pytest.raises(ConfigError, match="Testing"):
        create_app({"SECRET_KEY": GOOD_SECRET, "TESTING": True}, config_class=ProductionConfig)


def test_production_refuses_cookies_that_are_not_secure(monkeypatch):
    production(monkeypatch, SECRET_KEY=GOOD_SECRET, SESSION_COOKIE_SECURE="0")
    app = create_app()  # the environment cannot turn it off...
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with pytest.raises(ConfigError, match="Secure"):  # ...and neither can code
        create_app({"SECRET_KEY": GOOD_SECRET, "SESSION_COOKIE_SECURE": False}, config_class=ProductionConfig)


def test_production_cookies_are_host_only_and_https_only(monkeypatch):
    production(monkeypatch, SECRET_KEY=GOOD_SECRET)
    config = create_app().config
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PREFERRED_URL_SCHEME"] == "https"


@pytest.mark.parametrize("app_env", ["prod", "live", "staging"])
def test_an_unknown_app_env_is_refused_rather_than_run_as_development(monkeypatch, app_env):
    monkeypatch.setenv("APP_ENV", app_env)
    with pytest.raises(ConfigError, match="APP_ENV must be one of development, production"):
        create_app()


def test_app_env_is_read_whatever_its_case_and_spacing(monkeypatch):
    monkeypatch.setenv("APP_ENV", " Production ")
    assert config_for_env().APP_ENV == "production"


# ---------------------------------------------------------------- development


def test_development_runs_with_the_default_secret_and_demo_mode(monkeypatch):
    monkeypatch.setenv("DEMO_MODE", "1")
    app = create_app()
    assert app.config["APP_ENV"] == "development"
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY
    assert app.config["DEMO_MODE"] is True


def test_the_environment_is_read_when_the_app_is_made_not_when_config_is_imported(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "300")
    monkeypatch.setenv("WEBAUTHN_ORIGINS", "https://care.example.nhs.uk, https://other.example")
    config = create_app().config
    assert config["SESSION_IDLE_SECONDS"] == 300
    assert config["WEBAUTHN_ORIGINS"] == ["https://care.example.nhs.uk", "https://other.example"]
    assert Config.SESSION_IDLE_SECONDS == 600  # the defaults are untouched


def test_a_number_that_is_not_a_number_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "ten minutes")
    with pytest.raises(ConfigError, match="SESSION_IDLE_SECONDS must be a whole number"):
        create_app()


def test_redis_url_is_where_rate_limits_are_kept(monkeypatch):
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def test_redis_url_in_the_app_config_is_where_rate_limits_are_kept():
    config = create_app({"REDIS_URL": "redis://cache:6379/1"}).config
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/1"


@pytest.mark.parametrize(
    ("settings", "starts"),
    [
        ({"REDIS_URL": "redis://cache:6379/0"}, True),
        ({}, False),  # each worker would count in its own memory
        ({"RATELIMIT_STORAGE_URI": "memory://"}, False),
        ({"RATELIMIT_ENABLED": False}, True),  # limits kept nowhere: nothing to share
    ],
)
def test_production_keeps_rate_limits_where_every_worker_counts_them(monkeypatch, settings, starts):
    production(monkeypatch, SECRET_KEY=GOOD_SECRET)
    monkeypatch.delenv("REDIS_URL")
    if starts:
        assert create_app(settings).config["APP_ENV"] == "production"
    else:
        with pytest.raises(ConfigError, match="Production needs REDIS_URL"):
            create_app(settings)


# ---------------------------------------------------------------- database URL


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db.example/care", "postgresql+psycopg://u:p@db.example/care"),
        ("postgresql://u:p@db.example/care", "postgresql+psycopg://u:p@db.example/care"),
        ("postgresql+psycopg://u:p@db.example/care", "postgresql+psycopg://u:p@db.example/care"),
        ("sqlite:////var/data/care.sqlite", "sqlite:////var/data/care.sqlite"),
    ],
)
def test_database_urls_use_psycopg_3(monkeypatch, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url(Path("/instance")) == used


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    app = create_app()
    expected = Path(app.instance_path) / "app.sqlite"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"
    assert Path(app.instance_path) == tmp_path / "instance"


# ---------------------------------------------------------------- SQLite under several workers


def test_a_sqlite_database_is_opened_in_wal_mode_with_a_busy_timeout(tmp_path):
    """gunicorn's workers write the same file: WAL lets readers carry on while one writes, and
    the busy timeout makes a second writer wait for the lock instead of failing at once."""
    from sqlalchemy import text

    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.sqlite'}"})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


# ---------------------------------------------------------------- PostgreSQL's pool per process

POSTGRES = "postgresql+psycopg://app@db.internal/care"


@pytest.mark.parametrize(
    ("variables", "pool_size"),
    [
        ({}, 4),  # the Procfile's defaults: 1 gunicorn thread, 4 task threads (the larger)
        ({"WEB_THREADS": "8"}, 8),  # a web worker with 8 threads
        ({"TASK_WORKERS": "6", "WEB_THREADS": "2"}, 6),  # the consumer with 6 task threads
        ({"WEB_THREADS": "1", "TASK_WORKERS": "1"}, 1),
        ({"DATABASE_POOL_SIZE": "3", "WEB_THREADS": "8"}, 3),  # said outright
    ],
)
def test_a_postgresql_pool_holds_one_connection_per_thread_and_never_more(monkeypatch, variables, pool_size):
    from app.extensions import db

    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES})  # nothing connects until asked
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"]) == (pool_size, 0)
    assert options["pool_timeout"] < 30, "a thread waiting for a connection fails before gunicorn kills its worker"
    with app.app_context():
        assert db.engine.pool.size() == pool_size
        assert db.engine.pool.timeout() == options["pool_timeout"]


def test_idle_postgresql_connections_send_tcp_keepalives(monkeypatch):
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES})
    connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect_args["keepalives"] == 1
    assert connect_args["keepalives_idle"] <= 60
    assert connect_args["keepalives_idle"] + connect_args["keepalives_interval"] * connect_args["keepalives_count"] <= 120


@pytest.mark.parametrize(("variable", "value"), [("WEB_THREADS", "four"), ("DATABASE_POOL_SIZE", "0")])
def test_a_pool_size_that_is_not_a_positive_whole_number_stops_the_start(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES})


def test_sqlite_keeps_sqlalchemys_own_pool(monkeypatch, tmp_path):
    monkeypatch.setenv("WEB_THREADS", "8")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pool.sqlite'}"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}


# Documents as psycopg hands a json or jsonb value to its loader: bytes of the connection's
# encoding (UTF-8), a byte-order mark or not, and documents json.loads refuses.
JSON_DOCUMENTS = [
    b'{"red": 7, "amber": 14, "green": 28}',
    b"{}",
    b"[]",
    b"null",
    b'  [1, 2.5, -3e2, true, false, null, "x"]  ',
    '{"name": "Siân Ó Dálaigh", "emoji": "\U0001F4AC", "tab": "\\t"}'.encode(),
    b'"\\ud83d\\udcac"',
    b'"\xed\xa0\x80"',  # a lone surrogate, as json.loads' surrogatepass reads it
    b'\xef\xbb\xbf{"after a byte-order mark": 1}',
    b'{"deep": ' + b"[" * 50 + b"]" * 50 + b"}",
    b"",
    b"{",
    b'{"a": 1,}',
    b"NaN",
    b'"unterminated',
    b'{"a": 1} trailing',
    b"\xff\xfe",  # UTF-16's byte-order mark: json.loads reads UTF-16 (and refuses ''); no PostgreSQL sends it
]


@pytest.mark.parametrize("document", JSON_DOCUMENTS)
def test_a_json_value_from_postgresql_reads_as_json_loads_reads_it(document):
    from config import json_from_the_database

    try:
        expected = json.loads(document)
    except ValueError:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8
        with pytest.raises(ValueError):
            json_from_the_database(document)
    else:
        read = json_from_the_database(document)
        assert read == expected or (read != read and expected != expected)
        assert json.dumps(read) == json.dumps(expected)


def test_postgresql_json_values_are_read_by_json_from_the_database(database_url, tmp_path):
    """Set on the engine through psycopg's adapters (SQLAlchemy's json_deserializer), and what
    the server sends for json and jsonb reads back as the document written."""
    from sqlalchemy import text

    from app.extensions import db
    from config import json_from_the_database
    from tests.conftest import base_test_config

    assert create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES}).config["SQLALCHEMY_ENGINE_OPTIONS"][
        "json_deserializer"] is json_from_the_database
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's JSON loaders: PostgreSQL")
    app = create_app(base_test_config(database_url, tmp_path))
    documents = [document.decode() for document in JSON_DOCUMENTS[:7]]
    with app.app_context():
        assert db.engine.dialect._json_deserializer is json_from_the_database
        for document in documents:
            as_json, as_jsonb = db.session.execute(
                text("SELECT CAST(:document AS json), CAST(:document AS jsonb)"), {"document": document}).one()
            assert as_json == as_jsonb == json.loads(document), document
        db.session.remove()
        db.engine.dispose()
