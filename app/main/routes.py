"""Home pages per role, the service worker at the site root, and a health check."""
from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select

from config import BASE_DIR

from ..authz import current_patient, patient_required
from ..extensions import db
from ..models import Role, User
from . import bp
from .patient_nav import patient_nav_items
from .urgent_line import urgent_line_of

# The patient's menu in the header (templates/base.html), built from app/main/patient_nav.py.
bp.add_app_template_global(patient_nav_items)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/start.html")
    if current_user.role is Role.PATIENT:
        return redirect(url_for("main.patient_home"))
    if current_user.role is Role.NURSE:
        return redirect(url_for("nurse.queue"))
    return redirect(url_for("admin.index"))


@bp.get("/my-care")
@patient_required
def patient_home():
    from ..careplan import service as careplan_service
    from ..followup import service as followup_service
    from ..hna import service as hna_service
    from ..sessions import take_kept_post

    profile = current_patient()
    sent = hna_service.submitted_hnas(profile)
    draft = hna_service.current_draft(profile)
    # Signing in lands here: an answer posted after the last session timed out is saved now.
    kept = take_kept_post()
    if kept is not None:
        if hna_service.restore_kept_answer(draft, kept):
            flash("We saved the answer you gave before you were signed out.", "success")
        db.session.commit()
    return render_template(
        "main/patient_home.html", profile=profile,
        care_plan=careplan_service.current_plan(profile), follow_up=followup_service.patient_cards(profile),
        hna_draft=draft, hna_offered_at=draft.offered_at if draft else None,
        hna_last_sent=sent[0] if sent else None,
        hna_reply=_reply_to(sent[0]) if sent else None,
    )


def _reply_to(hna) -> dict:
    """What the patient is told about the reply to the assessment they sent: by when the team
    will contact them (its open queue item's due date, else the same target the team's pages
    compute), whether that date has passed, or that the team has already dealt with it."""
    from ..hna.service import queue_items_for, reply_due
    from ..timeutil import utcnow
    from ..triage.models import ItemStatus

    item = queue_items_for([hna]).get(hna.id)
    if item is not None and item.status is ItemStatus.RESOLVED:
        return {"by": None, "late": False, "done": True, "taken_by": None}
    due = item.due_at if item is not None else reply_due(hna)
    # Named only once someone has taken it: "Sam has your answers" must be true.
    taken_by = item.assignee if item is not None else None
    return {"by": due, "late": utcnow() > due, "done": False, "taken_by": taken_by}


@bp.get("/my-care/contacts")
@patient_required
def contacts():
    """The person's single points of contact: key worker and team, GP practice, out of hours.
    Like their other own pages, reading it is not audited (staff reads are)."""
    profile = current_patient()
    return render_template("main/contacts.html", profile=profile, team=profile.team)


@bp.get("/my-care/urgent-line")
@patient_required
def urgent_line():
    """The signed-in patient's own 24-hour line, for the offline page, which holds nothing
    personal: static/js/urgent-line.js keeps it on this phone for this person only (encrypted,
    wiped at sign-out) and fills it in there. `phone` is null where the team has none, and the
    page then keeps its advice to call 111. Sent with no-store, like every dynamic response."""
    line = urgent_line_of(current_patient())
    return jsonify(line)


@bp.get("/service-worker.js")
def service_worker():
    # Served from the root so that its scope covers the whole site.
    response = send_from_directory(BASE_DIR / "service-worker", "service-worker.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/healthz")
def health():
    version = current_app.config.get("APP_VERSION", "dev")
    try:
        # A real table, not `SELECT 1`: SQLite answers that without opening the file, so a
        # corrupt database would still look healthy. One row keeps the check cheap.
        db.session.execute(select(User.id).limit(1)).all()
    except Exception:  # noqa: BLE001  (any failure to read means: send nobody here)
        current_app.logger.exception("Health check could not read the database")
        db.session.rollback()
        return {"status": "unavailable", "version": version}, 503
    return {"status": "ok", "version": version}


@bp.get("/offline")
def offline():
    # Cached by the service worker; holds nothing personal.
    response = current_app.make_response(render_template("main/offline.html", public_page=True))
    response.headers["X-Offline-Page"] = "1"
    return response
