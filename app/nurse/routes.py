"""Nurse workspace: the team's patients, adding and editing a patient, invitations, offering
a Holistic Needs Assessment."""
from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from ..audit import audit, changes_since
from ..auth import invitations
from ..authz import patient_for_staff, staff_required
from ..results import service as results_service
from ..triage import service as triage_service
from ..extensions import db
from ..sessions import carries_the_session_touch, current_user_record
from ..timeutil import utcnow
from ..versioning import answer_conflict, shown_version
from ..models import PatientProfile, Role, User
from ..pathways import PATHWAY_CHOICES, PATHWAYS, pathway_name
from . import bp, href_prefix, patient_list, patient_page, patient_records, queue_view
from .forms import (
    PATHWAY_OPTIONS,
    STAFF_PATHWAY_POINT_LABELS,
    EditPatientForm,
    NewPatientForm,
    OfferHNAForm,
    PatientDetailsForm,
)

PAGE_SIZE = 50
DUPLICATE_NHS_NUMBER = "A patient with this NHS number is already registered"
DUPLICATE_NHS_NUMBER_IN_TEAM = (
    f"{DUPLICATE_NHS_NUMBER} in your team. Search your team's patients by NHS number to find them"
)


def _invitation_page(profile: PatientProfile, issued: invitations.IssuedInvitation):
    invitations.remember_to_show(issued)
    return redirect(url_for("nurse.invitation", patient_id=profile.id))


@bp.get("/patients/<int:patient_id>/invitation")
@staff_required
def invitation(patient_id: int):
    profile = patient_for_staff(patient_id)
    shown = invitations.take_to_show(profile.user)
    if shown is None:
        return render_template("nurse/invitation_shown.html", profile=profile)
    record, token, code = shown
    link = url_for("auth.enrol_link", token=token, _external=True)
    return render_template(
        "nurse/invitation.html", profile=profile, link=link, code=code,
        qr_svg=invitations.qr_svg(link), expires_at=record.expires_at,
    )


@bp.get("/patients")
@staff_required
@carries_the_session_touch
def patients():
    query = (request.args.get("q") or "").strip()[:100]
    rows = patient_list.team_patients(current_user.team_id, query, limit=PAGE_SIZE + 1)
    rows = rows[:PAGE_SIZE]
    # The new patient page's address as the templates' url_for keeps it (once per site root).
    new_patient_href = current_app.jinja_env.globals["url_for"]("nurse.new_patient")
    page = render_template("nurse/patients.html", page=patient_list.patients_page_values(
        len(rows), query, patient_list.patient_rows_html(rows, href_prefix("nurse.patient", "patient_id")),
        new_patient_href))
    # Never what was typed in the search box (a name or NHS number): only that there was a search.
    audit("patient.list", searched=bool(query), results=len(rows), commit=True)
    return page


@bp.route("/patients/new", methods=["GET", "POST"])
@staff_required
def new_patient():
    form = NewPatientForm()
    form.key_worker_id.choices = _key_worker_choices(current_user.team_id)
    form.tumour_pathway.choices = PATHWAY_OPTIONS
    if request.method == "GET" and current_user.role is Role.NURSE:
        form.key_worker_id.data = str(current_user.id)
    if form.validate_on_submit():
        existing_team = patient_records.team_holding_nhs_number(form.nhs_number.data)
        if existing_team is not None:
            # Only a record in the nurse's own team may be pointed to; another team's is not
            # even confirmed to be elsewhere.
            form.nhs_number.errors.append(
                DUPLICATE_NHS_NUMBER_IN_TEAM if existing_team == current_user.team_id else DUPLICATE_NHS_NUMBER
            )
        elif current_user.team_id is None:
            form.nhs_number.errors.append("You need to belong to a team to add patients. Ask an admin")
        else:
            profile = patient_records.add_patient(current_user.team_id, form.nhs_number.data, _typed_values(form))
            if profile is None:
                # Someone added the same NHS number a moment ago.
                form.nhs_number.errors.append(DUPLICATE_NHS_NUMBER)
                return render_template("nurse/new_patient.html", form=form)
            issued = invitations.issue(profile.user, current_user_record())
            db.session.flush()
            audit("patient.create", patient=profile)
            audit("invitation.issue", patient=profile, subject=f"invitation:{issued.invitation.id}")
            db.session.commit()
            return _invitation_page(profile, issued)
    return render_template("nurse/new_patient.html", form=form)


@bp.get("/patients/<int:patient_id>")
@staff_required
@carries_the_session_touch
def patient(patient_id: int):
    from ..hna import service as hna_service
    from ..reminders import service as reminders_service
    from ..results.rules import number
    from ..triage import service as triage_service

    profile = patient_for_staff(patient_id)
    hna = hna_service.needs_assessment_of(profile.id)
    records = patient_page.records_of(profile)
    page = render_template(
        "nurse/patient.html", profile=profile, sign_in=records.sign_in,
        details=patient_page.patient_details_page(profile, hna, STAFF_PATHWAY_POINT_LABELS),
        contacts=patient_page.patient_contacts_page(profile, profile.team, records.sign_in),
        queue_items=queue_view.queue_lines(triage_service.open_items_for_patient(profile.id), utcnow(),
                                           current_user.id, queue_view.item_href_prefix()),
        care_plan=records.care_plan, follow_up=records.follow_up,
        reminders=reminders_service.recent_reminders(profile.user_id, utcnow()),
        flagged=results_service.flagged_results(profile), number=number,
    )
    # Audited and committed after rendering: the commit would expire the record, its team and the
    # signed-in nurse, and the page would read each again. Sent only once the audit is stored.
    audit("patient.view", patient=profile, commit=True)
    return page


# ---------------------------------------------------------------- editing a patient's details

# Form field -> what the nurse calls it; the audit log records these names, never the values.
EDITABLE_FIELDS = {
    "given_name": "first name",
    "family_name": "last name",
    "date_of_birth": "date of birth",
    "diagnosed_on": "date of diagnosis",
    "phone": "patient's phone number",
    "key_worker_id": "key worker",
    "tumour_pathway": "tumour pathway",
    "gp_practice_name": "GP practice",
    "gp_practice_phone": "GP practice phone number",
    "gp_practice_address": "GP practice address",
}


def _key_worker_choices(team_id: int | None, current: User | None = None) -> list[SelectChoice]:
    """The team's active nurses; a current key worker who has left stays listed, so saving
    other details never changes the key worker by accident."""
    nurses = triage_service.team_nurses(team_id) if team_id is not None else []
    choices = [SelectChoice("", "No key worker")] + [SelectChoice(str(n.id), n.display_name) for n in nurses]
    if current is not None and current.id not in {nurse.id for nurse in nurses}:
        choices.append(SelectChoice(str(current.id), f"{current.display_name} (no longer active in this team)"))
    return choices


def _pathway_choices(profile: PatientProfile) -> list[SelectChoice]:
    """The known pathways; a current pathway no longer among them stays listed, so saving other
    details never changes the pathway by accident."""
    choices = [SelectChoice(key, name) for key, name in PATHWAY_CHOICES]
    if profile.tumour_pathway and profile.tumour_pathway not in PATHWAYS:
        choices.append(SelectChoice(profile.tumour_pathway, f"{profile.tumour_pathway} (no longer listed)"))
    return choices


def _typed_values(form: PatientDetailsForm) -> dict:
    """What the nurse asked for, in the record's own terms."""
    def typed_or_none(field) -> str | None:
        return (field.data or "").strip() or None

    return {
        "given_name": form.given_name.data.strip(),
        "family_name": form.family_name.data.strip(),
        "date_of_birth": form.date_of_birth.data,
        "diagnosed_on": form.diagnosed_on.data,
        "phone": typed_or_none(form.phone),
        "key_worker_id": int(form.key_worker_id.data) if form.key_worker_id.data else None,
        "tumour_pathway": form.tumour_pathway.data,
        "gp_practice_name": typed_or_none(form.gp_practice_name),
        "gp_practice_phone": typed_or_none(form.gp_practice_phone),
        "gp_practice_address": typed_or_none(form.gp_practice_address),
    }


def _as_shown(values: dict) -> dict[str, str]:
    """Editable values as the form shows them, so that what the nurse saw, what she typed and
    what is saved now can be compared field by field."""
    shown = {}
    for name in EDITABLE_FIELDS:
        value = values.get(name)
        shown[name] = value.isoformat() if isinstance(value, date) else ("" if value is None else str(value))
    return shown


def _saved_values(profile: PatientProfile) -> dict:
    return {name: getattr(profile, name) for name in EDITABLE_FIELDS}


def _merge_colleagues_changes(form: EditPatientForm, profile: PatientProfile, seen: dict[str, str | None]) -> dict:
    """After a colleague saved: their change goes into the form wherever this nurse left the
    field as she first saw it; where both changed a field, what this nurse typed is kept and
    the field is named, so she decides. Nothing is saved here."""
    typed, now = _as_shown(_typed_values(form)), _as_shown(_saved_values(profile))
    taken, both = [], []
    for name in EDITABLE_FIELDS:
        if now[name] == seen.get(name) or typed[name] == now[name]:
            continue
        if seen.get(name) is not None and typed[name] == seen[name]:
            taken.append(name)
            if name in ("date_of_birth", "diagnosed_on"):
                saved = getattr(profile, name)
                getattr(form, name).data = saved
                getattr(form, name).raw_parts = {
                    "day": str(saved.day), "month": str(saved.month), "year": str(saved.year),
                } if saved else {"day": "", "month": "", "year": ""}
            else:
                getattr(form, name).data = now[name]
        else:
            both.append(name)
    return {"taken": [EDITABLE_FIELDS[n] for n in taken], "both": [EDITABLE_FIELDS[n] for n in both]}


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_patient(patient_id: int):
    profile = patient_for_staff(patient_id)
    form = EditPatientForm(obj=None if request.method == "POST" else profile)
    form.key_worker_id.choices = _key_worker_choices(profile.team_id, profile.key_worker)
    form.tumour_pathway.choices = _pathway_choices(profile)
    if request.method == "GET":
        form.version.data = str(profile.version)
        form.key_worker_id.data = str(profile.key_worker_id) if profile.key_worker_id else ""
        audit("patient.view", patient=profile, page="edit")
        db.session.commit()
        return render_template("nurse/edit_patient.html", form=form, profile=profile,
                               seen=_as_shown(_saved_values(profile)))

    # What the nurse saw when the page was shown, carried in hidden inputs.
    seen = {name: request.form.get(f"seen_{name}") for name in EDITABLE_FIELDS}
    conflict: list[dict] | None = None
    merged: dict = {}
    if form.validate_on_submit():
        seen_version = shown_version(form.version)
        if seen_version != profile.version:
            conflict = changes_since("patient.update", seen_version, EDITABLE_FIELDS, patient_id=profile.id)
        else:
            wanted = _typed_values(form)
            changed = [name for name, value in wanted.items() if getattr(profile, name) != value]
            if not changed:
                flash("Nothing was changed.", "info")
                return redirect(url_for("nurse.patient", patient_id=profile.id))
            old_pathway = profile.tumour_pathway
            for name in changed:
                setattr(profile, name, wanted[name])
            if {"given_name", "family_name"} & set(changed):
                profile.user.display_name = profile.full_name
            try:
                db.session.flush()  # the version column makes this fail if a colleague saved first
            except StaleDataError:
                db.session.rollback()
                profile = patient_for_staff(patient_id)
                conflict = changes_since("patient.update", seen_version, EDITABLE_FIELDS, patient_id=profile.id)
            else:
                audit("patient.update", patient=profile, fields=changed, version=profile.version)
                if "tumour_pathway" in changed:  # as the follow-up page records it
                    audit("patient.pathway_change", patient=profile, old=old_pathway, new=profile.tumour_pathway)
                db.session.commit()
                flash(f"{profile.full_name}'s details are saved."
                      + (f" Tumour pathway changed to {pathway_name(profile.tumour_pathway)}." if "tumour_pathway" in changed else ""),
                      "success")
                return redirect(url_for("nurse.patient", patient_id=profile.id))
    if conflict is not None:
        # Nothing is saved; the next save is checked against the record as it is now.
        audit("patient.update", patient=profile, outcome="conflict", seen_version=shown_version(form.version))
        db.session.commit()
        merged = _merge_colleagues_changes(form, profile, seen)
        form.version.data = str(profile.version)
        seen = _as_shown(_saved_values(profile))
        return answer_conflict("nurse/edit_patient.html", form=form, profile=profile, conflict=conflict,
                               merged=merged, seen=seen)
    return render_template(
        "nurse/edit_patient.html", form=form, profile=profile, conflict=conflict, merged=merged,
        seen=seen,
    )


# ---------------------------------------------------------------- offering an HNA


def _offer_form() -> OfferHNAForm:
    from ..hna.models import PathwayPoint

    form = OfferHNAForm()
    form.pathway_point.choices = [
        SelectChoice(point.value, STAFF_PATHWAY_POINT_LABELS[point.value]) for point in PathwayPoint
    ]
    return form


@bp.route("/patients/<int:patient_id>/offer-hna", methods=["GET", "POST"])
@staff_required
def offer_hna(patient_id: int):
    from ..hna import service as hna_service
    from ..hna.models import PathwayPoint

    profile = patient_for_staff(patient_id)
    draft = hna_service.current_draft(profile)
    form = _offer_form()
    if request.method == "POST" and not profile.user.active:
        flash("This account is closed, so they could not see the offer. Ask an admin to reopen it.", "info")
        return redirect(url_for("nurse.patient", patient_id=profile.id))
    if form.validate_on_submit():
        result = hna_service.offer(profile, current_user_record(), PathwayPoint(form.pathway_point.data))
        if result.outcome == "already_offered":
            offered_by = result.hna.offered_by.display_name if result.hna.offered_by else "A colleague"
            flash(f"{offered_by} has already offered {profile.full_name} a needs assessment. "
                  "They can see it when they sign in.", "info")
        else:
            audit("hna.offer", patient=profile, subject=f"hna:{result.hna.id}",
                  pathway_point=result.hna.pathway_point.value, on_existing_draft=result.outcome == "recorded")
            flash(f"Needs assessment offered. {profile.given_name} will see it on their home page "
                  "when they sign in.", "success")
        db.session.commit()
        return redirect(url_for("nurse.patient", patient_id=profile.id))
    if request.method == "GET":
        audit("patient.view", patient=profile, page="offer-hna")
        db.session.commit()
    return render_template(
        "nurse/offer_hna.html", form=form, profile=profile, draft=draft,
        offered_at=draft.offered_at if draft else None,
    )


@bp.post("/patients/<int:patient_id>/invitation")
@staff_required
def reinvite(patient_id: int):
    """A fresh invitation, for a new phone or a person who lost every device."""
    profile = patient_for_staff(patient_id)
    if not profile.user.active:
        flash("This account is closed, so an invitation would not work. Ask an admin to reopen it.", "info")
        return redirect(url_for("nurse.patient", patient_id=profile.id))
    issued = invitations.issue(profile.user, current_user_record())
    db.session.flush()
    audit("invitation.issue", patient=profile, subject=f"invitation:{issued.invitation.id}")
    db.session.commit()
    return _invitation_page(profile, issued)
