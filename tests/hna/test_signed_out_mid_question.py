"""A session that times out while someone answers does not lose what they typed."""
from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.hna.models import HNA
from app.models import UserSession
from tests.helpers import sign_in_as


def expire_sessions(app, user_id):
    from datetime import timedelta

    from app.timeutil import utcnow

    with app.app_context():
        db.session.execute(
            update(UserSession).where(UserSession.user_id == user_id)
            .values(last_seen_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()


def test_answer_posted_after_timeout_is_saved_after_signing_in_again(app, client, actors):
    sign_in_as(client, actors.patient_a)
    client.post_form("/hna/start")
    token = client.csrf_token()
    expire_sessions(app, actors.patient_a)

    response = client.post("/hna/questions/matters-matters_most",
                           data={"csrf_token": token, "text": "Seeing my granddaughter graduate"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]

    # Signing in again keeps the waiting answer (a real sign-in renews the session the same way).
    with client.session_transaction() as sess:
        stash = sess["hna_resume"]
    sign_in_as(client, actors.patient_a)
    with client.session_transaction() as sess:
        sess["hna_resume"] = stash
    html = client.get("/hna").get_data(as_text=True)
    assert "We saved the answer you gave before you were signed out" in html
    with app.app_context():
        assert db.session.scalar(select(HNA)).answers["what_matters"]["matters_most"] == "Seeing my granddaughter graduate"


def test_a_stash_from_someone_else_is_not_applied(app, client, actors):
    sign_in_as(client, actors.patient_a2)
    client.post_form("/hna/start")
    sign_in_as(client, actors.patient_a)
    client.post_form("/hna/start")
    with client.session_transaction() as sess:
        sess["hna_resume"] = {"user_id": str(actors.patient_a2), "step": "distress", "data": {"distress": "9"}}
    client.get("/hna")
    with app.app_context():
        for hna in db.session.scalars(select(HNA)):
            assert "distress" not in (hna.answers or {})
