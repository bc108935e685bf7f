"""Flat with volume: the team's pages and a person's pages at 1,000 and at 100,000 people
(prints figures; never asserts a time).

    .venv/bin/python bench/volume.py            # 1,000 people (2 teams) vs 100,000 (20 teams), SQLite
    .venv/bin/python bench/volume.py --quick    # 300 (1 team) vs 3,000 (2 teams) (CI: it keeps working)
    TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/volume.py   # SQLite, then PostgreSQL
    .venv/bin/python bench/volume.py --database-url postgresql+psycopg://...      # the same

Each size gets its own database (a SQLite file in a temporary folder; on PostgreSQL a new
database on the given server, dropped afterwards) seeded by bench/generate.py. A nurse of the
first team and one of that team's people on supported self-management are signed in, and each
page is requested in-process through Flask's test client: one request to warm, then the median
of several, the two sizes in turn (so other work on the machine slows both alike). The ratio large/small is printed beside the goal (at most 1.3x), with the number of
SQL statements each page ran at each size (a page whose count grows with the data is not flat).
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would stand in for the standard library's queue.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

from sqlalchemy import event, select  # noqa: E402

from bench.generate import generate  # noqa: E402
from bench.pages import postgres_database, sqlite_database  # noqa: E402

GOAL = 1.3
NURSE_PAGES = [("queue", "/nurse/queue"), ("patient list", "/nurse/patients"), ("remote monitoring", "/nurse/monitoring")]
PATIENT_PAGES = [("patient home", "/my-care"), ("follow-up", "/my-care/follow-up"), ("symptoms", "/my-care/symptoms"),
                 ("results", "/my-care/results")]


# The tables that grow with the number of people (a whole read of a small one costs nothing).
VOLUME_TABLES = {"users", "patient_profiles", "hnas", "symptom_entries", "queue_items", "follow_up_plans",
                 "surveillance_tests", "test_results", "care_plans", "audit_events", "user_sessions"}


def full_scans(engine, statements) -> list[str]:
    """The statements whose plan reads a whole table that grows with volume (no index narrows
    it), by tests/test_query_plans.py's one check: a sequential scan, or a whole index read for its
    order or its columns (PostgreSQL told to avoid reading a table whole where an index can answer)."""
    from tests.test_query_plans import full_scans as tables_read_whole

    found = []
    with engine.connect() as connection:
        distinct = {s: p for s, p in reversed(statements) if s.lstrip().upper().startswith("SELECT")}
        for statement, parameters in distinct.items():
            growing = tables_read_whole(connection, statement, parameters) & VOLUME_TABLES
            if growing:
                found.append(f"{', '.join(sorted(growing))} read whole  <-  {' '.join(statement.split())[:160]}")
    return found


@dataclass
class Site:
    """One seeded database with a signed-in client per page, ready to be requested."""
    engine: object
    pages: dict  # label: (client, path)
    statements: list = field(default_factory=list)


def prepare(url: str, patients: int, teams: int) -> Site:
    """Seed `patients` people over `teams` teams, and sign in a nurse of the first team and one of
    that team's people on supported self-management who has logged symptoms."""
    from app import create_app
    from app.extensions import db
    from app.followup.models import FollowUpPlan, FollowUpType
    from app.models import PatientProfile, Role, User
    from app.symptoms.models import SymptomEntry
    from tests.helpers import TestClient, sign_in_as

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + secrets.token_hex(8),
                      "RATELIMIT_ENABLED": False, "HUEY_IMMEDIATE": True})
    app.test_client_class = TestClient
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        made = generate(patients, teams)
        print(f"  seeded {patients:,} people over {teams} teams in {time.perf_counter() - started:.0f} s", flush=True)
        team_id = made.teams[0]
        nurse_id = made.nurses[team_id][0]
        person = db.session.scalar(
            select(PatientProfile.user_id).join(FollowUpPlan, FollowUpPlan.patient_id == PatientProfile.id)
            .join(User, User.id == PatientProfile.user_id)
            .where(PatientProfile.team_id == team_id, User.role == Role.PATIENT,
                   FollowUpPlan.follow_up_type == FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                   select(SymptomEntry.id).where(SymptomEntry.patient_id == PatientProfile.id).exists())
            .order_by(PatientProfile.id).limit(1))
        site = Site(db.engine, {})
    # Requests run outside that app context: inside it, every request would share one `g`, and
    # with it the first person signed in.
    event.listen(site.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, parameters, context, many: site.statements.append((statement, parameters)))
    for user_id, pages in ((nurse_id, NURSE_PAGES), (person, PATIENT_PAGES)):
        client = app.test_client()
        sign_in_as(client, user_id)
        for label, path in pages:
            response = client.get(path)  # warm: templates compiled, caches filled, due reviews raised
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            site.pages[label] = (client, path)
    return site


def statements_of(site: Site, label: str) -> list:
    client, path = site.pages[label]
    site.statements.clear()
    client.get(path)
    return list(site.statements)


def timed_ms(site: Site, label: str) -> float:
    client, path = site.pages[label]
    start = time.perf_counter()
    client.get(path)
    return (time.perf_counter() - start) * 1000


def run(database_for, name: str, small: int, large: int, teams: dict, repeat: int) -> None:
    databases, sites = [], {}
    try:
        for size in (small, large):
            databases.append(database_for(size))
            print(f"{name}, {size:,} people:", flush=True)
            sites[size] = prepare(databases[-1].url, size, teams[size])
        # Both sizes requested in turn, so a machine busy with other work slows both alike.
        times = {size: {label: [] for label in sites[size].pages} for size in sites}
        for label in sites[small].pages:
            for _ in range(repeat):
                for size in (small, large):
                    times[size][label].append(timed_ms(sites[size], label))
        counts = {size: {label: statements_of(site, label) for label in site.pages} for size, site in sites.items()}
        scans = {label: full_scans(sites[large].engine, found) for label, found in counts[large].items()}
    finally:
        for site in sites.values():
            site.engine.dispose()
        for database in databases:
            if database.drop:
                database.drop()
    print(f"\n{name}: median of {repeat} in-process requests, sizes in turn; goal: {large:,} people at most {GOAL}x {small:,}")
    print(f"{'page':20} {f'{small:,} ms':>11} {f'{large:,} ms':>11} {'ratio':>7} {'SQL':>9}")
    for label in sites[small].pages:
        small_ms, large_ms = (statistics.median(times[size][label]) for size in (small, large))
        ratio = large_ms / small_ms
        flag = "" if ratio <= GOAL else "  over the goal"
        print(f"{label:20} {small_ms:11.1f} {large_ms:11.1f} {ratio:6.2f}x "
              f"{len(counts[small][label]):>4}/{len(counts[large][label]):<4}{flag}")
    found = [(label, line) for label, lines in scans.items() for line in lines]
    if found:
        print(f"\nReading a whole table at {large:,} people:")
        for label, line in found:
            print(f"  {label}: {line}")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 people vs 3,000, 5 requests each")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server to bench as well (new databases are made on it)")
    args = parser.parse_args()
    # The small size's teams are few enough that each fills its first pages (50 rows of queue,
    # people, monitoring): a page's cost follows the rows it shows, bounded by the page size, and
    # what is measured is how it grows with everything else there is.
    small, large, repeat = (300, 3_000, 5) if args.quick else (1_000, 100_000, 15)
    teams = {300: 1, 3_000: 2} if args.quick else {1_000: 2, 100_000: 20}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def sqlite_for(size):
            (folder / str(size)).mkdir()
            return sqlite_database(folder / str(size))

        run(sqlite_for, "SQLite", small, large, teams, repeat)
        if args.database_url and args.database_url.startswith("postgres"):
            run(lambda size: postgres_database(args.database_url, f"bench_volume_{os.getpid()}_{size}"),
                "PostgreSQL", small, large, teams, repeat)


if __name__ == "__main__":
    main()
