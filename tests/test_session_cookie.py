"""The session cookie's interface (app/extensions.py CookieSessionInterface.save_session): what it
sends after each request is exactly what Flask's own sends, for every state of the session."""
from __future__ import annotations

import itertools
import re

import pytest
from flask import Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from app.extensions import CookieSessionInterface

CONTENTS = {"empty": {}, "signed in": {"sid": "t" * 43, "_user_id": "7", "csrf_token": "c" * 40}}
STATES = list(itertools.product(CONTENTS, [False, True], [False, True], [False, True], [False, True],
                                [None, "Accept-Encoding", "Cookie"]))


def session_in(state: tuple) -> SecureCookieSession:
    contents, modified, accessed, permanent, _refresh, _vary = state
    session = SecureCookieSession(CONTENTS[contents])
    if permanent:
        session.permanent = True  # (marks the session modified, as in a real request)
    session.modified, session.accessed = modified, accessed
    return session


def sent(interface, app, state: tuple) -> list:
    *_rest, refresh, vary = state
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh
    response = Response("page")
    if vary:
        response.headers["Vary"] = vary
    interface.save_session(app, session_in(state), response)
    # The cookie's expiry is the time it is sent: the same moment is not the same second for both.
    return [(name, re.sub(r"Expires=[^;]+", "Expires=<then>", value)) for name, value in response.headers.items()]


@pytest.mark.parametrize("state", STATES, ids=["-".join(map(str, state)) for state in STATES])
def test_the_session_cookie_sends_what_flasks_sends(app, state, monkeypatch):
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.5)
    with app.test_request_context():
        ours = sent(CookieSessionInterface(), app, state)
        flasks = sent(SecureCookieSessionInterface(), app, state)
    assert ours == flasks


def test_the_states_include_a_cookie_set_a_cookie_deleted_and_nothing_sent(app, monkeypatch):
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.5)
    with app.test_request_context():
        outcomes = {tuple(name for name, _value in sent(SecureCookieSessionInterface(), app, state))
                    for state in STATES}
    assert {("Content-Type", "Content-Length"), ("Content-Type", "Content-Length", "Vary"),
            ("Content-Type", "Content-Length", "Set-Cookie", "Vary")} <= outcomes
    with app.test_request_context():
        deleted = sent(SecureCookieSessionInterface(), app, ("empty", True, False, False, False, None))
    assert any(name == "Set-Cookie" and "Max-Age=0" in value for name, value in deleted)
