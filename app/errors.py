"""Error pages: plain English for people, JSON for scripts, never a stack trace."""
from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def wants_json() -> bool:
    if request.is_json or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, detail: str | None = None):
    title, advice = MESSAGES.get(status, MESSAGES[400])
    if wants_json():
        return jsonify(error=title, detail=detail or advice), status
    return render_template("errors/error.html", title=title, advice=detail or advice, status=status), status


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
        return error_response(exc.code or 500, detail)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("Unhandled error")
        return error_response(500)
