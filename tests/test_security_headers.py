"""Every response carries the security headers; pages hold no inline script or style."""
from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

import pytest

from app.security import HSTS, PERMISSIONS_POLICY
from tests.helpers import sign_in_as

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-{nonce}'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# (who is signed in, page): the main pages of each area.
MAIN_PAGES = [
    (None, "/"),
    (None, "/sign-in"),
    (None, "/sign-in/password"),
    (None, "/enrol"),
    (None, "/offline"),
    (None, "/no-such-page"),
    ("patient_a", "/my-care"),
    ("patient_a", "/account/passkeys"),
    ("patient_a", "/hna"),
    ("nurse_a", "/nurse/patients"),
    ("nurse_a", "/nurse/patients/new"),
    ("nurse_a", "/nurse/patients/{profile_a}"),
    ("nurse_a", "/nurse/hnas"),
    ("admin", "/admin/"),
    ("admin", "/admin/teams"),
    ("admin", "/admin/staff"),
    ("admin", "/admin/users/{nurse_a}"),
    ("admin", "/admin/audit"),
]


class PageParts(HTMLParser):
    """The script tags and attributes of a page."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.inline_script_text = False
        self.style_attributes: list[str] = []
        self.event_handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if "style" in attributes:
            self.style_attributes.append(tag)
        self.event_handlers += [f"{tag} {name}" for name in attributes if name.startswith("on")]
        if tag == "style":
            self.style_attributes.append("<style> element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script_text = True


def parse_csp(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def open_page(app, actors, who, path):
    client = app.test_client()
    if who:
        sign_in_as(client, getattr(actors, who))
    return client.get(path.format(**vars(actors)))


# ---------------------------------------------------------------- content security policy


def test_the_content_security_policy_allows_only_this_site_and_the_pages_nonce(client):
    response = client.get("/")
    csp = parse_csp(response.headers["Content-Security-Policy"])
    nonce = re.search(r"'nonce-([^']+)'", csp["script-src"]).group(1)
    assert csp == {name: value.format(nonce=nonce) for name, value in EXPECTED_CSP.items()}


def test_the_policy_never_allows_inline_or_eval(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "unsafe-hashes" not in policy
    assert "*" not in policy


def test_the_nonce_is_new_for_every_response(client):
    policies = {client.get("/").headers["Content-Security-Policy"] for _ in range(3)}
    assert len(policies) == 3


@pytest.mark.parametrize(("who", "path"), MAIN_PAGES)
def test_main_pages_have_no_inline_script_style_or_event_handlers(app, actors, who, path):
    response = open_page(app, actors, who, path)
    assert response.status_code in (200, 404)
    page = PageParts()
    page.feed(response.get_data(as_text=True))
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert page.scripts, "the page loads its script"
    assert all(script.get("src") for script in page.scripts), "every script is a file"
    assert all(script.get("nonce") == nonce for script in page.scripts)
    assert not page.inline_script_text
    assert page.style_attributes == []
    assert page.event_handlers == []


# ---------------------------------------------------------------- other headers


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/sign-in", "/static/css/app.css", "/no-such-page"])
def test_every_response_has_the_security_headers(client, path, header, value):
    response = client.get(path)
    response.close()
    assert response.headers[header] == value


def test_the_permissions_policy_turns_off_what_the_service_never_uses():
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in PERMISSIONS_POLICY


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "max-age=63072000" in HSTS


def test_hsts_is_not_sent_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize(("who", "path"), [(None, "/"), (None, "/sign-in"), ("nurse_a", "/nurse/patients"),
                                           ("patient_a", "/my-care"), (None, "/no-such-page")])
def test_pages_are_never_stored_by_a_cache(app, actors, who, path):
    response = open_page(app, actors, who, path)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Expires" not in response.headers


def test_headers_a_view_set_are_replaced_by_the_policys_own(app_config):
    """A view's own caching or framing headers never survive: each policy header is sent once,
    with the policy's value, and Expires not at all."""
    from app import create_app

    app = create_app(app_config)  # its own app: a view is added to it

    @app.get("/test-headers-a-view-set")
    def view_with_its_own_headers():
        response = app.response_class("<p>x</p>")
        response.headers.add("Cache-Control", "public, max-age=600")
        response.headers.add("cache-control", "immutable")
        response.headers["Expires"] = "Thu, 01 Dec 2094 16:00:00 GMT"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "default-src *"
        response.headers["X-Kept"] = "kept"
        return response

    @app.after_request
    def a_hook_answering_with_a_response_of_its_own(response):
        # Run before the security headers' hook (Flask runs hooks last registered first), with a
        # response of Werkzeug's own class, which the app's does not send its headers for.
        if request.path != "/test-headers-a-hook-set":
            return response
        from werkzeug.wrappers import Response

        return Response("<p>y</p>", headers=list(view_with_its_own_headers().headers.items()))

    from flask import request

    for path, scheme in itertools.product(("/test-headers-a-view-set", "/test-headers-a-hook-set"), ("https", "http")):
        response = app.test_client().get(path, base_url=f"{scheme}://localhost")
        headers = response.headers
        assert headers.getlist("Cache-Control") == ["no-store"]
        assert "Expires" not in headers
        assert headers.getlist("X-Frame-Options") == ["DENY"]
        assert len(headers.getlist("Content-Security-Policy")) == 1
        assert headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self' 'nonce-")
        assert headers.getlist("Strict-Transport-Security") == ([HSTS] if scheme == "https" else [])
        assert headers["X-Kept"] == "kept"
        assert headers.getlist("Content-Type") == ["text/html; charset=utf-8"]


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/app.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


# ---------------------------------------------------------------- request size


def test_a_form_that_is_too_large_is_refused_with_a_clear_message(app, client):
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/sign-in/password", data={"nhs_number": too_big, "password": "x"})
    assert response.status_code == 413
    assert "That was too much to send at once" in response.get_data(as_text=True)


def test_json_that_is_too_large_is_refused_with_json(app, client):
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/sign-in/passkey/verify", json={"id": too_big},
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 413
    assert response.get_json() == {"error": "too_large", "detail": "Shorten your answer and try again."}


def test_a_request_just_under_the_limit_is_read_normally(app, client):
    response = client.post("/sign-in/password", data={
        "csrf_token": client.csrf_token(), "nhs_number": "9434765919", "password": "x" * 1000,
    })
    assert response.status_code == 200


# ---------------------------------------------------------------- one caching rule


def cache_directives(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}


@pytest.mark.hazard("HAZ-014")
@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        ("/healthz", 200, {"no-store"}),
        ("/no-such-page", 404, {"no-store"}),
        ("/static/no-such-file.css", 404, {"no-store"}),  # the error page, not a file
        # A name that looks hashed but the build never made is an error page too.
        ("/static/js/app.0123456789ab.js", 404, {"no-store"}),
        ("/static/css/app.css", 200, {"no-cache"}),
        ("/static/js/hna.js", 200, {"no-cache"}),
        ("asset:css/app.css", 200, {"public", "max-age=31536000", "immutable"}),
        ("asset:js/hna.js", 200, {"public", "max-age=31536000", "immutable"}),
        ("asset:nhsuk/assets/images/favicon.svg", 200, {"public", "max-age=31536000", "immutable"}),
        ("/service-worker.js", 200, {"no-store"}),
    ],
)
def test_only_content_hashed_static_files_are_cached_for_long_and_nothing_dynamic_is_stored(app, client, path, status, expected):
    if path.startswith("asset:"):
        with app.test_request_context():
            from app.assets import asset_url

            path = asset_url(path.removeprefix("asset:"))
    response = client.get(path)
    response.close()
    assert response.status_code == status
    assert cache_directives(response) == expected


@pytest.mark.hazard("HAZ-014")
def test_every_dynamic_response_on_every_route_is_no_store(app, actors, new_client):
    """Every rule in the url_map, every method, signed out and as each role: pages, JSON,
    redirects and errors alike; and the static files that exist are not."""
    from tests.test_authorisation import RULES, SKIPPED_METHODS, World, url

    world = World(actors)
    stored = []
    for who in (None, "patient_a", "nurse_a", "admin"):
        client = new_client()
        if who:
            sign_in_as(client, getattr(actors, who))
        headers = {"X-CSRFToken": client.csrf_token()}
        for rule in RULES:
            with app.app_context():
                address = url(app, world, rule, who or "patient_a", "own")
            for method in sorted(rule.methods - SKIPPED_METHODS):
                for kwargs in ({"data": {}}, {"json": {}}):
                    response = client.open(address, method=method, headers=headers, **kwargs)
                    if response.headers.get("Cache-Control") != "no-store":
                        stored.append(f"{who} {method} {address} {response.status_code}: {response.headers.get('Cache-Control')}")
                    response.close()
                    if method == "GET":
                        break
    for path in ("/static/css/app.css", "/static/js/csrf.js"):
        response = new_client().get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
        response.close()
    missing = new_client().get("/static/no-such-file.css")
    assert missing.headers["Cache-Control"] == "no-store"
    assert stored == []


def _responses():
    """(name, make a response of a class, request method): every way Werkzeug's get_wsgi_headers
    may change what it sends, and the usual ones it leaves alone."""
    def page(cls):
        return cls("<p>page</p>", mimetype="text/html")

    def with_headers(*pairs, status=200, body="x"):
        def make(cls):
            response = cls(body, status=status)
            for name, value in pairs:
                response.headers[name] = value
            return response
        return make

    def streamed(cls):
        return cls(iter([b"a", b"bc"]), mimetype="text/plain")

    def without_length(cls):
        response = cls("abc")
        del response.headers["Content-Length"]
        return response

    return {
        "page": (page, "GET"),
        "page, HEAD": (page, "HEAD"),
        "JSON, 201": (with_headers(("Content-Type", "application/json"), status=201, body="{}"), "POST"),
        "redirect, relative": (with_headers(("Location", "/next?a=é"), status=303, body=""), "GET"),
        "lower-case location": (with_headers(("location", "/next"), status=200), "GET"),
        "content location": (with_headers(("Content-Location", "/é"), status=200), "GET"),
        "no content": (with_headers(("Content-Length", "0"), status=204, body=""), "GET"),
        "not modified": (with_headers(("Content-Type", "text/html"), ("Content-Encoding", "gzip"), status=304), "GET"),
        "streamed": (streamed, "GET"),
        "length removed": (without_length, "GET"),
        "lower-case length": (with_headers(("content-length", "1")), "GET"),
        "cookie and vary": (with_headers(("Set-Cookie", "a=b; Path=/"), ("Vary", "Cookie"), ("X-Other", "1")), "GET"),
        "error": (with_headers(status=500), "GET"),
    }


@pytest.mark.parametrize("name", list(_responses()))
def test_a_response_is_sent_as_werkzeug_sends_it(app, name):
    # SecureResponse skips Werkzeug's copy of the headers when Werkzeug would change none of them;
    # with no security headers decided (none set yet), what it sends is Werkzeug's, byte for byte.
    import flask

    from app.security import SecureResponse

    make, method = _responses()[name]
    with app.test_request_context("/here/page", method=method, base_url="https://example.org"):
        from flask import request

        sent = []
        for cls in (SecureResponse, flask.Response):
            app_iter, status, headers = make(cls).get_wsgi_response(request.environ)
            sent.append((b"".join(app_iter), status, headers))
    assert sent[0] == sent[1]
