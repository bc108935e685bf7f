"""Signing in with an NHS number and password, for patients whose browser cannot make a passkey."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from werkzeug.security import generate_password_hash

from app.models import User
from tests.auth import (
    audit_trail,
    give_nhs_number,
    is_signed_in,
    sessions_of,
    update_row,
)

PASSWORD = "kettle purple garden"
NOT_RIGHT = "The NHS number or password is not right. Check them and try again"
UNKNOWN_NHS_NUMBER = "9434765919"  # valid check digit, belongs to nobody here


@dataclass
class Patient:
    id: int
    nhs_number: str

    @property
    def spaced(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"


@pytest.fixture
def ann(app, actors) -> Patient:
    """Ann set a password instead of a passkey (a cheap hash keeps the tests fast)."""
    update_row(app, User, actors.patient_a, password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    return Patient(actors.patient_a, give_nhs_number(app, actors.profile_a, "9994242423"))


def sign_in(browser, nhs_number: str, password: str):
    return browser.post_form("/sign-in/password", {"nhs_number": nhs_number, "password": password})


@pytest.mark.parametrize(
    "written", [lambda p: p.nhs_number, lambda p: p.spaced, lambda p: p.spaced.replace(" ", "-")],
    ids=["digits only", "with spaces", "with dashes"],
)
def test_a_patient_signs_in_with_their_nhs_number_and_password(app, client, ann, written):
    response = sign_in(client, written(ann), PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Hello Ann" in client.get("/my-care").get_data(as_text=True)
    assert [s.method for s in sessions_of(app, ann.id)] == ["password"]
    assert ("signin.password", "success", ann.id) in audit_trail(app, "signin")


def test_a_wrong_password_is_refused(app, client, ann):
    response = sign_in(client, ann.nhs_number, "not the password")

    assert response.status_code == 200
    assert NOT_RIGHT in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert ("signin.password", "failure", ann.id) in audit_trail(app, "signin")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Enter your NHS number"),
        ("999 123 456", "NHS number must be 10 numbers"),
        ("999 123 456A", "NHS number must only include numbers 0 to 9"),
        ("943 476 5910", "Enter a valid NHS number"),
    ],
    ids=["empty", "nine digits", "a letter", "wrong check digit"],
)
def test_an_nhs_number_that_cannot_be_right_is_explained(app, client, ann, typed, message):
    response = sign_in(client, typed, PASSWORD)

    assert message in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_a_missing_password_is_explained(client, ann):
    assert "Enter your password" in sign_in(client, ann.nhs_number, "").get_data(as_text=True)


def _page_without_what_was_typed(response, *typed: str) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r'(csrf_token" value=|csrf-token" content=|nonce=)"[^"]*"', r'\1""', html)
    for value in typed:
        html = html.replace(value, "TYPED")
    return html


def test_an_unknown_nhs_number_looks_the_same_as_a_wrong_password(app, client, ann, actors, new_client):
    # Ben has a passkey and no password; the third number belongs to nobody.
    bens = give_nhs_number(app, actors.profile_b, "9994343432")
    answers = {
        "wrong password": sign_in(new_client(), ann.nhs_number, "not the password"),
        "unknown number": sign_in(new_client(), UNKNOWN_NHS_NUMBER, "not the password"),
        "no password set": sign_in(new_client(), bens, PASSWORD),
    }

    pages = {
        name: _page_without_what_was_typed(response, ann.nhs_number, UNKNOWN_NHS_NUMBER, bens)
        for name, response in answers.items()
    }
    assert {response.status_code for response in answers.values()} == {200}
    assert NOT_RIGHT in pages["wrong password"]
    assert pages["wrong password"] == pages["unknown number"] == pages["no password set"]


def test_a_closed_account_cannot_sign_in_with_a_password(app, client, ann):
    update_row(app, User, ann.id, active=False)

    response = sign_in(client, ann.nhs_number, PASSWORD)

    assert NOT_RIGHT in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert sessions_of(app, ann.id) == []
