"""Every Flask extension object, created unbound and bound in the app factory."""
import flask_limiter
from flask import request
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, checking a request before its view only when a limit could apply there.

    Flask-Limiter's before-request hook looks for the limits set for every view: default,
    application and meta limits, a blueprint's, and a limit met inside a view the last time
    (an endpoint hint). This app sets none of those: its limits are on the views that take
    guesses (sign-in and enrolment, app/auth/routes.py), and each is checked by its own
    decorator when the view runs, which this leaves alone. So on every other request (each
    page, JSON save and /healthz) the hook found nothing after resolving the view's name,
    limits and exemptions: a tenth of /healthz's time in process. The hook runs in full
    again as soon as any of those limits exists (tests/auth/test_rate_limits.py)."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and not self._limits_before_any_view(request.endpoint):
            return None
        return super()._check_request_limit(callable_name, in_middleware)

    def _limits_before_any_view(self, endpoint) -> bool:
        manager = self.limit_manager
        return bool(manager._default_limits or manager._application_limits or self._meta_limits
                    or manager._blueprint_limits or self._in_memory_fallback
                    or manager.has_hints(endpoint or ""))


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# SQLite under several gunicorn workers: readers never wait for a writer (WAL), and a writer
# waits this long for another's lock instead of failing with "database is locked" at once.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def use_sqlite_wal(engine) -> None:
    """Set WAL and the busy timeout on every new connection of a SQLite engine (a no-op elsewhere;
    an in-memory database keeps its own journal mode)."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
