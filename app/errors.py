"""Error pages: plain English for people, JSON for scripts, never a stack trace."""
from __future__ import annotations

from contextlib import suppress

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Go back and try again."),
    403: ("You do not have permission to do that", "If you think this is wrong, contact your team."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that did not work", "Go back and try again."),
    413: ("That was too much to send at once", "Shorten your answer and try again."),
    422: ("Sorry, we could not accept that", "Go back, check your answer and try again."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you saved has been lost."),
}
# Headers from the original error that the person's browser or script needs.
KEPT_HEADERS = ("Allow", "Retry-After")


def wants_json() -> bool:
    if request.is_json or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, detail: str | None = None, headers: dict | None = None):
    title, advice = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if wants_json():
        return jsonify(error=title, detail=detail or advice), status, headers or {}
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
            return jsonify(error="session_expired", detail="Sign in again to continue."), 400
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
