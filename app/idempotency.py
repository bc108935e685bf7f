"""The one idempotency mechanism: a retried or double-tapped request never acts twice.

A JSON view decorated with `idempotent` must be sent an `Idempotency-Key` header. The first
response is stored with a fingerprint of the request; a retry with the same key and body gets
the stored response, and the same key with a different body is refused with 422.

A page form that must act once (adding a test to a schedule) carries a one-time token from
`new_form_token` and does its work through `add_once`: the same record type, keyed by the token,
claimed in the same transaction before the form's work is done, and so stored with what it made.

Saves that arrive at the same moment (two tabs, or one key sent again while the first is still
being written) are run again on a fresh transaction when the database reports the clash, so
each gets a defined answer: saved, the stored answer of the same key, or, if the clash outlasts
a few attempts, a 409 `busy` with Retry-After that the offline outbox waits for and retries.
"""
from __future__ import annotations

import enum
import hashlib
import json
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache, wraps
from typing import Any, Callable

from flask import Request, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import (
    ForeignKey, Insert, Integer, JSON, Select, String, UniqueConstraint, Update, and_, bindparam, insert, or_, select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from .errors import json_error
from .extensions import db
from .plain_rows import read_rows, write_row
from .sessions import (
    carries_the_session_touch, session_values_predate_this_transaction, touch_committed, touch_with_this_commit,
)
from .timeutil import UTCDateTime, utcnow

# A client's Idempotency-Key: never a ':', which is the server's own, in the key of a form token's
# record (`add_once`: "<scope>:<token>", in the same table and the same person's keys), so that no
# key a client sends can name such a record and be answered from it, or store an answer in its
# place. Phones make theirs with crypto.randomUUID() or in hex (static/js/form-outbox.js newKey).
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.-]{8,100}")
# Each clash means another save has just been committed, so a fresh attempt usually succeeds.
ATTEMPTS = 4
BUSY_RETRY_AFTER_SECONDS = 2
# Answers that say nothing was done and may differ on a retry (signed out, refused, a clash,
# too many requests; and any 5xx): never stored.
NOT_STORED = frozenset({401, 403, 409, 429})
# A form token's record as claimed (`_claim`), before the form's answer is written into it: the
# status its page's post answers with (303, see other).
CLAIM_STATUS = 303
# PostgreSQL: serialization failure, deadlock, lock not available.
_CONTENTION_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# A form token claimed inside an `idempotent` view, and what its form made: (claimed by, its
# record's key, the content's fingerprint, what `make` returned), for `_store` to write.
_AnswerDue = tuple[int, str, str, dict[str, Any]]
# Set by `idempotent` around each attempt of its view: the answers `add_once` leaves for `_store`.
# Outside such a view (a page's post) None, and `add_once` writes its answer itself.
_ANSWERS_DUE: ContextVar[list[_AnswerDue] | None] = ContextVar("form_token_answers_due", default=None)


def _fingerprint(current: Request) -> str:
    body = current.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")) if body is not None else current.get_data(as_text=True)
    return hashlib.sha256(f"{current.method} {current.path}\n{canonical}".encode()).hexdigest()


def _find(user_id: int, key: str):
    """The person's record of `key` as plain values (what `_replay` and `add_once` read of it:
    its fingerprint, status and stored answer), or None. Read by a statement built once, kept
    compiled (`plain_rows.read_rows`): building the ORM query and loading the record was 366
    Python calls of every symptom sent with its form token (issue 12)."""
    return read_rows(_find_statement(), {"user_id": user_id, "key": key}).first()


@cache
def _find_statement() -> Select:
    records = IdempotencyRecord.__table__
    return (select(records.c.request_fingerprint, records.c.status_code, records.c.response)
            .where(records.c.user_id == bindparam("user_id", type_=Integer),
                   records.c.key == bindparam("key", type_=String)))


def _store(user_id: int, key: str, fingerprint: str, status_code: int, response: dict[str, Any],
           answers_due: list[_AnswerDue] = ()) -> bool:
    """The record, inserted at once by a statement built once, in the session's transaction
    (issue 12: added to the session, it cost the ORM's unit of work at commit, a third of an
    empty JSON save's own time; sent through Core's execution, about 95 Python calls a save),
    through `plain_rows.write_row`, kept compiled and sent to the driver: its time is given here
    (a default computed by Core would keep it from being kept). Nothing pending is flushed first,
    as before: a Core INSERT never autoflushed.

    With `answers_due` (form tokens the view claimed through `add_once`, and what each made), the
    same statement writes each into its claim (`_store_with_answers_statement`). False when the
    key is stored already (the upsert passes its row over instead of failing: only a claim's row
    may be updated); a key stored already without answers due fails on the unique key
    (IntegrityError), as before."""
    values = {"user_id": user_id, "key": key, "request_fingerprint": fingerprint, "status_code": status_code,
              "response": response, "created_at": utcnow()}
    if not answers_due:
        write_row(_store_statement(), values)
        return True
    for number, (claimed_by, claimed_key, claimed_fingerprint, made) in enumerate(answers_due):
        values |= {f"claimed_by_{number}": claimed_by, f"claimed_key_{number}": claimed_key,
                   f"claimed_fingerprint_{number}": claimed_fingerprint, f"made_{number}": made}
    statement = _store_with_answers_statement(_dialect_name(), len(answers_due))
    # Each claim's row is updated (its claim is this transaction's own), the key's inserted: one
    # row written each, or the key was there (PostgreSQL: committed by a request that held it
    # until now).
    return write_row(statement, values) == 1 + len(answers_due)


@cache
def _store_statement() -> Insert:
    # inline(): nothing reads the record's id, so no RETURNING of it (PostgreSQL and SQLite
    # would send it back, and SQLAlchemy would read it, on every save).
    return insert(IdempotencyRecord.__table__).inline()


@cache
def _store_with_answers_statement(dialect_name: str, claims: int) -> Insert:
    """The key's record and what each of `claims` form tokens claimed in this transaction made,
    in one statement (issue 12: the answer's own UPDATE was one statement of every symptom sent
    with its form token, a round trip on PostgreSQL): an INSERT of the key's row and each claim's,
    whose clash on (user_id, key) updates a claim's answer only, the row named as a claim with
    its fingerprint (a client's key never holds the ':' of a claim's, KEY_PATTERN); a clash of
    the key's row writes nothing, and `_store` counts the rows written. Built once per database
    and number of claims; no RETURNING (inline), as `_store_statement`."""
    records = IdempotencyRecord.__table__
    c = records.c
    rows = [{"user_id": bindparam("user_id", type_=Integer), "key": bindparam("key", type_=String),
             "request_fingerprint": bindparam("request_fingerprint", type_=String),
             "status_code": bindparam("status_code", type_=Integer),
             "response": bindparam("response", type_=c.response.type),
             "created_at": bindparam("created_at", type_=c.created_at.type)}]
    rows += [{"user_id": bindparam(f"claimed_by_{number}", type_=Integer),
              "key": bindparam(f"claimed_key_{number}", type_=String),
              "request_fingerprint": bindparam(f"claimed_fingerprint_{number}", type_=String),
              "status_code": CLAIM_STATUS, "response": bindparam(f"made_{number}", type_=c.response.type),
              "created_at": bindparam("created_at", type_=c.created_at.type)} for number in range(claims)]
    statement = _UPSERT_INSERT[dialect_name](records).values(rows).inline()
    excluded = statement.excluded
    a_claim = or_(*(and_(excluded.user_id == bindparam(f"claimed_by_{number}", type_=Integer),
                         excluded.key == bindparam(f"claimed_key_{number}", type_=String))
                    for number in range(claims)))
    return statement.on_conflict_do_update(
        index_elements=["user_id", "key"], set_={"response": excluded.response},
        where=and_(a_claim, c.request_fingerprint == excluded.request_fingerprint))


def _replay(record, fingerprint: str):
    if record.request_fingerprint != fingerprint:
        return json_error(422, "key_reused", "This Idempotency-Key was already used for a different request.")
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


class Busy(Exception):
    """The same record kept changing under every attempt: ask the sender to try again shortly."""


def busy_response():
    return json_error(409, "busy", "Your answer is being saved by another request. Trying again.",
                      headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}, retry_after=BUSY_RETRY_AFTER_SECONDS)


def is_write_clash(exc: Exception) -> bool:
    """True for errors that mean another transaction wrote the same rows at the same moment
    (and so a fresh attempt can succeed), not for a fault in the request or the database."""
    if isinstance(exc, (StaleDataError, IntegrityError)):
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        if getattr(orig, "sqlstate", None) in _CONTENTION_SQLSTATES:
            return True
        return "database is locked" in str(orig)  # SQLite: another writer holds the file
    return False


def write_with_retries(attempt):
    """Run `attempt()` (which writes, commits and returns a result) until it does not clash with
    a concurrent write; each new attempt starts on a fresh transaction, and reads the person's
    records again rather than making them from the values read with the session before the clash
    (the clashing write, or another, may have changed them). Raises Busy after ATTEMPTS clashes.
    Nothing more is read when the first attempt succeeds."""
    for number in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except Exception as exc:  # noqa: BLE001  (only write clashes are retried)
            db.session.rollback()
            if not is_write_clash(exc):
                raise
            session_values_predate_this_transaction()
            current_app.logger.info("Write clash on %s (attempt %d): %s", request.path, number, type(exc).__name__)
    raise Busy()


def idempotent(view):
    """For JSON views returning (dict, status). Needs a signed-in user.

    Nearly every key is new, so the first attempt does not look for it: the view runs and its
    answer is stored under the key in the same transaction. A key already stored fails that
    insert on the unique key, everything the view did is rolled back, and what was answered is
    answered again (a replay, logged at debug); any other clash on commit is a write clash, and
    the next attempt looks first. An attempt that ends without storing (the view refused,
    or raised) also looks before answering, so a retry of a save that was made is always told
    so, whatever the view would say now."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        # The request and the person through their proxies once (each read of a proxy looks its
        # object up again: issue 12, a save's every Python call counts).
        current = request._get_current_object()
        key = current.headers.get("Idempotency-Key", "")
        if not KEY_PATTERN.fullmatch(key):
            return json_error(400, "idempotency_key_required",
                              "Send an Idempotency-Key header of 8 to 100 letters, numbers or -_.")
        fingerprint = _fingerprint(current)
        user_id = current_user._get_current_object().id
        attempts = iter(range(ATTEMPTS))

        def stored_answer():
            existing = _find(user_id, key)
            if existing is None:
                return None
            # A retry or a double tap: routine, so not worth more than a debug line.
            current_app.logger.debug("Idempotency-Key %s on %s: %s", "replayed" if existing.request_fingerprint
                                     == fingerprint else "reused for a different request", current.path, key)
            return _replay(existing, fingerprint)

        def attempt():
            if next(attempts) > 0:
                replay = stored_answer()
                if replay is not None:
                    return replay
            # What the view's `add_once` claims made, written with its answer (`_store`).
            answers_due: list[_AnswerDue] = []
            collecting = _ANSWERS_DUE.set(answers_due)
            try:
                body, status = view(*args, **kwargs)
            except Exception:
                db.session.rollback()
                replay = stored_answer()
                if replay is not None:
                    return replay
                raise
            finally:
                _ANSWERS_DUE.reset(collecting)
            if status >= 500 or status in NOT_STORED:
                db.session.rollback()
                replay = stored_answer()
                return replay if replay is not None else (jsonify(body), status)
            # The session's activity, when due, goes in the same commit: one fsync per save.
            touch_with_this_commit()
            try:
                # Stored in the same transaction as the view's changes: when the same key races
                # itself, or comes again, only one passes the unique key and the others run
                # again, find it and answer what it answered.
                stored = _store(user_id, key, fingerprint, status, body, answers_due)
                if stored:
                    db.session.commit()
                else:
                    not_stored = StaleDataError(f"Idempotency-Key {key} was stored by another request")
            except IntegrityError as clash:
                stored, not_stored = False, clash
            if not stored:
                # Most often the key itself, stored already: a replay, answered as stored. Any
                # other unique key is a write clash, for write_with_retries to log and retry.
                db.session.rollback()
                replay = stored_answer()
                if replay is None:
                    raise not_stored
                return replay
            touch_committed()
            response = jsonify(body)
            response.status_code = status
            return response

        try:
            return write_with_retries(attempt)
        except Busy:
            return busy_response()

    return carries_the_session_touch(wrapped)


# ---------------------------------------------------------------- page forms that act once

FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_token() -> str:
    """A one-time token for each rendered form whose post must act once."""
    return secrets.token_urlsafe(16)


class Once(enum.Enum):
    MADE = "made"                # done now
    ALREADY = "already"          # this form, with this content, was done a moment ago (a double click or a retry)
    TOKEN_USED = "token_used"    # this form was already used for something else (e.g. after going back a page)
    OUT_OF_DATE = "out_of_date"  # the page carried no usable token (a page from before tokens, or not a browser)


@dataclass(frozen=True)
class OnceResult:
    status: Once
    made: dict[str, Any] | None = None  # what `make` returned, now or the first time


def _content_fingerprint(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def add_once(user_id: int, scope: str, token: str | None, content: dict[str, Any],
             make: Callable[[], dict[str, Any]]) -> OnceResult:
    """Run `make` (which adds records, flushes and returns a JSON-able dict naming what it made)
    at most once for this person, scope and form token. The token is claimed first, with a
    fingerprint of `content`, in the caller's transaction (`_claim`): only the claim that
    stores it runs `make`, and what `make` made is written into the claim (`_answer_made`; in an
    `idempotent` view, by the statement storing the view's answer, `_store`).
    When the same form arrives twice, even at the same moment, the unique key lets one claim
    through; the other (PostgreSQL: waiting until the first commits; SQLite: the first holds
    the write lock) stores nothing and is told what the first made, so nothing is ever made
    to be rolled back. The caller commits; if `make` raises, the caller's transaction is
    rolled back with its claim (no caller catches what `make` raises: a page's error, or
    `write_with_retries` for a JSON save).

    Claimed first, rather than looked for and then stored in a savepoint with what was made:
    the look-up, SAVEPOINT and RELEASE were three of a symptom sent's statements and about 680
    of its Python calls, for a clash a unique key decides by itself (issue 12)."""
    token = (token or "").strip()
    if not FORM_TOKEN.fullmatch(token):
        return OnceResult(Once.OUT_OF_DATE)
    key, fingerprint = f"{scope}:{token}", _content_fingerprint(content)
    if not _claim(user_id, key, fingerprint):
        earlier = _find(user_id, key)
        if earlier is None:
            # Claimed by a transaction this one cannot see yet (never under READ COMMITTED, nor
            # on SQLite's one writer at a time): a write clash, so a JSON save runs again.
            raise StaleDataError(f"form token {key} claimed by a transaction not yet visible")
        if earlier.request_fingerprint != fingerprint:
            return OnceResult(Once.TOKEN_USED)
        return OnceResult(Once.ALREADY, earlier.response)
    made = make()
    answers_due = _ANSWERS_DUE.get()
    if answers_due is None:
        _answer_made(user_id, key, made)
    else:
        # Inside an `idempotent` view: written into the claim by the statement that stores the
        # view's answer, in this same transaction, before anything commits (the views commit
        # only there), so a post of the same form that waited for the claim finds it answered.
        answers_due.append((user_id, key, fingerprint, made))
    return OnceResult(Once.MADE, made)


def _claim(user_id: int, key: str, fingerprint: str) -> bool:
    """Store the form token's record, unless the person's record of `key` exists: True when
    stored (this transaction makes what the form asks). Its answer is written by `_answer_made`
    once made. Kept compiled (`plain_rows.write_row`), as `_store`."""
    return write_row(_claim_statement(_dialect_name()), {
        "user_id": user_id, "key": key, "request_fingerprint": fingerprint, "status_code": CLAIM_STATUS,
        "response": {}, "created_at": utcnow(),
    }) == 1


def _dialect_name() -> str:
    """The database's dialect, for the statements each database spells its own way: the app's one
    engine's, which every session statement goes to (no binds), read there rather than through
    the session's connection (`write_row` gets that; asking for it here as well was 22 Python
    calls, the engine 8: issue 12)."""
    return db.engine.dialect.name


# INSERT ... ON CONFLICT (user_id, key) DO NOTHING, as each database spells it (SQLite 3.24 and
# PostgreSQL 9.5 on): a claim refused is no error, so no savepoint is needed to go on after it.
_UPSERT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@cache
def _claim_statement(dialect_name: str) -> Insert:
    # inline(): no RETURNING of the id, as `_store_statement`.
    return (_UPSERT_INSERT[dialect_name](IdempotencyRecord.__table__)
            .on_conflict_do_nothing(index_elements=["user_id", "key"]).inline())


def _answer_made(user_id: int, key: str, made: dict[str, Any]) -> None:
    if write_row(_answer_made_statement(), {"claimed_by": user_id, "claimed_key": key, "made": made}) != 1:
        raise StaleDataError(f"form token {key}: its claim is gone")


@cache
def _answer_made_statement() -> Update:
    records = IdempotencyRecord.__table__
    return (update(records)
            .where(records.c.user_id == bindparam("claimed_by", type_=Integer),
                   records.c.key == bindparam("claimed_key", type_=String))
            .values(response=bindparam("made", type_=records.c.response.type)))
