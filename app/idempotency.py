"""The one idempotency mechanism: a retried or double-tapped request never acts twice.

A JSON view decorated with `idempotent` must be sent an `Idempotency-Key` header. The first
response is stored with a fingerprint of the request; a retry with the same key and body gets
the stored response, and the same key with a different body is refused with 422.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import wraps
from typing import Any

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, JSON, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import UTCDateTime, utcnow

KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{8,100}")


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


def _fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")) if body is not None else request.get_data(as_text=True)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _find(user_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )


def _replay(record: IdempotencyRecord, fingerprint: str):
    if record.request_fingerprint != fingerprint:
        return jsonify(error="key_reused", detail="This Idempotency-Key was already used for a different request."), 422
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """For JSON views returning (dict, status). Needs a signed-in user."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if not KEY_PATTERN.fullmatch(key):
            return jsonify(error="idempotency_key_required",
                           detail="Send an Idempotency-Key header of 8 to 100 letters, numbers or -_.:"), 400
        fingerprint = _fingerprint()
        existing = _find(current_user.id, key)
        if existing is not None:
            return _replay(existing, fingerprint)
        body, status = view(*args, **kwargs)
        if status >= 500 or status in (401, 403, 409, 429):
            db.session.rollback()
            return jsonify(body), status
        db.session.add(IdempotencyRecord(
            user_id=current_user.id, key=key, request_fingerprint=fingerprint,
            status_code=status, response=body,
        ))
        try:
            db.session.commit()
        except IntegrityError:
            # The same request raced itself: keep the first one's effects and answer.
            db.session.rollback()
            existing = _find(current_user.id, key)
            if existing is None:
                raise
            return _replay(existing, fingerprint)
        response = jsonify(body)
        response.status_code = status
        return response

    return wrapped
