"""Slowing down password guessing without handing a stranger the power to lock a patient out.

Wrong passwords are counted in leaky buckets: one per account (NHS number), one per address and
one for the whole service (password spraying). A few wrong passwords are free; after that each
one makes the bucket wait longer before it is tried again, doubling up to a ceiling, and the
count leaks away on its own, so nothing ever stays locked. A refusal is an answer (429 with
Retry-After), never a worker put to sleep.

The account bucket is keyed by the NHS number typed, whether or not anyone has it, so an unknown
number, a wrong password and a delayed account look the same to a stranger. A browser the person
signed in from before carries a signed cookie naming the account: it skips the address and
service buckets and counts its own guesses apart from everyone else's, so a stranger hammering
the NHS number elsewhere never delays the real person at home.

Keys are HMACs: the table holds no NHS numbers or addresses.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, Request, Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Integer, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..versioning import added_unless_taken

ACCOUNT, ADDRESS, SERVICE = "account", "address", "service"
KNOWN_BROWSER_SALT = "known-browser"
# A shared family computer may be "known" for a few people; more than this keeps the newest.
KNOWN_BROWSER_MAX_ACCOUNTS = 5
# Both databases keep microseconds; every update moves last_attempt_at on by at least this.
_TICK = timedelta(microseconds=1)
FORGET_AFTER = timedelta(days=1)


class SignInThrottle(db.Model):
    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changes on every counted attempt: the compare-and-set in _count relies on it.
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class Policy:
    """How one kind of bucket slows guessing down (settings SIGN_IN_THROTTLE_<KIND>)."""

    free_attempts: int
    forgive_seconds: int  # one wrong attempt is forgotten every this many seconds
    first_delay_seconds: int
    longest_delay_seconds: int

    def attempts_left_after(self, attempts: int, idle: timedelta) -> int:
        """What is still counted after `idle` seconds with no wrong attempt."""
        forgiven = int(max(idle.total_seconds(), 0) // self.forgive_seconds)
        return max(attempts - forgiven, 0)

    def delay(self, attempts: int) -> timedelta:
        """The wait imposed after the `attempts`-th wrong attempt still counted."""
        over = attempts - self.free_attempts
        if over <= 0:
            return timedelta(0)
        # Capping the exponent first keeps a long attack from building an enormous integer.
        seconds = self.first_delay_seconds * 2 ** min(over - 1, 32)
        return timedelta(seconds=min(seconds, self.longest_delay_seconds))


def policy(kind: str) -> Policy:
    return Policy(**current_app.config[f"SIGN_IN_THROTTLE_{kind.upper()}"])


@dataclass(frozen=True)
class Bucket:
    kind: str
    key: str


def _digest(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def account_digest(nhs_number: str) -> str:
    return _digest(ACCOUNT, nhs_number)


def buckets_for(nhs_number: str, address: str | None, known_browser: bool) -> list[Bucket]:
    """The buckets one password attempt is counted in."""
    account = account_digest(nhs_number)
    if known_browser:
        # Its own account bucket: guesses elsewhere never delay it, its own guesses still slow.
        return [Bucket(ACCOUNT, f"{ACCOUNT}:{account}:known")]
    return [
        Bucket(ACCOUNT, f"{ACCOUNT}:{account}"),
        Bucket(ADDRESS, f"{ADDRESS}:{_digest(ADDRESS, address or 'unknown')}"),
        Bucket(SERVICE, SERVICE),
    ]


def wait_before_next_attempt(buckets: list[Bucket], now: datetime | None = None) -> timedelta:
    """How long any of these buckets still wants the next attempt to wait (zero: go ahead)."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(SignInThrottle.blocked_until).where(
            SignInThrottle.key.in_([b.key for b in buckets]), SignInThrottle.blocked_until > now
        )
    ).all()
    return max((until - now for until in rows), default=timedelta(0))


def record_failure(buckets: list[Bucket], now: datetime | None = None) -> timedelta:
    """Count one wrong attempt in every bucket; the wait it now imposes (zero: none yet)."""
    now = now or utcnow()
    return max(_count(bucket, policy(bucket.kind), now) - now for bucket in buckets)


def _count(bucket: Bucket, rule: Policy, now: datetime) -> datetime:
    # Compare-and-set on last_attempt_at, so two wrong passwords sent at once both count on
    # either database without holding a lock.
    for _ in range(20):
        row = db.session.execute(
            select(SignInThrottle.attempts, SignInThrottle.last_attempt_at, SignInThrottle.blocked_until)
            .where(SignInThrottle.key == bucket.key)
        ).first()
        if row is None:
            if _insert(bucket.key, rule, now):
                return now + rule.delay(1)
            continue
        attempts = rule.attempts_left_after(row.attempts, now - row.last_attempt_at) + 1
        blocked_until = max(now + rule.delay(attempts), row.blocked_until or now)
        changed = db.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == bucket.key, SignInThrottle.last_attempt_at == row.last_attempt_at)
            .values(attempts=attempts, last_attempt_at=max(now, row.last_attempt_at + _TICK),
                    blocked_until=blocked_until if blocked_until > now else None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            return blocked_until
    raise RuntimeError(f"could not count a sign-in attempt for {bucket.kind}")


def _insert(key: str, rule: Policy, now: datetime) -> bool:
    """False when another request made the row first: the caller counts on it instead."""
    delay = rule.delay(1)
    return added_unless_taken(SignInThrottle(
        key=key, attempts=1, last_attempt_at=now, blocked_until=now + delay if delay else None))


def clear_account(nhs_number: str) -> int:
    """Forget wrong passwords for this NHS number (it was just proved, or a new one was set)."""
    account = account_digest(nhs_number)
    return db.session.execute(
        delete(SignInThrottle).where(SignInThrottle.key.in_([f"{ACCOUNT}:{account}", f"{ACCOUNT}:{account}:known"]))
    ).rowcount


def clear_address(address: str) -> int:
    return db.session.execute(
        delete(SignInThrottle).where(SignInThrottle.key == f"{ADDRESS}:{_digest(ADDRESS, address)}")
    ).rowcount


def clear_all() -> int:
    return db.session.execute(delete(SignInThrottle)).rowcount


def forget_finished(now: datetime | None = None) -> int:
    """Remove counts untouched for a day (so guessed numbers do not pile up). A day of quiet is
    more than any default policy needs to forgive a normal run of typos."""
    now = now or utcnow()
    return db.session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_attempt_at < now - FORGET_AFTER,
            or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < now),
        )
    ).rowcount


def minutes_to_wait(wait: timedelta) -> int:
    return max(math.ceil(wait.total_seconds() / 60), 1)


def retry_after_seconds(wait: timedelta) -> str:
    return str(max(math.ceil(wait.total_seconds()), 1))


# ---------------------------------------------------------------- the known-browser cookie


def _serializer(app: Flask) -> URLSafeSerializer:
    return URLSafeSerializer(app.config["SECRET_KEY"], salt=KNOWN_BROWSER_SALT)


def _known_accounts(request: Request) -> list[str]:
    raw = request.cookies.get(current_app.config["KNOWN_BROWSER_COOKIE_NAME"])
    if not raw:
        return []
    try:
        accounts = _serializer(current_app).loads(raw)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def is_known_browser(request: Request, nhs_number: str) -> bool:
    return account_digest(nhs_number) in _known_accounts(request)


def remember_browser(request: Request, response: Response, nhs_number: str) -> None:
    """After a right password: this browser is now known for this account."""
    config = current_app.config
    account = account_digest(nhs_number)
    accounts = [a for a in _known_accounts(request) if a != account] + [account]
    response.set_cookie(
        config["KNOWN_BROWSER_COOKIE_NAME"],
        _serializer(current_app).dumps(accounts[-KNOWN_BROWSER_MAX_ACCOUNTS:]),
        max_age=config["KNOWN_BROWSER_DAYS"] * 86400,
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path="/",
    )

