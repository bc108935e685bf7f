"""Demo data: David has turned notifications on for his phone, with his own quiet hours, and has
had two notifications. His phone's subscription is made up (the demo has no real phone), so a
real send to it is refused by the push service and the subscription removed, as for any phone
that has gone. Only ever used with DEMO_MODE on (called from app.demo)."""
from __future__ import annotations

import base64
import secrets
from datetime import time, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, Team
from ..timeutil import utcnow
from . import service
from .kinds import KINDS
from .models import PushSendRecord

DEMO_PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Mobile Safari/537.36")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seed(team: Team) -> None:
    """Once: David's phone, his settings (quiet 10pm to 7am) and two sends."""
    david = db.session.scalar(select(PatientProfile).where(PatientProfile.team_id == team.id,
                                                           PatientProfile.given_name == "David"))
    if david is None or service.devices_of(david.user_id):
        return
    now = utcnow()
    phone_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    phone = service.subscribe(
        david.user_id, endpoint=f"https://fcm.googleapis.com/fcm/send/demo-{secrets.token_urlsafe(24)}",
        p256dh=_b64url(phone_key), auth=_b64url(secrets.token_bytes(16)), user_agent=DEMO_PHONE,
        now=now - timedelta(days=20))
    service.save_settings(david.user_id, kinds_on=set(KINDS), quiet_start=time(22), quiet_end=time(7))
    for kind, days_ago in (("test_due", 6), ("team_reply", 1)):
        at = now - timedelta(days=days_ago)
        db.session.add(PushSendRecord(
            user_id=david.user_id, subscription_id=phone.id, endpoint_hash_prefix=phone.endpoint_hash[:12],
            push_service="fcm.googleapis.com", kind=kind, outcome=service.RECORD_SENT, status_code=201,
            attempted_at=at))
        phone.last_success_at = at
