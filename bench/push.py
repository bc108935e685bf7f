"""Reminders and pushes at scale (prints figures; no asserts).

    .venv/bin/python bench/push.py            # 100,000 patients
    .venv/bin/python bench/push.py --quick    # 2,000 patients, for a quick look

Seeds a temporary SQLite database with bulk inserts: patients with a date of diagnosis,
surveillance tests due from 2 months ago to 6 months ahead, samples waiting for a result, care
plans with review dates and offered needs assessments. Then prints
- reminders computed per second: the periodic check's work (reading the record into facts and
  applying the rules, `reminders.service.due_reminders`) over every patient, and the plain rules
  alone (`rules.schedule`) over facts already in memory;
- pushes sent per second: due reminders sent one after another through `reminders.service.send`
  (claim, quiet hours, VAPID signing, RFC 8291 encryption, HTTPS, outcome recorded) to the test
  suite's local push service (tests/push_service.py) running in this process, which verifies and
  decrypts every message as a phone would (so its work is counted too); then the same sends
  through `push.deliver` alone, to show what the claims cost;
- the page weight of a patient's first and repeat visit, from bench/page_weight.py when that
  benchmark is there.
"""
from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project instead of bench/, which Python puts first: bench/queue.py would hide the standard
# library's queue module from everything imported after (huey imports psycopg, which needs it).
sys.path[0] = str(ROOT)

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.careplan.models import CarePlan  # noqa: E402
from app.extensions import db  # noqa: E402
from app.followup.models import SurveillanceTest  # noqa: E402
from app.hna.models import HNA, HNAStatus, QuestionnaireVersion  # noqa: E402
from app.models import PatientProfile, Role, Team, User  # noqa: E402
from app.push import service as push  # noqa: E402
from app.push import vapid  # noqa: E402
from app.reminders import rules, service  # noqa: E402
from app.reminders.models import ReminderClaim  # noqa: E402
from app.results.models import SampleTaken  # noqa: E402
from app.timeutil import LONDON, london_today  # noqa: E402
from config import Config  # noqa: E402
from tests.push_service import LocalPushService  # noqa: E402


def seed(rng: random.Random, patients: int, today: date, now: datetime) -> None:
    team = Team(name="Urology")
    db.session.add(team)
    db.session.flush()
    nurse = User(role=Role.NURSE, display_name="Nurse", team_id=team.id)
    db.session.add(nurse)
    questionnaire = QuestionnaireVersion(key="hna", version=1, definition={}, published_at=now)
    db.session.add(questionnaire)
    db.session.commit()
    first_user = nurse.id + 1
    db.session.execute(insert(User), [
        {"id": first_user + i, "role": Role.PATIENT, "display_name": "Patient", "team_id": team.id, "active": True,
         "webauthn_user_handle": f"handle-{i}".encode()} for i in range(patients)])
    db.session.execute(insert(PatientProfile), [
        {"id": i + 1, "user_id": first_user + i, "team_id": team.id, "nhs_number": f"9{i:09d}", "given_name": "Pat",
         "family_name": "Smith", "date_of_birth": date(1950, 1, 1), "tumour_pathway": "prostate", "version": 1,
         "diagnosed_on": today - timedelta(days=rng.randrange(30, 900)) if rng.random() < 0.8 else None}
        for i in range(patients)])
    tests, samples, plans, hnas = [], [], [], []
    for i in range(patients):
        patient_id = i + 1
        if rng.random() < 0.9:
            tests.append({"id": len(tests) + 1, "patient_id": patient_id, "name": "PSA blood test",
                          "interval_months": 6, "next_due": today + timedelta(days=rng.randrange(-60, 180)),
                          "active": True, "version": 1})
            if rng.random() < 0.1:
                samples.append({"surveillance_test_id": len(tests), "patient_id": patient_id,
                                "taken_on": today - timedelta(days=rng.randrange(0, 40)), "recorded_by_id": nurse.id,
                                "recorded_at": now})
        if rng.random() < 0.5:
            plans.append({"patient_id": patient_id, "team_id": team.id, "version": 1, "is_current": True,
                          "review_date": today + timedelta(days=rng.randrange(-30, 120)), "created_by_id": nurse.id,
                          "created_at": now})
        if rng.random() < 0.05:
            hnas.append({"patient_id": patient_id, "team_id": team.id, "questionnaire_version_id": questionnaire.id,
                         "status": HNAStatus.DRAFT, "offered_by_id": nurse.id,
                         "offered_at": now - timedelta(days=rng.randrange(0, 30)), "answers": {}, "revision": 1,
                         "created_at": now, "updated_at": now, "high_scoring_count": 0, "urgent_symptoms": [],
                         "has_urgent_symptom": False, "high_priority": False})
    for model, rows in ((SurveillanceTest, tests), (SampleTaken, samples), (CarePlan, plans), (HNA, hnas)):
        if rows:
            db.session.execute(insert(model), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` runs (after one to warm up), and the last run's answer."""
    answer = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), answer


def page_weight(quick: bool) -> None:
    """bench/page_weight.py's figures: a patient's first and repeat visit, in Chromium."""
    path = ROOT / "bench" / "page_weight.py"
    if not path.exists():
        print("\nPage weight: bench/page_weight.py is not here yet (the asset pipeline's benchmark).")
        return
    spec = importlib.util.spec_from_file_location("page_weight", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["page_weight"] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    print("\nPage weight (bench/page_weight.py):")
    sys.argv = [str(path)] + (["--quick"] if quick else [])
    module.main()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 patients and 100 pushes")
    args = parser.parse_args()
    patients, pushes = (2_000, 100) if args.quick else (100_000, 1_000)
    rng = random.Random(20261206)
    today = london_today()
    # Midday in London: outside anyone's quiet hours.
    now = datetime.combine(today, clock_time(12, 0), tzinfo=LONDON).astimezone(timezone.utc)

    with tempfile.TemporaryDirectory() as tmp:
        push_service = LocalPushService(Path(tmp))
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite", "SECRET_KEY": "bench-secret",
            "RATELIMIT_ENABLED": False, "HUEY_IMMEDIATE": True, "VAPID_PRIVATE_KEY": vapid.new_private_key(),
            "PUSH_SERVICE_HOSTS": [*Config.PUSH_SERVICE_HOSTS, push_service.host_entry],
            "PUSH_TLS_VERIFY": push_service.cert_path, "PUSH_TIMEOUT_SECONDS": 5,
        })
        try:
            with app.app_context():
                db.create_all()
                start = time.perf_counter()
                seed(rng, patients, today, now)
                print(f"Seeded {patients:,} patients (tests, samples, care plans, offered assessments) "
                      f"in {time.perf_counter() - start:.1f} s\n")

                seconds, due = timed(lambda: service.due_reminders(now), repeat=3 if args.quick else 1)
                print(f"{'periodic check (record -> facts -> due reminders)':52} {seconds * 1000:9.0f} ms  "
                      f"{patients / seconds:10,.0f} patients/s  ({len(due):,} reminders due now)")
                facts = service.facts_for(1, patients, now)
                seconds, made = timed(lambda: sum(len(rules.schedule(f)) for f in facts), repeat=3)
                print(f"{'rules alone (facts in memory -> schedule)':52} {seconds * 1000:9.0f} ms  "
                      f"{made / seconds:10,.0f} reminders/s  ({made:,} in every schedule)")

                # Phones for the people with a reminder due now, as many as the run sends.
                targets = []
                seen = set()
                for reminder in due:
                    if reminder.user_id not in seen:
                        seen.add(reminder.user_id)
                        targets.append(reminder)
                    if len(targets) == pushes:
                        break
                server_key = vapid.application_server_key(app)
                for reminder in targets:
                    phone = push_service.subscribe(server_key)
                    push.subscribe(reminder.user_id, endpoint=phone.endpoint, p256dh=phone.p256dh, auth=phone.auth,
                                   user_agent="bench", now=now)
                db.session.commit()

                outcomes: dict[str, int] = {}
                start = time.perf_counter()
                for reminder in targets:
                    outcome = service.send(reminder.user_id, reminder.key, now, lambda *later: None)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                seconds = time.perf_counter() - start
                received = len([m for m in push_service.received if m.refused is None and m.payload])
                print(f"{'pushes sent, one after another (claim + send)':52} {seconds * 1000:9.0f} ms  "
                      f"{len(targets) / seconds:10,.0f} pushes/s  (outcomes {outcomes}; "
                      f"{received} verified and decrypted by the push service)")
                start = time.perf_counter()
                for reminder in targets:
                    push.deliver(reminder.user_id, reminder.kind, now=now)
                    db.session.commit()
                seconds = time.perf_counter() - start
                print(f"{'the same, push.deliver alone (no claim)':52} {seconds * 1000:9.0f} ms  "
                      f"{len(targets) / seconds:10,.0f} pushes/s")
                claims = db.session.scalar(select(func.count(ReminderClaim.id)))
                print(f"{'claims recorded':52} {claims:9,}")
        finally:
            push_service.close()
    page_weight(args.quick)


if __name__ == "__main__":
    main()
