"""The audit log: who read or changed what, and when; append-only; read by admins alone."""
from __future__ import annotations

import html
import re
from datetime import timedelta, timezone

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from werkzeug.test import EnvironBuilder

from app.audit import ACCESS_LOG_PATH, audit
from app.extensions import db
from app.models import AuditEvent, AuditLogIsAppendOnly, Team
from app.timeutil import utcnow
from tests.helpers import commits_during, make_patient, make_session_activity_due, sign_in_as


@pytest.fixture
def event_id(app, actors) -> int:
    with app.app_context():
        audit("patient.view", patient=actors.profile_a, commit=True)
        return latest("patient.view").id


def latest(action: str) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


# ---------------------------------------------------------------- append-only


def test_an_event_cannot_be_changed(app, event_id):
    with app.app_context():
        db.session.get(AuditEvent, event_id).outcome = "refused"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id).outcome == "success"


def test_an_event_cannot_be_deleted(app, event_id):
    with app.app_context():
        db.session.delete(db.session.get(AuditEvent, event_id))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(outcome="refused"),
        delete(AuditEvent),
    ],
    ids=["bulk update", "bulk delete"],
)
def test_events_cannot_be_changed_or_deleted_in_bulk(app, event_id, statement):
    with app.app_context():
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


AROUND_THE_ORM = {
    "Core update on the session's connection": lambda conn: conn.execute(
        update(AuditEvent.__table__).values(outcome="refused")),
    "Core delete on the session's connection": lambda conn: conn.execute(delete(AuditEvent.__table__)),
    "text update": lambda conn: conn.execute(text("UPDATE audit_events SET outcome = 'refused'")),
    "text delete": lambda conn: conn.execute(text("DELETE FROM audit_events")),
    "lower case, spread over lines": lambda conn: conn.execute(text("update\n  audit_events\nset outcome = 'x'")),
    "quoted name": lambda conn: conn.exec_driver_sql('DELETE FROM "audit_events" WHERE id > 0'),
    "a delete inside a select": lambda conn: conn.execute(text(
        "WITH gone AS (DELETE FROM audit_events RETURNING id) SELECT count(*) FROM gone")),
    "truncate": lambda conn: conn.execute(text("TRUNCATE audit_events")),
    "insert or replace": lambda conn: conn.execute(text(
        "INSERT OR REPLACE INTO audit_events (id, occurred_at, action, outcome, detail) "
        "VALUES (1, '2026-12-07 10:00:00', 'x', 'x', '{}')")),
    "an upsert's do update": lambda conn: conn.execute(text(
        "INSERT INTO audit_events (id, occurred_at, action, outcome, detail) "
        "VALUES (1, '2026-12-07 10:00:00', 'x', 'x', '{}') ON CONFLICT (id) DO UPDATE SET outcome = 'x'")),
    # Past a guard that read the statement's text (a review of a58ec96): the database refuses.
    "a comment inside": lambda conn: conn.exec_driver_sql("DELETE /*x*/ FROM audit_events"),
    "square-bracket quotes": lambda conn: conn.exec_driver_sql("DELETE FROM [audit_events]"),
    "backquotes": lambda conn: conn.exec_driver_sql("DELETE FROM `audit_events`"),
    "update or ignore": lambda conn: conn.exec_driver_sql("UPDATE OR IGNORE audit_events SET outcome = 'x'"),
    "update or rollback": lambda conn: conn.exec_driver_sql("UPDATE OR ROLLBACK audit_events SET outcome = 'x'"),
    "merge then delete": lambda conn: conn.exec_driver_sql(
        "MERGE INTO audit_events AS e USING (SELECT 1 AS id) AS s ON e.id = s.id WHEN MATCHED THEN DELETE"),
    "a delete after a select, sent together": lambda conn: conn.exec_driver_sql("SELECT 1; DELETE FROM audit_events"),
    "schema, dot and spaces": lambda conn: conn.exec_driver_sql("DELETE FROM public . audit_events"),
}
POSTGRESQL_ONLY = {"a delete inside a select", "truncate", "merge then delete",
                   "a delete after a select, sent together", "schema, dot and spaces"}
SQLITE_ONLY = {"insert or replace", "square-bracket quotes", "backquotes", "update or ignore", "update or rollback"}


@pytest.mark.parametrize("how", AROUND_THE_ORM)
@pytest.mark.parametrize("connection", ["the session's", "one of its own"])
def test_events_cannot_be_changed_or_deleted_around_the_orm(app, event_id, how, connection):
    """The database refuses any statement that would change or remove an event (its triggers),
    however it is written or sent: Core or text SQL, on the session's connection or a new one."""
    with app.app_context():
        dialect = db.engine.dialect.name
        if how in (POSTGRESQL_ONLY if dialect == "sqlite" else SQLITE_ONLY):
            pytest.skip(f"not SQL {dialect} knows")
        if connection == "the session's":
            with pytest.raises(AuditLogIsAppendOnly):
                AROUND_THE_ORM[how](db.session.connection())
            db.session.rollback()
        else:
            with pytest.raises(AuditLogIsAppendOnly), db.engine.begin() as conn:
                AROUND_THE_ORM[how](conn)
        assert db.session.scalars(select(AuditEvent.outcome)).all() == ["success"]


def test_events_are_still_added_and_read_around_the_orm(app, event_id):
    with app.app_context():
        conn = db.session.connection()
        conn.execute(insert(AuditEvent.__table__).values(action="patient.view", outcome="success", detail={}))
        conn.execute(text("INSERT INTO audit_events (occurred_at, action, outcome, detail) "
                          "VALUES ('2026-12-07 10:00:00', 'patient.view', 'success', '{}')"))
        db.session.commit()
        assert db.session.connection().execute(text("SELECT count(*) FROM audit_events")).scalar() == 3
        # A read that names an action with a changing word in it is a read.
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action.in_(["patient.update", "plan.delete"]))) == 0


LEGITIMATE = {
    "a string that names a change": lambda conn: conn.exec_driver_sql(
        "INSERT INTO audit_events (occurred_at, action, outcome, detail) "
        "VALUES ('2026-12-07 10:00:00', 'note', 'success', '{\"said\": \"update audit_events\"}')"),
    "an event added, then another table upserted": lambda conn: conn.exec_driver_sql(
        "WITH added AS (INSERT INTO audit_events (occurred_at, action, outcome, detail) "
        "VALUES ('2026-12-07 10:00:00', 'team.rename', 'success', '{}') RETURNING id) "
        "INSERT INTO teams (id, name, created_at, response_targets) SELECT 1, 'Team A renamed', now(), '{}' FROM added "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name"),
}


@pytest.mark.parametrize("how", LEGITIMATE)
def test_statements_that_only_add_events_are_not_refused(app, event_id, how):
    with app.app_context():
        if how == "an event added, then another table upserted" and db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite has no INSERT inside a WITH")
        LEGITIMATE[how](db.session.connection())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_only_a_connection_erasing_events_may_remove_them_and_only_while_it_says_so(app, event_id):
    from app.audit import erasing_events

    with app.app_context(), db.engine.connect() as conn:
        with erasing_events(conn, "a test of the one way past the guard"):
            assert conn.execute(delete(AuditEvent.__table__)).rowcount == 1
        conn.rollback()
        with pytest.raises(AuditLogIsAppendOnly):
            conn.execute(delete(AuditEvent.__table__))
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(AuditEvent)).scalar() == 1
        # Committed, the erasure stays, and leaves no way past the guard behind it.
        with erasing_events(conn, "a test of the one way past the guard"):
            conn.execute(delete(AuditEvent.__table__))
        conn.commit()
        assert conn.execute(select(func.count()).select_from(AuditEvent)).scalar() == 0


def test_new_events_are_still_added(app, event_id):
    with app.app_context():
        audit("patient.view", commit=True)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_an_event_is_one_insert_that_reads_nothing_back(app, actors):
    """Every staff page writes one: its id is never used, so PostgreSQL is not asked to send it
    back (RETURNING, which SQLAlchemy adds to fill in the inserted key unless told not to)."""
    from tests.test_query_counts import counting_statements

    with app.app_context(), counting_statements(with_parameters=True) as statements:
        audit("patient.view", patient=actors.profile_a)
        db.session.rollback()
    assert [statement.split(" (", 1)[0] for statement, _ in statements] == ["INSERT INTO audit_events"]
    assert "RETURNING" not in statements[0][0].upper()


# ---------------------------------------------------------------- what an event records


def test_a_nurse_reading_a_record_is_recorded_with_who_and_when_in_utc(app, client, actors):
    sign_in_as(client, actors.nurse_a)
    before = utcnow()
    assert client.get(f"/nurse/patients/{actors.profile_a}").status_code == 200
    with app.app_context():
        event = latest("patient.view")
        assert (event.actor_id, event.patient_id, event.outcome) == (actors.nurse_a, actors.profile_a, "success")
        assert event.occurred_at.tzinfo == timezone.utc
        assert before - timedelta(seconds=1) <= event.occurred_at <= utcnow()
        assert event.path == f"/nurse/patients/{actors.profile_a}"
        assert event.ip == "127.0.0.1"


def test_an_event_can_name_a_patient_not_yet_saved(app, actors):
    with app.app_context():
        profile = make_patient(db.session.get(Team, actors.team_a), "Nia", "New")
        audit("patient.create", patient=profile)
        db.session.commit()
        assert profile.id is not None
        assert latest("patient.create").patient_id == profile.id


def test_any_detail_is_kept_even_one_called_action(app):
    with app.app_context():
        audit("audit.view", action="patient.", before=None, commit=True)
        assert latest("audit.view").detail == {"action": "patient.", "before": None}


@pytest.mark.parametrize("url, logged", [
    ("/enrol/a-secret-invitation-token", "/enrol/<token>"),  # a 404: no such invitation
    # Paths no route matches, that a link's secret could still be in: a slash added, more after it.
    ("/enrol/a-secret-invitation-token/", "/enrol/<token>"),
    ("/enrol/a-secret-invitation-token/more", "/enrol/<token>"),
    ("/no-such-page?patient=Ann", "/no-such-page"),
    ("/healthz", "/healthz"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])  # a POST: a 405 for the links
def test_every_answer_leaves_its_path_without_secrets_for_the_access_log(app, url, logged, method):
    """The web server's access log prints this instead of the URL as sent (gunicorn.conf.py).
    Called as the server calls it: the test client gives the app a copy of its environ."""
    environ = EnvironBuilder(url, method=method).get_environ()

    app(environ, lambda status, headers, exc_info=None: None).close()

    assert environ[ACCESS_LOG_PATH] == logged


# ---------------------------------------------------------------- reading the log


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("nurse_a", 404), ("patient_a", 404)])
def test_only_admins_can_read_the_log(client, actors, who, status):
    sign_in_as(client, getattr(actors, who))
    assert client.get("/admin/audit").status_code == status


def test_reading_the_log_is_itself_recorded(app, client, actors):
    sign_in_as(client, actors.admin)
    client.get("/admin/audit?action=patient.")
    with app.app_context():
        event = latest("audit.view")
        assert event.actor_id == actors.admin
        assert event.detail["action_filter"] == "patient."


def test_the_log_shows_who_did_what_to_whom(client, actors):
    sign_in_as(client, actors.nurse_a)
    client.get(f"/nurse/patients/{actors.profile_a}")
    sign_in_as(client, actors.admin)
    page = client.get("/admin/audit?action=patient.view").get_data(as_text=True)
    assert "Nurse A" in page and "Ann Able" in page and "patient.view" in page


def shown_events(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"event:(\d+)\b", page)]


def older_link(page: str) -> str | None:
    match = re.search(r'<a href="([^"]+)">Older events</a>', page)
    return html.unescape(match.group(1)) if match else None


def test_the_log_pages_back_in_time_without_gaps_or_repeats(app, client, actors):
    with app.app_context():
        for n in range(1, 231):
            audit("test.paging", subject=f"event:{n}")
        db.session.commit()
    sign_in_as(client, actors.admin)

    first = client.get("/admin/audit?action=test.").get_data(as_text=True)
    second = client.get(older_link(first)).get_data(as_text=True)
    third = client.get(older_link(second)).get_data(as_text=True)

    assert shown_events(first) == list(range(230, 130, -1))
    assert shown_events(second) == list(range(130, 30, -1))
    assert shown_events(third) == list(range(30, 0, -1))
    assert older_link(third) is None
    assert "action=test." in older_link(first)  # the filter is kept from page to page


# ---------------------------------------------------------------- filtering the log


def at(year, month, day, hour, minute=0):
    from datetime import datetime

    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def logged(app, actors):
    """Five events, named by their subject, by different people about different patients."""
    with app.app_context():
        for subject, actor, patient, action, when in [
            ("event:1", actors.nurse_a, actors.profile_a, "patient.view", at(2026, 7, 1, 22, 30)),   # 11:30pm 1 July in London
            ("event:2", actors.nurse_a, actors.profile_a2, "patient.update", at(2026, 7, 1, 23, 30)),  # 12:30am 2 July in London
            ("event:3", actors.nurse_b, actors.profile_b, "patient.view", at(2026, 7, 2, 12)),
            ("event:4", actors.admin, None, "team.update", at(2026, 12, 1, 0, 30)),    # GMT: 12:30am 1 December
            ("event:5", None, None, "sign_in.failed", at(2026, 12, 2, 9)),
        ]:
            db.session.add(AuditEvent(subject=subject, actor_id=actor, patient_id=patient, action=action, occurred_at=when))
        db.session.commit()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [5, 4, 3, 2, 1]),
        ("action=patient.", [3, 2, 1]),
        ("action=patient.view", [3, 1]),
        ("person=nurse+a", [2, 1]),
        ("person=NURSE.B@example", [3]),             # email, any case
        ("person=Admin", [4]),
        ("person=nobody", []),
        ("patient=ann", [1]),                         # Ann Able, not Amy (patient_a2)
        ("patient=baker", [3]),
        ("person=nurse&patient=able", [1]),
        ("from_date-day=2&from_date-month=7&from_date-year=2026", [5, 4, 3, 2]),   # London dates
        ("to_date-day=1&to_date-month=7&to_date-year=2026", [1]),
        ("from_date-day=2&from_date-month=7&from_date-year=2026&to_date-day=2&to_date-month=7&to_date-year=2026", [3, 2]),
        ("from_date-day=1&from_date-month=12&from_date-year=2026&to_date-day=1&to_date-month=12&to_date-year=2026", [4]),
        ("action=patient.&from_date-day=2&from_date-month=7&from_date-year=2026", [3, 2]),
        ("action=%25", []),                           # LIKE wildcards match themselves
    ],
)
def test_the_log_filters_by_action_person_patient_and_london_dates(admin, logged, query, expected):
    body = admin.get(f"/admin/audit?{query}").get_data(as_text=True)
    assert shown_events(body) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from_date-day=2&from_date-month=7&from_date-year=2026&to_date-day=1&to_date-month=7&to_date-year=2026",
         "To date must be the same as or after the from date"),
        ("from_date-day=31&from_date-month=2&from_date-year=2026", "From date must be a real date"),
        ("to_date-day=1&to_date-month=7", "To date must include a year"),
        ("person=" + "x" * 101, "Name or email must be 100 characters or fewer"),
    ],
)
def test_filters_with_a_mistake_say_so_keep_what_was_typed_and_show_no_events(admin, logged, query, message):
    body = html.unescape(admin.get(f"/admin/audit?{query}").get_data(as_text=True))
    assert "There is a problem" in body and message in body
    assert shown_events(body) == []
    assert "Correct the filters to see events." in body
    if "from_date-day=31" in query:
        assert re.search(r'name="from_date-day"[^>]*value="31"', body)


def test_the_log_shows_times_in_uk_time_to_the_second(admin, logged):
    body = admin.get("/admin/audit?person=nurse+a").get_data(as_text=True)
    assert "2 Jul 2026, 12:30:00am" in body and "1 Jul 2026, 11:30:00pm" in body
    assert "Times are UK time" in body


def test_paging_keeps_every_filter(app, admin, actors):
    with app.app_context():
        for n in range(1, 206):
            db.session.add(AuditEvent(subject=f"event:{n}", actor_id=actors.nurse_a if n % 2 else actors.nurse_b,
                                      action="patient.view", occurred_at=at(2026, 7, 3, 9)))
        db.session.commit()
    first = admin.get("/admin/audit?person=Nurse+A&from_date-day=3&from_date-month=7&from_date-year=2026").get_data(as_text=True)
    second = admin.get(older_link(first)).get_data(as_text=True)
    odd = list(range(205, 0, -2))
    assert shown_events(first) == odd[:100] and shown_events(second) == odd[100:]
    assert older_link(second) is None
    assert "person=Nurse+A" in older_link(first) and "from_date-day=3" in older_link(first)


def test_reading_the_log_records_the_filters_used(app, admin, logged):
    admin.get("/admin/audit?person=nurse&patient=able&from_date-day=2&from_date-month=7&from_date-year=2026")
    with app.app_context():
        detail = latest("audit.view").detail
        assert (detail["person_filter"], detail["patient_filter"], detail["from_date"], detail["to_date"]) == (
            "nurse", "able", "2026-07-02", None)


def test_admin_pages_show_dates_only_through_the_shared_filters(app):
    """strftime('%-d') works on Linux only and shows UTC; the timeutil filters show UK time."""
    from pathlib import Path

    admin_templates = Path(app.root_path).parent / "templates" / "admin"
    assert [p.name for p in sorted(admin_templates.glob("*.html")) if "strftime" in p.read_text(encoding="utf-8")] == []


# ---------------------------------------------------------------- one commit per audited read


@pytest.mark.parametrize("path", [
    "/nurse/queue",
    "/nurse/queue/{item}",
    "/nurse/patients",
    "/nurse/patients/{patient}",
    "/nurse/monitoring",
    "/nurse/hnas",
    "/nurse/hnas/{hna}",
])
def test_a_staff_read_when_the_sessions_activity_is_due_writes_both_in_one_commit(app, client, actors,
                                                                                   monkeypatch, path):
    """The audit of the read is committed before the page is sent; the session's activity, when
    due, goes in that same commit (on SQLite each commit is an fsync), as a JSON save's does."""
    from app.models import PatientProfile, UserSession
    from tests.hna.test_team_list import submitted
    from tests.triage.helpers import item

    with app.app_context():
        item_id = item(actors.profile_a).id
        hna = submitted(db.session.get(PatientProfile, actors.profile_a), distress=3)
        db.session.commit()
        hna_id = hna.id
    sign_in_as(client, actors.nurse_a)
    session_id, now = make_session_activity_due(app, actors.nurse_a, monkeypatch)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    response, commits = commits_during(
        app, lambda: client.get(path.format(item=item_id, patient=actors.profile_a, hna=hna_id)))

    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(UserSession, session_id).last_seen_at == now
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
    assert commits == 1


@pytest.mark.parametrize("record", ["a patient stored", "a patient not yet flushed", "a user stored",
                                    "a user made from the session's values", "the signed-in person's values"])
def test_the_id_an_event_names_is_the_records_identity_as_sqlalchemy_gives_it(app, actors, record):
    # audit._id_of reads the identity key from the record's instance state directly: the same id
    # as inspect(record).identity gives (after the flush it makes for a record not yet stored).
    from sqlalchemy import inspect

    from app.audit import _id_of
    from app.models import PatientProfile, Role, User
    from app.sessions import SignedInUser, tracked

    with app.app_context():
        if record == "a patient stored":
            made = db.session.get(PatientProfile, actors.profile_a)
        elif record == "a patient not yet flushed":
            made = make_patient(db.session.get(Team, actors.team_a), "Nia", "New")
        elif record == "a user stored":
            made = db.session.get(User, actors.nurse_a)
        elif record == "a user made from the session's values":
            stored = db.session.get(User, actors.nurse_a)
            db.session.expunge(stored)
            made = tracked(User, {"id": stored.id, "display_name": stored.display_name})
        else:
            made = SignedInUser(actors.nurse_a, Role.NURSE, "Sam", actors.team_a, b"handle", None)

        named = _id_of(made)

        expected = made.id if isinstance(made, SignedInUser) else inspect(made).identity[0]
        assert named == expected and named is not None
