"""Passkey (WebAuthn) ceremonies, independent of the HTTP layer except for the session.

Challenges are bound to the browser session and expire. They are single-use twice over:
popped from the session before checking, and (because a cookie session can be replayed)
an assertion is only accepted if its passkey has not been used since the challenge was
issued. The stored sign counter only moves forwards, and is updated atomically.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature
from flask import current_app, session
from sqlalchemy import or_, select, update
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
from webauthn.helpers.parse_registration_credential_json import (
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
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
# Anything a library or a hostile client can throw while reading or checking a response.
_BAD_RESPONSE = (WebAuthnException, InvalidSignature, KeyError, TypeError, ValueError)
UNREADABLE = "Your device sent something we could not read. Try again."

class PasskeyError(Exception):
    """A ceremony failed; the message is safe to show to the person."""


def _store_challenge(key: str, challenge: bytes, **extra: Any) -> None:
    lifetime = current_app.config["WEBAUTHN_CHALLENGE_SECONDS"]
    now = time.time()
    session[key] = {
        "challenge": bytes_to_base64url(challenge),
        "issued": now,
        "expires": now + lifetime,
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
    # Sessions from before "issued" was recorded: the latest it can have been issued.
    state.setdefault("issued", state["expires"] - current_app.config["WEBAUTHN_CHALLENGE_SECONDS"])
    return state


def _parse_json(credential_json: str | bytes | dict) -> dict:
    if isinstance(credential_json, dict):
        return credential_json
    try:
        data = json.loads(credential_json)
    except (TypeError, ValueError) as exc:
        raise PasskeyError(UNREADABLE) from exc
    if not isinstance(data, dict):
        raise PasskeyError(UNREADABLE)
    return data


def _transports(values) -> list[AuthenticatorTransport]:
    known = {t.value for t in AuthenticatorTransport}
    return [AuthenticatorTransport(t) for t in values or [] if t in known]


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
            PublicKeyCredentialDescriptor(id=c.credential_id, transports=_transports(c.transports))
            for c in user.credentials
        ],
        timeout=120000,
    )
    _store_challenge(REGISTRATION_KEY, options.challenge, user_id=user.id)
    return options_to_json(options)


def verify_registration(user: User, credential_json, name: str) -> PasskeyCredential:
    state = _take_challenge(REGISTRATION_KEY)
    if state.get("user_id") != user.id:
        raise PasskeyError("That took too long or the page was opened twice. Try again.")
    data = _parse_json(credential_json)
    try:
        parsed = parse_registration_credential_json(data)
    except _BAD_RESPONSE as exc:
        raise PasskeyError(UNREADABLE) from exc
    cfg = current_app.config
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=state["challenge"],
            expected_rp_id=cfg["WEBAUTHN_RP_ID"],
            expected_origin=cfg["WEBAUTHN_ORIGINS"],
            require_user_verification=True,
        )
    except _BAD_RESPONSE as exc:
        raise PasskeyError("We could not set up that passkey. Try again.") from exc
    if db.session.scalar(
        select(PasskeyCredential.id).where(PasskeyCredential.credential_id == verified.credential_id)
    ):
        raise PasskeyError("That passkey is already registered.")
    # transports sit inside `response` (AuthenticatorAttestationResponseJSON); the parser keeps
    # only values WebAuthn defines, so a string or junk from the client cannot end up stored.
    transports = [t.value for t in parsed.response.transports or []]
    credential = PasskeyCredential(
        user=user,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=list(dict.fromkeys(transports))[:8],
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
    except _BAD_RESPONSE as exc:
        raise PasskeyError(UNREADABLE) from exc
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
    except _BAD_RESPONSE as exc:
        # Includes a counter that went backwards or repeated (a cloned authenticator).
        raise PasskeyError("We could not sign you in with that passkey. Try again.") from exc
    # One conditional UPDATE, so two requests racing with the same response cannot both win:
    # the counter must still be what we checked against, and the passkey must not have been
    # used since this challenge was issued (a replayed cookie would otherwise bring it back).
    # Synced passkeys always send 0 and keep working.
    issued = datetime.fromtimestamp(state["issued"], timezone.utc)
    now = utcnow()
    claimed = db.session.execute(
        update(PasskeyCredential)
        .where(
            PasskeyCredential.id == credential.id,
            PasskeyCredential.sign_count == credential.sign_count,
            or_(PasskeyCredential.last_used_at.is_(None), PasskeyCredential.last_used_at < issued),
        )
        .values(
            sign_count=verified.new_sign_count,
            backed_up=verified.credential_backed_up,
            last_used_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise PasskeyError("That sign-in has already been used. Try again.")
    db.session.refresh(credential)
    return credential.user, credential
