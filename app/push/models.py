"""Web Push records: each phone's subscription, each person's notification settings and a
record of every send (without personal detail)."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, ForeignKey, Index, Integer, SmallInteger, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User
from ..timeutil import UTCDateTime, utcnow
from .quiet_hours import DEFAULT_QUIET_END, DEFAULT_QUIET_START


class PushSubscription(db.Model):
    """One browser on one phone, as `PushManager.subscribe` gave it. An endpoint belongs to one
    person at a time: the same phone subscribing for someone else moves it to them."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1024))
    # SHA-256 of the endpoint: unique, and what send records and logs name instead of the URL.
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    # "Chrome on Android": from the browser's user agent, for the list of devices.
    device_label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sends in a row the push service asked us to retry (429, 5xx, no answer): the back-off grows.
    retries_in_a_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship()


class NotificationPreferences(db.Model):
    """What a person wants to be sent. No row means the defaults: every kind on, quiet 9pm-8am."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # Kind ids switched off (app/push/kinds.py); a kind added later starts on.
    kinds_off: Mapped[list[str]] = mapped_column(JSON, default=list)
    # London wall-clock times; start equal to end means no quiet hours.
    quiet_start: Mapped[time] = mapped_column(Time, default=DEFAULT_QUIET_START)
    quiet_end: Mapped[time] = mapped_column(Time, default=DEFAULT_QUIET_END)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PushSendRecord(db.Model):
    """One attempt to send one notification to one subscription. No endpoint, no payload text:
    the subscription's id, the first characters of its endpoint hash and the push service host."""

    __tablename__ = "push_send_records"
    __table_args__ = (Index("ix_push_send_records_user_at", "user_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Kept after the subscription is removed (the record says it was).
    subscription_id: Mapped[int | None] = mapped_column(Integer)
    endpoint_hash_prefix: Mapped[str] = mapped_column(String(12))
    push_service: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    # sent, removed (404/410: the subscription is gone), retry (429, 5xx, no answer), failed.
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
