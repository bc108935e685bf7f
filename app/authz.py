"""Authorisation in one place.

Patients reach only their own records; staff reach only their own team's patients; admins
manage every account (by design) but see patients only through a team, like any member of staff.
Anything a person may not see answers 404, so an identifier never confirms that a record
exists, and every refusal is written to the audit log.
"""
from __future__ import annotations

from functools import cache, wraps
from typing import Callable, NoReturn

from flask import abort, g
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .audit import audit
from .extensions import db, login_manager
from .models import PasskeyCredential, PatientProfile, Role, Team, User
from .sessions import (RecordValues, SignedInPatient, read_tracked, session_values_are_current, signed_in_person,
                       tracked_in)


def refuse(action: str, **detail) -> NoReturn:
    """Answer 404 and record the refusal. Nothing the request changed so far is kept."""
    db.session.rollback()
    audit(action, outcome="refused", **detail)
    db.session.commit()
    abort(404)


def roles_required(*roles: Role) -> Callable:
    """Signed-in people with one of `roles`; anyone else gets 404.

    The view keeps the roles in `allowed_roles`, so tests can check every route's roles.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            # Flask-Login's login_required and the role in one look-up of the person (it asked
            # its proxy three times, and Flask twice; `signed_in_person`). Its two exceptions never arise here: an
            # OPTIONS request is answered by Flask before any view, and LOGIN_DISABLED is not set.
            person = signed_in_person()
            if not person.is_authenticated:
                return login_manager.unauthorized()
            if person.role not in roles:
                refuse("access.refused", role=person.role.value)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


patient_required = roles_required(Role.PATIENT)
staff_required = roles_required(Role.NURSE, Role.ADMIN)
nurse_required = roles_required(Role.NURSE)
admin_required = roles_required(Role.ADMIN)


def _the_signed_in_patients() -> PatientProfile | SignedInPatient:
    """The signed-in person's patient record as their session holds it (values read with it, or
    their tracked record on the request that signed them in), refused (404, audited) for anyone
    without one: where `current_patient` and `signed_in_patient` both start."""
    person = signed_in_person()
    patient = person.patient_profile if person.is_authenticated else None
    if patient is None:
        refuse("patient.access_refused", subject="patient:self")
    return patient


def current_patient() -> PatientProfile:
    """The signed-in patient's own record, tracked, with its team and key worker: made from the
    values read with the session (no query), once a request (the same record each time, as
    `current_user` held it when it was a tracked `User`)."""
    patient = _the_signed_in_patients()
    if isinstance(patient, PatientProfile):  # the request that signed them in: a tracked `User`
        return patient
    request_globals = g._get_current_object()  # looked up once, not through the proxy for each use
    profile = request_globals.get("patient_record")
    if profile is None and not session_values_are_current(request_globals):
        profile = request_globals.patient_record = db.session.get(
            PatientProfile, patient.values["id"], options=_WITH_TEAM_AND_KEY_WORKER)
    if profile is None:
        session = db.session()  # the request's session looked up once for the three records
        profile = request_globals.patient_record = tracked_in(session, PatientProfile, patient.values, {
            "team": tracked_in(session, Team, patient.team, {}),
            "key_worker": patient.key_worker and tracked_in(session, User, patient.key_worker, {})})
    return profile


_WITH_TEAM_AND_KEY_WORKER = (joinedload(PatientProfile.team), joinedload(PatientProfile.key_worker))


def signed_in_patient() -> PatientProfile | SignedInPatient:
    """The signed-in patient's record as read with their session (`sessions.SignedInPatient`:
    its columns, team and key worker as values), refused as by `current_patient` when they have
    none: for a view that only reads it (a JSON save naming the person's own rows by its id, a
    symptom judged by their pathway), where `current_patient` would make their record, team and
    key worker into tracked records (issue 12: most of an HNA answer saved's own work). Their
    tracked record when there is one already (the request that signed them in) or when the values
    predate a commit made since (`current_patient` reads it again then): the values are those of
    this request's transaction, as `current_patient`'s are."""
    patient = _the_signed_in_patients()
    request_globals = g._get_current_object()  # looked up once, not through the proxy twice
    if (isinstance(patient, PatientProfile) or request_globals.get("patient_record") is not None
            or not session_values_are_current(request_globals)):
        return current_patient()
    return patient


def patient_columns(patient: PatientProfile | SignedInPatient) -> PatientProfile | RecordValues:
    """The person's columns by attribute name (`columns.diagnosed_on`), alike from the two things
    `signed_in_patient` gives: their tracked record, or their values read with the session."""
    return patient.values if isinstance(patient, SignedInPatient) else patient


def patient_for_staff(patient_id: int) -> PatientProfile:
    """A patient record that the signed-in member of staff may see, or 404 (audited). Read as the
    session's `read_tracked` reads a record (the ORM's get cost most of a staff page's fixed cost)."""
    profile = read_tracked(PatientProfile, patient_id)
    person = signed_in_person()
    if profile is None or not person.is_staff or person.team_id is None or profile.team_id != person.team_id:
        refuse("patient.access_refused", subject=f"patient:{patient_id}")
    return profile


def team_record_for_staff(record, action: str, subject: str):
    """`record` (anything with a `team_id` and a `patient_id`, e.g. a queue item) if it is the
    signed-in member of staff's team's and so is its patient now, or 404 (audited)."""
    person = signed_in_person()
    if record is None or not person.is_staff or person.team_id is None or record.team_id != person.team_id:
        refuse(action, subject=subject)
    return _keeping_patient(record, patient_for_staff(record.patient_id))


def _keeping_patient(record, profile: PatientProfile):
    """`record`, holding the patient just read as its `patient`: the session's identity map holds
    records weakly, so otherwise the page's first `record.patient` read the patient again (one
    more statement per page)."""
    state = sa_inspect(record)
    if "patient" in state.mapper.relationships and "patient" in state.unloaded:
        set_committed_value(record, "patient", profile)
    return record


def own_patient_record(model, record_id: int, action: str, kind: str, options: tuple = ()):
    """A record of `model` (anything with a `patient_id`) that is the signed-in patient's own, or
    404 audited as `action` on "<kind>:<id>". `options`: loader options for what the page shows
    of it (read in the same statement rather than lazily, one by one, while rendering)."""
    record = db.session.get(model, record_id, options=options)
    if record is None or record.patient_id != current_patient().id:
        refuse(action, subject=f"{kind}:{record_id}")
    return record


def patient_record_for_staff(patient_id: int, model, record_id: int, action: str, kind: str):
    """(patient, record): a patient the signed-in member of staff may see and a record of `model`
    that is that patient's, or 404 audited as `action` on "<kind>:<id>"."""
    profile = patient_for_staff(patient_id)
    record = db.session.get(model, record_id)
    if record is None or record.patient_id != profile.id:
        refuse(action, subject=f"{kind}:{record_id}")
    return profile, record


def own_credential(credential_pk: int) -> PasskeyCredential:
    """One of the signed-in person's own passkeys, or 404 (audited)."""
    credential = db.session.get(PasskeyCredential, credential_pk)
    if credential is None or credential.user_id != current_user.id:
        refuse("passkey.access_refused", subject=f"passkey:{credential_pk}")
    return credential


def user_for_admin(user_id: int) -> User:
    """Any account, for an admin (account management is global by design), or 404 (audited)."""
    user = db.session.get(User, user_id)
    if user is None or not current_user.is_authenticated or not current_user.is_admin:
        refuse("user.access_refused", subject=f"user:{user_id}")
    return user


def own_hna(hna_id: int):
    """One of the signed-in patient's own HNAs, or 404 (audited)."""
    from .hna.models import HNA

    return own_patient_record(HNA, hna_id, "hna.access_refused", "hna")


@cache
def _hna_with_the_patient() -> tuple:
    """The load option, made once per process rather than on every HNA page (a joinedload is
    built through several layers of SQLAlchemy's option machinery)."""
    from .hna.models import HNA

    return (joinedload(HNA.patient),)


def submitted_hna_for_staff(hna_id: int):
    """A submitted HNA of the signed-in member of staff's own team, or 404 (audited). The patient
    is read with it (one statement): the check reads them both, and the page shows the patient."""
    from .hna.models import HNA, HNAStatus

    hna = db.session.get(HNA, hna_id, options=_hna_with_the_patient())
    if hna is None or hna.status is not HNAStatus.SUBMITTED:
        refuse("hna.access_refused", subject=f"hna:{hna_id}")
    return _keeping_patient(hna, patient_for_staff(hna.patient_id))
