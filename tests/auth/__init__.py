"""Helpers for the account tests: invitations, and the browser's side of each ceremony.

Everything here goes through the real routes, the way the page's JavaScript does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth import invitations
from app.extensions import db
from app.models import AuditEvent, Invitation, PasskeyCredential, PatientProfile, User, UserSession
from tests.webauthn_fake import FakeAuthenticator

ANN_DOB = date(1960, 5, 17)  # every patient made by tests.helpers.make_patient


def give_nhs_number(app, profile_id: int, nhs_number: str) -> str:
    """A fixed, valid NHS number (the shared helpers' numbers drift as a run goes on)."""
    update_row(app, PatientProfile, profile_id, nhs_number=nhs_number)
    return nhs_number


@dataclass(frozen=True)
class Invite:
    id: int
    token: str
    code: str  # 8 characters, as generated
    code_display: str  # ABCD-EFGH, as printed for the person

    @property
    def link(self) -> str:
        return f"/enrol/{self.token}"

    @classmethod
    def from_link(cls, link: str) -> "Invite":
        """An invitation known only by its printed link (from the command line, say)."""
        return cls(id=0, token=link.rstrip("/").rsplit("/", 1)[1], code="", code_display="")


def invite(app, user_id: int, created_by_id: int | None = None) -> Invite:
    with app.app_context():
        user = db.session.get(User, user_id)
        creator = db.session.get(User, created_by_id) if created_by_id else None
        issued = invitations.issue(user, creator)
        db.session.commit()
        return Invite(issued.invitation.id, issued.token, issued.code, issued.code_display)


def invitation_row(app, invitation_id: int) -> Invitation:
    with app.app_context():
        row = db.session.get(Invitation, invitation_id)
        db.session.expunge(row)
        return row


def confirm_date_of_birth(client: FlaskClient, dob: date):
    return client.post_form(
        "/enrol/date-of-birth",
        {"date_of_birth-day": dob.day, "date_of_birth-month": dob.month, "date_of_birth-year": dob.year},
    )


def options(client: FlaskClient, url: str) -> dict:
    response = client.post_json(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def register_passkey(
    client: FlaskClient,
    authenticator: FakeAuthenticator,
    *,
    at: str = "/enrol/passkey",
    name: str | None = None,
    **knobs,
):
    """Ask for registration options at `at`/options, make a credential, post it to `at`/verify."""
    response = authenticator.register(options(client, f"{at}/options"), **knobs)
    query = f"?{urlencode({'name': name})}" if name else ""
    return client.post_json(f"{at}/verify{query}", response)


def enrol_with_passkey(client: FlaskClient, authenticator: FakeAuthenticator, invitation: Invite,
                       dob: date | None = ANN_DOB, name: str | None = None):
    """Open the invitation link, confirm the date of birth (patients) and create a passkey."""
    client.get(invitation.link)
    if dob is not None:
        confirm_date_of_birth(client, dob)
    return register_passkey(client, authenticator, name=name)


def sign_in_with_passkey(client: FlaskClient, authenticator: FakeAuthenticator, **knobs):
    challenge = options(client, "/sign-in/passkey/options")
    return client.post_json("/sign-in/passkey/verify", authenticator.authenticate(challenge, **knobs))


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account/passkeys").status_code == 200


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "this browser has no session cookie"
    return cookie.value


def restore_session_cookie(client: FlaskClient, value: str) -> None:
    """Put back a copy of an old cookie, as someone who copied it would."""
    client.set_cookie(client.application.config["SESSION_COOKIE_NAME"], value)


def credentials_of(app, user_id: int) -> list[PasskeyCredential]:
    with app.app_context():
        rows = db.session.scalars(
            select(PasskeyCredential).where(PasskeyCredential.user_id == user_id).order_by(PasskeyCredential.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def sessions_of(app, user_id: int) -> list[UserSession]:
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def audit_trail(app, action_prefix: str = "") -> list[tuple[str, str, int | None]]:
    """(action, outcome, actor id) for each audit event, oldest first."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(e.action, e.outcome, e.actor_id) for e in events if e.action.startswith(action_prefix)]


def update_row(app, model, row_id: int, **values) -> None:
    with app.app_context():
        row = db.session.get(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()
