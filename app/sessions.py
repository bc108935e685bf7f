"""Server-side sessions on top of Flask-Login: renewable, revocable, with idle and absolute limits."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import UserMixin, current_user, login_url, login_user, logout_user
from flask_login.utils import _user_context_processor
from sqlalchemy import Select, bindparam, inspect, select, update
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from .extensions import committed_alone, db, login_manager
from .models import PatientProfile, Role, Team, User, UserSession, WithRole
from .plain_rows import read_rows
from .timeutil import utcnow

# Touching the session row on every request would turn every page view into a write, so
# it is touched at most this often (and never less than a tenth of the idle timeout).
TOUCH_EVERY = timedelta(seconds=30)
# How long a form posted after a timeout waits on the server for the person to sign in again.
KEPT_POST_LIFETIME = timedelta(hours=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, method: str) -> UserSession:
    """Sign a person in with a brand new session (the old cookie contents are discarded).

    Any session this browser already had is ended on the server too, so a copy of the old
    cookie stops working.
    """
    old_token = session.get("sid")
    kept_post = kept_post_at = None
    if old_token:
        old = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(old_token)))
        if old is not None:
            # A form this person posted after timing out moves to their new session; anyone
            # else signing in on this browser never gets it.
            if old.user_id == user.id and old.kept_post is not None and old.kept_post_at > utcnow() - KEPT_POST_LIFETIME:
                kept_post, kept_post_at = old.kept_post, old.kept_post_at
            old.kept_post = old.kept_post_at = None
            if old.revoked_at is None:
                old.revoked_at = utcnow()
    session.clear()
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        method=method,
        user_agent=(request.user_agent.string or "")[:300],
        kept_post=kept_post,
        kept_post_at=kept_post_at,
    )
    db.session.add(record)
    db.session.commit()
    session["sid"] = token
    session.permanent = True
    login_user(user)
    return record


def end_session() -> None:
    record = current_session()
    if record is not None:
        _write_session(record, revoked_at=utcnow())
        db.session.commit()
    logout_user()
    session.clear()


def end_all_sessions(user: User) -> int:
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), kept_post=None, kept_post_at=None)
    )
    db.session.commit()
    return result.rowcount


def keep_post_for_next_sign_in(payload: dict) -> bool:
    """Keep a form posted after this browser's session timed out on the server (on the session
    row its cookie still names), for `take_kept_post` once the same person signs in again.
    False when the cookie names no session of the person it says (nothing is kept)."""
    token, user_id = session.get("sid"), session.get("_user_id")
    if not token or not user_id:
        return False
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if record is None or str(record.user_id) != user_id:
        return False
    now = utcnow()
    # Answers nobody came back for are not kept past their lifetime.
    db.session.execute(
        update(UserSession).where(UserSession.kept_post_at < now - KEPT_POST_LIFETIME)
        .values(kept_post=None, kept_post_at=None)
        .execution_options(synchronize_session=False)
    )
    record.kept_post, record.kept_post_at = payload, now
    db.session.commit()
    return True


def take_kept_post() -> dict | None:
    """The form the signed-in person posted before their last session timed out, once (it is
    removed as it is read), or None when there is none or it has expired. Not committed."""
    record = current_session()
    if record is None or record.kept_post is None:
        return None
    _write_session(record, kept_post=None, kept_post_at=None)
    g.user_session = record.without_kept_post()
    return record.kept_post if record.kept_post_at > utcnow() - KEPT_POST_LIFETIME else None


@dataclass(frozen=True, slots=True)
class SignedInSession:
    """The session row this request's cookie names, as read with the person on every request:
    values rather than a tracked `UserSession` (loading one cost as much as the rest of the
    statement). It is changed in the database by `_write_session`, never through this object."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    kept_post: dict[str, Any] | None
    kept_post_at: datetime | None

    def without_kept_post(self) -> SignedInSession:
        return SignedInSession(self.id, self.created_at, self.last_seen_at, None, None)


def _write_session(record: SignedInSession, *only_if, **values) -> None:
    """Change the signed-in session's row in the current transaction (committed by the caller),
    if it still matches `only_if`. A revoked session is never written again: one revoked
    elsewhere since this request read it stays revoked as it was. Pending changes are not flushed
    first: a save's own rows are for its commit to write, where a repeated save's stored key is
    recognised (idempotency), not for this write to meet as an error."""
    with db.session.no_autoflush:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == record.id, UserSession.revoked_at.is_(None), *only_if)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _write_activity(record: SignedInSession, at: datetime) -> None:
    """Record the person's activity at `at`, unless a later time has been written meanwhile (their
    other request, in another tab, finished first): the idle timeout never counts from earlier."""
    _write_session(record, UserSession.last_seen_at < at, last_seen_at=at)


def current_session(request_globals=None) -> SignedInSession | None:
    """The request's session row, as read at its start. `request_globals`: the request's `g`,
    when the caller has looked it up already."""
    return (g if request_globals is None else request_globals).get("user_session")


def session_seconds_left(request_globals=None, idle: int | None = None) -> int:
    """Seconds until the idle timeout as the server counts it, for the page's warning timer.
    The layout passes the request's `g` and the idle limit it has read already (each a look-up
    through Flask's proxies otherwise)."""
    if idle is None:
        idle = current_app.config["SESSION_IDLE_SECONDS"]
    last_seen_at = (g if request_globals is None else request_globals).get("session_last_seen_at")
    if last_seen_at is None:
        return idle
    return max(0, int(idle - (utcnow() - last_seen_at).total_seconds()))


def touch_session() -> None:
    record = current_session()
    if record is not None:
        g.session_last_seen_at = utcnow()
        _write_activity(record, g.session_last_seen_at)
        db.session.commit()


# Where `read_with_the_session` keeps the figures, in app.extensions.
_FIGURES_KEY = "figures_read_with_the_session"


def read_with_the_session(app: Flask, name: str, column_of_user_id) -> None:
    """A figure every page shows in its header (an area's, such as the unread messages count),
    read in the statement that loads the session rather than in one of its own: `column_of_user_id`
    turns the session's user id column into a scalar subquery. The value is kept as `g.<name>`
    for pages; JSON calls render no header, so they never read it."""
    app.extensions.setdefault(_FIGURES_KEY, {})[name] = column_of_user_id


class RecordValues(dict):
    """A record's columns as read with the session, by attribute name, read-only: answering both
    as a record does (`team.out_of_hours_phone`) and as a mapping (`team["name"]`, `**team`), so
    that code reading a team gets the same answer from these values as from a tracked `Team`
    without a way of its own to read each. A dict underneath (a key read, and copying the values
    into a record made from them, stay C's own work); its changing methods refuse. A column
    named like a dict method is read by key (`__getattr__` is asked only for names a dict lacks)."""

    # Set once, when the values are made: a second __init__ would refill them in place.
    __slots__ = ("_made",)

    def __init__(self, *args, **kwargs) -> None:
        try:
            RecordValues._made.__get__(self)
        except AttributeError:
            dict.__init__(self, *args, **kwargs)
            object.__setattr__(self, "_made", True)
        else:
            self._read_only()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a record's values read with the session are read-only: {name}")

    def __reduce__(self):
        # copy, deepcopy and pickle make a new one from the values: rebuilding a dict subclass
        # item by item would go through the refused __setitem__.
        return (RecordValues, (dict(self),))

    def _read_only(self, *_args, **_kwargs):
        raise TypeError("a record's values read with the session are read-only")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only


@dataclass(frozen=True, slots=True)
class SignedInPatient:
    """The signed-in patient's record as values: `values` its columns, `team` and `key_worker`
    theirs (`RecordValues`: by attribute or by key, read-only). The layout reads their team's
    24-hour line from it; pages that work with the record get it tracked from
    `authz.current_patient`."""

    values: RecordValues
    team: RecordValues
    key_worker: RecordValues | None

    @property
    def id(self) -> int:
        return self.values["id"]

    @property
    def team_id(self) -> int:
        return self.values["team_id"]


@dataclass(frozen=True, slots=True, eq=False)
class SignedInUser(UserMixin, WithRole):
    """The person this request's session belongs to, as `current_user`: values read with the
    session (`_load_user`) rather than a tracked `User` with their team and record (the ORM's
    loading of those cost several times the statement). Equal to their `User` (UserMixin compares
    ids). Code that sets them on a record, or reads their passkeys or password, uses
    `current_user_record`."""

    id: int
    role: Role
    display_name: str
    team_id: int | None
    webauthn_user_handle: bytes
    patient_profile: SignedInPatient | None


def signed_in_person():
    """The person this request is for, as `current_user` answers (Flask-Login's `_get_user`): the
    person Flask-Login keeps in `g` once it has loaded them (every request has, before its view:
    `load_the_session_before_the_view`; signing in or out replaces them there), read in one
    look-up rather than through the proxy's (~12 Python calls each time, three or four times a
    page). Loaded as Flask-Login loads them when they are not there yet."""
    person = g._get_current_object().__dict__.get("_login_user")
    return person if person is not None else current_user._get_current_object()


def _signed_in_person_for_templates() -> dict:
    # Flask-Login's context processor (`_user_context_processor`: the same `current_user` value),
    # through `signed_in_person`.
    return {"current_user": signed_in_person()}


def current_user_record() -> User:
    """The signed-in person as their tracked `User`, for the writes that set them on a record
    (an author, an assignee) and the pages that read what only the record holds (passkeys,
    password). From the session's identity map when a page already has it; a query otherwise."""
    return db.session.get(User, current_user.id)


def tracked(model, values: Mapping[str, Any], **related):
    """The tracked record of `model` with these column values (as read in this transaction; any
    column not among them is read, with the others missing, when first asked for), without a
    query: the one already in the session if there is one. `related`:
    records its relationships hold (unless the session has them loaded already), so that reading
    them makes no query either.

    A new record is made as the ORM makes one from a row it has loaded (sqlalchemy.orm.loading
    `_instance` and `_populate_full`): its identity key, its session and the identity map set
    directly, its values and related records written into its dict as loaded, the columns not read
    marked expired (read together when first asked for). This is what `make_transient_to_detached`
    and `Session.add` ended in, without their general work for any object (the save-update
    cascade over every relationship, which has nothing to do for a record whose relationships are
    all unloaded; each attribute expired one by one): a third of a patient page's fixed cost was
    those two for three records (issue 12)."""
    return tracked_in(db.session(), model, values, related)


def tracked_in(session, model, values: Mapping[str, Any], related: Mapping[str, Any]):
    """`tracked`, in this session (the request's `db.session()`, looked up once by a caller that
    makes several records: each look-up of the scoped session is seven Python calls)."""
    identity_map = session.identity_map
    identity_class, unread = _tracking_of(model, tuple(values))
    key = (identity_class, (values["id"],), None)
    record = identity_map.get(key)
    if record is not None:
        if related:
            unloaded = inspect(record).unloaded
            for relationship, value in related.items():
                if relationship in unloaded:
                    set_committed_value(record, relationship, value)
        return record
    record = model.__mapper__.class_manager.new_instance()
    state = instance_state(record)
    loaded = state.dict
    loaded.update(values)
    loaded.update(related)
    state.key, state.identity_token = key, None
    if unread:
        state.expired_attributes.update(unread)
    # A record in a session that has no transaction yet begins one, as `Session.add` did.
    session._autobegin_t()
    state.session_id = session.hash_key
    identity_map._add_unpresent(state, key)
    return record


@lru_cache(maxsize=32)
def _tracking_of(model, keys: tuple[str, ...]) -> tuple:
    """The identity class of `model`'s records and the columns a record made from values with these
    keys has not read (expired: read together on first use, as `make_transient_to_detached` left
    them)."""
    mapper = model.__mapper__
    return mapper._identity_class, frozenset(attribute.key for attribute in mapper.column_attrs) - set(keys)


def read_tracked(model, record_id: int):
    """The tracked record of `model` with this id, or None: as `db.session.get(model, record_id)`
    gives it (the session's own when it has it, loaded as `Session.get` does), else read by one kept
    statement of its columns (`plain_rows.read_rows`) and made tracked from them (`tracked`): the
    ORM's get of a record it does not have cost ~260 Python calls, which staff pages paid on every
    request for the patient they show (issue 12). The same statement's SQL as the ORM's, one
    statement either way."""
    identity_class, _unread = _tracking_of(model, ())
    if (identity_class, (record_id,), None) in db.session().identity_map:
        return db.session.get(model, record_id)
    keys, statement = _by_id(model)
    row = read_rows(statement, {"record_id": record_id}).first()
    return None if row is None else tracked(model, dict(zip(keys, row, strict=True)))


@lru_cache(maxsize=8)
def _by_id(model) -> tuple:
    """(attribute names, the statement reading those columns of `model`'s record by its id), built
    once (kept by `read_rows`)."""
    keys = _keys(model)
    table = model.__table__
    return keys, select(*_columns(model, table, keys)).where(table.c.id == bindparam("record_id"))


# The session row's columns that every request reads, as `SignedInSession`'s fields (the
# revocation and the owner are checked in `_load_user`).
_SESSIONS = UserSession.__table__
_SESSION_COLUMNS = tuple(_SESSIONS.c[name] for name in (
    "id", "created_at", "last_seen_at", "kept_post", "kept_post_at", "revoked_at", "user_id"))


def _keys(model) -> tuple[str, ...]:
    """Every mapped column of `model`, by attribute name, in the mapper's order."""
    return tuple(attribute.key for attribute in inspect(model).column_attrs)


def _columns(model, table, keys: tuple[str, ...]) -> list:
    """The columns of `table` (the model's table or an alias of it) for these attribute names."""
    return [table.c[model.__mapper__.column_attrs[key].columns[0].name] for key in keys]


# What the session's statement reads of the person and of a patient's key worker: what every
# request uses (`SignedInUser`; a member of staff's tracked `User`; the key worker's name on a
# patient's pages), never a password hash, an email address or a passkey handle that is not
# theirs. The rest of a tracked `User` is read when first asked for (`tracked`).
_PERSON_KEYS = ("id", "role", "display_name", "team_id", "webauthn_user_handle", "active")
_KEY_WORKER_KEYS = ("id", "display_name")


@lru_cache(maxsize=1)
def _record_keys() -> tuple:
    """The attribute names read for each record in `_session_statement`'s rows: the person, their
    team, the patient's record, its team and its key worker (a record the pages work with whole:
    all of its columns)."""
    return (_PERSON_KEYS, _keys(Team), _keys(PatientProfile), _keys(Team), _KEY_WORKER_KEYS)


@lru_cache(maxsize=8)
def _session_statement(figures: tuple) -> Select:
    """One query of plain rows for what nearly every page reads: the session's columns (`SignedInSession`);
    its person's with their team's (a nurse's pages show her patients' team); for a patient, their
    record's with its team's and key worker's; and the header's `figures` ((name, column of the
    user id) pairs). Built once per set of figures with the token's hash as a bound parameter:
    building the statement cost more than running it, on every request."""
    users, own_team, profiles = User.__table__, Team.__table__.alias("own_team"), PatientProfile.__table__
    patients_team, key_worker = Team.__table__.alias("patients_team"), User.__table__.alias("key_worker")
    columns = [_columns(model, table, keys) for model, table, keys in zip(
        (User, Team, PatientProfile, Team, User), (users, own_team, profiles, patients_team, key_worker),
        _record_keys(), strict=True)]
    return (
        select(*_SESSION_COLUMNS, *(column for record in columns for column in record),
               *(column(_SESSIONS.c.user_id).label(name) for name, column in figures))
        .join(users, users.c.id == _SESSIONS.c.user_id)
        .outerjoin(own_team, own_team.c.id == users.c.team_id)
        .outerjoin(profiles, profiles.c.user_id == users.c.id)
        .outerjoin(patients_team, patients_team.c.id == profiles.c.team_id)
        .outerjoin(key_worker, key_worker.c.id == profiles.c.key_worker_id)
        .where(_SESSIONS.c.token_hash == bindparam("token_hash"))
    )


@lru_cache(maxsize=1)
def _row_layout() -> tuple:
    """Where each record's columns are in `_session_statement`'s rows: (keys, start) for the
    person, their team, the patient's record, its team and its key worker."""
    layout, start = [], len(_SESSION_COLUMNS)
    for keys in _record_keys():
        layout.append((keys, start))
        start += len(keys)
    return tuple(layout)


def _values(row, keys: tuple[str, ...], start: int) -> RecordValues | None:
    """A record's columns from the row, or None when the outer join found none."""
    if row[start] is None:
        return None
    return RecordValues(zip(keys, row[start:start + len(keys)], strict=True))


def _records(row) -> list:
    """The columns, by attribute name, of the records in a row of `_session_statement` (None where
    the outer join found none): the person, their team, the patient's record, its team and its
    key worker."""
    return [_values(row, keys, start) for keys, start in _row_layout()]


def _signed_in_user(user, profile, patients_team, key_worker) -> SignedInUser:
    patient = None if profile is None else SignedInPatient(profile, patients_team, key_worker)
    return SignedInUser(user["id"], user["role"], user["display_name"], user["team_id"],
                        user["webauthn_user_handle"], patient)


def _tracked_staff(user, team) -> tuple:
    """A member of staff's own `User` and team, tracked for the request (kept in `g`; no query):
    her pages' records name her (a key worker, an author, an assignee) and her team, and the
    session finds them there rather than reading each, as when `current_user` was her `User`."""
    session = db.session()  # looked up once for the two records
    team = team and tracked_in(session, Team, team, {})
    return tracked_in(session, User, user, {"team": team, "patient_profile": None}), team


def _load_user(user_id: str) -> SignedInUser | None:
    # The request's `g`, app and session taken once: each name of Flask's proxies is a look-up of
    # the context (issue 12: a tenth of this function's calls were those look-ups).
    request_globals, cookie = g._get_current_object(), session._get_current_object()
    token = cookie.get("sid")
    if not token:
        return None
    from .errors import wants_json

    app = current_app._get_current_object()
    figures = () if wants_json() else tuple(app.extensions.get(_FIGURES_KEY, {}).items())
    row = read_rows(_session_statement(figures), {"token_hash": _hash(token)}).first()
    # By position: the records' columns repeat names (id, user_id, active...).
    if row is None or str(row[6]) != user_id or row[5] is not None:
        return None
    record = SignedInSession(row[0], row[1], row[2], row[3], row[4])
    now = utcnow()
    idle, (idle_limit, absolute_limit) = now - record.last_seen_at, _limits(app.config)
    if idle > idle_limit or now - record.created_at > absolute_limit:
        _write_session(record, revoked_at=now)
        db.session.commit()
        request_globals.session_timed_out = True
        return None
    user_values, team, profile, patients_team, key_worker = _records(row)
    if not user_values["active"]:
        return None
    user = _signed_in_user(user_values, profile, patients_team, key_worker)
    request_globals.user_session = record
    # The figures are the row's last columns, in their order.
    for (name, _column), value in zip(figures, row[len(row) - len(figures):], strict=True):
        setattr(request_globals, name, value)
    # Kept as a value for the page's timer, which reads it while rendering.
    request_globals.session_last_seen_at = record.last_seen_at
    # Touched at most every TOUCH_EVERY, and never less often than a tenth of the idle timeout.
    if idle > min(TOUCH_EVERY, idle_limit / 10):
        request_globals.session_last_seen_at = now
        if _view_carries_the_touch():
            # Written with the view's own commit (`touch_with_this_commit`), or at the end of the
            # request if it stored nothing: one commit, not two. Not written now: on SQLite the
            # write would hold the database's write lock for the whole view.
            request_globals.session_touch_due = now
        else:
            # Nothing is written before it: on PostgreSQL one statement committed as it runs
            # (`committed_alone`: one round trip, not BEGIN, UPDATE and COMMIT).
            with committed_alone():
                _write_activity(record, now)
            db.session.commit()
            # That commit ended the transaction the values were read in, and another's change may
            # have landed since: the records are read again where asked (`current_patient`, the
            # staff's own below), never made from the earlier values (a version an edit is
            # checked against, the team a red flag goes to). At most once every TOUCH_EVERY.
            session_values_predate_this_transaction()
    if user.is_staff and not request_globals.get("session_values_predate_a_commit"):
        request_globals.staff_records = _tracked_staff(user_values, team)
    return user


def _limits(config) -> tuple[timedelta, timedelta]:
    """The idle and absolute limits of a session, as timedeltas (made once per setting)."""
    return _limits_of(config["SESSION_IDLE_SECONDS"], config["SESSION_ABSOLUTE_SECONDS"])


@lru_cache(maxsize=8)
def _limits_of(idle_seconds: int, absolute_seconds: int) -> tuple[timedelta, timedelta]:
    return timedelta(seconds=idle_seconds), timedelta(seconds=absolute_seconds)


def session_values_are_current(request_globals=None) -> bool:
    """Whether records may be made from the values read with the session (`tracked`): not once
    the transaction they were read in has ended (`session_values_predate_this_transaction`).
    `request_globals`: the request's `g`, when the caller has looked it up already."""
    return not (g if request_globals is None else request_globals).get("session_values_predate_a_commit", False)


def session_values_predate_this_transaction() -> None:
    """The transaction the session's values were read in has ended, committed (the session's
    activity) or rolled back (a save run again after a write clash, `write_with_retries`): from
    now on, this request reads the person's records again where asked (`authz.current_patient`,
    `authz.signed_in_patient`) instead of making them from those values, which may predate
    another's change committed since (a team's response targets, the person's pathway)."""
    g.session_values_predate_a_commit = True


# ---------------------------------------------------------------- the touch, with a save's commit


def carries_the_session_touch(view):
    """Mark a view that ends by committing its own transaction or rolling it back (every JSON save,
    through `idempotency.idempotent`): a write of the session's activity that is due then goes with
    that commit (`touch_with_this_commit`) instead of a commit of its own before the view; on
    SQLite each commit is an fsync, and a phone's saves are often far enough apart to be due."""
    view.carries_the_session_touch = True
    return view


def _view_carries_the_touch() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "carries_the_session_touch", False)


def touch_with_this_commit() -> None:
    """Put the session's due activity into the transaction about to be committed. If that commit
    fails, it is due still (the next attempt, or the end of the request, writes it)."""
    # The request's globals looked up once (every save and audited read asks, through the proxy
    # twice before): the due time and the session row.
    request_globals = g._get_current_object()
    due, record = request_globals.get("session_touch_due"), current_session(request_globals)
    if due is not None and record is not None:
        _write_activity(record, due)


def touch_committed() -> None:
    """The commit that `touch_with_this_commit` prepared has happened."""
    g._get_current_object().pop("session_touch_due", None)


def commit_with_the_touch() -> None:
    """Commit the current transaction with the session's due activity in it: one commit (on
    PostgreSQL, when the transaction holds nothing else, the one statement committed as it runs)."""
    with committed_alone():
        touch_with_this_commit()
    db.session.commit()
    touch_committed()


def _write_a_touch_still_due(response):
    """The end of a request whose view carried the touch but stored nothing (refused, or answered
    from an earlier save): the activity is written alone, as it would have been before the view.
    The view has committed or rolled back by now; the rollback only makes sure that nothing it
    left half done is committed with the touch."""
    # The request's globals looked up once, not through the proxy (every request ends here).
    request_globals = g._get_current_object()
    if request_globals.get("session_touch_due") is not None and current_session(request_globals) is not None:
        db.session.rollback()
        commit_with_the_touch()
    return response


def _unauthorized():
    """Not signed in (or the session ended): scripts get a 401, people the sign-in page."""
    from .errors import signed_out, wants_json

    timed_out = g.get("session_timed_out", False)
    if wants_json():
        return signed_out()
    if timed_out:
        return redirect(url_for(login_manager.login_view, timeout=1))
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def init_sessions(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"
    # Sessions are tracked on the server, so Flask-Login's own session protection would only
    # sign people out when a phone changes network.
    login_manager.session_protection = None

    app.after_request(_write_a_touch_still_due)
    processors = app.template_context_processors[None]
    processors[:] = [_signed_in_person_for_templates if processor is _user_context_processor else processor
                     for processor in processors]

    @app.before_request
    def load_the_session_before_the_view() -> None:
        # Before the view, so that a page the view never asked about the person (an error page)
        # does not load the session, and the header's figures, first inside its template.
        current_user._get_current_object()
    app.jinja_env.globals["session_idle_seconds"] = lambda: app.config["SESSION_IDLE_SECONDS"]
    app.jinja_env.globals["session_warning_seconds"] = lambda: app.config["SESSION_WARNING_SECONDS"]
    app.jinja_env.globals["session_seconds_left"] = session_seconds_left
