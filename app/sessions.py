"""Server-side sessions on top of Flask-Login: renewable, revocable, with idle and absolute limits."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask, current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import select, update

from .extensions import db, login_manager
from .models import User, UserSession
from .timeutil import utcnow

# Touching the session row on every request would turn every page view into a write.
TOUCH_EVERY = timedelta(seconds=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, method: str) -> UserSession:
    """Sign a person in with a brand new session (the old cookie contents are discarded)."""
    keep = {k: session[k] for k in ("hna_resume",) if k in session}
    session.clear()
    session.update(keep)
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        method=method,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(record)
    db.session.commit()
    session["sid"] = token
    session.permanent = True
    login_user(user)
    return record


def end_session() -> None:
    record = current_session()
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.commit()
    logout_user()
    session.clear()


def end_all_sessions(user: User) -> int:
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


def current_session() -> UserSession | None:
    return g.get("user_session")


def session_expires_in() -> int:
    """Seconds until the idle timeout, for the page's warning timer."""
    return current_app.config["SESSION_IDLE_SECONDS"]


def touch_session() -> None:
    record = current_session()
    if record is not None:
        record.last_seen_at = utcnow()
        db.session.commit()


def _load_user(user_id: str) -> User | None:
    token = session.get("sid")
    if not token:
        return None
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if record is None or str(record.user_id) != user_id or record.revoked_at is not None:
        return None
    now = utcnow()
    cfg = current_app.config
    idle = now - record.last_seen_at
    age = now - record.created_at
    if idle > timedelta(seconds=cfg["SESSION_IDLE_SECONDS"]) or age > timedelta(
        seconds=cfg["SESSION_ABSOLUTE_SECONDS"]
    ):
        record.revoked_at = now
        db.session.commit()
        g.session_timed_out = True
        return None
    user = db.session.get(User, record.user_id)
    if user is None or not user.active:
        return None
    g.user_session = record
    if idle > TOUCH_EVERY and request.endpoint != "auth.session_status":
        record.last_seen_at = now
        db.session.commit()
    return user


def init_sessions(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"
    # Sessions are tracked on the server, so Flask-Login's own session protection would only
    # sign people out when a phone changes network.
    login_manager.session_protection = None
    app.jinja_env.globals["session_idle_seconds"] = lambda: app.config["SESSION_IDLE_SECONDS"]
    app.jinja_env.globals["session_warning_seconds"] = lambda: app.config["SESSION_WARNING_SECONDS"]
