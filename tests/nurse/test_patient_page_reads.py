"""What the nurse's page for one patient costs the database, and that its read is audited before
anyone sees it (issue 12)."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PatientProfile
from tests.test_query_counts import PAGES, counting_statements, signed_in_demo


def selects_from(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if s.lstrip().startswith("SELECT") and re.search(rf"\bFROM {table}\b", s))


def loads_rows_of(statements: list[str], table: str) -> int:
    """Statements that load rows of `table` (the select list starts with its columns), not those
    that only join it (the follow-up plan and tests are read through the patient's row)."""
    return sum(1 for s in statements if re.match(rf"\s*SELECT {table}\.", s))


def failing_commit():
    raise RuntimeError("the database refused the commit")


def test_the_patient_record_and_the_nurse_are_each_read_once(app, nurse, actors):
    """The audit of the read commits after the page is rendered: committing first expired the
    record, the team and the signed-in nurse, and the page read each of them again."""
    url = f"/nurse/patients/{actors.profile_a}"
    nurse.get(url)
    with app.app_context(), counting_statements() as sent:
        assert nurse.get(url).status_code == 200
    assert loads_rows_of(sent, "patient_profiles") == 1
    assert selects_from(sent, "teams") <= 1
    # The nurse comes with the session's own read; the page reads only the patient's account.
    assert selects_from(sent, "users") == 1


def test_the_page_is_never_sent_when_the_audit_of_the_read_cannot_be_stored(app, nurse, actors, monkeypatch):
    """Rendering comes before the commit, but the page is returned only once the commit stored
    the audit: a failed commit sends an error, not the patient's details."""
    with app.app_context():
        name = db.session.get(PatientProfile, actors.profile_a).family_name
    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = nurse.get(f"/nurse/patients/{actors.profile_a}")
    monkeypatch.undo()
    assert response.status_code == 500
    assert name not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.view")).all() == []


NURSE_PAGES_ABOUT_A_PERSON = [path for who, path, _ in PAGES if who == "nurse" and ("{" in path or path == "/nurse/hnas")]


def test_no_nurse_page_about_a_person_is_sent_when_the_audit_of_its_read_cannot_be_stored(app, monkeypatch):
    """Each of these pages renders before the audit commits; a failed commit still sends none."""
    assert len(NURSE_PAGES_ABOUT_A_PERSON) >= 10
    clients, ids = signed_in_demo(app)
    nurse = clients["nurse"]
    for path in NURSE_PAGES_ABOUT_A_PERSON:
        url = path.format(**ids)
        shown = nurse.get(url).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", shown, re.S).group(1).strip()
        with monkeypatch.context() as patched:
            patched.setattr(db.session, "commit", failing_commit)
            response = nurse.get(url)
        assert response.status_code == 500, url
        assert title not in response.get_data(as_text=True), url
