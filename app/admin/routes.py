"""Admin: teams, staff accounts, ending sessions, moving patients between teams, the audit log."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from .. import team_moves
from ..audit import audit, changes_since
from ..background import periodic_work
from ..auth import invitations
from ..authz import admin_required, refuse, user_for_admin
from ..extensions import db
from ..versioning import answer_conflict, conflict_message, shown_version
from ..models import Role, Team, User
from ..sessions import current_user_record, end_all_sessions
from ..triage.queue import DEFAULT_TARGET_WORKING_DAYS, ItemKind
from ..timeutil import utcnow
from ..untrusted import parse_id
from . import accounts, bp, questionnaires as published, teams as team_service
from . import audit_log as audit_log_service
from .forms import (
    AuditFilterForm,
    SAME_DAY_KINDS,
    TARGET_LABELS,
    QuestionnaireForm,
    StaffForm,
    TeamForm,
    TeamMoveForm,
    target_field_name,
    team_contacts_form,
)

@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html", counts=accounts.headcounts(), periodic_work=periodic_work(utcnow()))


@bp.route("/teams", methods=["GET", "POST"])
@admin_required
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        team = team_service.create_team(name)
        if team is None:
            form.name.errors.append("A team with this name already exists")
        else:
            audit("team.create", subject=f"team:{team.id}", name=name)
            db.session.commit()
            flash(f"Team ‘{name}’ created.", "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/teams.html", teams=team_service.all_teams(), form=form)


# ---------------------------------------------------------------- a team's contacts

CONTACT_FIELDS = ("phone", "hours", "email", "out_of_hours_name", "out_of_hours_phone")
# What an admin calls each changed part; the audit log records these names, never the values.
CHANGE_LABELS = {
    "phone": "team phone number",
    "hours": "when the phone is answered",
    "email": "team email address",
    "out_of_hours_name": "name of the out-of-hours line",
    "out_of_hours_phone": "out-of-hours phone number",
    "response_targets": "response targets",
}


def _team_page(record: Team, form, unchecked: bool = False):
    return render_template("admin/team.html", **_team_context(record, form, unchecked=unchecked))


def _team_context(record: Team, form, conflict: list[dict] | None = None, unchecked: bool = False) -> dict:
    return dict(
        team=record, form=form, conflict=conflict, unchecked=unchecked,
        target_fields=[(getattr(form, target_field_name(k)), TARGET_LABELS[k], DEFAULT_TARGET_WORKING_DAYS[k]) for k in ItemKind],
        saved_targets=[(TARGET_LABELS[k], (record.response_targets or {}).get(k.value, DEFAULT_TARGET_WORKING_DAYS[k])) for k in ItemKind],
        same_day_waits=[f"{TARGET_LABELS[k]}: {days} working day{'' if days == 1 else 's'}" for k in SAME_DAY_KINDS
                        if (days := (record.response_targets or {}).get(k.value, DEFAULT_TARGET_WORKING_DAYS[k])) > 0],
    )


def _team_conflict(record: Team, form):
    """Nothing is saved; what this admin typed stays in the form, beside what is saved now, and
    the next save is checked against the team as it is now."""
    seen_version = shown_version(form.version)
    conflict = changes_since("team.update", seen_version, CHANGE_LABELS, subject=f"team:{record.id}")
    audit("team.update", subject=f"team:{record.id}", outcome="conflict", seen_version=seen_version)
    db.session.commit()
    form.version.data = str(record.version)
    return answer_conflict("admin/team.html", **_team_context(record, form, conflict=conflict))


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_required
def team(team_id: int):
    record = team_service.team_or_none(team_id)
    if record is None:
        refuse("team.access_refused", subject=f"team:{team_id}")
    form = team_contacts_form(obj=None if request.method == "POST" else record)
    targets = record.response_targets or {}
    # The ticks are asked for only when the 24-hour line or a same-day target changes.
    form.saved_out_of_hours_phone, form.saved_targets = record.out_of_hours_phone, targets
    if request.method == "GET":
        form.version.data = str(record.version)
        for kind in ItemKind:
            getattr(form, target_field_name(kind)).data = str(targets.get(kind.value, DEFAULT_TARGET_WORKING_DAYS[kind]))
    if form.validate_on_submit():
        if shown_version(form.version) is None:
            # A page that does not say what it showed (one from before versions, or not a
            # browser): nothing is saved until the admin has seen what is saved now.
            form.version.data = str(record.version)
            return _team_page(record, form, unchecked=True)
        if shown_version(form.version) != record.version:
            return _team_conflict(record, form)
        changed = []
        for name in CONTACT_FIELDS:
            value = (getattr(form, name).data or "").strip() or None
            if getattr(record, name) != value:
                setattr(record, name, value)
                changed.append(name)
        wanted = {}
        for kind in ItemKind:
            value = (getattr(form, target_field_name(kind)).data or "").strip()
            days = int(value) if value else DEFAULT_TARGET_WORKING_DAYS[kind]
            if days != DEFAULT_TARGET_WORKING_DAYS[kind]:
                wanted[kind.value] = days  # only what differs from the default is stored
        if wanted != targets:
            record.response_targets = wanted
            changed.append("response_targets")
        if not changed:
            flash("Nothing was changed.", "info")
            return redirect(url_for("admin.team", team_id=record.id))
        try:
            db.session.flush()  # the version column makes this fail if another admin saved first
        except StaleDataError:
            db.session.rollback()
            return _team_conflict(team_service.team_or_none(team_id), form)
        # What the admin confirmed (never the values): that they rang the new 24-hour line, and
        # that red flags or emergencies may now wait longer than the same working day.
        confirmed = [name for name, given in (
            ("out_of_hours_phone_checked", "out_of_hours_phone" in changed and record.out_of_hours_phone),
            ("longer_red_flag_wait", "response_targets" in changed and any(
                wanted.get(k.value, 0) > 0 and wanted.get(k.value) != targets.get(k.value) for k in SAME_DAY_KINDS)),
        ) if given]
        audit("team.update", subject=f"team:{record.id}", fields=changed, version=record.version,
              **({"confirmed": confirmed} if confirmed else {}))
        db.session.commit()
        flash(f"Contacts for ‘{record.name}’ saved. Their patients see them straight away.", "success")
        return redirect(url_for("admin.team", team_id=record.id))
    return _team_page(record, form)


def _staff_form() -> StaffForm:
    form = StaffForm()
    form.team_id.choices = [SelectChoice(0, "Choose a team")] + [
        SelectChoice(t.id, t.name) for t in team_service.all_teams()
    ]
    return form


def _staff_invitation_page(user: User, issued: invitations.IssuedInvitation):
    invitations.remember_to_show(issued)
    return redirect(url_for("admin.staff_invitation", user_id=user.id))


@bp.get("/users/<int:user_id>/invitation")
@admin_required
def staff_invitation(user_id: int):
    person = user_for_admin(user_id)
    shown = invitations.take_to_show(person)
    if shown is None:
        flash("That invitation has already been shown. Create a new one if it was lost.", "info")
        return redirect(url_for("admin.user", user_id=person.id))
    record, token, code = shown
    return render_template(
        "admin/staff_invitation.html", user=person,
        link=url_for("auth.enrol_link", token=token, _external=True),
        code=code, expires_at=record.expires_at,
    )


@bp.route("/staff", methods=["GET", "POST"])
@admin_required
def staff():
    form = _staff_form()
    if form.validate_on_submit():
        user = accounts.create_staff(Role(form.role.data), form.display_name.data.strip(),
                                     form.email.data.strip().lower(), form.team_id.data)
        if user is None:
            form.email.errors.append("Someone with this email address already has an account")
        else:
            issued = invitations.issue(user, current_user_record())
            db.session.flush()
            audit("staff.create", subject=f"user:{user.id}", role=user.role.value)
            db.session.commit()
            return _staff_invitation_page(user, issued)
    return render_template("admin/staff.html", staff=accounts.staff_members(), form=form)


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    person = user_for_admin(user_id)
    audit("user.view", subject=f"user:{person.id}")
    db.session.commit()
    return render_template("admin/user.html", person=person, active_sessions=accounts.active_session_count(person))


@bp.post("/users/<int:user_id>/end-sessions")
@admin_required
def end_sessions(user_id: int):
    person = user_for_admin(user_id)
    count = end_all_sessions(person)
    audit("sessions.end", subject=f"user:{person.id}", sessions=count)
    db.session.commit()
    flash(f"Signed {person.display_name} out of {count} session(s).", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/invitation")
@admin_required
def staff_reinvite(user_id: int):
    person = user_for_admin(user_id)
    if person.role is Role.PATIENT:
        # Patients are invited by their own team, who can check who they are.
        flash("Patients get new invitations from their nurse.", "info")
        return redirect(url_for("admin.user", user_id=person.id))
    if not person.active:
        flash("This account is closed, so an invitation would not work. Reopen it first.", "info")
        return redirect(url_for("admin.user", user_id=person.id))
    issued = invitations.issue(person, current_user_record())
    db.session.flush()
    audit("invitation.issue", subject=f"invitation:{issued.invitation.id}", user=person.id)
    db.session.commit()
    return _staff_invitation_page(person, issued)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    person = user_for_admin(user_id)
    if person.id == current_user.id:
        flash("You cannot close your own account.", "info")
        return redirect(url_for("admin.user", user_id=person.id))
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        flash("Choose whether to close or reopen the account.", "info")
        return redirect(url_for("admin.user", user_id=person.id))
    person.active = wanted == "1"
    if not person.active:
        # Signed out everywhere, and no invitation can bring them back in.
        accounts.revoke_open_invitations(person)
        end_all_sessions(person)
    audit("user.active" if person.active else "user.closed", subject=f"user:{person.id}")
    db.session.commit()
    flash("Account reopened." if person.active else "Account closed and signed out everywhere.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.route("/users/<int:user_id>/team", methods=["GET", "POST"])
@admin_required
def user_team(user_id: int):
    """Move a patient to another team, with the work still in hand (app/team_moves.py). The
    admin chooses the team, reads what moves and what stays, then confirms."""
    person = user_for_admin(user_id)
    profile = person.patient_profile
    if profile is None:
        flash("Only patients move between teams here. Staff change team with a new account.", "info")
        return redirect(url_for("admin.user", user_id=person.id), 303)
    form = TeamMoveForm()
    teams = team_moves.other_teams(profile)
    form.team_id.choices = [(team.id, team.name) for team in teams]
    if request.method == "GET":
        form.version.data = str(profile.version)
    if not form.validate_on_submit():
        return render_template("admin/user_team.html", person=person, profile=profile, form=form, teams=teams)
    team = next(team for team in teams if team.id == form.team_id.data)
    seen_version = shown_version(form.version)
    if seen_version != profile.version:
        return _team_move_conflict(person, profile, form, teams, seen_version)
    if form.confirmed.data != "1":
        return render_template("admin/user_team.html", person=person, profile=profile, form=form, teams=teams,
                               team=team, preview=team_moves.what_moves(profile))
    from_team = profile.team
    try:
        moved = team_moves.move_patient(profile, team)
    except StaleDataError:  # a colleague saved the record between our read and our write
        db.session.rollback()
        return _team_move_conflict(person, profile, form, teams, seen_version)
    audit("patient.team_move", patient=profile, from_team=from_team.id, to_team=team.id,
          open_items=moved.open_items, draft_hnas=moved.draft_hnas, care_plan_version=moved.current_plan_version,
          key_worker_cleared=moved.key_worker.id if moved.key_worker else None)
    db.session.commit()
    flash(f"{person.display_name} moved from {from_team.name} to {team.name}.", "success")
    return redirect(url_for("admin.user", user_id=person.id), 303)


def _team_move_conflict(person: User, profile, form: TeamMoveForm, teams: list[Team], seen_version: int | None):
    """The record changed since the admin read what moves: show what moves now, to confirm again."""
    audit("patient.team_move", patient=profile, outcome="conflict", seen_version=seen_version)
    db.session.commit()
    db.session.refresh(profile)
    form.version.data = str(profile.version)
    team = next((team for team in teams if team.id == form.team_id.data), None)
    return answer_conflict(
        "admin/user_team.html", person=person, profile=profile, form=form, teams=teams, team=team,
        preview=team_moves.what_moves(profile) if team else None,
        conflict=conflict_message(None, "this patient's record", "Check what moves now, then confirm again."),
    )


@bp.get("/audit")
@admin_required
def audit_log():
    form = AuditFilterForm(request.args)
    before = request.args.get("before", type=parse_id)
    valid = form.validate()
    filters = audit_log_service.AuditFilters(
        action=(form.action.data or "").strip(), person=(form.person.data or "").strip(),
        patient=(form.patient.data or "").strip(), from_date=form.from_date.data, to_date=form.to_date.data,
    ) if valid else None
    # Filters with a mistake show no events, only the mistake: never a log wider than was asked for.
    page = audit_log_service.audit_page(filters, before) if filters else audit_log_service.AuditPage([], None)
    # Reading the log is itself recorded (after the query, so it is on the next page view).
    shown = filters or audit_log_service.AuditFilters()
    # The next page keeps every filter exactly as typed.
    kept = {name: value for name, value in request.args.items() if name != "before" and value}
    older = url_for("admin.audit_log", before=page.next_before, **kept) if page.next_before else None
    html = render_template("admin/audit.html", events=page.events, older=older, form=form)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("audit.view", before=before, action_filter=shown.action or None, person_filter=shown.person or None,
          patient_filter=shown.patient or None,
          from_date=shown.from_date.isoformat() if shown.from_date else None,
          to_date=shown.to_date.isoformat() if shown.to_date else None, commit=True)
    return html


@bp.route("/questionnaires", methods=["GET", "POST"])
@admin_required
def questionnaires():
    """Publish a new questionnaire version. Published versions are never edited, so every
    submitted HNA can still be shown with the exact wording the person answered."""
    import json

    from ..hna import service
    from ..hna.questionnaire import QuestionnaireError, load_questionnaire

    form = QuestionnaireForm()
    if form.validate_on_submit():
        try:
            questionnaire = load_questionnaire(json.loads(form.definition.data))
            record = service.publish(questionnaire, current_user_record())[0]
        except json.JSONDecodeError as exc:
            form.definition.errors.append(f"This is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}")
        except (QuestionnaireError, ValueError) as exc:
            form.definition.errors.append(str(exc))
        else:
            db.session.flush()
            audit("questionnaire.publish", subject=f"questionnaire:{record.key}:{record.version}")
            db.session.commit()
            flash(f"Version {record.version} of ‘{questionnaire.title}’ published. New assessments use it from now on.", "success")
            return redirect(url_for("admin.questionnaires"))
    return render_template("admin/questionnaires.html", versions=published.published_versions(), form=form)


@bp.get("/questionnaires/<int:version_id>.json")
@admin_required
def questionnaire_json(version_id: int):
    """A published version as JSON: the starting point for writing the next one."""
    record = published.published_version(version_id)
    if record is None:
        abort(404)
    response = jsonify(record.definition)
    response.headers["Content-Disposition"] = f'attachment; filename="{record.key}-v{record.version}.json"'
    return response
