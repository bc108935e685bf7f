"""Invitations: a link or a typed code, single use, expiring, replaced by newer ones, stored hashed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, Invitation, User
from app.timeutil import utcnow
from tests.auth import (
    enrol_with_passkey,
    invitation_row,
    invite,
    options,
    update_row,
)
from tests.webauthn_fake import FakeAuthenticator

UNKNOWN = "We do not recognise that invitation. Check it, or ask your nurse for a new one"
USED = "That invitation has already been used. Ask your nurse for a new one"
REPLACED = "That invitation has been replaced by a newer one. Use the newest, or ask your nurse"
EXPIRED = "That invitation has expired. Ask your nurse for a new one"
WRONG_LENGTH = "Enter the 8 letters and numbers from your invitation"


def test_an_invitation_link_starts_enrolment_and_asks_a_patient_for_their_date_of_birth(app, client, actors):
    invitation = invite(app, actors.patient_a, actors.nurse_a)

    response = client.get(invitation.link)

    # The secret link is swapped for a plain address straight away.
    assert response.status_code == 302
    assert response.headers["Location"] == "/enrol/date-of-birth"
    assert "What is your date of birth?" in client.get("/enrol/date-of-birth").get_data(as_text=True)


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code[:4] + "-" + code[4:],  # as printed: ABCD-EFGH
        lambda code: code,  # without the dash
        lambda code: (code[:4] + "-" + code[4:]).lower(),
        lambda code: f"  {code[:4].lower()} {code[4:]}  ",  # spaces, mixed case
    ],
    ids=["as printed", "no dash", "lower case", "spaces and mixed case"],
)
def test_a_typed_code_works_however_it_is_written(app, client, actors, typed):
    invitation = invite(app, actors.patient_a, actors.nurse_a)

    response = client.post_form("/enrol", {"code": typed(invitation.code)})

    assert response.status_code == 303
    assert response.headers["Location"] == "/enrol/date-of-birth"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Enter the code from your invitation"),
        ("ABC-DEF", WRONG_LENGTH),
        ("ABCD-EFGH-J", WRONG_LENGTH),
        ("x" * 21, WRONG_LENGTH),
        ("AAAA-AAAA", UNKNOWN),
    ],
    ids=["empty", "too short", "too long", "far too long", "not issued"],
)
def test_a_wrong_code_is_explained(app, client, actors, typed, message):
    invite(app, actors.patient_a, actors.nurse_a)

    response = client.post_form("/enrol", {"code": typed})

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_an_unknown_link_is_a_404_that_explains_what_to_do(client):
    response = client.get("/enrol/not-a-real-token")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert UNKNOWN in html and "Your nurse or key worker can give you a new invitation" in html


def test_an_invitation_works_only_once(app, client, actors, new_client):
    invitation = invite(app, actors.patient_a, actors.nurse_a)
    assert enrol_with_passkey(client, FakeAuthenticator(), invitation).status_code == 200

    by_link = new_client().get(invitation.link)
    by_code = new_client().post_form("/enrol", {"code": invitation.code})

    assert by_link.status_code == 404 and USED in by_link.get_data(as_text=True)
    assert USED in by_code.get_data(as_text=True)
    assert invitation_row(app, invitation.id).used_at is not None


def test_an_invitation_lasts_14_days_by_default(app, actors):
    invitation = invitation_row(app, invite(app, actors.patient_a).id)

    assert invitation.expires_at - invitation.created_at == pytest.approx(timedelta(days=14), abs=timedelta(seconds=5))


def test_the_length_of_an_invitation_comes_from_settings(app, actors):
    app.config["INVITATION_DAYS"] = 3
    invitation = invitation_row(app, invite(app, actors.patient_a).id)

    assert invitation.expires_at - invitation.created_at == pytest.approx(timedelta(days=3), abs=timedelta(seconds=5))


@pytest.mark.parametrize("how", ["link", "code"])
def test_an_expired_invitation_does_not_work(app, client, actors, how):
    invitation = invite(app, actors.patient_a)
    update_row(app, Invitation, invitation.id, expires_at=utcnow() - timedelta(seconds=1))

    if how == "link":
        response = client.get(invitation.link)
    else:
        response = client.post_form("/enrol", {"code": invitation.code})

    assert EXPIRED in response.get_data(as_text=True)
    assert client.get("/enrol/date-of-birth").status_code == 404


def test_an_invitation_that_expires_mid_way_stops_working(app, client, actors):
    invitation = invite(app, actors.nurse_a)
    client.get(invitation.link)
    update_row(app, Invitation, invitation.id, expires_at=utcnow() - timedelta(seconds=1))

    assert client.post_json("/enrol/passkey/options").status_code == 404


def test_a_newer_invitation_replaces_an_older_one(app, client, actors, new_client):
    older = invite(app, actors.patient_a, actors.nurse_a)
    newer = invite(app, actors.patient_a, actors.nurse_a)

    refused = client.get(older.link)
    accepted = new_client().get(newer.link)

    assert refused.status_code == 404 and REPLACED in refused.get_data(as_text=True)
    assert accepted.status_code == 302
    assert invitation_row(app, older.id).revoked_at is not None


def test_a_newer_invitation_also_stops_an_enrolment_already_under_way(app, client, actors):
    older = invite(app, actors.nurse_a)
    client.get(older.link)
    invite(app, actors.nurse_a)

    assert client.post_json("/enrol/passkey/options").status_code == 404


def test_a_new_invitation_for_one_person_leaves_other_peoples_alone(app, client, actors):
    anns = invite(app, actors.patient_a)
    invite(app, actors.patient_a2)

    assert client.get(anns.link).status_code == 302


def test_only_keyed_hashes_of_the_link_and_code_are_stored(app, client, actors):
    invitation = invite(app, actors.patient_a, actors.nurse_a)
    client.get(invitation.link)
    client.post_form("/enrol", {"code": invitation.code_display})

    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM invitations")).all()
        events = db.session.scalars(select(AuditEvent)).all()
    stored = " ".join(str(value) for row in rows for value in row)
    stored += " ".join(f"{e.subject} {e.detail} {e.path}" for e in events)
    for secret in (invitation.token, invitation.code, invitation.code_display):
        assert secret not in stored
        assert secret.lower() not in stored.lower()


def test_an_invitation_for_a_closed_account_does_not_work(app, client, actors):
    invitation = invite(app, actors.nurse_a)
    update_row(app, User, actors.nurse_a, active=False)

    response = client.get(invitation.link)

    assert response.status_code == 404
    assert "That account has been closed" in response.get_data(as_text=True)


def test_opening_and_rejecting_invitations_is_audited(app, client, actors):
    invitation = invite(app, actors.patient_a, actors.nurse_a)
    client.get(invitation.link)
    client.get("/enrol/not-a-real-token")

    with app.app_context():
        events = [(e.action, e.outcome, e.actor_id, e.path) for e in db.session.scalars(select(AuditEvent))]
    # The link's path is its secret: the log holds the route's pattern instead.
    assert ("invitation.opened", "success", actors.patient_a, "/enrol/<token>") in events
    assert ("invitation.rejected", "failure", None, "/enrol/<token>") in events


# ---------------------------------------------------------------- staff invitations


def test_a_staff_invitation_skips_the_date_of_birth(app, client, actors):
    invitation = invite(app, actors.nurse_a, actors.admin)

    response = client.get(invitation.link)

    assert response.headers["Location"] == "/enrol/passkey"
    assert client.get("/enrol/date-of-birth").headers["Location"] == "/enrol/passkey"
    assert options(client, "/enrol/passkey/options")["user"]["name"] == "nurse.a@example.test"


def test_staff_cannot_use_the_password_fallback(app, client, actors):
    client.get(invite(app, actors.nurse_a, actors.admin).link)

    page = client.get("/enrol/passkey").get_data(as_text=True)
    get = client.get("/enrol/password")
    post = client.post_form("/enrol/password", {"password": "kettle purple garden", "confirm": "kettle purple garden"})

    assert "create a password instead" not in page
    assert get.status_code == 404 and post.status_code == 404
    with app.app_context():
        assert db.session.get(User, actors.nurse_a).password_hash is None


def test_a_member_of_staff_enrols_with_a_passkey_and_reaches_their_home(app, client, actors):
    response = enrol_with_passkey(client, FakeAuthenticator(), invite(app, actors.nurse_a), dob=None)

    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/"}
    assert client.get("/").headers["Location"].startswith("/nurse")
