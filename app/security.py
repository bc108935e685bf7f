"""Security headers for every response, a CSP nonce per request, and no caching of personal pages."""
from __future__ import annotations

import re
import secrets

from flask import Flask, g, request


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=63072000; includeSubDomains"


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    # No inline script or style anywhere: scripts are files from this site, and the nonce
    # only exists so the design system's script tag pattern keeps working.
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
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


NO_STORE = "no-store"
# A file whose name carries its content's hash (app.3f9a1c2b.css) never changes under that name.
CONTENT_HASHED = re.compile(r"\.[0-9a-f]{8,64}\.[a-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"


def cache_control(endpoint: str | None, status: int, path: str) -> str:
    """The one caching rule. Every dynamic response (pages, JSON, redirects, errors, and a 404
    under /static/) may hold health data or a session's state: never stored by any cache or the
    back button. A static file is checked with the server each time (`no-cache`), unless its
    name carries its content hash: then it is kept for a year."""
    if endpoint == "static" and status in (200, 206, 304):
        return IMMUTABLE if CONTENT_HASHED.search(path) else "no-cache"
    return NO_STORE


def init_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        # Enrolment links carry a secret token: never send a URL to another site. Same-origin
        # requests keep their Referer, which Flask-WTF requires on HTTPS posts
        # (WTF_CSRF_SSL_STRICT); "no-referrer" would refuse every form in production.
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        headers["Cache-Control"] = cache_control(request.endpoint, response.status_code, request.path)
        if headers["Cache-Control"] == NO_STORE:
            headers.pop("Expires", None)
        return response
