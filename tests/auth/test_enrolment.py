"""Enrolment: confirming a patient's date of birth, then creating a passkey or a password."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth import routes
from app.extensions import db
from app.models import Invitation, User
from app.timeutil import utcnow
from tests.auth import (
    ANN_DOB,
    audit_trail,
    confirm_date_of_birth,
    credentials_of,
    enrol_with_passkey,
    give_nhs_number,
    invitation_row,
    invite,
    is_signed_in,
    options,
    register_passkey,
    restore_session_cookie,
    session_cookie,
)
from tests.helpers import InDays, sign_in_as
from tests.webauthn_fake import FakeAuthenticator, b64

WRONG_DOB = "That date of birth does not match our records. Check it and try again"
TOO_MANY = "That date of birth did not match too many times, so this invitation has stopped working"
NOT_SET_UP = "We could not set up that passkey. Try again."
PASSWORD = "kettle purple garden"


def dob_form(day, month, year) -> dict:
    return {"date_of_birth-day": day, "date_of_birth-month": month, "date_of_birth-year": year}


# ---------------------------------------------------------------- date of birth


def test_a_patient_must_confirm_their_date_of_birth_before_anything_else(app, client, actors):
    client.get(invite(app, actors.patient_a).link)

    assert client.post_json("/enrol/passkey/options").status_code == 404
    assert client.post_json("/enrol/passkey/verify", {}).status_code == 404
    assert client.get("/enrol/passkey").headers["Location"] == "/enrol/date-of-birth"
    assert client.get("/enrol/password").headers["Location"] == "/enrol/date-of-birth"
    assert client.post_form("/enrol/password", {"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.get(User, actors.patient_a).password_hash is None


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", "/enrol/date-of-birth"),
        ("GET", "/enrol/passkey"),
        ("POST", "/enrol/passkey/options"),
        ("POST", "/enrol/passkey/verify"),
        ("GET", "/enrol/password"),
    ],
)
def test_enrolment_steps_are_404_without_an_invitation(client, method, url):
    response = client.get(url) if method == "GET" else client.post_json(url)
    assert response.status_code == 404


def test_the_right_date_of_birth_leads_to_creating_a_passkey(app, client, actors):
    client.get(invite(app, actors.patient_a).link)

    response = confirm_date_of_birth(client, ANN_DOB)

    assert response.headers["Location"] == "/enrol/passkey"
    assert options(client, "/enrol/passkey/options")["user"]["displayName"] == "Ann Able"
    assert ("invitation.dob_confirmed", "success", actors.patient_a) in audit_trail(app, "invitation")


def test_a_wrong_date_of_birth_is_explained_and_counted(app, client, actors):
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)

    response = confirm_date_of_birth(client, ANN_DOB + timedelta(days=1))

    assert response.status_code == 200
    assert WRONG_DOB in response.get_data(as_text=True)
    assert invitation_row(app, invitation.id).dob_failures == 1
    assert client.post_json("/enrol/passkey/options").status_code == 404


@pytest.mark.parametrize(
    "typed, message",
    [
        (("", "", ""), "Enter your date of birth"),
        (("17", "", "1960"), "Date must include a month"),
        (("31", "2", "1960"), "Date must be a real date"),
        (("17", "5", "60"), "Year must include 4 numbers"),
        (InDays(1), "Date of birth must be in the past"),  # tomorrow, taken when the test runs
        (("99999999999999999999", "5", "1960"), "Date must be a real date"),
        (("17", "99999999999999999999", "1960"), "Date must be a real date"),
        (("²", "5", "1960"), "Date must be a real date, using numbers only"),
        (("17\x00", "5", "1960"), "Date must be a real date, using numbers only"),
    ],
    ids=["empty", "no month", "not a real date", "two-digit year", "in the future", "huge day", "huge month",
         "not an ASCII digit", "control character"],
)
def test_a_date_that_cannot_be_a_date_of_birth_is_explained_and_not_counted(app, client, actors, typed, message, today):
    if isinstance(typed, InDays):
        when = typed.on(today)
        typed = (str(when.day), str(when.month), str(when.year))
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)

    response = client.post_form("/enrol/date-of-birth", dob_form(*typed))

    assert message in response.get_data(as_text=True)
    assert invitation_row(app, invitation.id).dob_failures == 0


def test_five_wrong_dates_of_birth_end_the_invitation(app, client, actors, new_client):
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)
    wrong = ANN_DOB.replace(year=1961)

    for _ in range(4):
        assert WRONG_DOB in confirm_date_of_birth(client, wrong).get_data(as_text=True)
    fifth = confirm_date_of_birth(client, wrong)

    assert fifth.status_code == 403
    assert TOO_MANY in fifth.get_data(as_text=True)
    assert invitation_row(app, invitation.id).revoked_at is not None
    # Even the right answer no longer helps, in this browser or another.
    assert confirm_date_of_birth(client, ANN_DOB).status_code == 404
    again = new_client().get(invitation.link)
    assert again.status_code == 404
    assert "did not match too many times" in again.get_data(as_text=True)


def test_the_limit_on_wrong_dates_of_birth_comes_from_settings(app, client, actors):
    app.config["INVITATION_MAX_DOB_ATTEMPTS"] = 2
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)

    confirm_date_of_birth(client, ANN_DOB.replace(year=1961))
    assert confirm_date_of_birth(client, ANN_DOB.replace(year=1961)).status_code == 403


# ---------------------------------------------------------------- with a passkey


def test_a_patient_enrols_with_a_passkey_and_is_signed_in(app, client, actors):
    invitation = invite(app, actors.patient_a, actors.nurse_a)

    response = enrol_with_passkey(client, FakeAuthenticator(), invitation, name="My phone")

    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/"}
    assert "Hello Ann" in client.get("/my-care").get_data(as_text=True)
    [credential] = credentials_of(app, actors.patient_a)
    assert credential.name == "My phone"
    assert invitation_row(app, invitation.id).used_at is not None
    events = audit_trail(app)
    assert ("invitation.used", "success", actors.patient_a) in events
    assert ("passkey.add", "success", actors.patient_a) in events


def test_a_passkey_without_a_name_is_called_passkey(app, client, actors):
    enrol_with_passkey(client, FakeAuthenticator(), invite(app, actors.patient_a))
    assert credentials_of(app, actors.patient_a)[0].name == "Passkey"


@pytest.mark.parametrize(
    "sent, stored",
    [
        (["internal", "hybrid"], ["internal", "hybrid"]),
        (["usb", "nfc", "usb"], ["usb", "nfc"]),
        (["usb", "carrier-pigeon", 7, None], ["usb"]),
        ("usb", []),  # a string is not a list of transports
        ({"usb": True}, []),
        ([], []),
    ],
    ids=["platform", "duplicates", "unknown values", "a string", "an object", "none"],
)
def test_the_transports_the_device_reports_are_stored_as_a_clean_list(app, client, actors, sent, stored):
    client.get(invite(app, actors.nurse_a).link)

    response = register_passkey(client, FakeAuthenticator(), transports=sent)

    assert response.status_code == 200
    assert credentials_of(app, actors.nurse_a)[0].transports == stored


def test_stored_transports_are_offered_back_when_excluding_existing_passkeys(app, client, actors):
    enrol_with_passkey(client, FakeAuthenticator(transports=("usb", "nfc")), invite(app, actors.patient_a))

    [excluded] = options(client, "/account/passkeys/options")["excludeCredentials"]

    assert excluded["transports"] == ["usb", "nfc"]


def _registration(**knobs):
    return lambda registration: FakeAuthenticator().register(registration, **knobs)


def _attestation(value: str):
    def make(registration):
        body = FakeAuthenticator().register(registration)
        body["response"]["attestationObject"] = value
        return body

    return make


TAMPERED_REGISTRATIONS = {
    "wrong origin": _registration(origin="https://evil.example"),
    "wrong challenge": _registration(challenge=b64(b"x" * 64)),
    "wrong rpIdHash": _registration(rp_id="evil.example"),
    "user not verified": _registration(user_verified=False),
    "attestation is not CBOR": _attestation(b64(b"not cbor")),
}


@pytest.mark.parametrize("tamper", TAMPERED_REGISTRATIONS.values(), ids=TAMPERED_REGISTRATIONS.keys())
def test_a_tampered_registration_is_refused_and_the_invitation_still_works(app, client, actors, tamper):
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)
    confirm_date_of_birth(client, ANN_DOB)

    response = client.post_json("/enrol/passkey/verify", tamper(options(client, "/enrol/passkey/options")))

    assert response.status_code == 400
    assert response.get_json()["detail"] == NOT_SET_UP
    assert credentials_of(app, actors.patient_a) == []
    assert not is_signed_in(client)
    assert ("passkey.add", "failure", actors.patient_a) in audit_trail(app, "passkey")
    # The person can simply try again.
    assert register_passkey(client, FakeAuthenticator()).status_code == 200
    assert invitation_row(app, invitation.id).used_at is not None


def test_enrolment_cannot_be_completed_twice_even_with_a_copy_of_the_old_cookie(app, client, actors, new_client):
    client.get(invite(app, actors.patient_a).link)
    confirm_date_of_birth(client, ANN_DOB)
    signed = FakeAuthenticator().register(options(client, "/enrol/passkey/options"))
    mid_enrolment = session_cookie(client)
    assert client.post_json("/enrol/passkey/verify", signed).status_code == 200

    copy = new_client()
    restore_session_cookie(copy, mid_enrolment)

    assert copy.post_json("/enrol/passkey/verify", signed).status_code == 404
    assert copy.post_json("/enrol/passkey/options").status_code == 404
    assert copy.post_form("/enrol/password", {"password": PASSWORD, "confirm": PASSWORD}).status_code == 404
    assert len(credentials_of(app, actors.patient_a)) == 1
    with app.app_context():
        assert db.session.get(User, actors.patient_a).password_hash is None


def test_when_two_requests_race_to_finish_enrolment_only_one_wins(app, client, actors, monkeypatch):
    invitation = invite(app, actors.nurse_a)
    client.get(invitation.link)
    registration = options(client, "/enrol/passkey/options")
    real_verify = routes.passkeys.verify_registration

    def verify_while_another_request_finishes_first(*args, **kwargs):
        with db.engine.begin() as other_request:
            other_request.execute(
                Invitation.__table__.update()
                .where(Invitation.__table__.c.id == invitation.id)
                .values(used_at=utcnow())
            )
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(routes.passkeys, "verify_registration", verify_while_another_request_finishes_first)
    response = client.post_json("/enrol/passkey/verify", FakeAuthenticator().register(registration))

    assert response.status_code == 409
    assert response.get_json()["detail"] == "That invitation has already been used. Ask your nurse for a new one"
    assert credentials_of(app, actors.nurse_a) == []
    assert not is_signed_in(client)


def test_a_patient_who_lost_their_phone_enrols_a_new_one_with_a_new_invitation(app, client, actors, new_client):
    enrol_with_passkey(client, FakeAuthenticator(), invite(app, actors.patient_a), name="Old phone")

    response = enrol_with_passkey(new_client(), FakeAuthenticator(), invite(app, actors.patient_a), name="New phone")

    assert response.status_code == 200
    assert [c.name for c in credentials_of(app, actors.patient_a)] == ["Old phone", "New phone"]


def typed_code(invitation):
    return lambda browser: browser.post_form("/enrol", {"code": invitation.code_display})


def opened_link(invitation):
    return lambda browser: browser.get(invitation.link)


@pytest.mark.parametrize("how", [opened_link, typed_code], ids=["link", "code"])
def test_someone_elses_invitation_asks_before_signing_the_first_person_out(app, client, actors, how):
    sign_in_as(client, actors.patient_a)
    invitation = invite(app, actors.patient_a2)

    response = how(invitation)(client)

    # A redirect either way: See Other after the typed code's post.
    assert response.status_code in (302, 303) and response.headers["Location"] == "/enrol/switch-account"
    page = client.get("/enrol/switch-account").get_data(as_text=True)
    assert "You are signed in as Ann" in page
    assert "Sign out and continue" in page and 'value="sign-out"' in page
    assert invitation.token not in page
    assert is_signed_in(client), "nothing happens until they say so"


def test_signing_out_to_use_someone_elses_invitation_goes_on_to_their_enrolment(app, client, actors):
    sign_in_as(client, actors.patient_a)
    client.get(invite(app, actors.patient_a2).link)

    response = client.post_form("/enrol/switch-account", {"choice": "sign-out"})

    assert response.headers["Location"] == "/enrol/date-of-birth"
    assert "storage" in response.headers["Clear-Site-Data"]
    assert not is_signed_in(client)
    assert ("signout", "success", actors.patient_a) in audit_trail(app, "signout")
    assert confirm_date_of_birth(client, ANN_DOB).headers["Location"] == "/enrol/passkey"


def test_staying_signed_in_keeps_the_first_person_and_forgets_the_invitation(app, client, actors):
    sign_in_as(client, actors.patient_a)
    client.get(invite(app, actors.patient_a2).link)

    response = client.post_form("/enrol/switch-account", {"choice": "stay"})

    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    assert client.post_form("/enrol/switch-account", {"choice": "sign-out"}).status_code == 404
    assert client.get("/enrol/date-of-birth").status_code == 404


def test_signing_out_for_an_invitation_needs_the_pages_csrf_token(app, client, actors):
    sign_in_as(client, actors.patient_a)
    client.get(invite(app, actors.patient_a2).link)

    client.post("/enrol/switch-account", data={"choice": "sign-out"})

    assert is_signed_in(client)


def test_the_persons_own_invitation_needs_no_question(app, client, actors):
    sign_in_as(client, actors.patient_a)

    response = client.get(invite(app, actors.patient_a).link)

    assert response.headers["Location"] == "/enrol/date-of-birth"
    assert is_signed_in(client)


# ---------------------------------------------------------------- with a password


def test_a_patient_can_enrol_with_a_password_instead(app, client, actors):
    give_nhs_number(app, actors.profile_a, "9994242423")
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)
    confirm_date_of_birth(client, ANN_DOB)
    page = client.get("/enrol/password").get_data(as_text=True)

    response = client.post_form("/enrol/password", {"password": PASSWORD, "confirm": PASSWORD})

    assert "999 424 2423" in page  # the NHS number they will sign in with
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Hello Ann" in client.get("/my-care").get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(User, actors.patient_a).password_hash
    assert stored and PASSWORD not in stored
    assert invitation_row(app, invitation.id).used_at is not None


@pytest.mark.parametrize(
    "password, confirm, message",
    [
        ("", "", "Enter a password"),
        ("short words", "short words", "Password must be at least 12 characters"),
        (PASSWORD, PASSWORD + "s", "Passwords do not match"),
        (PASSWORD, "", "Type the password again"),
    ],
    ids=["empty", "too short", "different", "not repeated"],
)
def test_a_password_must_be_long_enough_and_typed_twice(app, client, actors, password, confirm, message):
    invitation = invite(app, actors.patient_a)
    client.get(invitation.link)
    confirm_date_of_birth(client, ANN_DOB)

    response = client.post_form("/enrol/password", {"password": password, "confirm": confirm})

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert invitation_row(app, invitation.id).used_at is None
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.id == actors.patient_a)) is None
