"""The records a signed-in patient's phone keeps for reading with no signal: their contacts,
current care plan and End of Treatment Summary (issue 11, "Offline and caching").

The phone asks once per page view with the versions it keeps (`GET /my-care/offline-record`);
each record's version is a digest of exactly what it would show, so any change that reaches
the page (a new plan version, the team's new 24-hour number, a renamed service) refreshes the
copy, and nothing else does. Only the records whose version differs are sent in full.

Each record is rendered by the same partials as the person's own page (autoescaped), and the
phone rebuilds it from an allow-list of elements, never as HTML (static/js/offline-record.js).
Kept encrypted, keyed to the person (`forms.outbox_owner`), at most 30 days, wiped on sign-out: the
trade-off is written down in SECURITY.md.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import render_template, url_for

from ..models import PatientProfile

# Part of every version: a change to how records are rendered refreshes every kept copy.
RECORD_SHAPE = "1"
# What a kept version may look like (anything else is treated as "nothing kept").
VERSION_LENGTH = 24


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    endpoint: str


# In the order the offline page lists them: the numbers to call first.
KINDS: tuple[Kind, ...] = (
    Kind("contacts", "Your contacts", "main.contacts"),
    Kind("plan", "Your care and support plan", "careplan.patient_plan"),
    Kind("summary", "Your treatment summary", "followup.patient_summary"),
)
KIND_NAMES = frozenset(kind.name for kind in KINDS)


def _records_of(profile: PatientProfile) -> dict[str, object | None]:
    """The record behind each kind; None where the person has none yet (no plan, no summary)."""
    from ..careplan import service as careplan_service
    from ..followup.summaries import current_summary

    return {"contacts": profile, "plan": careplan_service.current_plan(profile), "summary": current_summary(profile)}


def _render(kind: str, profile: PatientProfile, record) -> str:
    return render_template("main/offline_record.html", kind=kind, profile=profile, team=profile.team, record=record)


def version_of(kind: str, html: str) -> str:
    return hashlib.sha256(f"{RECORD_SHAPE}\0{kind}\0{html}".encode()).hexdigest()[:VERSION_LENGTH]


def kept_versions(args) -> dict[str, str]:
    """The versions the phone says it keeps, from the query string; anything malformed is
    treated as nothing kept (the record is then simply sent again)."""
    kept = {}
    for name in KIND_NAMES:
        value = args.get(name, "")
        if len(value) == VERSION_LENGTH and all(c in "0123456789abcdef" for c in value):
            kept[name] = value
    return kept


def offline_records(profile: PatientProfile, kept: dict[str, str]) -> dict[str, dict | None]:
    """Per kind: None when the person has no such record (the phone forgets its copy), else
    its title, path and version, and its fragment only when the phone's copy is not current."""
    answer: dict[str, dict | None] = {}
    for kind, record in _records_of(profile).items():
        if record is None:
            answer[kind] = None
            continue
        meta = next(k for k in KINDS if k.name == kind)
        html = _render(kind, profile, record)
        version = version_of(kind, html)
        entry = {"title": meta.title, "path": url_for(meta.endpoint), "version": version}
        if kept.get(kind) != version:
            entry["html"] = html
        answer[kind] = entry
    return answer


def sent_kinds(records: dict[str, dict | None]) -> list[str]:
    """The kinds whose content is in the answer (for the audit log)."""
    return [kind for kind, entry in records.items() if entry and "html" in entry]
