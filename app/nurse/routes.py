"""Nurse workspace (foundation part): the team's patients, adding a patient, invitations."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from ..audit import audit
from ..auth import invitations
from ..authz import patient_for_staff, staff_required
from ..extensions import db
from ..models import PatientProfile, Role, User
from . import bp
from .forms import NewPatientForm

PAGE_SIZE = 50
DUPLICATE_NHS_NUMBER = "A patient with this NHS number is already registered"


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


def _search(query: str):
    """Every word must match a first or last name; or the digits start an NHS number."""
    words = query.split()
    by_name = and_(*[
        or_(
            PatientProfile.given_name.icontains(word, autoescape=True),
            PatientProfile.family_name.icontains(word, autoescape=True),
        )
        for word in words
    ])
    digits = "".join(ch for ch in query if ch not in " -")
    if len(digits) >= 3 and digits.isdigit() and digits.isascii():
        return or_(by_name, PatientProfile.nhs_number.startswith(digits, autoescape=True))
    return by_name


@bp.get("/patients")
@staff_required
def patients():
    query = (request.args.get("q") or "").strip()[:100]
    stmt = select(PatientProfile).where(PatientProfile.team_id == current_user.team_id)
    if query:
        stmt = stmt.where(_search(query))
    stmt = stmt.order_by(
        PatientProfile.family_name, PatientProfile.given_name, PatientProfile.id
    ).limit(PAGE_SIZE + 1)
    rows = db.session.scalars(stmt).all()
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    audit("patient.list", query=query or None, results=len(rows))
    db.session.commit()
    return render_template("nurse/patients.html", patients=rows, query=query, has_more=has_more)


@bp.route("/patients/new", methods=["GET", "POST"])
@staff_required
def new_patient():
    form = NewPatientForm()
    if form.validate_on_submit():
        existing = db.session.scalar(
            select(PatientProfile.id).where(PatientProfile.nhs_number == form.nhs_number.data)
        )
        if existing:
            form.nhs_number.errors.append(DUPLICATE_NHS_NUMBER)
        elif current_user.team_id is None:
            form.nhs_number.errors.append("You need to belong to a team to add patients. Ask an admin")
        else:
            user = User(
                role=Role.PATIENT,
                display_name=f"{form.given_name.data.strip()} {form.family_name.data.strip()}",
                team_id=current_user.team_id,
            )
            profile = PatientProfile(
                user=user,
                team_id=current_user.team_id,
                nhs_number=form.nhs_number.data,
                given_name=form.given_name.data.strip(),
                family_name=form.family_name.data.strip(),
                date_of_birth=form.date_of_birth.data,
                tumour_pathway=form.tumour_pathway.data,
                key_worker_id=current_user.id if current_user.role is Role.NURSE else None,
                gp_practice_name=(form.gp_practice_name.data or "").strip() or None,
                gp_practice_phone=(form.gp_practice_phone.data or "").strip() or None,
            )
            db.session.add_all([user, profile])
            try:
                db.session.flush()
            except IntegrityError:
                # Someone added the same NHS number a moment ago.
                db.session.rollback()
                form.nhs_number.errors.append(DUPLICATE_NHS_NUMBER)
                return render_template("nurse/new_patient.html", form=form)
            issued = invitations.issue(user, current_user._get_current_object())
            db.session.flush()
            audit("patient.create", patient=profile)
            audit("invitation.issue", patient=profile, subject=f"invitation:{issued.invitation.id}")
            db.session.commit()
            return _invitation_page(profile, issued)
    return render_template("nurse/new_patient.html", form=form)


@bp.get("/patients/<int:patient_id>")
@staff_required
def patient(patient_id: int):
    profile = patient_for_staff(patient_id)
    audit("patient.view", patient=profile)
    db.session.commit()
    return render_template("nurse/patient.html", profile=profile)


@bp.post("/patients/<int:patient_id>/invitation")
@staff_required
def reinvite(patient_id: int):
    """A fresh invitation, for a new phone or a person who lost every device."""
    profile = patient_for_staff(patient_id)
    if not profile.user.active:
        flash("This account is closed, so an invitation would not work. Ask an admin to reopen it.", "info")
        return redirect(url_for("nurse.patient", patient_id=profile.id))
    issued = invitations.issue(profile.user, current_user._get_current_object())
    db.session.flush()
    audit("invitation.issue", patient=profile, subject=f"invitation:{issued.invitation.id}")
    db.session.commit()
    return _invitation_page(profile, issued)
