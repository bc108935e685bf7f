"""Authorisation in one place.

Patients reach only their own records; staff reach only their own team's patients.
Anything a person may not see answers 404, so an identifier never confirms that a
record exists.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort
from flask_login import current_user, login_required

from .audit import audit
from .extensions import db
from .models import PasskeyCredential, PatientProfile, Role, User


def roles_required(*roles: Role) -> Callable:
    """Signed-in people with one of `roles`; anyone else gets 404."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                audit("access.refused", outcome="refused", role=current_user.role.value)
                db.session.commit()
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


patient_required = roles_required(Role.PATIENT)
staff_required = roles_required(Role.NURSE, Role.ADMIN)
nurse_required = roles_required(Role.NURSE)
admin_required = roles_required(Role.ADMIN)


def current_patient() -> PatientProfile:
    """The signed-in patient's own record."""
    profile = current_user.patient_profile if current_user.is_authenticated else None
    if profile is None:
        abort(404)
    return profile


def patient_for_staff(patient_id: int) -> PatientProfile:
    """A patient record that the signed-in member of staff may see, or 404 (audited)."""
    profile = db.session.get(PatientProfile, patient_id)
    if (
        profile is None
        or not current_user.is_staff
        or current_user.team_id is None
        or profile.team_id != current_user.team_id
    ):
        audit("patient.access_refused", outcome="refused", subject=f"patient:{patient_id}")
        db.session.commit()
        abort(404)
    return profile


def own_credential(credential_pk: int) -> PasskeyCredential:
    credential = db.session.get(PasskeyCredential, credential_pk)
    if credential is None or credential.user_id != current_user.id:
        audit("passkey.access_refused", outcome="refused", subject=f"passkey:{credential_pk}")
        db.session.commit()
        abort(404)
    return credential


def user_for_admin(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not current_user.is_admin:
        abort(404)
    return user
