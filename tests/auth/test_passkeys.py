"""Passkeys through the real routes: sign-in, several per person, counters, challenges, tampering."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from werkzeug.security import generate_password_hash

from app.auth import passkeys
from app.models import PasskeyCredential, User
from tests.auth import (
    audit_trail,
    credentials_of,
    enrol_with_passkey,
    invite,
    is_signed_in,
    options,
    register_passkey,
    restore_session_cookie,
    session_cookie,
    sessions_of,
    sign_in_with_passkey,
    update_row,
)
from tests.webauthn_fake import ExcludedCredential, FakeAuthenticator, b64

OPTIONS = "/sign-in/passkey/options"
VERIFY = "/sign-in/passkey/verify"
NOT_RECOGNISED = "We do not recognise that passkey. It may have been removed."
NOT_SIGNED_IN = "We could not sign you in with that passkey. Try again."
UNREADABLE = "Your device sent something we could not read. Try again."


@pytest.fixture
def phone() -> FakeAuthenticator:
    return FakeAuthenticator()


@pytest.fixture
def ann(app, client, actors, phone) -> int:
    """Ann has enrolled with a passkey called 'Phone'; `client` is her signed-in browser."""
    response = enrol_with_passkey(client, phone, invite(app, actors.patient_a), name="Phone")
    assert response.status_code == 200, response.get_json()
    return actors.patient_a


def enrol(app, patient_id: int, authenticator: FakeAuthenticator, browser) -> None:
    response = enrol_with_passkey(browser, authenticator, invite(app, patient_id))
    assert response.status_code == 200, response.get_json()


def post_raw(browser, url: str, body: bytes):
    headers = {"X-CSRFToken": browser.csrf_token(), "Content-Type": "application/json", "Accept": "application/json"}
    return browser.post(url, data=body, headers=headers)


# ---------------------------------------------------------------- signing in


def test_a_patient_signs_in_with_their_passkey_without_giving_a_name_or_number(app, ann, phone, new_client):
    browser = new_client()
    challenge = options(browser, OPTIONS)
    assert challenge["allowCredentials"] == []  # discoverable: the server reveals no credentials
    assert challenge["userVerification"] == "required"

    response = browser.post_json(VERIFY, phone.authenticate(challenge))

    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/"}
    assert "Hello Ann" in browser.get("/my-care").get_data(as_text=True)
    assert ("signin.passkey", "success", ann) in audit_trail(app, "signin")


def test_signing_in_records_when_the_passkey_was_last_used(app, ann, phone, new_client):
    assert credentials_of(app, ann)[0].last_used_at is None
    sign_in_with_passkey(new_client(), phone)
    assert credentials_of(app, ann)[0].last_used_at is not None


def test_a_closed_account_cannot_sign_in_with_a_passkey(app, ann, phone, new_client):
    update_row(app, User, ann, active=False)
    browser = new_client()

    response = sign_in_with_passkey(browser, phone)

    assert response.status_code == 403
    assert response.get_json()["detail"] == "This account has been closed. Contact your team."
    assert not is_signed_in(browser)
    assert ("signin.passkey", "failure", ann) in audit_trail(app, "signin")


# ---------------------------------------------------------------- several passkeys


def test_a_person_can_add_a_second_passkey_and_sign_in_with_either(app, client, ann, phone, new_client):
    laptop = FakeAuthenticator()

    response = register_passkey(client, laptop, at="/account/passkeys", name="Laptop")

    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/account/passkeys"}
    assert [c.name for c in credentials_of(app, ann)] == ["Phone", "Laptop"]
    for authenticator in (phone, laptop):
        browser = new_client()
        assert sign_in_with_passkey(browser, authenticator).status_code == 200
        assert is_signed_in(browser)


def test_the_same_device_is_not_offered_to_register_twice(client, ann, phone):
    registration = options(client, "/account/passkeys/options")

    assert [c["id"] for c in registration["excludeCredentials"]] == [phone.credentials[0].id]
    with pytest.raises(ExcludedCredential):
        phone.register(registration)


def test_the_passkeys_page_lists_each_passkey_by_name(client, ann):
    register_passkey(client, FakeAuthenticator(), at="/account/passkeys", name="Laptop")

    html = client.get("/account/passkeys").get_data(as_text=True)

    assert "Phone" in html and "Laptop" in html


def test_the_passkeys_page_gives_london_dates_the_same_on_every_platform(app, client, ann):
    # 11:30pm UTC on 30 June is already 1 July in London (summer time).
    [phone] = credentials_of(app, ann)
    update_row(app, PasskeyCredential, phone.id, created_at=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc),
               last_used_at=datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))

    html = client.get("/account/passkeys").get_data(as_text=True)

    assert "Added 1 July 2026, last used 5 January 2026" in html


def test_a_passkey_can_be_renamed(app, client, ann):
    [credential] = credentials_of(app, ann)

    response = client.post_form(f"/account/passkeys/{credential.id}/rename", {"name": "  Work phone  "})

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/passkeys"
    assert credentials_of(app, ann)[0].name == "Work phone"
    assert ("passkey.rename", "success", ann) in audit_trail(app, "passkey")


@pytest.mark.parametrize(
    "name, message",
    [("", "Enter a name for this passkey"), ("x" * 61, "Name must be 60 characters or fewer")],
    ids=["empty", "too long"],
)
def test_a_passkey_name_must_be_given_and_short(app, client, ann, name, message):
    [credential] = credentials_of(app, ann)

    response = client.post_form(f"/account/passkeys/{credential.id}/rename", {"name": name})

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert credentials_of(app, ann)[0].name == "Phone"


def test_a_passkey_can_be_removed_when_another_remains_and_then_no_longer_signs_in(
    app, client, ann, phone, new_client
):
    register_passkey(client, FakeAuthenticator(), at="/account/passkeys", name="Laptop")
    phone_credential = credentials_of(app, ann)[0]

    response = client.post_form(f"/account/passkeys/{phone_credential.id}/remove")

    assert response.status_code == 303
    assert [c.name for c in credentials_of(app, ann)] == ["Laptop"]
    refused = sign_in_with_passkey(new_client(), phone)
    assert refused.status_code == 400
    assert refused.get_json()["detail"] == NOT_RECOGNISED


def test_the_only_way_in_cannot_be_removed(app, client, ann):
    [credential] = credentials_of(app, ann)

    page = client.get(f"/account/passkeys/{credential.id}/remove").get_data(as_text=True)
    response = client.post_form(f"/account/passkeys/{credential.id}/remove")

    assert "This is your only way to sign in" in page
    assert "This is your only way to sign in" in response.get_data(as_text=True)
    assert len(credentials_of(app, ann)) == 1


def test_the_only_passkey_can_be_removed_when_a_password_is_set(app, client, ann):
    update_row(app, User, ann, password_hash=generate_password_hash("kettle purple garden"))
    [credential] = credentials_of(app, ann)

    response = client.post_form(f"/account/passkeys/{credential.id}/remove")

    assert response.status_code == 303
    assert credentials_of(app, ann) == []


@pytest.mark.parametrize(
    "method, action",
    [("GET", "rename"), ("POST", "rename"), ("GET", "remove"), ("POST", "remove")],
)
def test_a_patient_cannot_see_rename_or_remove_another_patients_passkey(
    app, client, ann, actors, new_client, method, action
):
    ben_browser = new_client()
    enrol(app, actors.patient_b, FakeAuthenticator(), ben_browser)
    register_passkey(ben_browser, FakeAuthenticator(), at="/account/passkeys", name="Ben's laptop")
    bens = credentials_of(app, actors.patient_b)
    url = f"/account/passkeys/{bens[0].id}/{action}"

    if method == "GET":
        response = client.get(url)
    else:
        response = client.post_form(url, {"name": "Mine now"})

    assert response.status_code == 404
    assert [(c.id, c.name) for c in credentials_of(app, actors.patient_b)] == [(c.id, c.name) for c in bens]
    assert ("passkey.access_refused", "refused", ann) in audit_trail(app, "passkey")


# ---------------------------------------------------------------- the sign counter


def test_a_counter_that_moves_forward_is_stored(app, actors, client, new_client):
    key = FakeAuthenticator(sign_count_start=5, counter_step=7)
    enrol(app, actors.patient_a, key, client)
    assert credentials_of(app, actors.patient_a)[0].sign_count == 5

    sign_in_with_passkey(new_client(), key)
    assert credentials_of(app, actors.patient_a)[0].sign_count == 12
    sign_in_with_passkey(new_client(), key)
    assert credentials_of(app, actors.patient_a)[0].sign_count == 19


def test_a_counter_beyond_two_to_the_31_still_signs_in(app, actors, client, new_client):
    key = FakeAuthenticator(sign_count_start=2**31 - 1)
    enrol(app, actors.patient_a, key, client)

    for _ in range(2):
        browser = new_client()
        assert sign_in_with_passkey(browser, key).status_code == 200
        assert is_signed_in(browser)
    assert credentials_of(app, actors.patient_a)[0].sign_count >= 2**31 - 1


@pytest.mark.parametrize("sent", [10, 9, 0], ids=["repeated", "went backwards", "dropped to zero"])
def test_a_counter_that_does_not_move_forward_is_refused_and_not_stored(app, actors, client, new_client, sent):
    key = FakeAuthenticator(sign_count_start=10)
    enrol(app, actors.patient_a, key, client)
    browser = new_client()

    response = sign_in_with_passkey(browser, key, counter=sent)

    assert response.status_code == 400
    assert response.get_json()["detail"] == NOT_SIGNED_IN
    assert not is_signed_in(browser)
    assert credentials_of(app, actors.patient_a)[0].sign_count == 10
    assert audit_trail(app, "signin")[-1] == ("signin.passkey", "failure", None)


def test_a_synced_passkey_that_always_sends_zero_keeps_working(app, actors, client, new_client):
    key = FakeAuthenticator(synced=True)
    enrol(app, actors.patient_a, key, client)

    for _ in range(3):
        browser = new_client()
        assert sign_in_with_passkey(browser, key).status_code == 200
        assert is_signed_in(browser)

    [credential] = credentials_of(app, actors.patient_a)
    assert credential.sign_count == 0
    assert credential.backup_eligible and credential.backed_up


# ---------------------------------------------------------------- challenges


def test_a_challenge_works_only_once(ann, phone, new_client):
    browser = new_client()
    signed = phone.authenticate(options(browser, OPTIONS))
    assert browser.post_json(VERIFY, signed).status_code == 200

    replay = browser.post_json(VERIFY, signed)

    assert replay.status_code == 400
    assert replay.get_json()["detail"] == "That took too long or the page was opened twice. Try again."


@pytest.mark.parametrize("synced", [True, False], ids=["synced passkey", "counting passkey"])
def test_replaying_a_sign_in_with_a_copy_of_the_old_cookie_fails(app, actors, client, new_client, synced):
    key = FakeAuthenticator(synced=synced)
    enrol(app, actors.patient_a, key, client)
    attacker = new_client()
    signed = key.authenticate(options(attacker, OPTIONS))
    cookie_with_challenge = session_cookie(attacker)
    assert attacker.post_json(VERIFY, signed).status_code == 200
    sessions_before = len(sessions_of(app, actors.patient_a))

    attacker.post_form("/sign-out")
    restore_session_cookie(attacker, cookie_with_challenge)
    replay = attacker.post_json(VERIFY, signed)

    assert replay.status_code == 400
    assert not is_signed_in(attacker)
    assert len(sessions_of(app, actors.patient_a)) == sessions_before


def test_a_challenge_only_works_in_the_browser_that_asked_for_it(ann, phone, new_client):
    alice, mallory = new_client(), new_client()
    signed = phone.authenticate(options(alice, OPTIONS))

    without_challenge = mallory.post_json(VERIFY, signed)
    options(mallory, OPTIONS)  # Mallory now has a challenge of her own
    with_other_challenge = mallory.post_json(VERIFY, signed)

    assert without_challenge.status_code == 400
    assert with_other_challenge.status_code == 400
    assert not is_signed_in(mallory)
    assert alice.post_json(VERIFY, signed).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.mark.parametrize("wait, works", [(299, True), (301, False)])
def test_a_sign_in_challenge_expires(app, ann, phone, new_client, monkeypatch, wait, works):
    app.config["WEBAUTHN_CHALLENGE_SECONDS"] = 300
    clock = Clock()
    monkeypatch.setattr(passkeys, "time", clock)
    browser = new_client()
    challenge = options(browser, OPTIONS)

    clock.now += wait
    response = browser.post_json(VERIFY, phone.authenticate(challenge))

    assert response.status_code == (200 if works else 400)
    assert is_signed_in(browser) is works
    if not works:
        assert response.get_json()["detail"] == "That took too long. Try again."


def test_a_registration_challenge_expires(app, actors, client, monkeypatch):
    app.config["WEBAUTHN_CHALLENGE_SECONDS"] = 300
    clock = Clock()
    monkeypatch.setattr(passkeys, "time", clock)
    client.get(invite(app, actors.nurse_a).link)
    registration = options(client, "/enrol/passkey/options")

    clock.now += 301
    response = client.post_json("/enrol/passkey/verify", FakeAuthenticator().register(registration))

    assert response.status_code == 400
    assert response.get_json()["detail"] == "That took too long. Try again."
    assert credentials_of(app, actors.nurse_a) == []


# ---------------------------------------------------------------- tampered sign-in responses


def _stranger_credential(challenge: dict) -> dict:
    stranger = FakeAuthenticator()
    stranger.register({"rp": {"id": "localhost"}, "user": {"id": b64(b"someone else")}, "challenge": b64(b"c")})
    return stranger.authenticate(challenge)


def _edit(change):
    def make(key: FakeAuthenticator, challenge: dict) -> dict:
        body = key.authenticate(challenge)
        change(body)
        return body

    return make


TAMPERED_SIGN_INS = {
    "wrong origin": (lambda key, c: key.authenticate(c, origin="https://evil.example"), NOT_SIGNED_IN),
    "wrong challenge": (lambda key, c: key.authenticate(c, challenge=b64(b"x" * 64)), NOT_SIGNED_IN),
    "flipped signature byte": (lambda key, c: key.authenticate(c, flip_signature=True), NOT_SIGNED_IN),
    "wrong rpIdHash": (lambda key, c: key.authenticate(c, rp_id="evil.example"), NOT_SIGNED_IN),
    # Possession alone is not enough: the fingerprint, face or screen lock must have been used.
    "user not verified (UV flag off)": (lambda key, c: key.authenticate(c, user_verified=False), NOT_SIGNED_IN),
    "user not present (UP flag off)": (lambda key, c: key.authenticate(c, user_present=False), NOT_SIGNED_IN),
    "unknown credential": (lambda key, c: _stranger_credential(c), NOT_RECOGNISED),
    "another person's user handle": (lambda key, c: key.authenticate(c, user_handle=b64(b"not ann")), NOT_RECOGNISED),
    "id and rawId differ": (_edit(lambda b: b.update(id=b64(b"another id"))), NOT_SIGNED_IN),
    "signature missing": (_edit(lambda b: b["response"].pop("signature")), UNREADABLE),
    "authenticatorData too short": (_edit(lambda b: b["response"].update(authenticatorData=b64(b"short"))), NOT_SIGNED_IN),
    "rawId not base64url": (_edit(lambda b: b.update(rawId="a")), UNREADABLE),
    "response is a list": (_edit(lambda b: b.update(response=[1, 2])), UNREADABLE),
    "userHandle is a number": (_edit(lambda b: b["response"].update(userHandle=7)), UNREADABLE),
    "wrong type": (_edit(lambda b: b.update(type="password")), UNREADABLE),
}


@pytest.mark.parametrize("tamper, message", TAMPERED_SIGN_INS.values(), ids=TAMPERED_SIGN_INS.keys())
def test_a_tampered_sign_in_is_refused_with_a_clear_message(app, ann, phone, new_client, tamper, message):
    browser = new_client()
    body = tamper(phone, options(browser, OPTIONS))

    response = browser.post_json(VERIFY, body)

    assert response.status_code == 400
    assert response.get_json()["detail"] == message
    assert not is_signed_in(browser)
    assert audit_trail(app, "signin") == [("signin.passkey", "failure", None)]


RAW_BODIES = {
    "garbage text": b"this is not json",
    "empty body": b"",
    "a JSON list": b"[1, 2, 3]",
    "JSON null": b"null",
    "a number": b"42",
    "an empty object": b"{}",
    "bytes that are not UTF-8": b"\xff\xfe\x00{",
}


@pytest.mark.parametrize("body", RAW_BODIES.values(), ids=RAW_BODIES.keys())
@pytest.mark.parametrize("url", [VERIFY, "/enrol/passkey/verify"], ids=["sign-in", "enrolment"])
def test_garbage_sent_to_a_verify_endpoint_gets_a_json_400_not_a_500(app, actors, new_client, url, body):
    browser = new_client()
    if url == VERIFY:
        options(browser, OPTIONS)
    else:
        browser.get(invite(app, actors.nurse_a).link)
        options(browser, "/enrol/passkey/options")

    response = post_raw(browser, url, body)

    assert response.status_code == 400
    assert response.get_json()["detail"] in (UNREADABLE, "We could not set up that passkey. Try again.")
    assert not is_signed_in(browser)


def test_a_verify_without_asking_for_options_first_is_refused(new_client):
    response = new_client().post_json(VERIFY, {"id": "x"})

    assert response.status_code == 400
    assert response.get_json()["detail"] == "That took too long or the page was opened twice. Try again."


def test_sign_in_endpoints_need_the_csrf_token(new_client):
    browser = new_client()
    assert browser.post(OPTIONS, json={}, headers={"Accept": "application/json"}).status_code == 400
