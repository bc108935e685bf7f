"""Web Push: subscriptions, notification settings and sending.

The interface for reminders and other areas:

- `deliver(user_id, kind, now=...)` sends one notification of `kind` (app/push/kinds.py) to every
  phone the person subscribed, if they have that kind on and `now` is outside their quiet
  hours, and returns a `Delivery`: SENT, OFF, QUIET (with `not_before`, the end of quiet hours
  in UTC), NO_DEVICES, RETRY_LATER (with `not_before`: the push service asked us to wait, or
  did not answer) or FAILED (refused for good; do not retry). It adds send records and removes
  dead subscriptions in the session: the caller commits.
- `quiet_until(user_id, now)`: when the person's quiet hours end, or None if sending is allowed.

Routes make no queries: they call these functions.
"""
from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select

from ..extensions import db
from . import vapid
from .devices import device_label
from .endpoints import endpoint_allowed, push_service_host
from .kinds import KINDS, kind_for, payload_for
from .models import NotificationPreferences, PushSendRecord, PushSubscription
from .quiet_hours import DEFAULT_QUIET_END, DEFAULT_QUIET_START
from .quiet_hours import quiet_until as quiet_hours_end


class Outcome(str, enum.Enum):
    SENT = "sent"
    OFF = "off"
    QUIET = "quiet"
    NO_DEVICES = "no_devices"
    RETRY_LATER = "retry_later"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    # QUIET: when quiet hours end; RETRY_LATER: the earliest time to try again (UTC).
    not_before: datetime | None = None
    devices_sent: int = 0


# What each send attempt is recorded as.
RECORD_SENT, RECORD_REMOVED, RECORD_RETRY, RECORD_FAILED = "sent", "removed", "retry", "failed"


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    kinds_off: frozenset[str]
    quiet_start: time
    quiet_end: time

    def is_on(self, kind_id: str) -> bool:
        return kind_id not in self.kinds_off


DEFAULT_SETTINGS = Settings(frozenset(), DEFAULT_QUIET_START, DEFAULT_QUIET_END)


def settings_for(user_id: int) -> Settings:
    row = db.session.get(NotificationPreferences, user_id)
    if row is None:
        return DEFAULT_SETTINGS
    return Settings(frozenset(row.kinds_off or ()), row.quiet_start, row.quiet_end)


def save_settings(user_id: int, *, kinds_on: set[str], quiet_start: time, quiet_end: time) -> None:
    row = db.session.get(NotificationPreferences, user_id)
    if row is None:
        row = NotificationPreferences(user_id=user_id)
        db.session.add(row)
    row.kinds_off = sorted(set(KINDS) - set(kinds_on))
    row.quiet_start = quiet_start
    row.quiet_end = quiet_end


def quiet_until(user_id: int, now: datetime) -> datetime | None:
    settings = settings_for(user_id)
    return quiet_hours_end(now, settings.quiet_start, settings.quiet_end)


# ---------------------------------------------------------------- subscriptions


class SubscriptionRefused(ValueError):
    """A subscription the server will not keep: the message says why, in plain words."""


def _b64url_bytes(value: object) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200 or not value.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _valid_keys(p256dh: object, auth: object) -> bool:
    public = _b64url_bytes(p256dh)
    secret = _b64url_bytes(auth)
    if public is None or secret is None or len(secret) != 16 or len(public) != 65:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError:
        return False
    return True


def subscribe(user_id: int, *, endpoint: object, p256dh: object, auth: object, user_agent: str | None,
              now: datetime) -> PushSubscription:
    """Keep this browser's subscription for the person. The same endpoint again is the same
    subscription (idempotent; its keys are refreshed); an endpoint last subscribed by someone
    else on this phone moves to this person, so the phone only ever gets the signed-in person's
    notifications."""
    if not endpoint_allowed(endpoint, current_app.config["PUSH_SERVICE_HOSTS"]):
        raise SubscriptionRefused("This browser's notification service is not one we can send to.")
    if not _valid_keys(p256dh, auth):
        raise SubscriptionRefused("This browser sent notification keys we cannot use.")
    hashed = endpoint_hash(endpoint)
    subscription = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint_hash == hashed))
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint, endpoint_hash=hashed, created_at=now)
        db.session.add(subscription)
    elif subscription.user_id != user_id:
        subscription.created_at = now
        subscription.last_success_at = None
    subscription.user_id = user_id
    subscription.p256dh = p256dh
    subscription.auth = auth
    subscription.device_label = device_label(user_agent)
    subscription.retries_in_a_row = 0
    db.session.flush()
    return subscription


def devices_of(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.created_at, PushSubscription.id)))


def remove_device(user_id: int, subscription_id: int) -> bool:
    """Remove one of the person's own devices; False when it is not theirs (or already gone)."""
    result = db.session.execute(delete(PushSubscription).where(
        PushSubscription.id == subscription_id, PushSubscription.user_id == user_id))
    return result.rowcount > 0


def unsubscribe_endpoint(user_id: int, endpoint: object) -> bool:
    """Forget this browser's subscription for the person (the phone unsubscribed, or signs out)."""
    if not isinstance(endpoint, str) or not endpoint:
        return False
    result = db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint_hash == endpoint_hash(endpoint), PushSubscription.user_id == user_id))
    return result.rowcount > 0


# The flask session key for the endpoint this browser subscribed with in this session (its hash).
SESSION_ENDPOINT_KEY = "push_endpoint_hash"


def forget_phone_at_sign_out(user_id: int, endpoint: object, subscribed_in_session: object) -> int:
    """Signing out on a phone removes that phone's subscription, named by the sign-out form
    (static/js/push.js) or remembered by the session that subscribed: the next person to sign in
    there gets none of this person's notifications. Only the person's own rows go."""
    hashes = {endpoint_hash(endpoint)} if isinstance(endpoint, str) and endpoint else set()
    if isinstance(subscribed_in_session, str) and subscribed_in_session:
        hashes.add(subscribed_in_session)
    if not hashes:
        return 0
    result = db.session.execute(delete(PushSubscription).where(
        PushSubscription.user_id == user_id, PushSubscription.endpoint_hash.in_(hashes)))
    return result.rowcount


def is_this_phone_theirs(user_id: int, endpoint: object) -> bool:
    """Whether the phone holding `endpoint` gets this person's notifications. A subscription left
    by someone else (after an idle timeout, say) is removed: holding the endpoint proves the
    phone is this one, and the person now signed in on it must not see another's notifications."""
    if not isinstance(endpoint, str) or not endpoint:
        return False
    subscription = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint_hash == endpoint_hash(endpoint)))
    if subscription is None:
        return False
    if subscription.user_id == user_id:
        return True
    db.session.delete(subscription)
    return False


def forget_every_phone(user_id: int) -> int:
    """Signing out everywhere (a lost phone): no device of the person gets notifications any more."""
    return db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id)).rowcount


def recent_sends(user_id: int, limit: int = 10) -> list[PushSendRecord]:
    return list(db.session.scalars(
        select(PushSendRecord).where(PushSendRecord.user_id == user_id)
        .order_by(PushSendRecord.attempted_at.desc(), PushSendRecord.id.desc()).limit(limit)))


# ---------------------------------------------------------------- sending


class _NoRedirectSession(requests.Session):
    """Every request: no redirect followed (a push service never needs one, and following one
    would let an endpoint send the server anywhere) and our own certificate setting (the
    environment's CA bundle variables must not replace it)."""

    def __init__(self, verify: bool | str) -> None:
        super().__init__()
        self._push_verify = verify

    def request(self, method, url, **kwargs):
        kwargs["allow_redirects"] = False
        kwargs["verify"] = self._push_verify
        return super().request(method, url, **kwargs)


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def retry_delay(retries_in_a_row: int, retry_after: float | None, *, first: int, longest: int) -> timedelta:
    """How long to wait before trying again: what the push service asked for (up to a day), else
    a back-off that doubles with each retry in a row, from `first` seconds up to `longest`."""
    if retry_after is not None:
        return timedelta(seconds=min(retry_after, 24 * 3600))
    return timedelta(seconds=min(first * 2 ** min(retries_in_a_row, 20), longest))


def _record(subscription: PushSubscription, kind_id: str, outcome: str, status: int | None, now: datetime) -> None:
    db.session.add(PushSendRecord(
        user_id=subscription.user_id, subscription_id=subscription.id,
        endpoint_hash_prefix=subscription.endpoint_hash[:12],
        push_service=push_service_host(subscription.endpoint), kind=kind_id,
        outcome=outcome, status_code=status, attempted_at=now,
    ))


def _send_one(subscription: PushSubscription, kind_id: str, body: bytes, session: requests.Session,
              signer, now: datetime) -> tuple[str, timedelta | None]:
    """Send to one phone; returns what happened and, for a retry, how long to wait."""
    config = current_app.config
    kind = kind_for(kind_id)
    status: int | None = None
    retry_after: float | None = None
    if not endpoint_allowed(subscription.endpoint, config["PUSH_SERVICE_HOSTS"]):
        outcome = RECORD_FAILED  # the host was taken off the list after it subscribed
    else:
        try:
            response = webpush(
                subscription_info={"endpoint": subscription.endpoint,
                                   "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=body,
                vapid_private_key=signer,
                vapid_claims={"sub": config["VAPID_SUBJECT"]},
                ttl=kind.ttl_seconds,
                headers={"Urgency": kind.urgency, "Topic": kind.topic},
                timeout=config["PUSH_TIMEOUT_SECONDS"],
                requests_session=session,
            )
            status = response.status_code
            outcome = RECORD_SENT
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                outcome = RECORD_REMOVED
            elif status == 429 or (status is not None and status >= 500):
                outcome = RECORD_RETRY
                retry_after = _retry_after_seconds(exc.retry_after, now)
            else:
                outcome = RECORD_FAILED  # 400, 403, 413, a redirect: sending again will not help
        except requests.RequestException:
            outcome = RECORD_RETRY  # no answer in time, or no connection
        except ValueError:
            outcome = RECORD_FAILED  # stored keys that cannot be read: this phone only, never the others
    _record(subscription, kind_id, outcome, status, now)
    if outcome == RECORD_SENT:
        subscription.last_success_at = now
        subscription.retries_in_a_row = 0
        return outcome, None
    if outcome == RECORD_REMOVED:
        db.session.delete(subscription)
        return outcome, None
    if outcome == RECORD_RETRY:
        delay = retry_delay(subscription.retries_in_a_row, retry_after,
                            first=config["PUSH_RETRY_FIRST_SECONDS"], longest=config["PUSH_RETRY_LONGEST_SECONDS"])
        subscription.retries_in_a_row += 1
        return outcome, delay
    return outcome, None


def deliver(user_id: int, kind: str, *, now: datetime) -> Delivery:
    """Send one notification of `kind` to every phone of the person (see the module's docstring)."""
    kind_for(kind)  # an unknown kind is a programming error: raise now
    settings = settings_for(user_id)
    if not settings.is_on(kind):
        return Delivery(Outcome.OFF)
    until = quiet_hours_end(now, settings.quiet_start, settings.quiet_end)
    if until is not None:
        return Delivery(Outcome.QUIET, not_before=until)
    devices = devices_of(user_id)
    if not devices:
        return Delivery(Outcome.NO_DEVICES)
    signer = vapid.signer(current_app)
    if signer is None:
        return Delivery(Outcome.FAILED)
    body = json.dumps(payload_for(kind, current_app.config["PUSH_TITLE"]), separators=(",", ":")).encode()
    results = []
    with _NoRedirectSession(current_app.config["PUSH_TLS_VERIFY"]) as session:
        for subscription in devices:
            results.append(_send_one(subscription, kind, body, session, signer, now))
    db.session.flush()
    outcomes = [outcome for outcome, _ in results]
    sent = outcomes.count(RECORD_SENT)
    if sent:
        return Delivery(Outcome.SENT, devices_sent=sent)
    delays = [delay for outcome, delay in results if outcome == RECORD_RETRY and delay is not None]
    if delays:
        return Delivery(Outcome.RETRY_LATER, not_before=now + max(delays))
    if all(outcome == RECORD_REMOVED for outcome in outcomes):
        return Delivery(Outcome.NO_DEVICES)
    return Delivery(Outcome.FAILED)
