"""The remote monitoring list at scale: 100,000 patients over 2 teams (prints figures; no asserts).

    .venv/bin/python bench/monitoring.py

Seeds a temporary SQLite database with bulk inserts (follow-up plans, 60% of them supported
self-management; surveillance tests, results, passkeys and sessions for most), then times the
query behind /nurse/monitoring (median of repeated runs). Each figure is also given as a ratio
to a baseline measured in the same run on the same data, the cheapest page there is (the team's
first 50 people by name, no conditions), so the figures compare across machines. Prints SQLite's
query plan to show the indexes are used.
"""
from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

# The project instead of bench/, which Python puts first: bench/queue.py would hide the standard
# library's queue module from everything imported after (huey imports psycopg, which needs it).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import insert, select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.followup.models import FollowUpPlan, SurveillanceTest  # noqa: E402
from app.models import PasskeyCredential, PatientProfile, UserSession  # noqa: E402
from app.results import monitoring  # noqa: E402
from app.results.models import TestResult  # noqa: E402
from app.timeutil import london_today, utcnow  # noqa: E402
from bench.scale import analyse, bench_app, median_ms, print_plan, seed_people  # noqa: E402
from tests.helpers import sign_in_as  # noqa: E402

PATIENTS, NURSES_PER_TEAM = 100_000, 12
PAGE = monitoring.PAGE_SIZE


def seed(rng: random.Random, today: date) -> dict:
    people = seed_people(rng, ["Urology", "Breast"], PATIENTS, NURSES_PER_TEAM)
    team_of, nurse_ids, first_user = people.patient_team, people.nurse_ids, people.first_user_id
    now = utcnow()
    plans, tests, results, keys, sessions = [], [], [], [], []
    test_id = 0
    for i in range(PATIENTS):
        nurse = nurse_ids[team_of[i]][0]
        kind = "supported_self_management" if rng.random() < 0.6 else "clinician_led"
        plans.append({"patient_id": i + 1, "follow_up_type": kind, "updated_by_id": nurse, "version": 1})
        if rng.random() < 0.9:  # 1 in 10 has no schedule
            test_id += 1
            due = today + timedelta(days=rng.randrange(-60, 180))
            tests.append({"id": test_id, "patient_id": i + 1, "name": "PSA blood test", "interval_months": 6,
                          "next_due": due, "active": True, "version": 1})
            for n in range(rng.randrange(0, 4)):
                taken = due - timedelta(days=180 * (n + 1) - rng.randrange(0, 30))
                results.append({"surveillance_test_id": test_id, "patient_id": i + 1, "value": 1, "unit": "ng/mL",
                                "taken_on": taken, "resulted_on": taken, "abnormal": False,
                                "needs_review": rng.random() < 0.02, "source": "import", "recorded_by_id": nurse,
                                "recorded_at": now, "version": 1})
        if rng.random() < 0.8:  # 1 in 5 never enrolled
            keys.append({"user_id": first_user + i, "credential_id": f"key-{i}".encode(), "public_key": b"k",
                         "name": "Phone", "sign_count": 0, "transports": [], "backup_eligible": False, "backed_up": False,
                         "created_at": now})
            seen = now - timedelta(days=rng.randrange(0, 200))
            sessions.append({"user_id": first_user + i, "token_hash": f"{i:064d}", "created_at": seen,
                             "last_seen_at": seen, "method": "passkey"})
    for model, rows in ((FollowUpPlan, plans), (SurveillanceTest, tests), (TestResult, results),
                        (PasskeyCredential, keys), (UserSession, sessions)):
        db.session.execute(insert(model), rows)
    db.session.commit()
    analyse()
    team_id = people.team_ids[0]
    return {"team_id": team_id, "nurse_id": nurse_ids[team_id][0], "results": len(results)}


def main() -> None:
    rng = random.Random(20261206)
    today = london_today()
    with bench_app() as app:
        start = time.perf_counter()
        ids = seed(rng, today)
        print(f"Seeded {PATIENTS:,} patients with follow-up plans, tests, {ids['results']:,} results, passkeys "
              f"and sessions in {time.perf_counter() - start:.1f} s\n")
        team_id, me = ids["team_id"], ids["nurse_id"]
        F = monitoring.MonitoringFilters

        def baseline() -> int:
            return len(db.session.scalars(
                select(PatientProfile.id).where(PatientProfile.team_id == team_id)
                .order_by(PatientProfile.family_name, PatientProfile.given_name, PatientProfile.id).limit(51)).all())

        def page(filters, after=None):
            return lambda: len(monitoring.monitoring_page(team_id, filters, today, after=after).people)

        # A cursor about 5,000 people in (page 100 of 50).
        deep = monitoring.monitoring_page(team_id, F(), today, limit=5000).people[-1].profile.id
        base_ms, _ = median_ms(baseline)
        cases = {
            "first page (50)": page(F()),
            "deep page (~5,000 people in)": page(F(), deep),
            "filtered: prostate pathway": page(F(pathway="prostate")),
            "filtered: key worker": page(F(key_worker_id=me)),
        }
        print(f"{'query':44} {'median':>9} {'x baseline':>11}")
        print(f"{'baseline: first 50 of the team by name':44} {base_ms:7.2f} ms {1:10.1f}x")
        for label, fn in cases.items():
            ms, size = median_ms(fn)
            print(f"{label:44} {ms:7.2f} ms {ms / base_ms:10.1f}x  ({size} people)")
        client = app.test_client()
        sign_in_as(client, me)
        ms, _ = median_ms(lambda: len(client.get("/nurse/monitoring").data), repeat=7)
        print(f"{'whole page GET /nurse/monitoring':44} {ms:7.2f} ms {ms / base_ms:10.1f}x")

        print_plan("query plan (first page)", monitoring.monitoring_statement(team_id, F(), today, limit=PAGE))
        print_plan("query plan (key worker's first page)",
                   monitoring.monitoring_statement(team_id, F(key_worker_id=me), today, limit=PAGE))

if __name__ == "__main__":
    # --quick: 2,000 patients, so CI shows it still works (tests/test_bench.py); figures mean little.
    if "--quick" in sys.argv[1:]:
        PATIENTS = 2_000
    main()
