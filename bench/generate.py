"""Seed a database with national volume, in the shape real use leaves behind (issue 12).

    .venv/bin/python bench/generate.py --patients 100000 --teams 20                 # a new SQLite file
    .venv/bin/python bench/generate.py --patients 2000 --teams 20 --database-url URL  # into that database

Per person: a follow-up plan (60% supported self-management), a surveillance test with up to 4
results (1 in 50 waiting for review), a current care plan for half of them, 4 HNAs (the last a
draft for 1 in 5) and 20 symptom entries over the last six months. Every submitted HNA and every
red-flag or emergency symptom raised its queue item, as the services do (same source keys, kinds,
ranks and due dates); older items are resolved, recent ones still open. 100,000 people make
400,000 HNAs and 2,000,000 symptom entries.

Rows go in with SQLAlchemy Core (executemany, in batches of people, so memory stays flat) and
with COPY on PostgreSQL; never through the ORM one by one. bench/volume.py imports `generate`.
The demo's named people are not made here; the tables may already hold other rows (ids continue
after them).
"""
from __future__ import annotations

import argparse
import enum
import json
import random
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would stand in for the standard library's queue.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

from sqlalchemy import JSON, select, text  # noqa: E402

from app.careplan.models import CarePlan  # noqa: E402
from app.extensions import db  # noqa: E402
from app.followup.models import FollowUpPlan, SurveillanceTest  # noqa: E402
from app.hna import answers as hna_rules  # noqa: E402
from app.hna.models import HNA  # noqa: E402
from app.hna.service import emergency_concerns, latest_version, questionnaire_of, urgent_concerns  # noqa: E402
from app.models import PatientProfile, Role, Team, User  # noqa: E402
from app.pathways import PATHWAYS  # noqa: E402
from app.results.models import TestResult  # noqa: E402
from app.symptoms import rules as symptom_rules  # noqa: E402
from app.symptoms.models import SymptomEntry  # noqa: E402
from app.symptoms.service import SOURCE_PREFIX  # noqa: E402
from app.timeutil import london_today, utcnow  # noqa: E402
from app.triage.models import QueueItem  # noqa: E402
from app.triage.queue import KIND_RANK, ItemKind, kind_for_hna  # noqa: E402
from app.triage.working_days import response_deadline  # noqa: E402

HNAS_PER_PATIENT = 4
SYMPTOMS_PER_PATIENT = 20
NURSES_PER_TEAM = 10
BATCH_PATIENTS = 2_000  # people per round of inserts: about 60,000 rows, a few tens of MB

GIVEN = ["Ann", "Arthur", "Beth", "Chidi", "David", "Eve", "Farah", "George", "Hana", "Ivan", "Jo", "Kwame",
         "Li", "Margaret", "Nia", "Owen", "Priya", "Rhys", "Sam", "Tom", "Uma", "Wei", "Yusuf", "Zoe"]
FAMILY = ["Able", "Ames", "Baker", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal", "Jones",
          "Khan", "Lewis", "Morgan", "Nowak", "Okafor", "Patel", "Quinn", "Roberts", "Smith", "Taylor", "Usman",
          "Walker", "Williams", "Young"]
# Answers in the stored shape (app/hna/answers.py), from calm to distressed; one has a fever
# (a possible emergency) so the queue gets HNA emergencies too, as it does in life.
HNA_ANSWERS = [
    {"pathway_point": "diagnosis", "distress": 2, "concerns": {"tiredness": 3}, "domains_none": ["family", "spiritual"],
     "top_concerns": ["tiredness"], "what_matters": {}, "anything_else": ""},
    {"pathway_point": "during_treatment", "distress": 5, "concerns": {"tiredness": 6, "worry_fear_anxiety": 5},
     "domains_none": ["spiritual"], "top_concerns": ["tiredness", "worry_fear_anxiety"], "what_matters": {},
     "anything_else": "Hard to sleep some nights."},
    {"pathway_point": "end_of_treatment", "distress": 7, "concerns": {"tiredness": 8, "worry_fear_anxiety": 9, "work_education": 6},
     "domains_none": ["family", "spiritual", "lifestyle"], "top_concerns": ["worry_fear_anxiety", "tiredness"],
     "what_matters": {"matters_most": "Getting back to work."}, "anything_else": "I keep thinking about it coming back."},
    {"pathway_point": "during_treatment", "distress": 6, "concerns": {"fever": 8, "tiredness": 6},
     "domains_none": ["family", "spiritual", "lifestyle"], "top_concerns": ["fever", "tiredness"], "what_matters": {},
     "anything_else": "I felt shivery last night."},
]
HNA_WEIGHTS = [50, 35, 13, 2]
TESTS = {"prostate": ("PSA blood test", "ng/mL", 6), "breast": ("Mammogram", "", 12), "bowel": ("CEA blood test", "ug/L", 6)}


@dataclass
class Generated:
    teams: list[int]
    nurses: dict[int, list[int]]  # team id: nurse user ids
    first_patient: int  # profile ids first_patient .. first_patient + patients - 1
    patients: int
    seconds: float


# ---------------------------------------------------------------- writing rows fast


def _default(column):
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def _copy_value(value, column):
    """A value as PostgreSQL's COPY takes it: what the column's type would have bound."""
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return json.dumps(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)  # UTCDateTime stores naive UTC
    return value


def bulk_insert(model, rows: list[dict]) -> None:
    """Insert `rows` into `model`'s table: COPY on PostgreSQL, the driver's executemany
    elsewhere, each value bound by its column's own type (so stored exactly as the ORM stores
    it). Columns a row leaves out get their Python-side defaults, as the ORM would give them."""
    if not rows:
        return
    table = model.__table__
    columns = [c for c in table.columns if c.name in rows[0] or c.default is not None]
    defaults = {c.name: _default(c) for c in columns if c.name not in rows[0]}
    connection = db.session.connection()
    dialect = connection.dialect
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    if dialect.name == "postgresql":
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c.name] if c.name in row else defaults[c.name], c) for c in columns])
        return
    # SQLAlchemy's executemany spends most of its time per value in Python; binding through the
    # same type processors and handing the driver plain tuples is several times faster.
    processors = [c.type._cached_bind_processor(dialect) or (lambda v: v) for c in columns]
    tuples = [tuple(bind(row[c.name] if c.name in row else defaults[c.name]) for c, bind in zip(columns, processors, strict=True))
              for row in rows]
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', tuples)


def _next_id(model) -> int:
    return (db.session.scalar(select(db.func.max(model.id))) or 0) + 1


def _reset_sequences(models) -> None:
    """Rows went in with their ids given, so PostgreSQL's sequences must be moved past them."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for model in models:
        name = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{name}\"))"))


# ---------------------------------------------------------------- what people's records look like


class _Shapes:
    """What the app's own rules make of each template, worked out once (not per row)."""

    def __init__(self, today: date):
        questionnaire_record = latest_version()
        self.questionnaire_id = questionnaire_record.id
        questionnaire = questionnaire_of(questionnaire_record)
        self.hna = []
        for answers in HNA_ANSWERS:
            priority = hna_rules.hna_priority(answers["distress"], answers["concerns"], questionnaire)
            high = priority.level == hna_rules.LEVEL_HIGH
            transient = HNA(answers=answers)
            urgent = [c.id for c in urgent_concerns(transient, questionnaire)]
            kind = kind_for_hna(high, bool(urgent), bool(emergency_concerns(transient, questionnaire)))
            stored = {k: v for k, v in answers.items() if k != "pathway_point"}
            self.hna.append({"answers": stored, "pathway_point": answers["pathway_point"], "distress": answers["distress"],
                             "high_priority": high, "high_scoring_count": len(priority.high_scoring_concerns),
                             "urgent_symptoms": urgent, "has_urgent_symptom": bool(urgent), "kind": kind,
                             "reason": f"Needs assessment: distress {answers['distress']} out of 10"})
        # Each pathway's symptoms as the rules judge a first report of them (no history).
        self.symptoms: dict[str, list] = {}
        for pathway in PATHWAYS:
            judged = []
            for choice in symptom_rules.symptom_choices(pathway):
                report = symptom_rules.Report(choice.id, "mild", today - timedelta(days=2), today, False)
                assessment = symptom_rules.assess(pathway, report, [], today)
                judged.append((choice, assessment))
            self.symptoms[pathway] = judged
        self.rules_version = symptom_rules.rules_version()


def _weights(judged) -> list[int]:
    # Most of what people log is a watch symptom; red flags are few and emergencies rarer.
    return [{symptom_rules.Level.WATCH: 300, symptom_rules.Level.RED_FLAG: 6, symptom_rules.Level.EMERGENCY: 1}[a.level]
            for _, a in judged]


# ---------------------------------------------------------------- the generator


def generate(patients: int, teams: int, seed: int = 20261206, progress=None) -> Generated:
    """Seed `patients` people over `teams` new teams into the app context's database."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = utcnow()
    today = london_today()
    run = secrets.token_hex(3)  # team names and emails are unique: a second run beside the first
    team_rows = [Team(name=f"Volume team {n + 1} ({run})", phone="0300 123 4567", hours="Monday to Friday, 9am to 5pm",
                      out_of_hours_name="Acute oncology 24-hour line", out_of_hours_phone="0300 765 4321")
                 for n in range(teams)]
    db.session.add_all(team_rows)
    db.session.flush()
    nurses = {}
    for team in team_rows:
        staff = [User(role=Role.NURSE, display_name=f"Nurse {n + 1}, {team.name}", email=f"n{n}.t{team.id}.{run}@example.test",
                      team_id=team.id) for n in range(NURSES_PER_TEAM)]
        db.session.add_all(staff)
        db.session.flush()
        nurses[team.id] = [u.id for u in staff]
    team_ids = [t.id for t in team_rows]
    shapes = _Shapes(today)
    db.session.commit()

    ids = {model: _next_id(model) for model in (User, PatientProfile, HNA, QueueItem, SymptomEntry, FollowUpPlan,
                                                   SurveillanceTest, TestResult, CarePlan)}
    first_patient = ids[PatientProfile]
    pathways = list(PATHWAYS)

    def take(model) -> int:
        value = ids[model]
        ids[model] += 1
        return value

    for batch_start in range(0, patients, BATCH_PATIENTS):
        rows: dict = {model: [] for model in ids}
        for i in range(batch_start, min(patients, batch_start + BATCH_PATIENTS)):
            team_id = team_ids[i % teams]
            staff = nurses[team_id]
            key_worker = rng.choice(staff)
            user_id, profile_id = take(User), take(PatientProfile)
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            pathway = rng.choice(pathways)
            rows[User].append({"id": user_id, "role": Role.PATIENT, "display_name": f"{given} {family}", "team_id": team_id,
                               "webauthn_user_handle": secrets.token_bytes(32), "created_at": now})
            rows[PatientProfile].append({
                "id": profile_id, "user_id": user_id, "team_id": team_id, "nhs_number": f"{profile_id:010d}"[-10:],
                "given_name": given, "family_name": family, "tumour_pathway": pathway, "key_worker_id": key_worker,
                "date_of_birth": date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 45)),
                "diagnosed_on": today - timedelta(days=rng.randrange(60, 1500)), "phone": "07700 900123",
                "gp_practice_name": "Riverside Surgery", "gp_practice_phone": "0161 496 0000", "created_at": now, "updated_at": now,
            })
            self_managed = rng.random() < 0.6
            rows[FollowUpPlan].append({
                "id": take(FollowUpPlan), "patient_id": profile_id, "updated_by_id": key_worker,
                "follow_up_type": "supported_self_management" if self_managed else "clinician_led",
                "treatment_review_date": today - timedelta(days=rng.randrange(30, 700)),
                "open_access_until": today + timedelta(days=rng.randrange(-60, 900)) if self_managed else None,
            })
            name, unit, months = TESTS.get(pathway, ("CT scan", "", 12))
            test_id = take(SurveillanceTest)
            due = today + timedelta(days=rng.randrange(-60, 180))
            rows[SurveillanceTest].append({"id": test_id, "patient_id": profile_id, "name": name, "interval_months": months,
                                           "next_due": due, "arranged_by": "The hospital sends a form", "active": True})
            for n in range(rng.randrange(0, 5)):
                taken = due - timedelta(days=30 * months * (n + 1) - rng.randrange(0, 20))
                rows[TestResult].append({
                    "id": take(TestResult), "surveillance_test_id": test_id, "patient_id": profile_id,
                    "value": round(rng.uniform(0.1, 3.5), 2), "unit": unit or "result", "taken_on": taken,
                    "resulted_on": taken + timedelta(days=3), "abnormal": False, "needs_review": rng.random() < 0.02,
                    "source": "import", "recorded_by_id": key_worker, "recorded_at": now})
            if rng.random() < 0.5:
                rows[CarePlan].append({"id": take(CarePlan), "patient_id": profile_id, "team_id": team_id, "version": 1,
                                       "is_current": True, "created_by_id": key_worker, "created_at": now,
                                       "summary": "Agreed after the needs assessment.",
                                       "review_date": today + timedelta(days=rng.randrange(-20, 365))})

            # Four HNAs, three months apart; the newest a draft for 1 in 5.
            for n in range(HNAS_PER_PATIENT):
                hna_id = take(HNA)
                newest = n == HNAS_PER_PATIENT - 1
                when = now - timedelta(days=90 * (HNAS_PER_PATIENT - 1 - n) + rng.randrange(0, 30), minutes=rng.randrange(1440))
                shape = rng.choices(shapes.hna, HNA_WEIGHTS)[0]
                draft = newest and rng.random() < 0.2
                rows[HNA].append({
                    "id": hna_id, "patient_id": profile_id, "team_id": team_id, "questionnaire_version_id": shapes.questionnaire_id,
                    "status": "draft" if draft else "submitted", "pathway_point": shape["pathway_point"],
                    "answers": shape["answers"], "created_at": when, "updated_at": when,
                    "submitted_at": None if draft else when, "last_step": "anything_else",
                    # A draft has no scores yet (every row names the same columns, for executemany).
                    **({"distress": None, "high_priority": False, "high_scoring_count": 0, "urgent_symptoms": [],
                        "has_urgent_symptom": False} if draft else
                       {k: shape[k] for k in ("distress", "high_priority", "high_scoring_count", "urgent_symptoms",
                                              "has_urgent_symptom")}),
                })
                if not draft:
                    still_open = newest and rng.random() < 0.15
                    rows[QueueItem].append(_item(take(QueueItem), team_id, profile_id, shape["kind"], shape["reason"],
                                                 f"hna:{hna_id}", when, staff, rng, still_open, hna_id=hna_id))

            # Twenty symptom entries over six months; red flags and emergencies raised an item.
            judged = shapes.symptoms[pathway]
            weights = _weights(judged)
            for _ in range(SYMPTOMS_PER_PATIENT):
                choice, assessment = rng.choices(judged, weights)[0]
                logged = now - timedelta(days=rng.randrange(0, 180), minutes=rng.randrange(1440))
                entry_id = take(SymptomEntry)
                item_id = None
                if assessment.level != symptom_rules.Level.WATCH:
                    item_id = take(QueueItem)
                    kind = ItemKind.EMERGENCY if assessment.level == symptom_rules.Level.EMERGENCY else ItemKind.RED_FLAG
                    recent = now - logged < timedelta(days=3)
                    rows[QueueItem].append(_item(item_id, team_id, profile_id, kind, f"Red flag symptom: {choice.text}",
                                                 f"{SOURCE_PREFIX}entry:{entry_id}:v1", logged, staff, rng, recent))
                rows[SymptomEntry].append({
                    "id": entry_id, "patient_id": profile_id, "symptom_id": choice.id, "symptom_text": choice.text,
                    "severity": rng.choice(["mild", "moderate", "severe"]), "started_on": (logged - timedelta(days=rng.randrange(1, 14))).date(),
                    "new_or_worse": rng.random() < 0.3, "logged_at": logged, "logged_on": logged.date(),
                    "level": str(assessment.level), "rule": assessment.rule, "rules_version": shapes.rules_version,
                    "queue_item_id": item_id,
                })
        # Parents before children: the foreign keys hold on PostgreSQL.
        for model in (User, PatientProfile, FollowUpPlan, SurveillanceTest, TestResult, CarePlan, HNA, QueueItem, SymptomEntry):
            bulk_insert(model, rows[model])
        db.session.commit()
        if progress:
            progress(min(patients, batch_start + BATCH_PATIENTS))
    _reset_sequences(ids)
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return Generated(team_ids, nurses, first_patient, patients, time.perf_counter() - started)


def _item(item_id, team_id, patient_id, kind: ItemKind, reason, source_key, received, staff, rng, still_open, hna_id=None) -> dict:
    assignee = rng.choice(staff)
    return {
        "id": item_id, "team_id": team_id, "patient_id": patient_id, "kind": kind, "rank": KIND_RANK[kind],
        "reason": reason[:300], "source_key": source_key, "hna_id": hna_id, "received_at": received,
        "due_at": response_deadline(received, 0 if kind in (ItemKind.EMERGENCY, ItemKind.RED_FLAG) else 5),
        "status": "open" if still_open else "resolved",
        "assignee_id": assignee if not still_open or rng.random() < 0.3 else None,
        "resolved_at": None if still_open else received + timedelta(hours=rng.randrange(1, 72)),
        "resolved_by_id": None if still_open else assignee, "outcome": None if still_open else "advice_given",
    }


def main() -> None:
    from app import create_app

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--database-url", help="an existing database with the schema (default: a new SQLite file)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="volume-")
    url = args.database_url or f"sqlite:///{folder}/volume.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + secrets.token_hex(8), "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        made = generate(args.patients, args.teams, progress=lambda n: print(f"  {n:,} people", file=sys.stderr))
        counts = {m.__tablename__: db.session.scalar(select(db.func.count()).select_from(m)) for m in
                  (PatientProfile, HNA, SymptomEntry, QueueItem, FollowUpPlan, SurveillanceTest, TestResult, CarePlan)}
    print(f"Seeded {url} in {made.seconds:.1f} s: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))


if __name__ == "__main__":
    main()
