"""Server-side sessions: renewed at sign-in, idle and absolute limits, signing out, cookie settings."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app import sessions
from app.models import User, UserSession
from app.sessions import TOUCH_EVERY
from app.timeutil import utcnow
from config import ProductionConfig
from tests.auth import (
    audit_trail,
    give_nhs_number,
    is_signed_in,
    restore_session_cookie,
    session_cookie,
    sessions_of,
    update_row,
)
from tests.helpers import commits_during, make_session_activity_due, sign_in_as

PASSWORD = "kettle purple garden"


@pytest.fixture
def ann_nhs_number(app, actors) -> str:
    """Ann signs in with a password here: the quickest real sign-in."""
    update_row(app, User, actors.patient_a, password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    return give_nhs_number(app, actors.profile_a, "9994242423")


def sign_in(browser, nhs_number: str):
    response = browser.post_form("/sign-in/password", {"nhs_number": nhs_number, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def only_session(app, user_id: int) -> UserSession:
    [record] = sessions_of(app, user_id)
    return record


def live_sessions(app, user_id: int) -> int:
    return sum(1 for s in sessions_of(app, user_id) if s.revoked_at is None)


# ---------------------------------------------------------------- signing in


def test_signing_in_again_ends_the_session_the_browser_had(app, client, actors, ann_nhs_number):
    sign_in(client, ann_nhs_number)
    first_cookie = session_cookie(client)

    sign_in(client, ann_nhs_number)

    assert is_signed_in(client)
    assert live_sessions(app, actors.patient_a) == 1
    restore_session_cookie(client, first_cookie)
    assert not is_signed_in(client)


def test_signing_in_starts_from_an_empty_session(client, ann_nhs_number):
    with client.session_transaction() as before:
        before["enrol_invitation_id"] = 123
        before["planted"] = "by someone else"

    sign_in(client, ann_nhs_number)

    with client.session_transaction() as after:
        assert "planted" not in after and "enrol_invitation_id" not in after
        assert after["sid"]


# ---------------------------------------------------------------- idle and absolute limits


def test_a_session_ends_after_the_idle_timeout(app, client, actors):
    sign_in_as(client, actors.patient_a)
    record = only_session(app, actors.patient_a)
    idle = app.config["SESSION_IDLE_SECONDS"]
    update_row(app, UserSession, record.id, last_seen_at=utcnow() - timedelta(seconds=idle + 1))

    response = client.get("/my-care")

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?timeout=1"
    assert "You were signed out because you did nothing for a while" in client.get("/sign-in?timeout=1").get_data(as_text=True)
    assert only_session(app, actors.patient_a).revoked_at is not None
    # Coming back to the page does not bring the session back.
    update_row(app, UserSession, record.id, last_seen_at=utcnow())
    assert not is_signed_in(client)


def test_activity_just_inside_the_idle_timeout_keeps_the_session_and_counts_as_activity(app, client, actors):
    sign_in_as(client, actors.patient_a)
    record = only_session(app, actors.patient_a)
    almost = utcnow() - timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] - 5)
    update_row(app, UserSession, record.id, last_seen_at=almost)

    assert client.get("/my-care").status_code == 200
    assert only_session(app, actors.patient_a).last_seen_at > almost + timedelta(seconds=60)


# Activity is written to the session row at most every TOUCH_EVERY (a page view is not a write),
# so the clock is fixed here: (seconds since the recorded activity, signed in?, written?, seconds
# the page's timer is given).
STEP = int(TOUCH_EVERY.total_seconds())
IDLE = 600


@pytest.mark.parametrize("since, signed_in, written, left", [
    (0, True, False, IDLE),
    (STEP, True, False, IDLE - STEP),          # within the step: no write, the timer counts on
    (STEP + 1, True, True, IDLE),              # past it: written, the timer starts again
    (IDLE, True, True, IDLE),                  # the last second of the idle timeout still counts
    (IDLE + 1, False, False, None),            # one more and the session has ended
])
def test_activity_is_written_at_most_every_step_and_the_idle_timeout_counts_from_what_was_written(
        app, client, actors, monkeypatch, since, signed_in, written, left):
    assert app.config["SESSION_IDLE_SECONDS"] == IDLE
    sign_in_as(client, actors.patient_a)
    record = only_session(app, actors.patient_a)
    recorded = utcnow().replace(microsecond=0) - timedelta(hours=1)
    update_row(app, UserSession, record.id, created_at=recorded, last_seen_at=recorded)
    now = recorded + timedelta(seconds=since)
    monkeypatch.setattr(sessions, "utcnow", lambda: now)

    response = client.get("/my-care/contacts")

    after = only_session(app, actors.patient_a)
    if not signed_in:
        assert response.headers["Location"] == "/sign-in?timeout=1"
        assert after.revoked_at == now
        return
    assert response.status_code == 200
    assert after.last_seen_at == (now if written else recorded)
    assert f'data-session-left="{left}"' in response.get_data(as_text=True)


# A JSON save sent when the session's activity is due to be written (issue 12): the write is
# carried by the save's own commit, so a save costs one commit (on SQLite one fsync), not two; a
# save that stores nothing (refused, or answered from an earlier one) still writes the activity.
# (what is sent, its answer, commits, the request whose key is used first).
AUTOSAVE = ("/api/hna/answers", {"step": "distress", "data": {"distress": 4}})


@pytest.mark.parametrize("path, body, status, commits, sent_before", [
    (*AUTOSAVE, 200, 1, False),
    ("/api/hna/answers", {"step": "distress", "data": {"distress": 11}}, 422, 1, False),
    ("/my-care/symptoms/api/log", "symptom", 201, 1, False),
    ("/my-care/symptoms/api/log", "symptom", 201, 1, True),   # the same key again: the stored answer
    (*AUTOSAVE, 200, 1, True),
], ids=["autosave", "autosave-refused", "symptom", "symptom-replayed", "autosave-replayed"])
def test_a_json_save_writes_the_sessions_activity_in_its_own_commit(
        app, client, actors, monkeypatch, caplog, path, body, status, commits, sent_before):
    from tests.symptoms.helpers import symptom_form

    body = symptom_form() if body == "symptom" else body
    sign_in_as(client, actors.patient_a)
    # One sent first, with its own key: the first save of all also starts the draft (and may
    # publish the questionnaire), which is not what is counted here.
    earlier = {"Idempotency-Key": "touch-with-the-save-0"}
    assert client.post_json(path, body, headers=earlier).status_code == status
    headers = earlier if sent_before else {"Idempotency-Key": "touch-with-the-save-1"}
    # The page's token, taken first: fetching it is a request of its own, which would write the
    # activity itself (so not post_json, which fetches it).
    headers = {**headers, "X-CSRFToken": client.csrf_token(), "Accept": "application/json"}
    _, now = make_session_activity_due(app, actors.patient_a, monkeypatch)
    caplog.set_level(logging.DEBUG, logger=app.logger.name)

    response, committed = commits_during(app, lambda: client.post(path, json=body, headers=headers))

    assert response.status_code == status, response.get_data(as_text=True)
    assert ("Idempotent-Replayed" in response.headers) is sent_before
    assert only_session(app, actors.patient_a).last_seen_at == now
    assert committed == commits
    # A repeat is answered from the stored save at once: the activity's write must not meet the
    # stored key first and make it look like two saves clashing (a second attempt, a clash logged).
    assert not [record.getMessage() for record in caplog.records if "clash" in record.getMessage()]


def test_the_activity_written_with_a_save_never_moves_it_back(app, client, actors, monkeypatch):
    """Two of the person's requests at once (a save, and a page in another tab): the save's
    activity, taken when it started, is written with its commit after its work, so the other,
    later request may have written a later time first; that later time stays."""
    from app.hna import service

    sign_in_as(client, actors.patient_a)
    assert client.post_json(*AUTOSAVE, headers={"Idempotency-Key": "later-activity-0"}).status_code == 200
    headers = {"Idempotency-Key": "later-activity-1", "X-CSRFToken": client.csrf_token(), "Accept": "application/json"}
    session_id, now = make_session_activity_due(app, actors.patient_a, monkeypatch)
    other_tab = now + timedelta(seconds=2)
    apply_step = service.apply_step

    def the_other_tab_writes_first(*args, **kwargs):
        update_row(app, UserSession, session_id, last_seen_at=other_tab)
        return apply_step(*args, **kwargs)

    monkeypatch.setattr(service, "apply_step", the_other_tab_writes_first)

    assert client.post(AUTOSAVE[0], json=AUTOSAVE[1], headers=headers).status_code == 200
    assert only_session(app, actors.patient_a).last_seen_at == other_tab


def test_a_session_never_outlives_the_idle_timeout_of_real_inactivity(app, client, actors, monkeypatch):
    """Activity within the step is not written, so the session ends the idle timeout after the
    activity that was written: never later than the idle timeout after the last real activity,
    and at most one step sooner."""
    sign_in_as(client, actors.patient_a)
    record = only_session(app, actors.patient_a)
    recorded = utcnow().replace(microsecond=0) - timedelta(hours=1)
    update_row(app, UserSession, record.id, created_at=recorded, last_seen_at=recorded)
    clock = {"now": recorded + timedelta(seconds=STEP)}
    monkeypatch.setattr(sessions, "utcnow", lambda: clock["now"])
    assert client.get("/my-care/contacts").status_code == 200  # the last real activity, not written
    last_activity = clock["now"]

    clock["now"] = recorded + timedelta(seconds=IDLE + 1)

    assert client.get("/my-care/contacts").headers["Location"] == "/sign-in?timeout=1"
    assert clock["now"] - last_activity == timedelta(seconds=IDLE - STEP + 1)


def test_a_page_view_does_not_send_the_session_cookie_again(app, client, actors):
    """The cookie lasts the absolute lifetime from when it was written and the server keeps the
    idle and absolute limits, so re-signing it on every request would only cost time and bytes."""
    sign_in_as(client, actors.patient_a)
    client.get("/my-care/contacts")  # the first page may put a CSRF token in the session

    response = client.get("/my-care/contacts")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, client, actors):
    sign_in_as(client, actors.patient_a)
    record = only_session(app, actors.patient_a)
    lifetime = app.config["SESSION_ABSOLUTE_SECONDS"]
    update_row(app, UserSession, record.id, created_at=utcnow() - timedelta(seconds=lifetime + 1), last_seen_at=utcnow())

    assert client.get("/my-care").headers["Location"] == "/sign-in?timeout=1"
    assert only_session(app, actors.patient_a).revoked_at is not None


def test_stay_signed_in_extends_the_session(app, client, actors):
    sign_in_as(client, actors.patient_a)
    record = only_session(app, actors.patient_a)
    almost = utcnow() - timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] - 5)
    update_row(app, UserSession, record.id, last_seen_at=almost)

    response = client.post_json("/session/keep-alive")

    assert response.status_code == 200
    assert response.get_json() == {"idle_seconds": app.config["SESSION_IDLE_SECONDS"]}
    assert only_session(app, actors.patient_a).last_seen_at > almost + timedelta(seconds=60)


def test_stay_signed_in_after_the_timeout_answers_401_so_the_page_can_say_so(app, client, actors):
    sign_in_as(client, actors.patient_a)
    token = client.csrf_token()
    record = only_session(app, actors.patient_a)
    update_row(app, UserSession, record.id, last_seen_at=utcnow() - timedelta(hours=1))

    response = client.post_json("/session/keep-alive", headers={"X-CSRFToken": token})

    assert response.status_code == 401
    assert response.get_json()["error"] == "signed_out"


def test_a_page_that_needs_signing_in_sends_people_to_sign_in_and_back(client):
    response = client.get("/account/passkeys")

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Faccount%2Fpasskeys"


# ---------------------------------------------------------------- signing out


@pytest.mark.hazard("HAZ-022")
def test_signing_out_ends_the_session_on_the_server(app, client, actors, ann_nhs_number):
    sign_in(client, ann_nhs_number)
    cookie = session_cookie(client)

    response = client.post_form("/sign-out")

    assert response.headers["Location"] == "/sign-in"
    # Signing out takes everything the phone kept, even with scripting off.
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert only_session(app, actors.patient_a).revoked_at is not None
    restore_session_cookie(client, cookie)
    assert not is_signed_in(client)
    assert ("signout", "success", actors.patient_a) in audit_trail(app, "signout")


@pytest.mark.parametrize("address", [
    "/sign-in?timeout=1",
    "/sign-in?timeout=yes",
    "/sign-in?timeout=1&next=/my-care",
])
def test_a_link_from_another_site_cannot_sign_anyone_out(app, client, actors, address):
    sign_in_as(client, actors.patient_a)

    response = client.get(address, headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_signed_in(client)
    assert audit_trail(app, "signout") == []


@pytest.mark.hazard("HAZ-022")
def test_the_pages_idle_timer_signs_out_with_a_post_and_says_why(app, client, actors):
    sign_in_as(client, actors.patient_a)

    response = client.post_form("/sign-out", {"reason": "idle"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?timeout=1"
    # The phone keeps the person's contacts, plan and summary for reading offline after an idle
    # timeout (SECURITY.md): clearing the site's storage would take them with it. Their records
    # go on sign-out, or when the next person's page is seen on the phone.
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert not is_signed_in(client)
    assert audit_trail(app, "signout") == [("signout.idle", "success", actors.patient_a)]
    assert "You were signed out because you did nothing for a while" in client.get(
        response.headers["Location"]).get_data(as_text=True)


def test_signing_out_needs_the_pages_csrf_token(app, client, actors):
    sign_in_as(client, actors.patient_a)

    client.post("/sign-out", data={"reason": "idle"})

    assert is_signed_in(client)


def test_signing_out_everywhere_ends_every_session_of_that_person_only(app, actors, new_client):
    phone, laptop, bens = new_client(), new_client(), new_client()
    sign_in_as(phone, actors.patient_a)
    sign_in_as(laptop, actors.patient_a)
    sign_in_as(bens, actors.patient_b)

    response = phone.post_form("/sign-out-everywhere")

    assert response.headers["Location"] == "/sign-in"
    assert not is_signed_in(phone) and not is_signed_in(laptop)
    assert is_signed_in(bens)
    assert live_sessions(app, actors.patient_a) == 0
    assert ("signout.everywhere", "success", actors.patient_a) in audit_trail(app, "signout")


def test_an_admin_can_end_someones_sessions(app, actors, new_client):
    admin, phone, laptop = new_client(), new_client(), new_client()
    sign_in_as(admin, actors.admin)
    sign_in_as(phone, actors.patient_a)
    sign_in_as(laptop, actors.patient_a)

    response = admin.post_form(f"/admin/users/{actors.patient_a}/end-sessions")

    assert response.status_code == 303
    assert not is_signed_in(phone) and not is_signed_in(laptop)
    assert is_signed_in(admin)
    assert ("sessions.end", "success", actors.admin) in audit_trail(app, "sessions")


@pytest.mark.parametrize("who", ["nurse_a", "patient_a2"])
def test_only_an_admin_can_end_someone_elses_sessions(app, actors, new_client, who):
    someone, phone = new_client(), new_client()
    sign_in_as(someone, getattr(actors, who))
    sign_in_as(phone, actors.patient_a)

    response = someone.post_form(f"/admin/users/{actors.patient_a}/end-sessions")

    assert response.status_code == 404
    assert is_signed_in(phone)


def test_closing_an_account_signs_the_person_out_and_keeps_them_out(app, actors, new_client, ann_nhs_number):
    admin, phone = new_client(), new_client()
    sign_in_as(admin, actors.admin)
    sign_in(phone, ann_nhs_number)

    admin.post_form(f"/admin/users/{actors.patient_a}/active", {"active": "0"})

    assert not is_signed_in(phone)
    phone.post_form("/sign-in/password", {"nhs_number": ann_nhs_number, "password": PASSWORD})
    assert not is_signed_in(phone)


def test_a_closed_account_loses_a_session_that_was_not_revoked(app, client, actors):
    sign_in_as(client, actors.patient_a)
    update_row(app, User, actors.patient_a, active=False)

    assert not is_signed_in(client)


# ---------------------------------------------------------------- the cookie


def test_the_session_cookie_is_http_only_and_same_site_lax(client, ann_nhs_number):
    response = sign_in(client, ann_nhs_number)

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_in_production_the_cookie_is_host_only_and_secure(app):
    production = create_app(
        {
            "SECRET_KEY": "p" * 40,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": False,
        },
        config_class=ProductionConfig,
    )
    try:
        response = production.test_client().get("/sign-in", base_url="https://localhost")
    finally:
        with production.app_context():
            db.engine.dispose()

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie
