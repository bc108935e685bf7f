"""Home pages per role, the service worker at the site root, and a health check."""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..assets import service_worker_script
from ..audit import audit
from ..authz import current_patient, patient_columns, patient_required, signed_in_patient
from ..extensions import db
from ..followup.pathway_content import emergency_sign_text
from ..forms import outbox_owner
from ..models import Role
from ..timeutil import london_today
from . import bp, home_page, offline_record
from .health import read_one_row
from .patient_nav import current_patient_nav_entries, nav_text_html, patient_menu
from .service import home_records
from .things_to_do import things_to_do
from .urgent_line import team_urgent_line, urgent_help_box, urgent_line_here, urgent_line_of
from .web_manifest import MANIFEST_MIMETYPE, SHORT_NAME, THEME_COLOUR, web_manifest

# The patient's menu in the header (templates/base_layout.html), built from app/main/patient_nav.py:
# the layout's memo keys on the entries current on the page, and builds the menu once for each
# (app/templating.py layout_page).
bp.add_app_template_global(current_patient_nav_entries)
bp.add_app_template_global(patient_menu)
# Every page's <meta name="theme-color"> and the name iOS puts under its home screen icon are the
# manifest's, from one place.
bp.add_app_template_global(THEME_COLOUR, "theme_colour")
bp.add_app_template_global(SHORT_NAME, "app_short_name")
bp.add_app_template_global(nav_text_html)
# "Feeling unwell?" (templates/main/_feeling_unwell.html) names the shared emergency's words.
bp.add_app_template_global(emergency_sign_text)
# "If you need help urgently" (templates/partials/urgent_help.html), on every symptom page.
bp.add_app_template_global(urgent_help_box)
bp.add_app_template_global(urgent_line_here)  # the 24-hour line rule (HAZ-002), one function
bp.add_app_template_global(team_urgent_line)


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
    from ..followup import service as followup_service
    from ..hna import service as hna_service
    from ..sessions import take_kept_post

    # Signing in lands here: an answer posted after the last session timed out is saved now,
    # into their tracked draft, before the page reads anything.
    kept = take_kept_post()
    if kept is not None:
        if hna_service.restore_kept_answer(hna_service.current_draft(current_patient()), kept):
            flash("We saved the answer you gave before you were signed out.", "success")
        db.session.commit()
    # The person as read with their session (their record read again after that commit): the
    # page only reads their columns, team and key worker, and their record made tracked
    # (`current_patient`) was a thirtieth of the page's Python calls.
    patient = signed_in_patient()
    columns = patient_columns(patient)
    today = london_today()
    # Read once here and handed to both the list of things to do and the cards below it; the
    # header's unread count was read with the session (app/sessions.py).
    records = home_records(columns, today, unread_messages=g.get("unread_messages"))
    follow_up = followup_service.patient_cards(records.tests, records.has_follow_up_plan, records.has_summary)
    return render_template(
        "main/patient_home.html", team=patient.team,
        home_top=home_page.home_top(columns, things_to_do(columns, today, records)),
        home_rest=home_page.home_rest(patient, records, follow_up),
    )


@bp.get("/my-care/contacts")
@patient_required
def contacts():
    """The person's single points of contact: key worker and team, GP practice, out of hours.
    Like their other own pages, reading it is not audited (staff reads are)."""
    profile = current_patient()
    return render_template("main/contacts.html", profile=profile, team=profile.team)


@bp.get("/my-care/install")
@patient_required
def install():
    """How to add the app to a home screen, per platform (and that an iPhone needs it there for
    notifications); static/js/install.js offers the browser's own install where it can."""
    return render_template("main/install.html")


@bp.get("/my-care/urgent-line")
@patient_required
def urgent_line():
    """The signed-in patient's own 24-hour line, for the offline page, which holds nothing
    personal: static/js/urgent-line.js keeps it on this phone for this person only (encrypted,
    wiped at sign-out) and fills it in there. `phone` is null where the team has none, and the
    page then keeps its advice to call 111. Sent with no-store, like every dynamic response.
    `owner` names the person as their pages do (data-outbox-owner): a tab loaded for someone
    else, refreshing with the cookie of whoever signed in since, ignores it (HAZ-003)."""
    line = urgent_line_of(current_patient())
    return jsonify(line | {"owner": outbox_owner()})


@bp.get("/my-care/offline-record")
@patient_required
def offline_records():
    """The person's contacts, care plan and treatment summary for their phone to keep for
    reading offline (static/js/offline-record.js): one request per page view carrying the
    versions the phone keeps (`?contacts=<version>&plan=...`), answered with every record's
    current version and the content of only those that changed (app/main/offline_record.py).
    Copying a plan or summary to the phone is audited like opening it."""
    profile = current_patient()
    records = offline_record.offline_records(profile, offline_record.kept_versions(request.args))
    sent = offline_record.sent_kinds(records)
    if sent:
        audit("offline_record.kept", patient=profile, subject=f"patient:{profile.id}", kinds=sent)
        db.session.commit()
    return jsonify(records=records)


@bp.get("/service-worker.js")
def service_worker():
    # Served from the root so that its scope covers the whole site; with the asset build's
    # version and precache list written in (app/assets.py).
    response = current_app.response_class(service_worker_script(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest (app/main/web_manifest.py), linked from every page's head. Public:
    it holds nothing personal, and browsers fetch it without cookies."""
    response = jsonify(web_manifest())
    response.mimetype = MANIFEST_MIMETYPE
    return response


@bp.get("/healthz")
def health():
    version = current_app.config.get("APP_VERSION", "dev")
    try:
        read_one_row()
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
