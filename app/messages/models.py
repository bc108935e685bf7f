"""Message threads and their messages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PatientProfile, User
from ..timeutil import UTCDateTime, utcnow


class MessageThread(db.Model):
    """One conversation about one piece of the team's work: `about` is that work's source key
    ("reentry:<request id>") or "queue-item:<id>", so each has at most one thread."""

    __tablename__ = "message_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_profiles.id"), index=True)
    about: Mapped[str] = mapped_column(String(80), unique=True)
    # The queue item the thread began on: its team sees the patient's answers while it is open.
    queue_item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient: Mapped[PatientProfile] = relationship()
    messages: Mapped[list["Message"]] = relationship(back_populates="thread", order_by="Message.id")


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_unread", "thread_id", "from_patient", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_patient: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the other side first opened it (the patient for a nurse's message, any nurse of the
    # team for the patient's).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The queue item this message raised, when it arrived with no open work for the team.
    raised_item_id: Mapped[int | None] = mapped_column(ForeignKey("queue_items.id"))

    thread: Mapped[MessageThread] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()
