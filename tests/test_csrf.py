"""Every request that changes something needs the CSRF token: a walk over app.url_map.

New routes are covered automatically. Forms carry the token in a hidden field; scripts send it
in the X-CSRFToken header.
"""
from __future__ import annotations

import itertools

import pytest
from flask import url_for

from app import create_app
from tests.helpers import sign_in_as

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
EXPIRED_PAGE = "The page had expired"

_APP = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32})
UNSAFE_RULES = sorted(
    (rule for rule in _APP.url_map.iter_rules() if rule.methods & UNSAFE),
    key=lambda rule: rule.rule,
)


def addresses(app) -> list[tuple[str, str]]:
    """(method, URL) for every unsafe method of every rule; identifiers are placeholders."""
    with app.test_request_context():
        return [
            (method, url_for(rule.endpoint, **{name: 1 for name in rule.arguments}))
            for rule in UNSAFE_RULES
            for method in sorted(rule.methods & UNSAFE)
        ]


def signed_in(client, actors):
    sign_in_as(client, actors.patient_a)
    return client


def is_csrf_refusal(response) -> bool:
    """The expired-page answer, as a page or (for scripts and /api/) as JSON."""
    body = response.get_json(silent=True) or {}
    return response.status_code == 400 and (
        EXPIRED_PAGE in response.get_data(as_text=True) or body.get("error") == "session_expired"
    )


def test_the_walk_finds_the_forms_and_scripts_that_post():
    endpoints = {rule.endpoint for rule in UNSAFE_RULES}
    assert {"auth.sign_out", "auth.sign_in_verify", "nurse.new_patient", "admin.set_active"} <= endpoints


def test_a_form_without_the_token_is_refused_on_every_route(app, client, actors):
    signed_in(client, actors)
    wrong = []
    for method, address in addresses(app):
        response = client.open(address, method=method, data={"anything": "x"})
        if not is_csrf_refusal(response):
            wrong.append(f"{method} {address} answered {response.status_code}")
    assert wrong == []


def test_a_form_with_a_wrong_token_is_refused_on_every_route(app, client, actors):
    signed_in(client, actors)
    wrong = []
    for method, address in addresses(app):
        response = client.open(address, method=method, data={"csrf_token": "forged"})
        if not is_csrf_refusal(response):
            wrong.append(f"{method} {address} answered {response.status_code}")
    assert wrong == []


def test_json_without_the_token_is_refused_with_json_on_every_route(app, client, actors):
    signed_in(client, actors)
    wrong = []
    for method, address in addresses(app):
        response = client.open(address, method=method, json={}, headers={"Accept": "application/json"})
        if response.status_code != 400 or (response.get_json() or {}).get("error") != "session_expired":
            wrong.append(f"{method} {address} answered {response.status_code} {response.get_data()[:60]!r}")
    assert wrong == []


def test_someone_not_signed_in_without_the_token_is_sent_to_sign_in(app, client):
    wrong = []
    for method, address in addresses(app):
        response = client.open(address, method=method, data={})
        to_sign_in = response.status_code == 303 and response.location.startswith("/sign-in")
        if not (to_sign_in or (address.startswith("/api/") and is_csrf_refusal(response))):
            wrong.append(f"{method} {address} answered {response.status_code}")
    assert wrong == []


def test_json_with_the_token_in_the_header_gets_past_the_check_on_every_route(app, new_client, actors):
    wrong = []
    for method, address in addresses(app):
        client = signed_in(new_client(), actors)  # afresh: some of these routes sign out
        csrf = {"X-CSRFToken": client.csrf_token(), "Accept": "application/json"}
        response = client.open(address, method=method, json={}, headers=csrf)
        if is_csrf_refusal(response):
            wrong.append(f"{method} {address}")
    assert wrong == []


def test_a_script_keeps_the_session_alive_with_the_header(client, actors):
    signed_in(client, actors)
    response = client.post_json("/session/keep-alive")
    assert response.status_code == 200
    assert response.get_json() == {"idle_seconds": 600}


def test_a_form_whose_session_has_gone_goes_back_to_sign_in_with_an_explanation(client, actors):
    signed_in(client, actors)
    token = client.csrf_token()
    client.delete_cookie("session")  # the browser dropped the session while the form was open
    response = client.post("/nurse/patients/new", data={"csrf_token": token}, follow_redirects=True)
    assert response.request.path == "/sign-in"
    assert "You were signed out to protect your information" in response.get_data(as_text=True)


# ---------------------------------------------------------------- HTTPS: the Referer check


def https_post(client, token: str, **headers):
    return client.post(
        "/sign-in/password", base_url="https://localhost", headers=headers,
        data={"csrf_token": token, "nhs_number": "9434765919", "password": "wrong password"},
    )


def test_over_https_a_post_from_this_site_is_accepted(client):
    response = https_post(client, client.csrf_token(), Referer="https://localhost/sign-in/password")
    assert response.status_code == 200
    assert "The NHS number or password is not right" in response.get_data(as_text=True)


@pytest.mark.parametrize("referer", [None, "https://evil.example/sign-in/password", "http://localhost/sign-in"])
def test_over_https_a_post_without_a_same_origin_referer_is_refused(client, referer):
    headers = {"Referer": referer} if referer else {}
    response = https_post(client, client.csrf_token(), **headers)
    assert response.status_code in (303, 400)
    assert "The NHS number or password is not right" not in response.get_data(as_text=True)


def test_pages_keep_the_referer_on_this_site_so_https_posts_work(client):
    # "no-referrer" would make browsers drop the Referer that the HTTPS check needs.
    assert client.get("/sign-in").headers["Referrer-Policy"] == "same-origin"


def _subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_a_form_leaves_its_token_to_the_app_wide_check_only_the_one_way():
    """WTForms' own token check is turned off only through app.forms.CsrfCheckedByTheApp (the
    app-wide CSRFProtect still checks every POST: the walks above), never by a Meta of a form's own."""
    from app.forms import CsrfCheckedByTheApp, PageForm

    forms = _subclasses(PageForm)  # the blueprints' forms, imported by create_app above
    own_way = sorted({
        f"{form.__module__}.{form.__qualname__}" for form in forms for cls in form.__mro__
        if cls.__module__.startswith("app.") and cls is not CsrfCheckedByTheApp
        and vars(vars(cls).get("Meta", object)).get("csrf") is False
    })
    assert own_way == []
    leaving_it = [form for form in forms if issubclass(form, CsrfCheckedByTheApp)]
    assert leaving_it
    with _APP.test_request_context(method="POST"):
        assert all("csrf_token" not in form() for form in leaving_it if form.__init__ is PageForm.__init__)


# The serializers that check the session cookie and the CSRF token are made once and kept
# (app/extensions.py, "signing"): each check still uses the secret keys the config names then.


def signed(secret_key: str, salt: str, value):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret_key, salt=salt).dumps(value)


def test_a_token_signed_with_another_secret_or_for_another_session_is_refused(app, new_client, actors):
    patient, someone_else = new_client(), new_client()
    sign_in_as(patient, actors.patient_a)
    sign_in_as(someone_else, actors.patient_b)
    patient.csrf_token()
    with patient.session_transaction() as values:
        own = values["csrf_token"]  # the session's own token, which a page's token signs
    for token in (signed("y" * 32, "wtf-csrf-token", own), someone_else.csrf_token()):
        response = patient.post("/api/hna/answers", json={}, headers={"X-CSRFToken": token, "Idempotency-Key": "csrf-check-1"})
        assert is_csrf_refusal(response), token
    assert not is_csrf_refusal(patient.post("/api/hna/answers", json={}, headers={
        "X-CSRFToken": signed(app.secret_key, "wtf-csrf-token", own), "Idempotency-Key": "csrf-check-2"}))


def test_a_session_cookie_is_read_with_the_current_secret_or_a_fallback_and_no_other(app, client, actors):
    sign_in_as(client, actors.patient_a)
    assert client.get("/my-care").status_code == 200
    kept = client.get_cookie("session").value
    app.config["SECRET_KEY_FALLBACKS"], app.secret_key = [app.secret_key], "z" * 32
    assert client.get("/my-care").status_code == 200  # signed with the fallback
    app.config["SECRET_KEY_FALLBACKS"] = []
    client.set_cookie("session", kept)
    assert client.get("/my-care").status_code == 302  # signed with a secret no longer named


# app/extensions.py checks tokens with its own `validate_csrf_token` and `CSRFProtect.protect`
# (Flask-WTF's, through a serializer made once). Flask-WTF's own stay the reference: every kind
# of token gets the same answer from both, and a Flask-WTF release that changes either function
# fails the fingerprint below, so that ours are read against the new code before the upgrade lands.
FLASK_WTF_CHECKED_AGAINST = {
    "CSRFProtect.protect": "60961f8ee3e9ef3f377bdbad69ebd0a23d8358417b7d52c6e707462046f56986",
    "validate_csrf": "647c0372b8c77385df37c7c3354812c215eef6fe8ffe6d3f476b6103f9be432c",
    # The token every page's layout carries: app/extensions.py generate_csrf_token, and the
    # template global and context processor CSRFProtect.init_app sets up, which ours replaces.
    "generate_csrf": "016213b9f24494e8a69e23387c6717f32590a64e39e9c022a215fcc1c717a06e",
    "CSRFProtect.init_app": "8b8e5c86bfe4ba836349327ba63bcc497f2e372a90b7c125a590c8b26754d747",
    # A page form's token field (app/forms.py _TokenOfTheApp): its token from generate_csrf_token.
    "_FlaskFormCSRF": "6e851b168b25f5ba1d55deb667c033990a24a372788cdb662f9e87b4dec152aa",
}


def test_flask_wtf_is_the_release_our_copy_of_its_check_was_read_against():
    import hashlib
    import inspect

    import flask_wtf.csrf

    found = {name: hashlib.sha256(inspect.getsource(function).encode()).hexdigest() for name, function in (
        ("CSRFProtect.protect", flask_wtf.csrf.CSRFProtect.protect), ("validate_csrf", flask_wtf.csrf.validate_csrf),
        ("generate_csrf", flask_wtf.csrf.generate_csrf), ("CSRFProtect.init_app", flask_wtf.csrf.CSRFProtect.init_app),
        ("_FlaskFormCSRF", flask_wtf.csrf._FlaskFormCSRF))}
    assert found == FLASK_WTF_CHECKED_AGAINST, (
        "Flask-WTF's CSRF check or token changed: compare app/extensions.py validate_csrf_token, "
        "generate_csrf_token and CSRFProtect with the new code, then update these fingerprints")


@pytest.mark.parametrize("case", ["valid", "missing", "empty", "not signed", "another secret", "another salt",
                                  "expired", "another session's", "no session token"])
def test_every_kind_of_token_gets_flask_wtfs_answer(app, case):
    import time

    from flask import session
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    from app.extensions import validate_csrf_token

    own, other = "a" * 40, "b" * 40
    if case == "expired":  # tokens here live as long as the session (config.py); a limit set, to reach that check
        app.config["WTF_CSRF_TIME_LIMIT"] = 3600
        made_at = time.time() - 3600 - 10
    token = {
        "valid": signed(app.secret_key, "wtf-csrf-token", own),
        "missing": None,
        "empty": "",
        "not signed": own,
        "another secret": signed("y" * 32, "wtf-csrf-token", own),
        "another salt": signed(app.secret_key, "another", own),
        "expired": None,
        "another session's": signed(app.secret_key, "wtf-csrf-token", other),
        "no session token": signed(app.secret_key, "wtf-csrf-token", own),
    }[case]
    if case == "expired":
        from itsdangerous import TimestampSigner, URLSafeTimedSerializer

        class SignedLongAgo(TimestampSigner):
            def get_timestamp(self):
                return int(made_at)

        token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=SignedLongAgo).dumps(own)

    def answer(check):
        try:
            check(token)
        except ValidationError as refused:
            return refused.args[0]
        return "accepted"

    with app.test_request_context():
        if case != "no session token":
            session["csrf_token"] = own
        theirs, ours = answer(validate_csrf), answer(validate_csrf_token)
    assert ours == theirs
    assert (ours == "accepted") == (case == "valid")


@pytest.mark.parametrize("settings", [{}, {"WTF_CSRF_SECRET_KEY": "z" * 32}], ids=["the app's secret", "a CSRF secret"])
def test_the_layouts_token_is_flask_wtfs_token(app, settings, monkeypatch):
    """Every page's token comes from generate_csrf_token (a kept serializer): the token Flask-WTF
    would make, checked by either check, and the one a form on the same page carries."""
    import flask
    import flask_wtf.csrf
    from itsdangerous import URLSafeTimedSerializer

    from app.extensions import generate_csrf_token, validate_csrf_token

    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    secret = settings.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    assert app.jinja_env.globals["csrf_token"] is generate_csrf_token
    with app.test_request_context():
        token = generate_csrf_token()
        assert flask.session["csrf_token"] and generate_csrf_token() == token == flask_wtf.csrf.generate_csrf()
        assert URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token) == flask.session["csrf_token"]
        validate_csrf_token(token)
        flask_wtf.csrf.validate_csrf(token)
    with app.test_request_context():
        # Made by Flask-WTF first (a form's field), given as it is.
        first = flask_wtf.csrf.generate_csrf()
        assert generate_csrf_token() == first


def test_every_token_a_page_or_script_gets_is_made_by_the_apps_one_maker(app, client, actors, monkeypatch):
    """app/extensions.py generate_csrf_token makes every token: the layout's, a page form's field
    (which renders before the layout) and the offline answers' fresh token (/api/hna/token).
    Flask-WTF's own maker, the slow way to the same token (a new serializer each time), is never
    asked."""
    import flask_wtf.csrf

    def refused(*args, **kwargs):
        raise AssertionError("a token made by Flask-WTF's generate_csrf, not the app's")

    monkeypatch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", refused)
    sign_in_as(client, actors.patient_a)
    for address in ["/my-care/symptoms/new", "/api/hna/token"]:  # a form with its own token field; a script's
        response = client.get(address)
        assert response.status_code == 200, address
    sign_in_as(client, actors.nurse_a)
    assert client.get("/nurse/patients/new").status_code == 200


def test_the_token_is_looked_for_where_flask_wtf_looks(app):
    # app/extensions.py CSRFProtect._get_csrf_token looks only in the headers when the body is not
    # a form (it has no form fields): the same token as Flask-WTF's own, for every kind of body.
    import flask_wtf

    from app.extensions import csrf

    bodies = {
        "form": ({"csrf_token": "in-form"}, None),
        "prefixed form field": ({"plan-csrf_token": "prefixed"}, None),
        "empty form field": ({"csrf_token": ""}, None),
        "multipart form": ({"csrf_token": "multipart"}, "multipart/form-data"),
        "JSON": ('{"csrf_token": "in-json"}', "application/json"),
        "JSON with a charset": ('{"csrf_token": "in-json"}', "application/json; charset=utf-8"),
        "text": ("csrf_token=in-text", "text/plain"),
        "no type": (b"csrf_token=untyped", ""),
        "no body": (None, None),
    }
    for (name, (data, content_type)), header in itertools.product(bodies.items(), [None, "in-header", ""]):
        headers = {"X-CSRFToken": header} if header is not None else {}
        with app.test_request_context("/anywhere", method="POST", data=data, content_type=content_type,
                                      headers=headers):
            assert csrf._get_csrf_token() == flask_wtf.CSRFProtect._get_csrf_token(csrf), (name, header)
