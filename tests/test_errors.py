"""Error pages: plain English for people, JSON for scripts, never a stack trace."""
from __future__ import annotations

import itertools

import pytest

from tests.conftest import base_test_config

JSON = {"Accept": "application/json"}
SECRET_DETAIL = "database password is hunter2"


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    # Rate limits on, and low, so that a test can reach one quickly.
    return {**base_test_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
            "RATE_LIMIT_SIGN_IN": "3 per minute"}


@pytest.fixture
def app(app):
    """The app with a view that fails, to see what a person is shown."""

    def broken_view():
        raise RuntimeError(SECRET_DETAIL)

    app.add_url_rule("/test-broken", "test_broken", broken_view, methods=["GET", "POST"])
    return app


def send(client, case: str, headers: dict | None = None):
    """Make the request that gets each kind of error."""
    headers = headers or {}
    if case == "404":
        return client.get("/no-such-page", headers=headers)
    if case == "405":
        return client.get("/sign-out", headers=headers)
    if case == "413":
        too_big = "x" * (client.application.config["MAX_CONTENT_LENGTH"] + 1)
        return client.post("/sign-in/password", data={"password": too_big}, headers=headers)
    if case == "429":
        for _ in range(3):
            client.post("/sign-in/passkey/options", headers={"X-CSRFToken": client.csrf_token(), **headers})
        return client.post("/sign-in/passkey/options", headers={"X-CSRFToken": client.csrf_token(), **headers})
    if case == "500":
        return client.get("/test-broken", headers=headers)
    raise AssertionError(case)


PAGES = [
    ("404", 404, "Page not found"),
    ("405", 405, "Sorry, that did not work"),
    ("413", 413, "That was too much to send at once"),
    ("429", 429, "Too many attempts"),
    ("500", 500, "Sorry, there is a problem with the service"),
]
CODES = {"404": "not_found", "405": "method_not_allowed", "413": "too_large", "429": "too_many_requests",
         "500": "server_error"}


@pytest.mark.parametrize(("case", "status", "title"), PAGES)
def test_each_error_is_a_page_in_plain_english(client, case, status, title):
    response = send(client, case)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert f"<h1>{title}</h1>" in page
    assert "Go to the start page" in page


@pytest.mark.parametrize(("case", "status", "title"), PAGES)
def test_each_error_is_json_for_a_script(client, case, status, title):
    response = send(client, case, JSON)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == CODES[case]
    assert response.get_json()["detail"]


@pytest.mark.parametrize("headers", [{}, JSON], ids=["page", "json"])
def test_an_unexpected_error_never_shows_a_stack_trace_or_its_message(client, headers):
    body = send(client, "500", headers).get_data(as_text=True)
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    assert SECRET_DETAIL not in body


def test_an_unexpected_error_is_logged_for_the_team(client, caplog):
    send(client, "500")
    assert any(record.exc_info and SECRET_DETAIL in str(record.exc_info[1]) for record in caplog.records)


def test_if_the_error_page_itself_fails_the_answer_is_plain_text(client, monkeypatch):
    def broken_template(*args, **kwargs):
        raise RuntimeError("template broke")

    monkeypatch.setattr("app.errors.render_template", broken_template)
    response = send(client, "500")
    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("Sorry, there is a problem with the service")


def test_a_method_not_allowed_says_which_are(client):
    allowed = send(client, "405").headers["Allow"]
    assert {method.strip() for method in allowed.split(",")} == {"OPTIONS", "POST"}


def test_too_many_attempts_says_when_to_try_again(client):
    assert int(send(client, "429").headers["Retry-After"]) > 0


def test_error_pages_carry_the_security_headers(client):
    response = send(client, "500")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers


# ---------------------------------------------------------------- one JSON shape, one signed-out answer


@pytest.mark.parametrize(
    ("status", "error", "detail", "extra", "body"),
    [
        (404, None, None, {}, {"error": "not_found", "detail": "If you typed the web address, check it is correct."}),
        (401, "signed_out", "Sign in again to continue.", {}, {"error": "signed_out", "detail": "Sign in again to continue."}),
        (409, "busy", "Trying again.", {"retry_after": 2}, {"error": "busy", "detail": "Trying again.", "retry_after": 2}),
        (503, None, None, {}, {"error": "unavailable", "detail": "Try again later. Nothing you saved has been lost."}),
        (418, None, "Odd.", {}, {"error": "bad_request", "detail": "Odd."}),
    ],
)
def test_every_json_error_has_one_shape(app, status, error, detail, extra, body):
    from app.errors import error_body, json_error

    with app.test_request_context():
        response = json_error(status, error, detail, headers={"Retry-After": "2"}, **extra)
        assert (response.status_code, response.get_json(), response.headers["Retry-After"]) == (status, body, "2")
        assert error_body(body["error"], body["detail"], **extra) == body


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/session/keep-alive", {"json": {}}),
        ("POST", "/api/hna/answers", {"json": {"step": "point", "data": {}}}),
        ("GET", "/api/hna/token", {}),
        ("GET", "/my-care/urgent-line", {"headers": JSON}),
        ("GET", "/my-care", {"headers": JSON}),
    ],
)
def test_a_script_whose_person_is_signed_out_gets_one_401_answer_never_a_redirect(client, method, path, kwargs):
    headers = {"X-CSRFToken": client.csrf_token(), "Idempotency-Key": "signed-out-1", **kwargs.pop("headers", {})}
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code == 401
    assert response.get_json() == {"error": "signed_out", "detail": "Sign in again to continue."}


ACCEPT_HEADERS = [None, "", "text/html", "application/json", "*/*", "application/*", "text/*",
                  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                  "application/json, text/plain, */*", "text/html;q=0.1, */*", "text/html;q=0.5, application/json",
                  "application/json;q=0.5, text/html", "APPLICATION/JSON", "application/problem+json",
                  "*", "text/html;q=0, application/json;q=0", "image/png", "application/json;q=abc, text/html"]
CONTENT_TYPES = [None, "application/json", "application/json; charset=utf-8", "application/merge-patch+json",
                 "application/x-www-form-urlencoded", "text/plain", "APPLICATION/JSON"]


def test_a_script_is_told_apart_as_werkzeug_reads_the_request(app):
    # wants_json reads the Accept header once per process (kept by its text) and skips parsing a
    # Content-Type that is not there: the same answer as asking Werkzeug's request each time.
    from flask import request

    from app.errors import wants_json

    answers = set()
    for accept, content_type, path in itertools.product(ACCEPT_HEADERS, CONTENT_TYPES, ["/", "/api/x", "/apis"]):
        headers = {name: value for name, value in (("Accept", accept), ("Content-Type", content_type))
                   if value is not None}
        with app.test_request_context(path, headers=headers):
            best = request.accept_mimetypes.best_match(["application/json", "text/html"])
            werkzeugs = request.is_json or request.path.startswith("/api/") or (
                best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"])
            assert wants_json() is werkzeugs, (accept, content_type, path)
            answers.add((werkzeugs, accept is not None and content_type is None and path == "/"))
    assert answers == {(True, True), (False, True), (True, False), (False, False)}
