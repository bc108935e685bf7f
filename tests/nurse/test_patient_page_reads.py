"""What the nurse's page for one patient costs the database, and that its read is audited before
anyone sees it (issue 12)."""
from __future__ import annotations

import re

import pytest

from sqlalchemy import event, select

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


def refusing_the_audit_event(_connection, _cursor, statement, *_args):
    if statement.lstrip().startswith("INSERT INTO audit_events"):
        raise RuntimeError("the database refused the audit event")


@pytest.mark.parametrize("refused", ["the audit event", "the commit"])
def test_the_page_is_never_sent_when_the_audit_of_the_read_cannot_be_stored(app, nurse, actors, monkeypatch,
                                                                             database_url, refused):
    """Rendering comes before the audit is stored, but the page is returned only once it is: an
    audit event the database refuses, or a failed commit, sends an error, not the patient's
    details."""
    with app.app_context():
        name = db.session.get(PatientProfile, actors.profile_a).family_name
        engine = db.engine
    if refused == "the commit":
        monkeypatch.setattr(db.session, "commit", failing_commit)
    else:
        event.listen(engine, "before_cursor_execute", refusing_the_audit_event)
    try:
        response = nurse.get(f"/nurse/patients/{actors.profile_a}")
    finally:
        monkeypatch.undo()
        if refused == "the audit event":
            event.remove(engine, "before_cursor_execute", refusing_the_audit_event)
    assert response.status_code == 500
    assert name not in response.get_data(as_text=True)
    # On PostgreSQL the event of a page that only read is committed as it runs (one statement:
    # app/extensions.py committed_alone), so a commit failing after it stops only the page.
    if refused == "the audit event" or not database_url.startswith("postgresql"):
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


def _as_each_area_reads_it(profile) -> tuple:
    """Each area's own reader, as the page shows it."""
    from app.careplan.service import current_plan
    from app.followup.service import plan_of, tests_of
    from app.followup.summaries import current_summary
    from app.models import User

    plan, follow_up, summary = current_plan(profile), plan_of(profile), current_summary(profile)
    account = db.session.get(User, profile.user_id)
    return (
        (account.active, account.password_hash is not None),
        (plan.version, plan.created_at, plan.created_by.display_name, plan.review_date) if plan else None,
        (follow_up.follow_up_type, follow_up.open_access_until) if follow_up else None,
        [(t.id, t.name, t.interval_months, t.next_due, t.arranged_by, t.notes) for t in tests_of(profile)],
        (summary.version, summary.created_at) if summary else None,
    )


@pytest.mark.parametrize("records", [
    [],
    ["care plan by a colleague"],
    ["care plan by a colleague", "second care plan", "follow-up plan", "summary", "test", "password"],
    ["follow-up plan", "test", "second test"],
])
def test_the_page_reads_the_account_care_plan_follow_up_and_summary_as_each_area_does_in_one_row(app, actors, records):
    """`records_of`: what each area's own reader gives, in one statement, whoever wrote the plan;
    another person's records never appear (they have each too)."""
    from datetime import timedelta

    from app.followup.models import EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
    from app.models import Role, User
    from app.nurse.patient_page import records_of
    from app.timeutil import london_today
    from tests.careplan.helpers import item, make_plan

    with app.app_context():
        colleague = User(role=Role.NURSE, display_name="Colleague Nurse", email="colleague@example.test",
                         team_id=actors.team_a)
        db.session.add(colleague)
        db.session.commit()
        for profile_id in (actors.profile_a2, actors.profile_a):  # the other person's first
            profile = db.session.get(PatientProfile, profile_id)
            other = profile_id != actors.profile_a
            if other or "care plan by a colleague" in records:
                make_plan(profile, colleague, [item("Pain")])
            if other or "second care plan" in records:
                make_plan(profile, db.session.get(User, actors.nurse_a), [item("Pain"), item("Sleep")])
            if other or "follow-up plan" in records:
                db.session.add(FollowUpPlan(patient_id=profile_id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                            open_access_until=london_today() + timedelta(days=300),
                                            updated_by_id=actors.nurse_a))
            if other or "summary" in records:
                db.session.add(EndOfTreatmentSummary(patient_id=profile_id, team_id=profile.team_id, version=1,
                                                     is_current=True, created_by_id=actors.nurse_a,
                                                     diagnosis="Breast cancer", treatments=[]))
            if other or "test" in records:
                db.session.add(SurveillanceTest(patient_id=profile_id, name="Mammogram", interval_months=12,
                                                next_due=london_today() + timedelta(days=30)))
            if other or "second test" in records:
                db.session.add(SurveillanceTest(patient_id=profile_id, name="CT scan", interval_months=12,
                                                next_due=london_today() + timedelta(days=10)))
            if other or "password" in records:
                db.session.get(User, profile.user_id).password_hash = "not-a-real-hash"
            db.session.commit()
        db.session.expire_all()
        profile = db.session.get(PatientProfile, actors.profile_a)
        with counting_statements() as statements:
            found = records_of(profile)
            shown = ((found.sign_in.active, found.sign_in.has_password), found.care_plan,
                     found.follow_up["plan"], found.follow_up["tests"], found.follow_up["summary"])
        assert len(statements) == 1
        assert shown == _as_each_area_reads_it(profile)
        assert (found.care_plan is not None) == ("care plan by a colleague" in records)
