"""A session that times out while someone answers does not lose what they typed, and what they
typed is kept on the server, never in the cookie (which anyone holding it can decode)."""
from __future__ import annotations

import zlib
from datetime import timedelta

import pytest
from itsdangerous import base64_decode
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.hna.models import HNA
from app.models import PatientProfile, User, UserSession
from app.sessions import KEPT_POST_LIFETIME
from app.timeutil import utcnow
from tests.helpers import sign_in_as

pytestmark = pytest.mark.hazard("HAZ-014")

ANSWER = "Seeing my granddaughter graduate"
PASSWORD = "correct horse battery staple"


def expire_sessions(app, user_id):
    with app.app_context():
        db.session.execute(
            update(UserSession).where(UserSession.user_id == user_id)
            .values(last_seen_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()


def cookie_as_anyone_reads_it(app, client) -> str:
    """The session cookie decoded without the secret key: base64 (and zlib) of JSON."""
    value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    compressed = value.startswith(".")
    raw = base64_decode(value.lstrip(".").split(".")[0])
    return (zlib.decompress(raw) if compressed else raw).decode()


def sign_in_with_password(app, client, user_id):
    """A real sign-in (start_session), as a person would after being signed out."""
    with app.app_context():
        db.session.get(User, user_id).password_hash = generate_password_hash(PASSWORD)
        db.session.commit()
        nhs_number = db.session.scalar(select(PatientProfile.nhs_number).where(PatientProfile.user_id == user_id))
    response = client.post_form("/sign-in/password", {"nhs_number": nhs_number, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def answer_after_timeout(app, client, actors):
    sign_in_as(client, actors.patient_a)
    client.post_form("/hna/start")
    token = client.csrf_token()
    expire_sessions(app, actors.patient_a)
    response = client.post("/hna/questions/matters-matters_most", data={"csrf_token": token, "text": ANSWER})
    assert response.status_code == 303 and "/sign-in" in response.headers["Location"]


def kept_answer(app):
    with app.app_context():
        return db.session.scalar(select(UserSession.kept_post).where(UserSession.kept_post.is_not(None)))


def saved_answer(app):
    with app.app_context():
        return (db.session.scalar(select(HNA)).answers.get("what_matters") or {}).get("matters_most")


def test_the_answer_is_kept_on_the_server_and_not_in_the_cookie(app, client, actors):
    answer_after_timeout(app, client, actors)
    assert ANSWER not in cookie_as_anyone_reads_it(app, client)
    assert "sid" in cookie_as_anyone_reads_it(app, client)  # the decoding itself works
    assert kept_answer(app)["data"]["text"] == ANSWER


@pytest.mark.hazard("HAZ-008")
def test_the_answer_is_saved_when_the_same_person_signs_in_again(app, client, actors):
    answer_after_timeout(app, client, actors)
    landing = sign_in_with_password(app, client, actors.patient_a).headers["Location"]
    home = client.get(landing, follow_redirects=True).get_data(as_text=True)
    assert "We saved the answer you gave before you were signed out" in home
    assert saved_answer(app) == ANSWER
    assert kept_answer(app) is None  # taken: never applied twice, never left behind
    assert ANSWER not in cookie_as_anyone_reads_it(app, client)


def test_someone_else_signing_in_on_the_browser_never_gets_it(app, client, actors):
    answer_after_timeout(app, client, actors)
    with app.app_context():
        draft_id = db.session.scalar(select(HNA.id))
    sign_in_with_password(app, client, actors.patient_a2)
    client.post_form("/hna/start")
    client.get("/hna")
    with app.app_context():
        for hna in db.session.scalars(select(HNA)):
            assert "what_matters" not in (hna.answers or {}), hna.id
        assert db.session.get(HNA, draft_id) is not None
    assert kept_answer(app) is None


def test_an_answer_nobody_came_back_for_expires(app, client, actors):
    answer_after_timeout(app, client, actors)
    with app.app_context():
        db.session.execute(update(UserSession).values(kept_post_at=utcnow() - KEPT_POST_LIFETIME - timedelta(minutes=1)))
        db.session.commit()
    sign_in_with_password(app, client, actors.patient_a)
    client.get("/hna")
    assert saved_answer(app) is None
