"""Passkey (WebAuthn) ceremonies, independent of the HTTP layer except for the session.

Challenges are single-use, bound to the browser session and expire; the stored sign
counter only moves forwards.
"""
from __future__ import annotations

import json
import time
from typing import Any

from flask import current_app, session
from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..extensions import db
from ..models import PasskeyCredential, User
from ..timeutil import utcnow

REGISTRATION_KEY = "webauthn_registration"
AUTHENTICATION_KEY = "webauthn_authentication"


class PasskeyError(Exception):
    """A ceremony failed; the message is safe to show to the person."""


def _store_challenge(key: str, challenge: bytes, **extra: Any) -> None:
    lifetime = current_app.config["WEBAUTHN_CHALLENGE_SECONDS"]
    session[key] = {
        "challenge": bytes_to_base64url(challenge),
        "expires": time.time() + lifetime,
        **extra,
    }


def _take_challenge(key: str) -> dict:
    # Popped before verification so that a challenge can never be used twice.
    state = session.pop(key, None)
    if not state:
        raise PasskeyError("That took too long or the page was opened twice. Try again.")
    if time.time() > state["expires"]:
        raise PasskeyError("That took too long. Try again.")
    state["challenge"] = base64url_to_bytes(state["challenge"])
    return state


def _parse_json(credential_json: str | bytes | dict) -> dict:
    if isinstance(credential_json, dict):
        return credential_json
    try:
        data = json.loads(credential_json)
    except (TypeError, ValueError) as exc:
        raise PasskeyError("Your device sent something we could not read. Try again.") from exc
    if not isinstance(data, dict):
        raise PasskeyError("Your device sent something we could not read. Try again.")
    return data


def registration_options(user: User) -> str:
    cfg = current_app.config
    options = generate_registration_options(
        rp_id=cfg["WEBAUTHN_RP_ID"],
        rp_name=cfg["WEBAUTHN_RP_NAME"],
        user_id=user.webauthn_user_handle,
        user_name=user.email or user.display_name,
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=c.credential_id) for c in user.credentials
        ],
        timeout=120000,
    )
    _store_challenge(REGISTRATION_KEY, options.challenge, user_id=user.id)
    return options_to_json(options)


def verify_registration(user: User, credential_json, name: str) -> PasskeyCredential:
    state = _take_challenge(REGISTRATION_KEY)
    if state.get("user_id") != user.id:
        raise PasskeyError("That took too long or the page was opened twice. Try again.")
    cfg = current_app.config
    try:
        verified = verify_registration_response(
            credential=_parse_json(credential_json),
            expected_challenge=state["challenge"],
            expected_rp_id=cfg["WEBAUTHN_RP_ID"],
            expected_origin=cfg["WEBAUTHN_ORIGINS"],
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyError("We could not set up that passkey. Try again.") from exc
    if db.session.scalar(
        select(PasskeyCredential.id).where(PasskeyCredential.credential_id == verified.credential_id)
    ):
        raise PasskeyError("That passkey is already registered.")
    data = _parse_json(credential_json)
    transports = data.get("response", {}).get("transports") or []
    credential = PasskeyCredential(
        user=user,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str)][:8],
        name=(name or "").strip()[:60] or "Passkey",
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )
    db.session.add(credential)
    return credential


def authentication_options() -> str:
    # Discoverable credentials: no username asked, no list of credentials revealed.
    options = generate_authentication_options(
        rp_id=current_app.config["WEBAUTHN_RP_ID"],
        user_verification=UserVerificationRequirement.REQUIRED,
        timeout=120000,
    )
    _store_challenge(AUTHENTICATION_KEY, options.challenge)
    return options_to_json(options)


def verify_authentication(credential_json) -> tuple[User, PasskeyCredential]:
    state = _take_challenge(AUTHENTICATION_KEY)
    data = _parse_json(credential_json)
    try:
        parsed = parse_authentication_credential_json(data)
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyError("Your device sent something we could not read. Try again.") from exc
    credential = db.session.scalar(
        select(PasskeyCredential).where(PasskeyCredential.credential_id == parsed.raw_id)
    )
    if credential is None:
        raise PasskeyError("We do not recognise that passkey. It may have been removed.")
    user_handle = parsed.response.user_handle
    if user_handle and user_handle != credential.user.webauthn_user_handle:
        raise PasskeyError("We do not recognise that passkey. It may have been removed.")
    cfg = current_app.config
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=state["challenge"],
            expected_rp_id=cfg["WEBAUTHN_RP_ID"],
            expected_origin=cfg["WEBAUTHN_ORIGINS"],
            credential_public_key=credential.public_key,
            credential_current_sign_count=credential.sign_count,
            require_user_verification=True,
        )
    except WebAuthnException as exc:
        raise PasskeyError("We could not sign you in with that passkey. Try again.") from exc
    # A counter that went backwards has been refused above (a cloned authenticator);
    # synced passkeys always send 0 and keep working.
    credential.sign_count = verified.new_sign_count
    credential.backed_up = verified.credential_backed_up
    credential.last_used_at = utcnow()
    return credential.user, credential
