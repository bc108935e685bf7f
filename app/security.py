"""Security headers for every response, a CSP nonce per request, and no caching of personal pages."""
from __future__ import annotations

from binascii import b2a_base64
from os import urandom

import flask
from flask import Flask, g, request


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=63072000; includeSubDomains"


# The nonce's 18 random bytes as `secrets.token_urlsafe(18)` writes them (URL-safe base64, 24
# characters, no padding), in C calls alone: the layout and the headers ask on every page.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def csp_nonce() -> str:
    request_globals = g._get_current_object()
    nonce = request_globals.__dict__.get("csp_nonce")
    if nonce is None:
        nonce = request_globals.csp_nonce = b2a_base64(urandom(18), newline=False).translate(_URL_SAFE).decode()
    return nonce


def content_security_policy(nonce: str | None) -> str:
    # No inline script or style anywhere: scripts are files from this site, and the nonce
    # only exists so the design system's script tag pattern keeps working.
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'" if nonce else "'self'",
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
    return "; ".join(f"{k} {v}" for k, v in directives.items())


# Every response's policy differs only in its nonce: built once, around a marker, rather than
# from the directives on every request.
_NONCE_MARKER = "NONCE-MARKER"
_POLICY_BEFORE_NONCE, _POLICY_AFTER_NONCE = content_security_policy(_NONCE_MARKER).split(_NONCE_MARKER)


def _policy_with_nonce(nonce: str) -> str:
    return f"{_POLICY_BEFORE_NONCE}{nonce}{_POLICY_AFTER_NONCE}"


NO_STORE = "no-store"

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Enrolment links carry a secret token: never send a URL to another site. Same-origin
    # requests keep their Referer, which Flask-WTF requires on HTTPS posts
    # (WTF_CSRF_SSL_STRICT); "no-referrer" would refuse every form in production.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def static_file_security_headers() -> dict[str, str]:
    """The headers every response carries, for the static files WhiteNoise serves before a
    request reaches Flask (app/assets.py). A file has no nonce: its policy allows no script
    but this site's, which matters for an SVG opened on its own."""
    return {
        "Content-Security-Policy": content_security_policy(None),
        **COMMON_HEADERS,
    }


# What `set_security_headers` sends on every response, after the policy with its nonce, and the
# names it replaces: whatever a view set under any of them is dropped, and Expires too.
_FIXED_HEADERS = [*COMMON_HEADERS.items(), ("Cache-Control", NO_STORE)]
_FIXED_HEADERS_OVER_HTTPS = [*_FIXED_HEADERS, ("Strict-Transport-Security", HSTS)]
_REPLACED = frozenset(name.lower() for name in ("Content-Security-Policy", *COMMON_HEADERS, "Cache-Control", "Expires"))
_REPLACED_OVER_HTTPS = _REPLACED | {"strict-transport-security"}
# The names nearly every response carries that are none of those, as Werkzeug and Flask write
# them: kept without asking for their lower case.
_NEVER_REPLACED = frozenset(("Content-Type", "Content-Length", "Vary", "Set-Cookie", "Location"))


# Names Werkzeug's get_wsgi_headers never changes, as Werkzeug and Flask write them.
_NOT_ADJUSTED = frozenset(("Content-Type", "Vary", "Set-Cookie", "Cache-Control", "ETag", "Last-Modified"))


def _sent_as_they_are(headers: list) -> bool:
    """Whether Werkzeug's get_wsgi_headers, for a status it leaves alone (2xx to 5xx but 204 and
    304), sends these headers as they are: a Content-Length is there (Werkzeug adds one only when
    missing), and no Location or Content-Location (Werkzeug makes those absolute URIs)."""
    has_length = False
    for name, _value in headers:
        if name == "Content-Length":
            has_length = True
        elif name not in _NOT_ADJUSTED:
            lowered = name.lower()
            if lowered in ("location", "content-location"):
                return False
            has_length = has_length or lowered == "content-length"
    return has_length


class SecureResponse(flask.Response):
    """The app's response: the security headers go in as it is sent (get_wsgi_response), in one
    step over the plain list of headers the server is given. Put in the Headers object any
    earlier, each was checked as it was set and again as Werkzeug copied the headers to send
    them, and the list of names to replace was looked through for each: half the calls of the
    response's own work, on every request. set_security_headers decides them for this response,
    the nonce in."""

    # (the lower-case names dropped from what the view and hooks set, the headers added), or None
    security_headers: tuple[frozenset, list] | None = None

    def get_wsgi_response(self, environ):
        plain = self.headers.to_wsgi_list()
        if self.status_code >= 200 and self.status_code not in (204, 304) and _sent_as_they_are(plain):
            # What Werkzeug's get_wsgi_response gives when its get_wsgi_headers has nothing to
            # change (a copy of the headers, checked again one by one as it was made: ~40 Python
            # calls a response): a page or JSON answer whose length is known, with no Location.
            app_iter, status, headers = self.get_app_iter(environ), self.status, plain
        else:
            app_iter, status, headers = super().get_wsgi_response(environ)
        if self.security_headers is not None:
            replaced, added = self.security_headers
            headers = [item for item in headers if item[0] in _NEVER_REPLACED or item[0].lower() not in replaced]
            headers += added
        return app_iter, status, headers


def init_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.response_class = SecureResponse

    @app.after_request
    def set_security_headers(response):
        # The one caching rule: everything the app answers (pages, JSON, redirects, errors, a
        # 404 under /static/) may hold health data or a session's state, so no cache or back
        # button keeps it (Cache-Control: no-store). Static files never get here: WhiteNoise
        # serves them (app/assets.py).
        # The request and its globals looked up once each, not through Flask's proxies.
        secure = request._get_current_object().is_secure
        replaced = _REPLACED_OVER_HTTPS if secure else _REPLACED
        added = [("Content-Security-Policy", _policy_with_nonce(csp_nonce())),
                 *(_FIXED_HEADERS_OVER_HTTPS if secure else _FIXED_HEADERS)]
        if isinstance(response, SecureResponse):
            response.security_headers = (replaced, added)
        else:
            # A response of another class (a hook run before this one may make one): the headers
            # set on it now, written as one new list.
            response.headers[:] = [item for item in response.headers if item[0].lower() not in replaced] + added
        return response
