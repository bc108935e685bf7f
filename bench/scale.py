"""What the benchmarks at scale share (bench/queue.py, bench/monitoring.py): a throwaway app on a
temporary SQLite file, a population of teams, nurses and patients made by bulk inserts, timing by
the median of repeated runs, and SQLite's query plan for a statement.

Imported by those scripts after they put the repository on sys.path.
"""
from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from flask import Flask
from sqlalchemy import insert, select, text

from app import create_app
from app.extensions import db
from app.models import PatientProfile, Role, Team, User
from app.pathways import PATHWAYS
from tests.helpers import TestClient

GIVEN = ["Ann", "Arthur", "Beth", "Chidi", "David", "Eve", "Farah", "George", "Hana", "Ivan", "Jo", "Kwame",
         "Li", "Margaret", "Nia", "Owen", "Priya", "Rhys", "Sam", "Tom", "Uma", "Wei", "Yusuf", "Zoe"]
FAMILY = ["Able", "Ames", "Baker", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal", "Jones",
          "Khan", "Lewis", "Morgan", "Nowak", "Okafor", "Patel", "Quinn", "Roberts", "Smith", "Taylor", "Usman",
          "Walker", "Williams", "Young"]


@contextmanager
def bench_app() -> Iterator[Flask]:
    """An app on a fresh SQLite file that lasts as long as the block, its context pushed."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite", "SECRET_KEY": "bench-secret",
                          "RATELIMIT_ENABLED": False})
        app.test_client_class = TestClient
        with app.app_context():
            db.create_all()
            yield app


@dataclass(frozen=True)
class Population:
    team_ids: list[int]
    nurse_ids: dict[int, list[int]]  # by team
    patient_team: list[int]          # patient i (profile id i + 1) is in team patient_team[i]
    first_user_id: int               # patient i's user id is first_user_id + i


def seed_people(rng: random.Random, team_names: list[str], patients: int, nurses_per_team: int) -> Population:
    """Teams, their nurses, and `patients` patients spread over the teams in turn, each with a
    name, a pathway and a key worker from their team. Committed."""
    teams = [Team(name=name) for name in team_names]
    db.session.add_all(teams)
    db.session.flush()
    nurses = {team.id: [User(role=Role.NURSE, display_name=f"Nurse {team.id}-{n}", email=f"n{team.id}.{n}@example.test",
                             team_id=team.id) for n in range(nurses_per_team)] for team in teams}
    db.session.add_all([u for group in nurses.values() for u in group])
    db.session.flush()
    nurse_ids = {team_id: [u.id for u in group] for team_id, group in nurses.items()}
    team_ids = [t.id for t in teams]
    db.session.commit()
    first_user = (db.session.scalar(select(db.func.max(User.id))) or 0) + 1
    patient_team = [team_ids[i % len(team_ids)] for i in range(patients)]
    db.session.execute(insert(User), [
        {"id": first_user + i, "role": Role.PATIENT, "display_name": "Patient", "team_id": patient_team[i]}
        for i in range(patients)])
    pathways = list(PATHWAYS)
    db.session.execute(insert(PatientProfile), [
        {"id": i + 1, "user_id": first_user + i, "team_id": patient_team[i], "nhs_number": f"9{i:09d}",
         "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY), "date_of_birth": date(1950, 1, 1),
         "tumour_pathway": rng.choice(pathways), "key_worker_id": rng.choice(nurse_ids[patient_team[i]]), "version": 1}
        for i in range(patients)])
    db.session.commit()
    return Population(team_ids, nurse_ids, patient_team, first_user)


def analyse() -> None:
    """Give SQLite's planner the tables' statistics, as a database in use would have."""
    db.session.execute(text("ANALYZE"))


def median_ms(fn: Callable[[], object], repeat: int = 15) -> tuple[float, object]:
    """The median time of `fn` in milliseconds (after one warm-up run), and its last result."""
    fn()
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    db.session.rollback()
    return statistics.median(times), result


def query_plan(stmt) -> list[str]:
    """SQLite's plan for `stmt`, one line per step."""
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    return [row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]


def print_plan(label: str, stmt) -> None:
    print(f"\n{label}:")
    for line in query_plan(stmt):
        print(f"  {line}")
