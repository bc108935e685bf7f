"""Settings: safe defaults for local use, overridden by environment variables.

The environment is read when the app is created (`config_for_env()`), not when this module is
imported, so what a process was started with is what it runs with.

Production (`APP_ENV=production`) refuses to start with a default or short secret key, with
demo mode or testing switched on, or with insecure cookies: see `Config.validate`.
"""
from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.engine import make_url

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_LENGTH = 32
APP_ENVS = ("development", "production")


def json_from_the_database(data: bytes) -> Any:
    """A JSON value as psycopg hands it over (bytes in the connection's encoding), read as
    `json.loads` reads bytes, without its look at them for a UTF-16 or UTF-32 encoding
    (`json.detect_encoding`: 5 of the 17 Python calls each value took; a team's response targets
    are read with every signed-in request). PostgreSQL has no UTF-16 or UTF-32 client encoding,
    and JSON text holds no NUL byte, so that look always answered UTF-8 (with its byte-order
    mark, when one leads: dropped, as here). The same values; what it refuses, refused
    (tests/test_config.py, a table of documents)."""
    return _JSON_DECODER.decode(data.decode("utf-8-sig", "surrogatepass"))


# `json.loads`' own decoder, which it uses when given no options.
_JSON_DECODER = json.JSONDecoder()


class ConfigError(RuntimeError):
    pass


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _as_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _as_str(value: str) -> str:
    return value


def _as_int(value: str) -> int:
    return int(value.strip())


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'app.sqlite'}"
    # Heroku-style URLs name the old driver; we run psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# setting -> (environment variable, how to read it). Only variables that are set override.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SECRET_KEY": ("SECRET_KEY", _as_str),
    "DEMO_MODE": ("DEMO_MODE", _as_bool),
    "WEBAUTHN_RP_ID": ("WEBAUTHN_RP_ID", _as_str),
    "WEBAUTHN_RP_NAME": ("WEBAUTHN_RP_NAME", _as_str),
    "WEBAUTHN_ORIGINS": ("WEBAUTHN_ORIGINS", _as_list),
    "WEBAUTHN_CHALLENGE_SECONDS": ("WEBAUTHN_CHALLENGE_SECONDS", _as_int),
    "SESSION_IDLE_SECONDS": ("SESSION_IDLE_SECONDS", _as_int),
    "SESSION_WARNING_SECONDS": ("SESSION_WARNING_SECONDS", _as_int),
    "SESSION_ABSOLUTE_SECONDS": ("SESSION_ABSOLUTE_SECONDS", _as_int),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _as_bool),
    "INVITATION_DAYS": ("INVITATION_DAYS", _as_int),
    "REDIS_URL": ("REDIS_URL", _as_str),
    "HUEY_SQLITE_PATH": ("HUEY_SQLITE_PATH", _as_str),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _as_bool),
    "RATE_LIMIT_SIGN_IN": ("RATE_LIMIT_SIGN_IN", _as_str),
    "RATE_LIMIT_ENROL": ("RATE_LIMIT_ENROL", _as_str),
    "MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", _as_int),
    "TRUST_PROXY_HOPS": ("TRUST_PROXY_HOPS", _as_int),
    # Web Push (app/push/): `flask push generate-vapid` prints a VAPID_PRIVATE_KEY line.
    "VAPID_PRIVATE_KEY": ("VAPID_PRIVATE_KEY", _as_str),
    "VAPID_SUBJECT": ("VAPID_SUBJECT", _as_str),
    "PUSH_SERVICE_HOSTS": ("PUSH_SERVICE_HOSTS", _as_list),
    "PUSH_TITLE": ("PUSH_TITLE", _as_str),
    # PostgreSQL connections each process keeps (Config.database_pool); default its threads.
    "DATABASE_POOL_SIZE": ("DATABASE_POOL_SIZE", _as_int),
}

# Threads in a process that may each hold a database connection at once, as the Procfile and
# compose.yaml start them: a web worker's gunicorn threads, the consumer's task threads. Both
# variables are read in every process (each sees its own), so a web worker's pool is the larger.
THREAD_VARIABLES = {"WEB_THREADS": 1, "TASK_WORKERS": 4}


class Config:
    APP_ENV = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in by the factory
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL's pool in each process (Config.database_pool; README, production): as many
    # connections as the process has threads (None: the larger of WEB_THREADS and TASK_WORKERS as
    # the Procfile defaults them), never more, and a thread that still finds none waits this long
    # and fails its request, well before gunicorn's 30 s timeout would replace the whole worker.
    DATABASE_POOL_SIZE: int | None = None
    DATABASE_POOL_TIMEOUT_SECONDS = 10
    # TCP keepalives on idle PostgreSQL connections (seconds idle, between probes, probes): a
    # firewall or load balancer that forgets idle connections never sees one idle for longer than
    # a minute, and a server that vanished without a word is found within ~90 s, so its pooled
    # connections are replaced on checkout (app/extensions.py) instead of failing a request.
    DATABASE_KEEPALIVES = (60, 10, 3)

    # Demo mode seeds data and allows signing in as a seeded person without a passkey.
    DEMO_MODE = False

    # WebAuthn relying party. The origin must match what the browser shows exactly.
    WEBAUTHN_RP_ID = "localhost"
    WEBAUTHN_RP_NAME = "Manage your cancer care"
    WEBAUTHN_ORIGINS = ["http://localhost:5000", "http://127.0.0.1:5000"]
    WEBAUTHN_CHALLENGE_SECONDS = 300

    # Sessions: NHS App integrations use a 10 minute idle timeout with a warning at 9.
    SESSION_IDLE_SECONDS = 600
    SESSION_WARNING_SECONDS = 540
    SESSION_ABSOLUTE_SECONDS = 12 * 3600
    PERMANENT_SESSION_LIFETIME = timedelta(seconds=SESSION_ABSOLUTE_SECONDS)
    # The cookie is written when its contents change (signing in, a CSRF or form token), never
    # re-signed on every request: it only names the server-side session, whose idle and absolute
    # limits app/sessions.py keeps, and a cookie older than the absolute lifetime is refused.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    INVITATION_DAYS = 14
    INVITATION_MAX_DOB_ATTEMPTS = 5

    # Wrong passwords slow the next try down and are forgotten on their own (app/auth/throttle.py):
    # per NHS number, per address, and across the whole service against password spraying. A few
    # tries are free, then each wrong one doubles the wait from the first delay up to the longest.
    SIGN_IN_THROTTLE_ACCOUNT = {
        "free_attempts": 5, "forgive_seconds": 15 * 60, "first_delay_seconds": 60, "longest_delay_seconds": 15 * 60,
    }
    SIGN_IN_THROTTLE_ADDRESS = {
        "free_attempts": 20, "forgive_seconds": 3 * 60, "first_delay_seconds": 60, "longest_delay_seconds": 15 * 60,
    }
    SIGN_IN_THROTTLE_SERVICE = {
        "free_attempts": 500, "forgive_seconds": 2, "first_delay_seconds": 30, "longest_delay_seconds": 5 * 60,
    }
    # A browser that signed in with the right password before is not delayed by others' guesses.
    KNOWN_BROWSER_COOKIE_NAME = "known_browser"
    KNOWN_BROWSER_DAYS = 365

    # Flask-Limiter: Redis when REDIS_URL is set (see shared_storage), else memory, which only a
    # single-process development run may use: each gunicorn worker would count on its own.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATE_LIMIT_SIGN_IN = "10 per minute;50 per hour"
    RATE_LIMIT_ENROL = "10 per minute;30 per hour"

    # Background work (app/background.py): huey keeps its queue in Redis when REDIS_URL is set,
    # else in a SQLite file (HUEY_SQLITE_PATH, default instance/huey.sqlite). Immediate mode runs
    # each task at once in the caller's thread (tests).
    REDIS_URL: str | None = None
    HUEY_SQLITE_PATH: str | None = None
    HUEY_IMMEDIATE = False

    MAX_CONTENT_LENGTH = 256 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session does
    # Over HTTPS a POST must also carry a same-origin Referer (see Referrer-Policy in security.py).
    WTF_CSRF_SSL_STRICT = True
    PREFERRED_URL_SCHEME = "http"
    TRUST_PROXY_HOPS = 0

    # Web Push (app/push/). The private key signs every push (RFC 8292); production without one
    # has no push. The subject is who the push services can contact about our sends.
    VAPID_PRIVATE_KEY: str | None = None
    VAPID_SUBJECT = "mailto:push-admin@localhost"
    # Endpoints are taken only over https at these hosts (app/push/endpoints.py: no SSRF).
    PUSH_SERVICE_HOSTS = ["fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com",
                          "*.notify.windows.com"]
    # Lock screens are not private: a neutral title, never the word cancer.
    PUSH_TITLE = "Your care team"
    PUSH_TIMEOUT_SECONDS = 10
    # True: the system's certificates; the tests point it at their local push service's certificate.
    PUSH_TLS_VERIFY: bool | str = True
    # Back-off when a push service answers 429 or 5xx without Retry-After: doubles from the first.
    PUSH_RETRY_FIRST_SECONDS = 60
    PUSH_RETRY_LONGEST_SECONDS = 6 * 3600

    # Settings that the environment may not change for this kind of config.
    LOCKED: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls) -> type[Config]:
        """This config with the environment's values, read now."""
        overrides: dict[str, Any] = {}
        for setting, (variable, read) in ENVIRONMENT.items():
            raw = os.environ.get(variable)
            if raw is None or raw.strip() == "" or setting in cls.LOCKED:
                continue
            try:
                overrides[setting] = read(raw)
            except ValueError as exc:
                raise ConfigError(f"{variable} must be a whole number, not {raw!r}.") from exc
        absolute = overrides.get("SESSION_ABSOLUTE_SECONDS", cls.SESSION_ABSOLUTE_SECONDS)
        overrides["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=absolute)
        return type(cls.__name__, (cls,), overrides)

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse settings that would be unsafe in production."""
        # Lock screens are not private (HAZ-021): in any environment, the notification title may
        # not name the illness.
        if "cancer" in str(config.get("PUSH_TITLE", "")).lower():
            raise ConfigError("PUSH_TITLE is shown on lock screens: it must not name the illness.")
        # RFC 8292: the push services' way to reach whoever runs the app; pywebpush refuses to sign
        # without one, which would fail every send rather than the start.
        subject = str(config.get("VAPID_SUBJECT", ""))
        if not re.fullmatch(r"mailto:[^@\s]+@(localhost|[^@\s.]+(\.[^@\s.]+)+)|https://[^/\s]+(/\S*)?", subject):
            raise ConfigError("VAPID_SUBJECT must be a mailto: address or an https: address.")
        if config.get("APP_ENV") != "production":
            return
        secret = config.get("SECRET_KEY")
        if not secret or secret == DEFAULT_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"Production needs SECRET_KEY set to a random value of {MIN_SECRET_KEY_LENGTH}+ characters."
            )
        if config.get("DEMO_MODE"):
            raise ConfigError("Demo mode can never be on in production.")
        if config.get("TESTING"):
            raise ConfigError("Testing mode can never be on in production.")
        if config.get("VAPID_PRIVATE_KEY") and "@localhost" in str(config.get("VAPID_SUBJECT", "")):
            # Apple's push service refuses a localhost contact: every send would fail.
            raise ConfigError("Production push needs VAPID_SUBJECT set to a real mailto: or https: contact.")
        if not config.get("SESSION_COOKIE_SECURE"):
            raise ConfigError("Production session cookies must be Secure (HTTPS only).")
        if config.get("RATELIMIT_ENABLED") and str(config.get("RATELIMIT_STORAGE_URI")).startswith("memory://"):
            # Several workers each counting in their own memory would each allow the whole limit.
            raise ConfigError("Production needs REDIS_URL: rate limits (and the task queue) are shared "
                              "by every worker and machine there.")

    @staticmethod
    def database_pool(config: dict) -> None:
        """On PostgreSQL, each process keeps one connection per thread and no more (no overflow:
        a request holds one connection, so needing more would be a leak, and a bounded count is
        what lets every process's pool fit the server's max_connections: README, production).
        Options given in SQLALCHEMY_ENGINE_OPTIONS win. SQLite keeps SQLAlchemy's defaults.

        Through psycopg (3), connections are in autocommit mode (SQLAlchemy's isolation level
        "AUTOCOMMIT"): a statement that only reads runs without a transaction of its own, and
        the engine begins the transaction just before the first statement that is not a plain
        read (app/extensions.py `begin_before_the_first_write`, which only that driver has: any
        other is left to begin before every statement, as DB-API drivers do), and its JSON
        values are read by `json_from_the_database`."""
        uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
        if not uri.startswith("postgresql"):
            return
        size = config.get("DATABASE_POOL_SIZE")
        size = threads_per_process() if size is None else size
        if size < 1:
            raise ConfigError("DATABASE_POOL_SIZE must be at least 1.")
        idle, interval, count = config["DATABASE_KEEPALIVES"]
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": size,
            "max_overflow": 0,
            "pool_timeout": config["DATABASE_POOL_TIMEOUT_SECONDS"],
            "connect_args": {"keepalives": 1, "keepalives_idle": idle, "keepalives_interval": interval,
                             "keepalives_count": count},
            **({"isolation_level": "AUTOCOMMIT", "json_deserializer": json_from_the_database}
               if make_url(uri).get_dialect().driver == "psycopg" else {}),
            **config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }

    @staticmethod
    def shared_storage(config: dict) -> None:
        """Keep rate limits in Redis whenever REDIS_URL is set (the task queue is there too,
        app/background.py), so every process counts the same requests."""
        if config.get("REDIS_URL") and str(config.get("RATELIMIT_STORAGE_URI")).startswith("memory://"):
            config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]


class ProductionConfig(Config):
    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    KNOWN_BROWSER_COOKIE_NAME = "__Host-known_browser"
    PREFERRED_URL_SCHEME = "https"
    LOCKED = ("SESSION_COOKIE_SECURE",)


def threads_per_process() -> int:
    """The most threads a web worker or the consumer runs, from the variables the Procfile and
    compose.yaml start them with (each process sees its own; defaults as theirs)."""
    counts = []
    for variable, default in THREAD_VARIABLES.items():
        raw = (os.environ.get(variable) or "").strip()
        try:
            counts.append(int(raw) if raw else default)
        except ValueError as exc:
            raise ConfigError(f"{variable} must be a whole number, not {raw!r}.") from exc
    return max(counts)


def config_for_env() -> type[Config]:
    """The config for APP_ENV (development or production), with the environment applied."""
    app_env = (os.environ.get("APP_ENV") or "development").strip().lower()
    if app_env not in APP_ENVS:
        # A typo must not quietly give a production server development defaults.
        raise ConfigError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {app_env!r}.")
    base = ProductionConfig if app_env == "production" else Config
    return base.from_environment()
