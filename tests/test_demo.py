"""Demo mode: sign in as any seeded person without a passkey, and only ever in demo mode."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app import create_app
from app.demo import seed_demo
from app.extensions import db
from app.models import User
from config import ConfigError, ProductionConfig
from tests.auth import Invite, audit_trail, confirm_date_of_birth, enrol_with_passkey, is_signed_in, sessions_of
from tests.webauthn_fake import FakeAuthenticator


@pytest.fixture
def app_config(app_config) -> dict:
    return {**app_config, "DEMO_MODE": True}


@pytest.fixture
def demo(app) -> dict[str, int]:
    """Seeded demo people, by name."""
    with app.app_context():
        seed_demo("http://localhost:5000")
        return {u.display_name: u.id for u in db.session.scalars(select(User))}


def demo_sign_in(browser, user_id: int):
    return browser.post_form("/demo/sign-in", {"user_id": user_id})


def test_the_demo_page_lists_every_seeded_person(client, demo):
    html = client.get("/demo").get_data(as_text=True)

    for name in ("Margaret Okafor", "David Hughes", "Sam Taylor", "Alex Morgan", "Jo Admin"):
        assert f"Sign in as {name}" in html


def test_signing_in_as_a_demo_patient_opens_their_care_page(app, client, demo):
    response = demo_sign_in(client, demo["Margaret Okafor"])

    assert response.headers["Location"] == "/"
    assert "Hello Margaret" in client.get("/my-care").get_data(as_text=True)
    assert [s.method for s in sessions_of(app, demo["Margaret Okafor"])] == ["demo"]
    assert ("signin.demo", "success", demo["Margaret Okafor"]) in audit_trail(app, "signin")


def test_a_demo_nurse_lands_on_a_queue_with_work_in_it(client, demo):
    demo_sign_in(client, demo["Sam Taylor"])
    assert client.get("/").headers["Location"] == "/nurse/queue"
    queue = client.get("/nurse/queue").get_data(as_text=True)
    # Priya ticked a fever in her needs assessment: a red flag waits at the top.
    assert "Priya Sharma" in queue and "High temperature or fever" in queue


def test_demo_sign_in_only_works_for_demo_people(client, demo, actors):
    response = demo_sign_in(client, actors.patient_a)

    assert response.status_code == 404
    assert not is_signed_in(client)


def test_demo_sign_in_needs_the_csrf_token(client, demo):
    response = client.post("/demo/sign-in", data={"user_id": demo["Margaret Okafor"]})

    assert response.headers["Location"] == "/sign-in"
    assert not is_signed_in(client)


@pytest.mark.parametrize("method, url", [("GET", "/demo"), ("POST", "/demo/sign-in")])
def test_demo_routes_are_404_when_demo_mode_is_off(app, client, demo, method, url):
    app.config["DEMO_MODE"] = False

    if method == "GET":
        response = client.get(url)
    else:
        response = demo_sign_in(client, demo["Margaret Okafor"])

    assert response.status_code == 404
    assert not is_signed_in(client)


def test_the_sign_in_page_offers_the_demo_only_in_demo_mode(app, client):
    assert "/demo" in client.get("/sign-in").get_data(as_text=True)
    app.config["DEMO_MODE"] = False
    assert "/demo" not in client.get("/sign-in").get_data(as_text=True)


def test_production_refuses_to_start_in_demo_mode(app):
    with pytest.raises(ConfigError, match="Demo mode can never be on in production"):
        create_app({"SECRET_KEY": "p" * 40, "DEMO_MODE": True}, config_class=ProductionConfig)


def test_a_printed_demo_invitation_and_date_of_birth_set_up_a_real_passkey(app, client, runner):
    output = runner.invoke(args=["seed-demo"]).output
    line = next(line for line in output.splitlines() if "Priya Sharma" in line)
    day, month, year = re.search(r"date of birth (\d\d) (\d\d) (\d{4})", line).groups()
    link = re.search(r"/enrol/[\w-]+", output[output.index(line):]).group(0)

    response = enrol_with_passkey(
        client, FakeAuthenticator(), Invite.from_link(link), dob=date(int(year), int(month), int(day))
    )

    assert response.status_code == 200
    assert "Hello Priya" in client.get("/my-care").get_data(as_text=True)


def test_a_wrong_date_of_birth_stops_a_demo_invitation_too(app, client, runner):
    output = runner.invoke(args=["seed-demo"]).output
    link = re.search(r"/enrol/[\w-]+", output[output.index("Priya Sharma"):]).group(0)
    client.get(link)

    assert "does not match our records" in confirm_date_of_birth(client, date(1974, 7, 22)).get_data(as_text=True)
