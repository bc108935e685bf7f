"""Finding patients by what a nurse types: a name, part of one, or the start of an NHS number.

One search for the patient list and the team queue, so the same words find the same people.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from .models import PatientProfile


def matches(query: str) -> ColumnElement[bool]:
    """The condition on PatientProfile: every word must match a first or last name; or the
    digits (spaces and dashes allowed) start an NHS number. LIKE wildcards match themselves."""
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
