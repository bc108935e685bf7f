"""Error pages: plain English for people, JSON for scripts, never a stack trace."""
from __future__ import annotations

from contextlib import suppress
from functools import lru_cache

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header

from .extensions import db

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Go back and try again."),
    403: ("You do not have permission to do that", "If you think this is wrong, contact your team."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that did not work", "Go back and try again."),
    413: ("That was too much to send at once", "Shorten your answer and try again."),
    415: ("Sorry, we could not read that", "Go back and try again."),
    422: ("Sorry, we could not accept that", "Go back, check your answer and try again."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you saved has been lost."),
    503: ("Sorry, the service is unavailable", "Try again later. Nothing you saved has been lost."),
}
# Headers from the original error that the person's browser or script needs.
KEPT_HEADERS = ("Allow", "Retry-After")


def wants_json() -> bool:
    """Whether the caller is a script: it sent JSON, asked under /api/, or accepts JSON before HTML.
    Asked on every signed-in request (app/sessions.py: a page's header figures), so the request is
    looked up once and an Accept header is weighed once per process (`_accepts_json_before_html`)."""
    current = request._get_current_object()
    # No Content-Type: Werkzeug's mimetype is "" and is_json False, without parsing.
    if (current.environ.get("CONTENT_TYPE") and current.is_json) or current.path.startswith("/api/"):
        return True
    return _accepts_json_before_html(current.environ.get("HTTP_ACCEPT", ""))


@lru_cache(maxsize=256)
def _accepts_json_before_html(accept: str) -> bool:
    """Werkzeug's reading of an Accept header: JSON is its best match and of higher quality than
    HTML. A function of the header's text alone (browsers send a handful), so its answers are
    kept: parsing and weighing it took ~30 Python calls on every request."""
    accepted = parse_accept_header(accept, MIMEAccept)
    best = accepted.best_match(["application/json", "text/html"])
    return best == "application/json" and accepted[best] > accepted["text/html"]


# The `error` of each status in the JSON shape, for scripts to branch on.
ERROR_CODES = {
    400: "bad_request", 401: "signed_out", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
    500: "server_error", 503: "unavailable",
}


def error_body(error: str, detail: str, **extra) -> dict:
    """The one JSON error shape: `error`, a fixed code a script branches on ("signed_out",
    "busy"); `detail`, a sentence a person can read; then anything else the case needs. Views
    whose (dict, status) answer is stored for replay (app/idempotency.py) return this."""
    return {"error": error, "detail": detail, **extra}


def json_error(status: int, error: str | None = None, detail: str | None = None, *,
               headers: dict | None = None, **extra):
    """A JSON error response in the one shape; code and sentence default from the status."""
    title, advice = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    response = jsonify(error_body(error or ERROR_CODES.get(status, "bad_request" if status < 500 else "server_error"),
                                  detail or advice, **extra))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def signed_out():
    """The one answer to a script whose person is not (or no longer) signed in."""
    return json_error(401, "signed_out", "Sign in again to continue.")


def error_response(status: int, detail: str | None = None, headers: dict | None = None):
    title, advice = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if wants_json():
        return json_error(status, detail=detail, headers=headers)
    try:
        body = render_template("errors/error.html", title=title, advice=detail or advice, status=status)
    except Exception:  # noqa: BLE001  (the error page itself failed: plain text, still no trace)
        return f"{title}\n\n{detail or advice}\n", status, {
            **(headers or {}), "Content-Type": "text/plain; charset=utf-8"
        }
    return body, status, headers or {}


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        # Most CSRF failures are a session that timed out while the form was open.
        if wants_json():
            return json_error(400, "session_expired", "The page had expired. Refresh it and try again.")
        if not current_user.is_authenticated:
            flash("You were signed out to protect your information. Sign in again to continue.", "info")
            return redirect(url_for("auth.sign_in"))
        return error_response(400, "The page had expired. Go back, refresh the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        detail = exc.description if getattr(exc, "custom_detail", False) else None
        kept = {k: v for k, v in exc.get_headers() if k in KEPT_HEADERS}
        return error_response(exc.code or 500, detail, kept)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("Unhandled error")
        # The failed transaction must not be committed by anything that runs after this.
        with suppress(Exception):
            db.session.rollback()
        return error_response(500)
