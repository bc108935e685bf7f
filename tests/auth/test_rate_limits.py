"""Sign-in and enrolment are rate limited: guessing codes, passwords or dates of birth is slow."""
from __future__ import annotations

import pytest

from tests.auth import invite


@pytest.fixture(params=["memory", "redis"])
def app_config(request, app_config) -> dict:
    """Each test twice: limits in memory (a single-process development run) and in Redis
    (REDIS_URL: every process counts together), which production requires."""
    storage = {"REDIS_URL": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    return {**app_config, **storage, "RATELIMIT_ENABLED": True, "RATE_LIMIT_SIGN_IN": "3 per minute",
            "RATE_LIMIT_ENROL": "3 per minute"}


def sign_in_with_password(browser):
    return browser.post_form("/sign-in/password", {"nhs_number": "9434765919", "password": "wrong password"})


def passkey_options(browser):
    return browser.post_json("/sign-in/passkey/options")


def passkey_verify(browser):
    return browser.post_json("/sign-in/passkey/verify", {"id": "guess"})


def typed_code(browser):
    return browser.post_form("/enrol", {"code": "AAAA-AAAA"})


def invitation_link(browser):
    return browser.get("/enrol/a-guessed-token")


ATTEMPTS = {
    "password sign-in": sign_in_with_password,
    "passkey options": passkey_options,
    "passkey verify": passkey_verify,
    "typed invitation code": typed_code,
    "invitation link": invitation_link,
}


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_too_many_attempts_get_429_with_a_plain_message(app, client, attempt):
    for _ in range(3):
        assert attempt(client).status_code != 429

    response = attempt(client)

    assert response.status_code == 429
    # A page says it in its heading; a script gets the code (app.errors.json_error) and the sentence.
    assert ("Too many attempts" in response.get_data(as_text=True)) if not response.is_json else (
        response.get_json()["error"] == "too_many_requests")
    assert "Wait a few minutes, then try again." in response.get_data(as_text=True)
    assert "Retry-After" in response.headers


def test_guessing_dates_of_birth_is_limited_too(app, client, actors):
    app.config["INVITATION_MAX_DOB_ATTEMPTS"] = 100
    client.get(invite(app, actors.patient_a).link)
    wrong = {"date_of_birth-day": "1", "date_of_birth-month": "1", "date_of_birth-year": "1970"}

    statuses = [client.post_form("/enrol/date-of-birth", wrong).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_a_json_request_over_the_limit_gets_a_json_answer(client):
    for _ in range(3):
        client.post_json("/sign-in/passkey/options")

    response = client.post_json("/sign-in/passkey/options")

    assert response.status_code == 429
    assert response.get_json() == {"error": "too_many_requests", "detail": "Wait a few minutes, then try again."}


def test_reading_the_sign_in_page_is_not_limited(client):
    assert all(client.get("/sign-in").status_code == 200 for _ in range(6))


@pytest.mark.hazard("HAZ-007")
def test_a_stranger_filling_the_addresss_limit_does_not_stop_a_browser_that_signed_in_before(app, actors, new_client):
    from werkzeug.security import generate_password_hash

    from app.models import User
    from tests.auth import give_nhs_number, update_row

    update_row(app, User, actors.patient_a, password_hash=generate_password_hash("kettle purple garden", "pbkdf2:sha256:1000"))
    ann = give_nhs_number(app, actors.profile_a, "9994242423")
    own = new_client()
    assert own.post_form("/sign-in/password", {"nhs_number": ann, "password": "kettle purple garden"}).status_code == 303
    own.post_form("/sign-out")
    stranger = new_client()  # the same address: a shared network
    while sign_in_with_password(stranger).status_code != 429:
        pass

    response = own.post_form("/sign-in/password", {"nhs_number": ann, "password": "kettle purple garden"})

    assert response.status_code == 303 and response.location == "/"


# Checking before every view (app/extensions.py Limiter): only when a limit could apply there.


def test_a_view_without_limits_is_not_checked_before_it_runs(app, client, monkeypatch):
    from app.extensions import limiter

    resolved = []
    original = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(limiter.limit_manager, "resolve_limits",
                        lambda *args, **kwargs: resolved.append(args[1]) or original(*args, **kwargs))

    assert client.get("/healthz").status_code == 200
    assert client.get("/sign-in").status_code == 200
    assert resolved == []

    assert client.post_json("/sign-in/passkey/options").status_code == 200
    assert resolved == ["auth.sign_in_options"]


def _bare_app_with(limiter_arguments: dict, *, first_teardown=None):
    """A Flask app with its own limiter of the app's class (the app's limiter is one object shared
    by every app a test process makes, so a default limit set on it would stay for the next test),
    and the limiter. `first_teardown`, registered before the limiter's, runs after it."""
    from flask import Flask

    from app.extensions import Limiter

    bare = Flask("limits")
    bare.config.update(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ENABLED=True)
    if first_teardown is not None:
        bare.teardown_request(first_teardown)
    own = Limiter(key_func=lambda: "one-address", **limiter_arguments)
    own.init_app(bare)

    @bare.get("/page")
    def page():
        return "page"

    @bare.get("/limited")
    @own.limit("2 per minute")
    def limited():
        return "limited"

    return bare, own


LIMITS_CHECKED_BEFORE_THE_VIEW = {
    "default limits": ({"default_limits": ["2 per minute"]}, "/page"),
    "application limits": ({"application_limits": ["2 per minute"]}, "/page"),
    "a view's own limit": ({}, "/limited"),
}


@pytest.mark.parametrize("arguments, path", LIMITS_CHECKED_BEFORE_THE_VIEW.values(),
                         ids=LIMITS_CHECKED_BEFORE_THE_VIEW.keys())
def test_limits_set_for_every_view_still_apply_to_each(arguments, path):
    client = _bare_app_with(arguments)[0].test_client()

    statuses = [client.get(path).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_with_no_limit_anywhere_a_view_is_never_refused():
    client = _bare_app_with({})[0].test_client()

    assert [client.get("/page").status_code for _ in range(5)] == [200] * 5


# After the view (app/extensions.py Limiter): Flask-Limiter's after-request and teardown hooks
# run only in a request in which a limit was checked.


def _app_with_limited_views():
    """A Flask app with its own limiter of the app's class, writing the X-RateLimit headers, and a
    probe that sees, after every hook, whether the request has a limiter context."""
    from flask.globals import request_ctx

    contexts = []

    def probe(_error):  # registered first, so run after the limiter's teardown
        contexts.append(getattr(request_ctx, "_limiter_request_context", None))

    bare, own = _bare_app_with({"headers_enabled": True}, first_teardown=probe)

    @bare.get("/failures-counted")
    @own.limit("2 per minute", deduct_when=lambda response: response.status_code == 400)
    def failures_counted():
        from flask import request

        return ("failed", 400) if request.args.get("fail") else "fine"

    return bare, contexts


def test_a_limited_view_still_gets_its_headers_and_its_context_emptied():
    bare, contexts = _app_with_limited_views()
    client = bare.test_client()

    first, second, third = (client.get("/limited") for _ in range(3))

    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert third.status_code == 429 and "Retry-After" in third.headers
    # Flask-Limiter's teardown ran: each request's context emptied of the limits it checked.
    assert len(contexts) == 3 and all(not context[next(iter(context))].view_rate_limits for context in contexts)


def test_a_limit_counting_only_some_answers_still_counts_them_after_the_view():
    client = _app_with_limited_views()[0].test_client()

    assert [client.get("/failures-counted").status_code for _ in range(4)] == [200] * 4
    assert [client.get("/failures-counted?fail=1").status_code for _ in range(3)] == [400, 400, 429]


def test_a_request_no_limit_was_checked_in_makes_no_limiter_context_and_gets_no_headers():
    bare, contexts = _app_with_limited_views()

    response = bare.test_client().get("/page")

    assert response.status_code == 200 and contexts == [None]
    assert not any(name.startswith("X-RateLimit") for name in response.headers.keys())


def test_the_apps_own_limiter_hooks_are_the_ones_that_look_first(app):
    import flask_limiter

    from app.extensions import limiter

    assert limiter._write_headers_if_a_limit_was_checked in app.after_request_funcs[None]
    assert limiter._empty_the_context_if_a_limit_was_checked in app.teardown_request_funcs[None]
    assert not any(getattr(hook, "func", None) is flask_limiter.Limiter._Limiter__inject_headers
                   for hook in app.after_request_funcs[None])
    assert flask_limiter.Limiter._Limiter__release_context.__get__(limiter) not in app.teardown_request_funcs[None]
