"""Settings, read from the environment with safe defaults for local use.

Production (`APP_ENV=production`) refuses to start with a default secret key
or with demo mode switched on: see `Config.validate`.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


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


class ConfigError(RuntimeError):
    pass


class Config:
    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in by the factory
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Demo mode seeds data and allows signing in as a seeded person without a passkey.
    DEMO_MODE = _bool("DEMO_MODE")

    # WebAuthn relying party. The origin must match what the browser shows exactly.
    WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID", "localhost")
    WEBAUTHN_RP_NAME = os.environ.get("WEBAUTHN_RP_NAME", "Manage your cancer care")
    WEBAUTHN_ORIGINS = [
        o.strip()
        for o in os.environ.get(
            "WEBAUTHN_ORIGINS", "http://localhost:5000,http://127.0.0.1:5000"
        ).split(",")
        if o.strip()
    ]
    WEBAUTHN_CHALLENGE_SECONDS = _int("WEBAUTHN_CHALLENGE_SECONDS", 300)

    # Sessions: NHS App integrations use a 10 minute idle timeout with a warning at 9.
    SESSION_IDLE_SECONDS = _int("SESSION_IDLE_SECONDS", 600)
    SESSION_WARNING_SECONDS = _int("SESSION_WARNING_SECONDS", 540)
    SESSION_ABSOLUTE_SECONDS = _int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
    PERMANENT_SESSION_LIFETIME = timedelta(seconds=SESSION_ABSOLUTE_SECONDS)
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    INVITATION_DAYS = _int("INVITATION_DAYS", 14)
    INVITATION_MAX_DOB_ATTEMPTS = 5
    PASSWORD_MAX_FAILURES = 5

    # Flask-Limiter: memory by default, Redis when scaled out.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATE_LIMIT_SIGN_IN = os.environ.get("RATE_LIMIT_SIGN_IN", "10 per minute;50 per hour")
    RATE_LIMIT_ENROL = os.environ.get("RATE_LIMIT_ENROL", "10 per minute;30 per hour")

    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 256 * 1024)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session does
    WTF_CSRF_SSL_STRICT = True
    PREFERRED_URL_SCHEME = "http"
    TRUST_PROXY_HOPS = _int("TRUST_PROXY_HOPS", 0)

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse settings that would be unsafe in production."""
        if config.get("APP_ENV") != "production":
            return
        if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY) or len(
            config["SECRET_KEY"]
        ) < 32:
            raise ConfigError("Production needs SECRET_KEY set to a random value of 32+ characters.")
        if config.get("DEMO_MODE"):
            raise ConfigError("Demo mode can never be on in production.")
        if config.get("TESTING"):
            raise ConfigError("Testing mode can never be on in production.")


class ProductionConfig(Config):
    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    PREFERRED_URL_SCHEME = "https"


def config_for_env() -> type[Config]:
    return ProductionConfig if os.environ.get("APP_ENV") == "production" else Config
