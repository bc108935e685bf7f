"""Every Flask extension object, created unbound and bound in the app factory."""
import binascii
import hashlib
import hmac
import json
import os
import re
import zlib
from binascii import a2b_base64, b2a_base64
from contextlib import contextmanager
from functools import lru_cache, partial

import flask_limiter
import flask_login
import flask_wtf
import flask_wtf.csrf
import itsdangerous
import itsdangerous.signer
from itsdangerous.encoding import int_to_bytes, want_bytes
from flask import current_app, g, request, session
from flask.globals import request_ctx
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from psycopg.pq import TransactionStatus
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from wtforms import ValidationError

from .sqlite_writes import queue_writers

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

    # After the view, Flask-Limiter's after-request hook deducts what a limit counts only by the
    # response (deduct_when) and writes the X-RateLimit headers of the limit checked, and its
    # teardown empties the request's limiter context: ~60 Python calls, on every request, that
    # made that context (for the request's limits) only to find it empty. A request in which no
    # limit was checked has no such context (Flask-Limiter makes it, on the request context, when
    # a check first asks for it), so there is nothing to deduct, write or empty: each hook runs
    # Flask-Limiter's own only in a request that has one (a limited view's, whatever it answers).

    def init_app(self, app) -> None:
        super().init_app(app)
        inject_headers = flask_limiter.Limiter._Limiter__inject_headers
        after = app.after_request_funcs.setdefault(None, [])
        after[:] = [self._write_headers_if_a_limit_was_checked
                    if isinstance(hook, partial) and hook.func is inject_headers and hook.args == (self,) else hook
                    for hook in after]
        teardown = app.teardown_request_funcs.setdefault(None, [])
        teardown[:] = [self._empty_the_context_if_a_limit_was_checked if hook == self._Limiter__release_context
                       else hook for hook in teardown]

    def _write_headers_if_a_limit_was_checked(self, response):
        if not hasattr(request_ctx._get_current_object(), "_limiter_request_context"):
            return response
        return self._Limiter__inject_headers(response)

    def _empty_the_context_if_a_limit_was_checked(self, error=None) -> None:
        if hasattr(request_ctx._get_current_object(), "_limiter_request_context"):
            self._Limiter__release_context(error)

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

    def sign(self, value) -> bytes:
        """TimestampSigner.sign (the value, its time and their signature, each after the separator)
        in C calls, where the signature is OneShotHMAC's (a page's CSRF token: ~35 Python calls
        through itsdangerous' layers)."""
        if not isinstance(self.algorithm, OneShotHMAC):
            return super().sign(value)
        stamped = want_bytes(value) + self.sep + _url_safe_base64(int_to_bytes(self.get_timestamp()))
        return stamped + self.sep + _url_safe_base64(hmac.digest(self.derive_key(), stamped, self.algorithm.digest_name))

    def value_signed_as_itsdangerous_writes_it(self, signed_value, max_age) -> bytes | None:
        """The value of a signed value in the one form itsdangerous writes (its signature one of
        the keys' HMAC in URL-safe base64 without padding; its time at most 8 bytes, within a
        datetime's years, and, with `max_age`, neither older than that nor in the future), read in
        C calls; None for anything else, which `KeptSerializer.loads` then gives to itsdangerous
        to accept or refuse with its own error. Only ever accepts what itsdangerous accepts."""
        if not isinstance(self.algorithm, OneShotHMAC):
            return None
        stamped, sep, signature = want_bytes(signed_value).rpartition(self.sep)
        if not sep:
            return None
        digest_name = self.algorithm.digest_name
        # Newest key first, as Signer.verify_signature tries them.
        for secret in reversed(self.secret_keys):
            if hmac.compare_digest(_url_safe_base64(hmac.digest(self.derive_key(secret), stamped, digest_name)),
                                   signature):
                break
        else:
            return None
        value, sep, stamp = stamped.rpartition(self.sep)
        if not sep:
            return None
        try:
            # itsdangerous' base64_decode and bytes_to_int: padded, URL-safe, at most 8 bytes.
            time_bytes = a2b_base64((stamp + b"=" * (-len(stamp) % 4)).translate(_FROM_URL_SAFE))
        except binascii.Error:
            return None
        signed_at = int.from_bytes(time_bytes, "big")
        if len(time_bytes) > 8 or signed_at > _LAST_TIMESTAMP_OF_A_DATETIME:
            return None
        if max_age is not None:
            age = self.get_timestamp() - signed_at
            if age > max_age or age < 0:
                return None
        return value


# itsdangerous' loads makes the signing time's datetime (and fails beyond the year 9999).
_LAST_TIMESTAMP_OF_A_DATETIME = 253402300799
_TO_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URL_SAFE = bytes.maketrans(b"-_", b"+/")


def _url_safe_base64(data: bytes) -> bytes:
    """itsdangerous' base64_encode of bytes: URL-safe base64 without its padding."""
    return b2a_base64(data, newline=False).translate(_TO_URL_SAFE).rstrip(b"=")


class KeptSerializer(itsdangerous.URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, with the usual token read and made in few calls.

    Every request checks the session cookie and a page makes a CSRF token: through itsdangerous'
    layers (a new signer for each, want_bytes, base64 through the base64 module, the time made a
    datetime and dropped) reading one took ~140 Python calls and making one ~75 (issue 12). Here
    the signer of the serializer's own salt is kept (a signer holds no state of a call), and a
    token in the one form itsdangerous writes is read in C calls
    (`KeptKeySigner.value_signed_as_itsdangerous_writes_it`, then its payload); any other token,
    or one whose payload does not read, goes to itsdangerous' own `loads` from the start, which
    reads it or refuses it with its own error. So a token is read as before, the same value or
    the same error (tests/test_signing.py, a table of forms)."""

    def make_signer(self, salt=None):
        if salt is not None:
            return super().make_signer(salt)
        signer = self.__dict__.get("_kept_signer")
        if signer is None:
            signer = self._kept_signer = super().make_signer()
        return signer

    def loads(self, s, max_age=None, return_timestamp=False, salt=None):
        if not return_timestamp and salt is None and not self.fallback_signers and self.is_text_serializer:
            payload = self.make_signer().value_signed_as_itsdangerous_writes_it(s, max_age)
            if payload is not None:
                # URLSafeSerializerMixin.load_payload: a leading "." marks a compressed payload.
                compressed = payload[:1] == b"."
                encoded = payload[1:] if compressed else payload
                try:
                    data = a2b_base64((encoded + b"=" * (-len(encoded) % 4)).translate(_FROM_URL_SAFE))
                    return self.serializer.loads((zlib.decompress(data) if compressed else data).decode())
                except Exception:  # itsdangerous reads it again below, and raises its own error
                    pass
        return super().loads(s, max_age=max_age, return_timestamp=return_timestamp, salt=salt)

    def dump_payload(self, obj) -> bytes:
        """URLSafeSerializerMixin.dump_payload: the serializer's text, compressed when that makes it
        shorter (then marked by a leading "."), in URL-safe base64."""
        text = want_bytes(self.serializer.dumps(obj, **self.serializer_kwargs))
        compressed = zlib.compress(text)
        if len(compressed) < len(text) - 1:
            return b"." + _url_safe_base64(compressed)
        return _url_safe_base64(text)


@lru_cache(maxsize=16)
def kept_serializer(secret_keys: tuple, salt: str, serializer=None, signer_kwargs: tuple = ()):
    """The URL-safe timed serializer of these secret keys (oldest first, the current one last)
    and salt, made once; itsdangerous' serializers hold no state of a call, so one serves every
    request and thread."""
    return KeptSerializer(list(secret_keys), salt=salt, serializer=serializer,
                          signer=KeptKeySigner, signer_kwargs=dict(signer_kwargs))


class SessionCookieSerializer(TaggedJSONSerializer):
    """Flask's tagged JSON for the session cookie, reading a cookie with no list or dict inside its
    top dict (this app's: the session's token, the person's id, the CSRF token's secret) without
    walking it for tags: only the top dict itself could be one. Any other cookie is walked as Flask
    walks it."""

    def loads(self, value: str):
        if value.count("{") == 1 and "[" not in value:
            # The standard library's, as the app's JSON provider (Flask's default) reads it.
            data = json.loads(value)
            return self.untag(data) if isinstance(data, dict) else data
        return super().loads(value)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with its serializer kept (`kept_serializer`)."""

    serializer = SessionCookieSerializer()

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        return kept_serializer(keys, self.salt, self.serializer, (
            ("key_derivation", self.key_derivation), ("digest_method", self.digest_method)))

    def save_session(self, app, session, response) -> None:
        """Flask's, reading the cookie's name, domain, path and flags (seven config reads, ~25
        Python calls) only when the cookie is set or deleted, which a request that changed nothing
        in it (nearly every one: the session lives on the server) never does. What it sends is
        Flask's in every case: Vary: Cookie when the session was read, and Flask's own
        save_session whenever the cookie may be set or deleted."""
        if session.accessed:
            _vary_on_cookie(response)
        if (not session and not session.modified) or (session and not self.should_set_cookie(app, session)):
            return
        super().save_session(app, session, response)


def _vary_on_cookie(response) -> None:
    """`response.vary.add("Cookie")`, writing the header at once when there is no Vary yet (the
    same header, without parsing an empty set and writing it back through its update hook)."""
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"


def _csrf_serializer_and_field(app) -> tuple:
    """The kept serializer CSRF tokens are signed and checked with (WTF_CSRF_SECRET_KEY, else
    SECRET_KEY; Flask-WTF's salt) and the session key of the raw token, as Flask-WTF reads them:
    one reading for the maker and the check."""
    config = app.config
    secret_key = config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    if not secret_key:
        raise RuntimeError("A secret key is required to use CSRF.")
    return kept_serializer((secret_key,), "wtf-csrf-token"), config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


def validate_csrf_token(data) -> None:
    """Flask-WTF's `validate_csrf` (the same checks, in the same order, with the same messages),
    through a kept serializer: the token is signed with WTF_CSRF_SECRET_KEY or SECRET_KEY and
    must carry the session's own token. Raises wtforms' ValidationError."""
    # Flask's proxies looked up once each (each name is a look-up of the context).
    app, cookie = current_app._get_current_object(), session._get_current_object()
    serializer, field_name = _csrf_serializer_and_field(app)
    time_limit = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in cookie:
        raise ValidationError("The CSRF session token is missing.")
    try:
        token = serializer.loads(data, max_age=time_limit)
    except itsdangerous.SignatureExpired as exc:
        raise ValidationError("The CSRF token has expired.") from exc
    except itsdangerous.BadData as exc:
        raise ValidationError("The CSRF token is invalid.") from exc
    if not hmac.compare_digest(cookie[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


def generate_csrf_token() -> str:
    """Flask-WTF's `generate_csrf` (the same token, kept for the request in `g` under the same
    name, so either gives it), through a kept serializer: the session's raw token (made on first
    use) signed with WTF_CSRF_SECRET_KEY or SECRET_KEY and the time. Every page's layout asks for
    it (app/templating.py layout_page): a new serializer and key derivation for each was most of
    its cost. Nothing is kept across requests but the serializer."""
    # Flask's proxies looked up once each (each name is a look-up of the context).
    app, request_globals = current_app._get_current_object(), g._get_current_object()
    field_name = app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    token = request_globals.get(field_name)
    if token is None:
        serializer, field_name = _csrf_serializer_and_field(app)
        cookie = session._get_current_object()
        if field_name not in cookie:
            cookie[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            token = serializer.dumps(cookie[field_name])
        except TypeError:
            cookie[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = serializer.dumps(cookie[field_name])
        setattr(request_globals, field_name, token)
    return token


# The bodies Werkzeug parses into `request.form` (werkzeug.formparser.FormDataParser.parse): any
# other body leaves the form empty.
FORM_MIMETYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))


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

    def _get_csrf_token(self):
        # Flask-WTF's: the form's field, then the headers. A body that is not a form (every JSON
        # save) has no form fields, so the token can only be in a header: Flask-WTF parsed its empty
        # form to look through anyway (~60 Python calls a save). A form is looked through as before.
        current = request._get_current_object()
        if current.mimetype in FORM_MIMETYPES:
            return super()._get_csrf_token()
        for header_name in current_app.config["WTF_CSRF_HEADERS"]:
            token = current.headers.get(header_name)
            if token:
                return token
        return None


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

    def _update_remember_cookie(self, response):
        # Flask-Login's after-request hook, returning at once (not through Flask's proxies three
        # times) when there is nothing to do: no remember cookie to set or clear, and none
        # refreshed on every request. Otherwise Flask-Login's own.
        if "_remember" not in session._get_current_object() and not current_app.config.get(
                "REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            return response
        return super()._update_remember_cookie(response)


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, ending an app context's session in one look-up of its scope.

    Flask-SQLAlchemy's teardown (`scoped_session.remove`) asked for the app context's key three
    times (whether it has a session, the session, then forgetting it: ~15 Python calls through
    Flask's proxies, on every request) and closed the session before forgetting it, so a close
    that raised (its connection's rollback failing) left the session in the registry under the
    id of an app context that was gone, which a later app context at the same address would be
    given: a transaction and tracked records of another request. Here the session is taken out
    of the registry first and then closed, as `remove` closes it (its transaction rolled back,
    its connection back to the pool, its records expunged)."""

    def _teardown_session(self, exc: BaseException | None) -> None:
        sessions = self.session.registry
        session = sessions.registry.pop(sessions.scopefunc(), None)
        if session is not None:
            session.close()


db = Database(model_class=Base)


@contextmanager
def savepoint():
    """`db.session.begin_nested()` inside the request's transaction, on every engine: the one way
    to make a savepoint (tests/test_versioning.py checks no other module calls begin_nested).

    Python's sqlite3 driver (3.11) opens a transaction only before an INSERT, UPDATE or DELETE, so
    a SAVEPOINT sent before any of those opens a transaction of its own, and its RELEASE commits
    it: the work would be stored for good, outside the request's transaction, and a later
    rollback, or a crash before the audit's commit, would leave it there. So on SQLite the
    driver's transaction is opened first, and as a writer's: BEGIN IMMEDIATE takes the write lock
    at once, waiting its turn for it (app/sqlite_writes.py's queue of writers, then the busy
    timeout) as the driver's own BEGIN just before a write does. A deferred BEGIN took its
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
    """What each database needs on its connections: SQLite's pragmas once per connection and its
    writers queued for the write lock on an OS lock (app/sqlite_writes.py); on PostgreSQL a
    connection the server has ended replaced before a request uses it."""
    use_sqlite_wal(engine)
    queue_writers(engine, SQLITE_BUSY_TIMEOUT_MS / 1000)
    replace_connections_the_server_ended(engine)
    begin_before_the_first_write(engine)


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


# PostgreSQL: a transaction begins just before its first statement that is not a plain read.
#
# psycopg, as DB-API drivers do, sent BEGIN before a connection's first statement, so every
# request paid a transaction around its reads: BEGIN, and at its end a COMMIT or a ROLLBACK, two
# round trips of a page's three or four (~160 microseconds each on a loopback; issue 12). Its
# connections are now in autocommit mode (config.py, `Config.database_pool`: SQLAlchemy's
# documented isolation_level="AUTOCOMMIT"), so psycopg sends no BEGIN of its own, and the engine
# sends one itself just before the first statement that is not a plain read. SQLAlchemy still
# ends each transaction with the driver's commit() or rollback(), and psycopg sends COMMIT or
# ROLLBACK only when a transaction is open: a request that only read sends neither, and its
# connection goes back to the pool idle, its prepared statements kept (psycopg forgets them on
# a ROLLBACK, and PostgreSQL then planned each of a page's statements anew on every request).
#
# Why reads outside a transaction see what they saw inside one: PostgreSQL's READ COMMITTED (its
# default; nothing in the app asks for another level) takes a new snapshot for each statement,
# in a transaction or not, so a read sees what was committed when it began either way. From the
# first write on, everything is in one transaction as before (the reads after it included, so
# they see its writes), and commits or rolls back as one. A plain read is a SELECT that locks
# nothing and calls none of the functions whose effect belongs to a transaction (an advisory
# lock to the transaction's end, a notification sent at the commit, a setting for the
# transaction), and makes no table (SELECT ... INTO); anything else, a statement this cannot
# tell (a CTE, a SHOW, DDL) included, begins the transaction: when in doubt, begin, as psycopg
# did. "advisory" whole, not "pg_advisory": pg_try_advisory_xact_lock is a transaction's lock too.
# A new way of reading must be checked against this: a server-side cursor (`yield_per`,
# `stream_results`; nothing in the app streams) needs a transaction, which a plain SELECT here
# does not open. SQLite is untouched: its driver opens a transaction only before a write already.
_PLAIN_READ = re.compile(r"\s*select\b")
_NOT_ONLY_A_READ = re.compile(
    r"\bfor\s+(?:update|no\s+key\s+update|share|key\s+share)\b|advisory|pg_notify|set_config|nextval|setval"
    r"|pg_current_xact_id|txid_current|\binto\b")
# Each statement's answer, worked out once: a request's statements are the same strings each time
# (SQLAlchemy's compiled statements, kept ones of app/plain_rows.py), and a search of a long
# statement's text took as long as a round trip. Bounded: statements whose text varies (an IN
# list's length) must not grow it for ever.
_ONLY_READS: dict[str, bool] = {}
_ONLY_READS_LIMIT = 2000

# A psycopg connection's libpq state when no transaction is open.
_PG_IDLE = TransactionStatus.IDLE

# An attribute of the psycopg connection inside `committed_alone`: True until its statement is
# sent, then False. On the driver's connection, not SQLAlchemy's `Connection.info`: the dialect's
# execution events below are given the driver's cursor, and a kept statement (app/plain_rows.py)
# no execution context to reach SQLAlchemy's connection from.
_ALONE = "_mycc_next_statement_committed_alone"


def only_reads(statement: str) -> bool:
    """Whether a statement is a plain read, which PostgreSQL may run outside a transaction: a
    SELECT that locks no rows and calls no function whose effect lasts to a transaction's end."""
    known = _ONLY_READS.get(statement)
    if known is None:
        if len(_ONLY_READS) >= _ONLY_READS_LIMIT:
            _ONLY_READS.clear()
        text = statement.lower()
        known = _ONLY_READS[statement] = (_PLAIN_READ.match(text) is not None
                                          and _NOT_ONLY_A_READ.search(text) is None)
    return known


def begin_before_the_first_write(engine) -> None:
    """On psycopg's engines, send BEGIN just before a transaction's first statement that is not a
    plain read (`only_reads`), on a connection in autocommit mode that has no transaction open;
    see above for why. A connection not in autocommit mode (an engine made with another
    isolation level) is left to psycopg, which begins before every statement as before.

    On the dialect's execution (`do_execute`, `do_executemany`, `do_execute_no_params`, as
    app/sqlite_writes.py queues SQLite's writers), not the connection's `before_cursor_execute`:
    one listener of the connection's events set the engine's `_has_events`, and SQLAlchemy then
    joined the engine's events into every new Connection's and dispatched the connection's other
    events (its creation, each begin, commit and rollback, after each statement) on every request
    and statement that fired none of them: ~120 Python calls of a PostgreSQL patient home page
    (tests/test_database_connections.py keeps the engine without them). Raised in here, an error
    (a lost connection while sending BEGIN) is SQLAlchemy's translated driver error, as the
    statement's own would be, and the BEGIN is sent on the statement's own cursor just before
    the dialect sends the statement, after every `before_cursor_execute` listener (a test's
    count of statements, which never counted BEGIN)."""
    from sqlalchemy import event

    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    for execution in ("do_execute", "do_executemany", "do_execute_no_params"):
        event.listen(engine, execution, _begin_before_a_write)


def _begin_before_a_write(cursor, statement, *_parameters_and_context) -> bool:
    """Before each statement SQLAlchemy sends to psycopg: BEGIN first if it is the first of a
    transaction that is not a plain read. False: the dialect then executes the statement."""
    if _ONLY_READS.get(statement) or only_reads(statement):  # (the first, on its own, is one call)
        return False
    driver_connection = cursor.connection
    if driver_connection.autocommit and driver_connection.pgconn.transaction_status == _PG_IDLE:
        alone = getattr(driver_connection, _ALONE, None)
        if alone is not None:
            if alone:
                setattr(driver_connection, _ALONE, False)
                return False  # the one statement `committed_alone` lets stand alone
            raise RuntimeError("committed_alone covers one statement: a second would not commit with it")
        # A simple query, as psycopg sends its own BEGIN (never prepared).
        cursor.execute("BEGIN", prepare=False)
    return False


@contextmanager
def committed_alone():
    """Inside, the statement sent on the session's connection is committed by itself, without a
    transaction around it (PostgreSQL's autocommit: one round trip instead of BEGIN, the statement
    and COMMIT), when nothing else would be committed with it: no transaction open (nothing
    written yet) and no changes of the ORM's waiting to be flushed by the commit. Otherwise, and
    on SQLite, it goes in the transaction as any other. For one statement (an audit event of a
    page that only read, app/audit.py; a person's activity, app/sessions.py): a second statement
    that writes inside would be committed apart from the first, so it is refused (RuntimeError);
    anything to be committed with the statement must be written before it, and then it joins
    that transaction. The caller commits the session after it as before, which then sends
    nothing (or, on SQLite, commits the statement)."""
    session = db.session()
    connection = session.connection()
    if connection.dialect.driver != "psycopg" or not _alone_is_safe(session, connection):
        yield
        return
    driver_connection = connection.connection.driver_connection
    setattr(driver_connection, _ALONE, True)
    try:
        yield
    finally:
        delattr(driver_connection, _ALONE)


def _alone_is_safe(session, connection) -> bool:
    driver_connection = connection.connection.driver_connection
    # `_is_clean`: the session's own test of whether a flush has anything to write (nothing
    # new, deleted or modified), without building the sets `new`, `dirty` and `deleted` give.
    return (driver_connection.autocommit and driver_connection.pgconn.transaction_status == _PG_IDLE
            and session._is_clean())


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
