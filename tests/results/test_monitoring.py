"""Remote monitoring: every self-managed person who needs a look, whether or not they use the app."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType, SurveillanceTest
from app.models import PasskeyCredential, Role, Team, User, UserSession
from app.results.models import SampleTaken, TestResult
from app.results.monitoring import MonitoringFilters, monitoring_page
from app.timeutil import LONDON, london_today
from tests.helpers import make_patient, page


def person(team, nurse, name, *, self_managed=True, due=None, results=(), flagged=False, enrolled=True,
           seen_days_ago=1, pathway="prostate", key_worker=None, sample_days_ago=None):
    """A person of `team`: `due` days from today for their one test (None: no schedule), results
    taken `results` days relative to that due date."""
    today = london_today()
    profile = make_patient(team, name, name + "son", key_worker or nurse, tumour_pathway=pathway)
    db.session.flush()
    kind = FollowUpType.SUPPORTED_SELF_MANAGEMENT if self_managed else FollowUpType.CLINICIAN_LED
    db.session.add(FollowUpPlan(patient_id=profile.id, follow_up_type=kind, updated_by_id=nurse.id))
    if due is not None:
        test = SurveillanceTest(patient_id=profile.id, name="PSA blood test", interval_months=6,
                                next_due=today + timedelta(days=due))
        db.session.add(test)
        db.session.flush()
        for offset in results:
            taken = test.next_due + timedelta(days=offset)
            db.session.add(TestResult(surveillance_test_id=test.id, patient_id=profile.id, value=1, unit="ng/mL",
                                      taken_on=taken, resulted_on=taken, needs_review=flagged, abnormal=flagged,
                                      recorded_by_id=nurse.id))
        if sample_days_ago is not None:
            db.session.add(SampleTaken(surveillance_test_id=test.id, patient_id=profile.id, recorded_by_id=nurse.id,
                                       taken_on=today - timedelta(days=sample_days_ago)))
    if enrolled:
        db.session.add(PasskeyCredential(user_id=profile.user_id, credential_id=f"key-{name}".encode(),
                                         public_key=b"k", name="Phone"))
        # Seen at noon London time that many days before today: "days ago" counted from now would
        # cross a London midnight (and a clock change) late in the evening, and the rule counts
        # whole London days.
        seen_at = datetime.combine(today - timedelta(days=seen_days_ago), time(12), tzinfo=LONDON)
        db.session.add(UserSession(user_id=profile.user_id, token_hash=f"{name:0<64}"[:64], method="passkey",
                                   created_at=seen_at, last_seen_at=seen_at))
    return profile


# name -> (how the person is set up, why they are listed; None: not listed)
PEOPLE = {
    "Fine": (dict(due=100), None),
    "Soon": (dict(due=28), ["due_soon"]),
    "Later": (dict(due=29), None),
    "Today": (dict(due=0), ["due_soon"]),
    "Overdue": (dict(due=-1), ["overdue"]),
    "Early": (dict(due=-10, results=[-28]), None),  # done 28 days before it was due: counts
    "Tooearly": (dict(due=-10, results=[-29]), ["overdue"]),
    "Done": (dict(due=-10, results=[3]), None),
    "Unscheduled": (dict(due=None), ["no_schedule"]),
    "Sampled": (dict(due=100, sample_days_ago=21), ["no_result"]),  # 3 weeks with no result
    "Waiting": (dict(due=100, sample_days_ago=20), None),
    "Flagged": (dict(due=100, results=[-200], flagged=True), ["needs_review"]),
    "Unenrolled": (dict(due=100, enrolled=False), ["never_enrolled"]),
    "Away": (dict(due=100, seen_days_ago=91), ["not_opened"]),
    "Recent": (dict(due=100, seen_days_ago=89), None),
    "Lost": (dict(due=None, enrolled=False), ["no_schedule", "never_enrolled"]),
    "Clinicianled": (dict(due=None, self_managed=False, enrolled=False), None),
}


@pytest.fixture
def team(app, actors):
    with app.app_context():
        team_a, team_b = db.session.get(Team, actors.team_a), db.session.get(Team, actors.team_b)
        nurse_a, nurse_b = db.session.get(User, actors.nurse_a), db.session.get(User, actors.nurse_b)
        for name, (setup, _) in PEOPLE.items():
            person(team_a, nurse_a, name, **setup)
        person(team_b, nurse_b, "Elsewhere", due=None, enrolled=False)
        db.session.commit()


@pytest.mark.hazard("HAZ-018")
def test_every_self_managed_person_who_needs_a_look_is_listed_with_why(app, actors, team, today):
    with app.app_context():
        shown = monitoring_page(actors.team_a, MonitoringFilters(), today, limit=100)
        listed = {p.profile.given_name: p.reasons for p in shown.people}
    assert listed == {name: why for name, (_, why) in PEOPLE.items() if why is not None}


@pytest.mark.hazard("HAZ-018")
def test_keyset_pages_list_everyone_once(app, actors, team, today):
    seen, after = [], None
    with app.app_context():
        while True:
            shown = monitoring_page(actors.team_a, MonitoringFilters(), today, after=after, limit=3)
            seen += [p.profile.given_name for p in shown.people]
            if shown.next_after is None:
                break
            after = int(shown.next_after)
    assert sorted(seen) == sorted(name for name, (_, why) in PEOPLE.items() if why is not None)
    assert len(seen) == len(set(seen))


def test_filters_by_pathway_and_key_worker(app, actors, team, today):
    with app.app_context():
        team_a = db.session.get(Team, actors.team_a)
        other_nurse = User(role=Role.NURSE, display_name="Nurse C", team=team_a)
        db.session.add(other_nurse)
        db.session.flush()
        person(team_a, other_nurse, "Breastcare", due=None, pathway="breast", key_worker=other_nurse)
        db.session.commit()
        by_pathway = monitoring_page(actors.team_a, MonitoringFilters(pathway="breast"), today, limit=100)
        by_worker = monitoring_page(actors.team_a, MonitoringFilters(key_worker_id=other_nurse.id), today, limit=100)
        assert [p.profile.given_name for p in by_pathway.people] == ["Breastcare"]
        assert [p.profile.given_name for p in by_worker.people] == ["Breastcare"]


def test_the_page_lists_the_nurses_own_team_only(app, nurse, actors, team):
    response = nurse.get("/nurse/monitoring?pathway=prostate")
    assert response.status_code == 200
    html = page(response)
    assert "Lost Lostson" in html and "No tests scheduled" in html and "Never enrolled in the app" in html
    assert "Elsewhere" not in html and "Clinicianled" not in html
    assert nurse.get("/nurse/monitoring?after=999999&key_worker=abc&pathway=nonsense").status_code == 200


def test_the_page_costs_the_same_statements_for_ten_people_as_for_none(app, nurse, actors, team):
    """The rows are plain values rendered before the audit commits: a commit used to expire each
    person, and the page read every one of them again (an N+1)."""
    from tests.test_query_counts import counting_statements

    def statements(url: str) -> int:
        nurse.get(url)
        with app.app_context(), counting_statements() as sent:
            assert nurse.get(url).status_code == 200
        return len(sent)

    many, one = statements("/nurse/monitoring"), statements("/nurse/monitoring?pathway=breast")
    assert page(nurse.get("/nurse/monitoring")).count("nhsuk-table__row") == 10
    assert page(nurse.get("/nurse/monitoring?pathway=breast")).count("nhsuk-table__row") == 0
    assert many == one


KEY_WORKER_INDEX = "ix_patient_profiles_team_key_worker_name"


def query_plan(statement) -> str:
    """The database's own plan for `statement`, as text (SQLite's EXPLAIN QUERY PLAN or
    PostgreSQL's EXPLAIN). PostgreSQL is told to avoid whole-table scans and sorts wherever it
    can, which it would choose for a test's handful of rows: the question is whether an index
    can serve the page in its order at all (with 100,000 people it then does; bench/monitoring.py).

    PostgreSQL first gathers statistics of the rows the test made (ANALYZE). Otherwise it plans
    with whatever statistics the tables last had: none in a new schema, or those autovacuum took
    at some moment of an earlier test, or bench/generate.py's. With a few rows and such
    statistics two indexes can cost the same, and the planner chose one or the other from run to
    run (the key worker's page was planned on ix_patient_profiles_team_name mid-session). The
    test's rollback undoes the column statistics but not each table's row and page counts, which
    ANALYZE writes in place: later tests plan with those (tests/test_query_plans.py sets them
    aside for its EXPLAIN). SQLite has no statistics unless a test leaves some (tests/test_bench_generate.py removes
    those it makes), and plans from the schema alone: the same plan every run."""
    from sqlalchemy import text

    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        left_behind = db.session.execute(text("SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'")).all()
        assert not any(db.session.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() for (name,) in left_behind), \
            "an earlier test left planner statistics (sqlite_stat1) behind"
        return "\n".join(row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    # Rewritten first, as in a new database: the tables carry the dead rows of every earlier test
    # (rolled back or deleted), and their size, which ANALYZE records, weighs in the planner's
    # costs: after a full run's earlier tests the key worker's page was planned on the team's name
    # index (CI, twice). VACUUM cannot run in a transaction: its own connection, in autocommit.
    import psycopg

    with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as own:
        own.execute(f"VACUUM FULL {tables}")
    db.session.execute(text(f"ANALYZE {tables}"))
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    return "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))


def test_a_key_workers_page_reads_the_key_worker_index_in_name_order(app, actors, team, today):
    from app.results.monitoring import monitoring_statement

    with app.app_context():
        # As in a real team, the key worker looks after a few of the team's people: their
        # colleagues look after the rest. (With every person the team's one key worker's, the
        # key worker index narrows nothing down, and the team's name index is as good.)
        team_a = db.session.get(Team, actors.team_a)
        for colleague_number in range(3):
            colleague = User(role=Role.NURSE, display_name=f"Colleague {colleague_number}", team=team_a)
            for person_number in range(20):
                person(team_a, colleague, f"Colleague{colleague_number}x{person_number}", due=None,
                       enrolled=False, key_worker=colleague)
        db.session.commit()
        plan = query_plan(monitoring_statement(actors.team_a, MonitoringFilters(key_worker_id=actors.nurse_a), today))
        db.session.rollback()
    assert KEY_WORKER_INDEX in plan
    # Rows come out of the index in the page's order: nothing sorts the team's people first.
    # (The page's own rows, 51 at most, are put in order again once their reasons are looked up.)
    if "CO-ROUTINE page" in plan:  # SQLite: the subquery that finds the page, then the page's rows
        finding_the_page = plan.split("CO-ROUTINE page", 1)[1].split("\nSCAN page", 1)[0]
    else:
        finding_the_page = plan.split("Subquery Scan on page", 1)[1]
    assert "TEMP B-TREE FOR ORDER BY" not in finding_the_page and "Sort Key" not in finding_the_page
