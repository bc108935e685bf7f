"""Nurse workspace (foundation part): the team's patients, adding a patient, invitations."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..audit import audit
from ..auth import invitations
from ..authz import patient_for_staff, staff_required
from ..extensions import db
from ..models import PatientProfile, Role, User
from . import bp
from .forms import NewPatientForm

PAGE_SIZE = 50


def _invitation_page(profile: PatientProfile, issued: invitations.IssuedInvitation):
    link = url_for("auth.enrol_link", token=issued.token, _external=True)
    return render_template(
        "nurse/invitation.html",
        profile=profile,
        link=link,
        code=issued.code_display,
        qr_svg=invitations.qr_svg(link),
        expires_at=issued.invitation.expires_at,
    )


@bp.get("/patients")
@staff_required
def patients():
    query = (request.args.get("q") or "").strip()[:100]
    stmt = select(PatientProfile).where(PatientProfile.team_id == current_user.team_id)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        conditions = [
            PatientProfile.family_name.ilike(f"%{query}%"),
            PatientProfile.given_name.ilike(f"%{query}%"),
        ]
        if len(digits) >= 3:
            conditions.append(PatientProfile.nhs_number.startswith(digits))
        stmt = stmt.where(or_(*conditions))
    stmt = stmt.order_by(PatientProfile.family_name, PatientProfile.given_name, PatientProfile.id).limit(PAGE_SIZE)
    rows = db.session.scalars(stmt).all()
    audit("patient.list", query=query or None, results=len(rows))
    db.session.commit()
    return render_template("nurse/patients.html", patients=rows, query=query)


@bp.route("/patients/new", methods=["GET", "POST"])
@staff_required
def new_patient():
    form = NewPatientForm()
    if form.validate_on_submit():
        existing = db.session.scalar(
            select(PatientProfile.id).where(PatientProfile.nhs_number == form.nhs_number.data)
        )
        if existing:
            form.nhs_number.errors.append("A patient with this NHS number is already registered")
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
            issued = invitations.issue(user, current_user)
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
    issued = invitations.issue(profile.user, current_user)
    db.session.flush()
    audit("invitation.issue", patient=profile, subject=f"invitation:{issued.invitation.id}")
    db.session.commit()
    return _invitation_page(profile, issued)
