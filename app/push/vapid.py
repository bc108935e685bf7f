"""The server's VAPID key (RFC 8292): push services only take messages signed with the key the
browser subscribed with, so the private key is configuration, like SECRET_KEY.

`flask push generate-vapid` prints a new key as an environment line. Production without
VAPID_PRIVATE_KEY has no push (the settings page says notifications are not available); tests
and development without one get a throwaway key (development keeps it in the instance folder so
that the demo's subscriptions survive a restart).
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from py_vapid import Vapid

THROWAWAY_KEY_FILE = "vapid-private-key.development"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_private_key() -> str:
    """A new P-256 private key as 32 raw bytes in URL-safe base64 (what VAPID_PRIVATE_KEY holds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_for(private_key: str) -> str:
    """The matching public key, uncompressed point in URL-safe base64: the browser's
    `applicationServerKey`."""
    vapid = Vapid.from_string(private_key)
    return _b64url(vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def _configured_key(app: Flask) -> str | None:
    key = app.config.get("VAPID_PRIVATE_KEY")
    if key:
        return key
    if app.config.get("APP_ENV") == "production":
        return None
    if app.config.get("TESTING"):
        return new_private_key()
    path = Path(app.instance_path) / THROWAWAY_KEY_FILE
    # gunicorn's workers and the consumer start together, and each must sign with the key the
    # others use: the key is written whole beside the file, then linked into place only if no
    # other process got there first (a link never replaces, and is never seen half written).
    if not path.exists():
        written = path.with_name(f"{THROWAWAY_KEY_FILE}.{os.getpid()}")
        written.write_text(new_private_key())
        try:
            os.link(written, path)
        except FileExistsError:
            pass
        finally:
            written.unlink()
    return path.read_text().strip()


def signer(app: Flask) -> Vapid | None:
    """The app's VAPID signer, made once per app; None when push is not configured."""
    if "push_vapid" not in app.extensions:
        key = _configured_key(app)
        app.extensions["push_vapid"] = (Vapid.from_string(key), public_key_for(key)) if key else None
    made = app.extensions["push_vapid"]
    return made[0] if made else None


def application_server_key(app: Flask) -> str | None:
    signer(app)
    made = app.extensions["push_vapid"]
    return made[1] if made else None
