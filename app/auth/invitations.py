"""Single-use invitations: a link (with QR code) and a short code a person can type.

Only keyed hashes are stored. Codes are short enough to read over the phone, so they
are checked under a rate limit, and a wrong date of birth counts against the invitation.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

import qrcode
import qrcode.constants
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from markupsafe import Markup
from sqlalchemy import select, update

from ..extensions import db
from ..models import Invitation, User
from ..timeutil import utcnow

# No 0/O, 1/I/L, 5/S, 2/Z: easy to read aloud and to type on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 8


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str
    code: str

    @property
    def code_display(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


class InvitationError(Exception):
    """Safe to show to the person."""


def _digest(value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def issue(user: User, created_by: User | None) -> IssuedInvitation:
    """A new invitation for `user`; any earlier unused ones stop working."""
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    invitation = Invitation(
        user=user,
        created_by=created_by,
        token_hash=_digest("token:" + token),
        code_hash=_digest("code:" + code),
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    return IssuedInvitation(invitation, token, code)


def by_id(invitation_id: int | None) -> Invitation | None:
    """The invitation this browser's session remembers, or None when it remembers none."""
    return db.session.get(Invitation, invitation_id) if invitation_id else None


def find_by_token(token: str) -> Invitation:
    return ensure_usable(db.session.scalar(select(Invitation).where(Invitation.token_hash == _digest("token:" + token))))


def find_by_code(raw_code: str) -> Invitation:
    code = normalise_code(raw_code)
    if len(code) != CODE_LENGTH:
        raise InvitationError("Enter the 8 letters and numbers from your invitation")
    return ensure_usable(db.session.scalar(select(Invitation).where(Invitation.code_hash == _digest("code:" + code))))


def ensure_usable(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise InvitationError("We do not recognise that invitation. Check it, or ask your nurse for a new one")
    if invitation.used_at is not None:
        raise InvitationError("That invitation has already been used. Ask your nurse for a new one")
    if invitation.revoked_at is not None:
        if invitation.dob_failures >= current_app.config["INVITATION_MAX_DOB_ATTEMPTS"]:
            raise InvitationError(
                "That invitation stopped working because the date of birth did not match too many times. Ask your nurse for a new one"
            )
        raise InvitationError("That invitation has been replaced by a newer one. Use the newest, or ask your nurse")
    if not invitation.user.active:
        raise InvitationError("That account has been closed. Contact your team")
    if utcnow() >= invitation.expires_at:
        raise InvitationError("That invitation has expired. Ask your nurse for a new one")
    return invitation


def check_date_of_birth(invitation: Invitation, dob) -> bool:
    """True when it matches; a wrong answer counts, and too many end the invitation."""
    profile = invitation.user.patient_profile
    if profile is not None and profile.date_of_birth == dob:
        return True
    # Counted in the database, not in Python, so guesses sent in parallel all count.
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(dob_failures=Invitation.dob_failures + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.revoked_at.is_(None),
            Invitation.dob_failures >= current_app.config["INVITATION_MAX_DOB_ATTEMPTS"],
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invitation)
    return False


def mark_used(invitation: Invitation) -> bool:
    """Use up the invitation; False if another request used or revoked it first."""
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(invitation)
    return claimed == 1


# Four modules of white around the code, as the QR standard asks, so it scans on paper too.
QR_QUIET_ZONE = 4


def qr_svg(text: str) -> Markup:
    """The QR code for `text` as inline SVG: one path, colours as presentation attributes and no
    style, script or link, so the strict Content Security Policy lets it show and print."""
    code = qrcode.QRCode(border=QR_QUIET_ZONE, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    matrix = code.get_matrix()
    size = len(matrix)
    modules = "".join(
        f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="200" height="200" '
        f'role="img" aria-label="QR code that opens the invitation link" class="app-qr__code" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{modules}"/></svg>'
    )


SHOW_ONCE_KEY = "invitation_to_show"


def _sealer() -> AESGCM:
    secret = current_app.config["SECRET_KEY"].encode()
    return AESGCM(hashlib.sha256(b"invitation-to-show:" + secret).digest())


def remember_to_show(issued: IssuedInvitation) -> None:
    """Hand a new invitation's secrets to the next page (post/redirect/get), once.

    Refreshing the page must neither post the form again nor show the code twice. The session
    cookie is signed but readable, so the code and token travel in it encrypted."""
    from flask import session

    secrets_ = json.dumps({"token": issued.token, "code": issued.code_display}).encode()
    nonce = os.urandom(12)
    sealed = base64.urlsafe_b64encode(nonce + _sealer().encrypt(nonce, secrets_, None)).decode()
    session[SHOW_ONCE_KEY] = {"invitation_id": issued.invitation.id, "sealed": sealed}


def take_to_show(user: User) -> tuple[Invitation, str, str] | None:
    """The invitation remembered for `user`, with its token and code; None once shown."""
    from flask import session

    shown = session.pop(SHOW_ONCE_KEY, None)
    if not isinstance(shown, dict):
        return None
    record = db.session.get(Invitation, shown.get("invitation_id"))
    if record is None or record.user_id != user.id or not record.usable():
        return None
    try:
        raw = base64.urlsafe_b64decode(shown["sealed"])
        opened = json.loads(_sealer().decrypt(raw[:12], raw[12:], None))
    except (KeyError, TypeError, ValueError, InvalidTag):
        return None  # from before a key change, or not ours
    return record, opened["token"], opened["code"]
