"""Core records: teams, people, passkeys, invitations, sessions and the audit log.

Area-specific records (HNAs, care plans, ...) live beside their blueprint and are
imported by `app.models_registry` so Alembic sees every table.
"""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import Any, NamedTuple

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    literal_column,
)
from sqlalchemy.schema import DDL
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .timeutil import UTCDateTime, utcnow


def enum_values(enum_class) -> list[str]:
    """Store enums by value ('patient'), not by Python name ('PATIENT')."""
    return [member.value for member in enum_class]


def stored_value_in_sql(member: enum.Enum):
    """An enum member's stored value written into a statement as a constant ('draft'), not sent
    as a bound parameter, for comparing with a column that a partial index's WHERE names
    (uq_hnas_one_draft_per_patient: status = 'draft'). SQLite checks a bound value against that
    WHERE while it plans, so it plans the whole statement again every time one is bound (a tenth
    of a millisecond for a small statement, over half a millisecond for the home page's row)."""
    assert "'" not in member.value
    return literal_column(f"'{member.value}'")


class Role(str, enum.Enum):
    PATIENT = "patient"
    NURSE = "nurse"
    ADMIN = "admin"


STAFF_ROLES = (Role.NURSE, Role.ADMIN)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Single points of contact shown to the team's patients.
    phone: Mapped[str | None] = mapped_column(String(40))
    hours: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # Out of hours: the acute oncology 24-hour line, where the hospital has one.
    out_of_hours_name: Mapped[str | None] = mapped_column(String(120))
    out_of_hours_phone: Mapped[str | None] = mapped_column(String(40))
    # Response targets in working days by queue item kind, overriding the defaults.
    response_targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Optimistic locking: two admins saving the contacts at once is detected, not overwritten.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    members: Mapped[list["User"]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


def _new_user_handle() -> bytes:
    # WebAuthn user handles must be opaque: never the database id or anything personal.
    return secrets.token_bytes(32)


class WithRole:
    """What a person's `role` (the class's own) says they are: for `User` and for the signed-in
    person's values (`sessions.SignedInUser`)."""

    @property
    def is_patient(self) -> bool:
        return self.role is Role.PATIENT

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class PersonOnPage(NamedTuple):
    """A person as a page read in plain rows names them (a plan's author, who saw a request):
    the one field its template reads of the `User` this stands in for."""

    display_name: str


class User(UserMixin, WithRole, db.Model):
    __tablename__ = "users"
    # A team's nurses (the queue's and monitoring's key worker choices) without reading its
    # patients, who are most of the team's users: flat however many people the team has.
    __table_args__ = (Index("ix_users_team_role_name", "team_id", "role", "display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16, values_callable=enum_values))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    webauthn_user_handle: Mapped[bytes] = mapped_column(
        LargeBinary(64), unique=True, default=_new_user_handle
    )
    # Fallback for browsers that cannot make a passkey; patients only.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship(back_populates="members")
    credentials: Mapped[list["PasskeyCredential"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="PasskeyCredential.id"
    )
    patient_profile: Mapped["PatientProfile | None"] = relationship(
        back_populates="user", foreign_keys="PatientProfile.user_id", uselist=False
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class PatientProfile(db.Model):
    __tablename__ = "patient_profiles"
    __table_args__ = (
        # A team's people by name, for keyset pages (remote monitoring).
        Index("ix_patient_profiles_team_name", "team_id", "family_name", "given_name", "id"),
        # A key worker's people in the team by name: the monitoring list filtered by key worker
        # reads it in order and stops after a page (tests/results/test_monitoring.py reads the plan).
        Index("ix_patient_profiles_team_key_worker_name", "team_id", "key_worker_id", "family_name", "given_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    tumour_pathway: Mapped[str] = mapped_column(String(40))
    key_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    gp_practice_name: Mapped[str | None] = mapped_column(String(200))
    gp_practice_phone: Mapped[str | None] = mapped_column(String(40))
    gp_practice_address: Mapped[str | None] = mapped_column(String(300))
    # How the team reaches the person (for re-entry call-backs).
    phone: Mapped[str | None] = mapped_column(String(40))
    # When the cancer was diagnosed: the GP practice's Cancer Care Reviews are due within 3 and
    # 12 months of it (reminders). None: not recorded yet.
    diagnosed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: two nurses editing at once is detected, not silently merged.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    user: Mapped[User] = relationship(back_populates="patient_profile", foreign_keys=[user_id])
    team: Mapped[Team] = relationship()
    key_worker: Mapped[User | None] = relationship(foreign_keys=[key_worker_id])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"


class PasskeyCredential(db.Model):
    __tablename__ = "passkey_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    # WebAuthn counters are unsigned 32-bit: up to 4,294,967,295.
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(60))
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="credentials")


class Invitation(db.Model):
    """A single-use way in for a new person, or one who lost every device.

    Only hashes are stored: the link token and the short code are shown once.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dob_failures: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def usable(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


class UserSession(db.Model):
    """Server-side record of a signed-in browser, so sessions can be ended remotely."""

    __tablename__ = "user_sessions"
    # When a person last used the app (remote monitoring lists those who have not for months).
    __table_args__ = (Index("ix_user_sessions_user_seen", "user_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(20))
    # A form posted after this session timed out (e.g. an HNA answer), kept here on the server
    # until the same person signs in again, never in the cookie (which anyone can decode).
    kept_post: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    kept_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Append-only: who read or changed what, and when (UTC)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_patient_at", "patient_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient_profiles.id"))
    subject: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
    path: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()
    patient: Mapped[PatientProfile | None] = relationship()


class AuditErasurePermit(db.Model):
    """While its one row is here, the database lets audit events be removed: written and removed
    by `audit.erasing_events` in the transaction that erases, so never seen by another one and
    never committed. Nothing else writes it."""

    __tablename__ = "audit_erasure_permits"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    why: Mapped[str] = mapped_column(Text)


class AuditLogIsAppendOnly(RuntimeError):
    """A statement that would change or remove an audit event (refused by the database's
    triggers; app/audit.py gives the refusal this name)."""


# The database refuses any change or removal of an event, however the statement is written or
# sent, unless the transaction holds the erasure permit. The text of the refusal is how
# app/audit.py knows it. The migration that made the triggers (migrations/versions/
# 7c2e4a9b1d35_audit_log_append_only_in_the_database.py) holds a copy of this SQL, as made then.
AUDIT_LOG_REFUSAL = "audit events can be added, never changed or removed"
AUDIT_LOG_TRIGGERS = {
    "sqlite": [
        f"""CREATE TRIGGER audit_events_not_{what}d BEFORE {what.upper()} ON audit_events
        WHEN NOT EXISTS (SELECT 1 FROM audit_erasure_permits)
        BEGIN SELECT RAISE(ABORT, '{AUDIT_LOG_REFUSAL}'); END"""
        for what in ("update", "delete")
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM audit_erasure_permits) THEN
                RAISE EXCEPTION '{AUDIT_LOG_REFUSAL}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
        "CREATE TRIGGER audit_events_not_changed BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        # TRUNCATE removes rows without row triggers: refused for the whole statement.
        "CREATE TRIGGER audit_events_not_truncated BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ],
}
# A schema made from the models (the tests, scripts) gets the same triggers as a migrated one.
for _dialect, _statements in AUDIT_LOG_TRIGGERS.items():
    for _statement in _statements:
        event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))

