"""Every Flask extension object, created unbound and bound in the app factory."""
import hashlib
import hmac
import os
from contextlib import contextmanager
from functools import lru_cache

import flask_limiter
import flask_login
import flask_wtf
import flask_wtf.csrf
import itsdangerous
import itsdangerous.signer
from itsdangerous.encoding import want_bytes
from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, exc
from sqlalchemy.orm import DeclarativeBase
from wtforms import ValidationError

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


# ---------------------------------------------------------------- signing (issue 12)
# The session cookie and the CSRF token are checked on every request that carries them, and
# Flask and Flask-WTF built a new itsdangerous serializer for each check (its constructor
# serialises an empty dict to learn whether it makes text) and derived its HMAC key from the
# secret again for each signature. Both are the same for every request with the same secret: a
# serializer is kept per (secret keys, salt), and a derived key per (secret, salt, derivation,
# digest). Nothing of a request's or a person's is kept: the signature is still checked on
# every request, against the keys the config names at the time.
_DERIVED_KEYS: dict[tuple, bytes] = {}
_DERIVED_KEYS_LIMIT = 64  # a few secrets (current and fallbacks) times a few salts


class OneShotHMAC(itsdangerous.signer.HMACAlgorithm):
    """itsdangerous' HMAC, computed in one call of OpenSSL's HMAC (`hmac.digest` given the hash's
    name) instead of Python's `hmac.HMAC` object, which took 18 Python calls for each signature
    checked or made (the session cookie's on every request, a page's CSRF token). The same bytes:
    HMAC of the same key, message and hash; checked in constant time as before."""

    def __init__(self, digest_method):
        super().__init__(digest_method)
        self.digest_name = digest_method().name

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_name)


@lru_cache(maxsize=8)
def _one_shot_hmac(digest_method) -> OneShotHMAC:
    return OneShotHMAC(digest_method)


class KeptKeySigner(itsdangerous.TimestampSigner):
    """itsdangerous' timestamp signer, deriving each secret's key once (`_DERIVED_KEYS`) and
    signing with `OneShotHMAC` where it would use itsdangerous' HMAC."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is itsdangerous.signer.HMACAlgorithm:
            self.algorithm = _one_shot_hmac(self.digest_method)

    def derive_key(self, secret_key=None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        which = (secret, self.salt, self.key_derivation, self.digest_method)
        key = _DERIVED_KEYS.get(which)
        if key is None:
            if len(_DERIVED_KEYS) >= _DERIVED_KEYS_LIMIT:
                _DERIVED_KEYS.clear()
            key = _DERIVED_KEYS[which] = super().derive_key(secret)
        return key


@lru_cache(maxsize=16)
def kept_serializer(secret_keys: tuple, salt: str, serializer=None, signer_kwargs: tuple = ()):
    """The URL-safe timed serializer of these secret keys (oldest first, the current one last)
    and salt, made once; itsdangerous' serializers hold no state of a call, so one serves every
    request and thread."""
    return itsdangerous.URLSafeTimedSerializer(list(secret_keys), salt=salt, serializer=serializer,
                                               signer=KeptKeySigner, signer_kwargs=dict(signer_kwargs))


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with its serializer kept (`kept_serializer`)."""

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        return kept_serializer(keys, self.salt, self.serializer, (
            ("key_derivation", self.key_derivation), ("digest_method", self.digest_method)))


def _csrf_serializer_and_field() -> tuple:
    """The kept serializer CSRF tokens are signed and checked with (WTF_CSRF_SECRET_KEY, else
    SECRET_KEY; Flask-WTF's salt) and the session key of the raw token, as Flask-WTF reads them:
    one reading for the maker and the check."""
    config = current_app.config
    secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not secret_key:
        raise RuntimeError("A secret key is required to use CSRF.")
    return kept_serializer((secret_key,), "wtf-csrf-token"), config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


def validate_csrf_token(data) -> None:
    """Flask-WTF's `validate_csrf` (the same checks, in the same order, with the same messages),
    through a kept serializer: the token is signed with WTF_CSRF_SECRET_KEY or SECRET_KEY and
    must carry the session's own token. Raises wtforms' ValidationError."""
    serializer, field_name = _csrf_serializer_and_field()
    time_limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in session:
        raise ValidationError("The CSRF session token is missing.")
    try:
        token = serializer.loads(data, max_age=time_limit)
    except itsdangerous.SignatureExpired as exc:
        raise ValidationError("The CSRF token has expired.") from exc
    except itsdangerous.BadData as exc:
        raise ValidationError("The CSRF token is invalid.") from exc
    if not hmac.compare_digest(session[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


def generate_csrf_token() -> str:
    """Flask-WTF's `generate_csrf` (the same token, kept for the request in `g` under the same
    name, so either gives it), through a kept serializer: the session's raw token (made on first
    use) signed with WTF_CSRF_SECRET_KEY or SECRET_KEY and the time. Every page's layout asks for
    it (app/templating.py layout_page): a new serializer and key derivation for each was most of
    its cost. Nothing is kept across requests but the serializer."""
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    token = g.get(field_name)
    if token is None:
        serializer, field_name = _csrf_serializer_and_field()
        if field_name not in session:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            token = serializer.dumps(session[field_name])
        except TypeError:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = serializer.dumps(session[field_name])
        setattr(g, field_name, token)
    return token


class CSRFProtect(flask_wtf.CSRFProtect):
    """Flask-WTF's CSRF check on every POST, PUT, PATCH and DELETE, with its token checked by
    `validate_csrf_token` (a kept serializer), asking first whether the request's method is one
    that is checked.

    Flask-WTF looks up the view's exemptions before the method, so every GET paid for the
    lookup only to be let through; the answer is the same either way (a GET is never checked,
    an exempt view never is). What follows the method is Flask-WTF's `protect` as it is
    (1.3.0), with the token's check the only change."""

    def init_app(self, app):
        super().init_app(app)
        # Templates' `csrf_token()` is `generate_csrf_token`, a global: Flask-WTF also put its own
        # in every render's context through a context processor, which ran for every template.
        app.jinja_env.globals["csrf_token"] = generate_csrf_token
        processors = app.template_context_processors[None]
        processors[:] = [processor for processor in processors
                         if getattr(processor, "__module__", "") != flask_wtf.csrf.__name__]

    def protect(self, apply_exemptions=False):
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        try:
            validate_csrf_token(self._get_csrf_token())
        except ValidationError as exc:
            flask_wtf.csrf.logger.info(exc.args[0])
            self._error_response(exc.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not flask_wtf.csrf.same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # as Flask-WTF marks a request whose token was checked


class LoginManager(flask_login.LoginManager):
    """Flask-Login's, asking whether session protection is on before working out the browser's
    identifier that it would compare: Flask-Login hashed the address and user agent (SHA-512) on
    every request to then find protection off, as it is here (sessions are checked on the server,
    app/sessions.py). With protection on, it is checked as before."""

    def _session_protection_failed(self):
        mode = current_app.config.get("SESSION_PROTECTION", self.session_protection)
        if not mode or mode not in ("basic", "strong"):
            return False
        return super()._session_protection_failed()


db = SQLAlchemy(model_class=Base)


@contextmanager
def savepoint():
    """`db.session.begin_nested()` inside the request's transaction, on every engine: the one way
    to make a savepoint (tests/test_versioning.py checks no other module calls begin_nested).

    Python's sqlite3 driver (3.11) opens a transaction only before an INSERT, UPDATE or DELETE, so
    a SAVEPOINT sent before any of those opens a transaction of its own, and its RELEASE commits
    it: the work would be stored for good, outside the request's transaction, and a later
    rollback, or a crash before the audit's commit, would leave it there. So on SQLite the
    driver's transaction is opened first, and as a writer's: BEGIN IMMEDIATE takes the write lock
    at once, waiting for it (the busy timeout) as the driver's own BEGIN just before a write does. A deferred BEGIN took its
    snapshot at the savepoint's first read, and a write after another connection's commit then
    failed at once ("database is locked", SQLITE_BUSY_SNAPSHOT: no busy timeout waits it out), so
    under concurrent sends most forms acted on once were answered 409 busy."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    with db.session.begin_nested() as nested:
        yield nested


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# SQLite under several gunicorn workers: readers never wait for a writer (WAL), and a writer
# waits this long for another's lock instead of failing with "database is locked" at once.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def prepare_engine(engine) -> None:
    """What each database needs on its connections: SQLite's pragmas once per connection, and on
    PostgreSQL a connection the server has ended replaced before a request uses it."""
    use_sqlite_wal(engine)
    replace_connections_the_server_ended(engine)
    note_writes_in_each_transaction(engine)


def replace_connections_the_server_ended(engine) -> None:
    """On checkout from the pool, a PostgreSQL connection whose server process has gone (ended by
    an administrator, an idle timeout, a restart or a failover) is swapped for a new one, without
    a round trip.

    This replaces `pool_pre_ping`, which sent an empty query on every checkout: one round trip of
    each request's four or five on a page that reads once (issue 12). A server that ends a
    connection says so and closes the socket, so an idle pooled connection whose socket has
    something to read is one the server ended (we never LISTEN, so nothing else arrives unasked):
    it is closed, and SQLAlchemy opens a new one in its place (`DisconnectionError` on checkout:
    its documented pessimistic handling). Looking costs a poll() of the socket, no round trip. A connection lost
    without a word (a network cut) fails its first statement, as it would after a ping that
    answered: SQLAlchemy then treats it as a disconnect and replaces every connection in the pool
    opened before it (its optimistic handling), so only that one request fails. A server that is
    slow to answer is no different from before: a ping would have waited for it too."""
    from sqlalchemy import event, exc

    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "checkout")
    def _replace_if_ended(dbapi_connection, _record, _proxy):
        if dbapi_connection.closed or dbapi_connection.broken:
            raise exc.DisconnectionError("the connection was closed")
        try:
            unread = _has_unread_input(dbapi_connection.pgconn.socket)
        except Exception as error:  # psycopg.OperationalError: libpq has no socket for it any more
            raise exc.DisconnectionError(str(error)) from error
        if unread:
            # Most likely "terminating connection due to administrator command" and the end of the
            # stream. (A rare harmless message, a setting the server reports after a reload, costs
            # one needless new connection: cheaper than a round trip on every request.)
            dbapi_connection.close()
            raise exc.DisconnectionError("the server ended the connection")


# In a connection's `info` while its transaction has sent anything but a SELECT.
_WROTE = "wrote in this transaction"


def note_writes_in_each_transaction(engine) -> None:
    """On PostgreSQL, mark a connection's transaction once it sends anything but a SELECT, for
    `end_a_read_with_a_commit`; the mark goes with the transaction's end. (A statement we did not
    write as a SELECT, a savepoint or a SET included, counts as a write: when in doubt, the
    request ends with the rollback it always had.)"""
    from sqlalchemy import event

    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _note_a_write(connection, _cursor, statement, _parameters, _context, _executemany):
        if not statement.startswith("SELECT "):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget(connection):
        connection.info.pop(_WROTE, None)


def end_a_read_with_a_commit(session) -> None:
    """End a request's transaction that only read with a COMMIT rather than the ROLLBACK that
    closing the session would send (the same outcome: nothing was written).

    Why: psycopg forgets every prepared statement on a ROLLBACK (and sends DEALLOCATE ALL), so a
    page that only reads lost them at the end of every request and PostgreSQL parsed and planned
    each of its statements anew every time: parsing and planning took 1.1 ms for the session's
    statement and 1.4 ms for the home page's, of a patient page's 7 ms in process (issue 12;
    PostgreSQL's statement log showed `bind <unnamed>` for each; 0.07 and 0.11 ms once prepared).
    After a COMMIT they stay prepared (psycopg prepares a statement on its sixth use on a
    connection) and each is only executed. Registered for psycopg's engines only (app/__init__.py).

    Only when nothing could be lost: no ORM changes waiting to be flushed, no work queued to run
    after a commit (`background.after_commit`), and no statement but SELECTs sent in the
    transaction (`note_writes_in_each_transaction`); otherwise the rollback stands."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted or session.info:
        return
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        # A failed flush the view caught without rolling back: only the rollback can end it.
        return
    connection = session.connection()
    if connection.info.get(_WROTE) or not connection.in_transaction():
        return
    try:
        # The connection's transaction, not the session's commit: there is nothing of the ORM's to
        # commit (checked above), and the session's commit would flush, fire its commit hooks and
        # expire every record read, for a session closed next (three quarters of this function's
        # Python calls on a patient page: 206 -> 55). Closing the session then ends its
        # transaction's bookkeeping and returns the connection, idle, to the pool.
        connection.commit()
    except exc.SQLAlchemyError:
        # The page has been made from what was read; a connection that failed now is the pool's
        # to replace, as after a failed rollback. Closing the session rolls back what is left.
        current_app.logger.warning("a read-only transaction could not be committed", exc_info=True)


def _has_unread_input(socket_number: int) -> bool:
    import select

    poller = select.poll()
    poller.register(socket_number, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def use_sqlite_wal(engine) -> None:
    """Set WAL, the busy timeout and foreign keys on every new connection of a SQLite engine (a
    no-op elsewhere; an in-memory database keeps its own journal mode)."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # The schema's foreign keys enforced, as PostgreSQL always does (SQLite leaves them off
        # unless each connection asks): the same rules in development, tests and production.
        cursor.execute("PRAGMA foreign_keys = ON")
        # An INSERT OR REPLACE deletes the row it replaces; only with recursive triggers do that
        # delete's triggers run (the audit log's refusal, app/models.py).
        cursor.execute("PRAGMA recursive_triggers = ON")
        cursor.close()
