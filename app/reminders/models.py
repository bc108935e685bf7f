"""Reminder claims: one row per reminder and person, taken before the reminder is sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime


class ReminderClaim(db.Model):
    """A reminder being sent, or sent. The unique `key` (rules.Reminder.key) is what makes each
    reminder go once whoever runs the scheduler and however often: see service.py for the order
    of the steps and what a crash at each one leads to.

    `lease_until`: nobody else may take the claim before then (a crash leaves it to run out);
    quiet hours or a push service asking us to wait move it to when we may try again.
    `sending_at`: set, and committed, just before the push service is called; a claim found with
    it set and no `finished_at` after its lease may have been sent, so it is never sent again.
    """

    __tablename__ = "reminder_claims"
    # A person's recent reminders (the notification settings page, the nurse's patient page).
    __table_args__ = (Index("ix_reminder_claims_user_claimed", "user_id", "claimed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    about: Mapped[str] = mapped_column(String(40))
    # When the rules said to send it (UTC).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sent, off, no_devices, failed, not_needed (the record changed first), unconfirmed (the
    # process stopped while sending: it may or may not have arrived).
    outcome: Mapped[str | None] = mapped_column(String(20))
