"""The team queue at scale: 100,000 patients, 20,000 open items over 2 teams (prints figures; no asserts).

    .venv/bin/python bench/queue.py
    .venv/bin/python bench/queue.py --quick   # 2,000 patients (CI: it keeps working)

Seeds a temporary SQLite database with bulk inserts, then times the queries behind the queue
page (median of repeated runs) and prints SQLite's query plans, to show the indexes are used.
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

from app.careplan.models import CarePlan  # noqa: E402
from app.extensions import db  # noqa: E402
from app.timeutil import utcnow  # noqa: E402
from app.triage import service  # noqa: E402
from app.triage.models import QueueItem  # noqa: E402
from app.triage.queue import KIND_RANK, ItemKind  # noqa: E402
from app.triage.working_days import response_deadline  # noqa: E402
from bench.scale import analyse, bench_app, median_ms, print_plan, seed_people  # noqa: E402
from tests.helpers import sign_in_as  # noqa: E402

PATIENTS, OPEN_ITEMS, RESOLVED_ITEMS, PLANS, NURSES_PER_TEAM = 100_000, 20_000, 20_000, 20_000, 12


def seed(rng: random.Random) -> dict:
    people = seed_people(rng, ["Breast and Lung", "Haematology"], PATIENTS, NURSES_PER_TEAM)
    patient_team, nurse_ids = people.patient_team, people.nurse_ids
    now = utcnow()
    kinds = list(ItemKind)
    weights = [1, 3, 10, 10, 40, 36]  # few emergencies and red flags; many new assessments
    rows = []
    for n in range(OPEN_ITEMS + RESOLVED_ITEMS):
        patient = rng.randrange(PATIENTS)
        team_id = patient_team[patient]
        kind = rng.choices(kinds, weights)[0]
        received = now - timedelta(minutes=rng.randrange(60 * 24 * 30))
        resolved = n >= OPEN_ITEMS
        assignee = rng.choice(nurse_ids[team_id]) if resolved or rng.random() < 0.4 else None
        rows.append({
            "team_id": team_id, "patient_id": patient + 1, "kind": kind, "rank": KIND_RANK[kind],
            "reason": "Bench item", "source_key": f"bench:{n}", "received_at": received,
            "due_at": response_deadline(received, 2), "status": "resolved" if resolved else "open",
            "assignee_id": assignee,
            "resolved_at": received + timedelta(hours=rng.randrange(1, 48)) if resolved else None,
            "resolved_by_id": assignee if resolved else None, "revision": 1,
        })
    db.session.execute(insert(QueueItem), rows)
    db.session.execute(insert(CarePlan), [
        {"patient_id": p + 1, "team_id": patient_team[p], "version": 1, "is_current": True,
         "review_date": date.today() + timedelta(days=rng.randrange(1, 365)), "created_by_id": nurse_ids[patient_team[p]][0]}
        for p in rng.sample(range(PATIENTS), PLANS)
    ])
    db.session.commit()
    analyse()
    team_id = people.team_ids[0]
    return {"team_id": team_id, "nurse_id": nurse_ids[team_id][0]}


def timed(label: str, fn, repeat: int = 30) -> None:
    ms, result = median_ms(fn, repeat)
    size = len(result.items) if hasattr(result, "items") else result
    print(f"{label:52} {ms:8.2f} ms  ({size} rows)")


def main() -> None:
    rng = random.Random(20261125)
    with bench_app() as app:
        start = time.perf_counter()
        ids = seed(rng)
        print(f"Seeded {PATIENTS:,} patients, {OPEN_ITEMS:,} open and {RESOLVED_ITEMS:,} resolved items, "
              f"{PLANS:,} care plans in {time.perf_counter() - start:.1f} s\n")
        team_id, me = ids["team_id"], ids["nurse_id"]
        F = service.QueueFilters

        # A cursor about 5,000 items in (page 100 of 50).
        deep = service.queue_page(team_id, F(), limit=5000).items[-1]
        deep_after = service.cursor_for(deep, "open")
        resolved_deep = service.queue_page(team_id, F(status="resolved"), limit=5000).items[-1]
        resolved_after = service.cursor_for(resolved_deep, "resolved")

        cases = {
            "first page (open, 50)": (F(), None),
            "deep page (~5,000 items in)": (F(), deep_after),
            "filtered: unassigned, lung pathway": (F(status="unassigned", pathway="lung"), None),
            "filtered: mine": (F(status="mine", user_id=me), None),
            "filtered: key worker": (F(key_worker_id=me), None),
            "search: name 'okafor'": (F(search="okafor"), None),
            "search: two words 'margaret okafor'": (F(search="margaret okafor"), None),
            "search: NHS number digits '900001'": (F(search="900001"), None),
            "resolved, deep page": (F(status="resolved"), resolved_after),
        }
        print(f"{'query':52} {'median':>8}")
        for label, (filters, after) in cases.items():
            timed(label, lambda f=filters, a=after: service.queue_page(team_id, f, after=a))
        timed("summary counts and the team's nurses", lambda: service.queue_summary_and_nurses(team_id, utcnow())[0]["open"])
        timed("raise_due_reviews (nothing due)", lambda: service.raise_due_reviews(team_id, date.today()))

        client = app.test_client()
        sign_in_as(client, me)
        timed("whole page GET /nurse/queue (render, audit)", lambda: len(client.get("/nurse/queue").data), repeat=15)

        from sqlalchemy import String, cast, literal, tuple_
        from app.triage.models import QUEUE_ORDER as order, ItemStatus
        base = select(QueueItem.id).join(QueueItem.patient).where(
            QueueItem.team_id == team_id, QueueItem.status == ItemStatus.OPEN)
        print_plan("first page", base.order_by(*order).limit(51))
        print_plan("deep page", base.where(QueueItem.rank >= deep.rank, tuple_(*order) > tuple_(
            deep.rank, deep.due_at.replace(tzinfo=None), deep.received_at.replace(tzinfo=None), deep.id)).order_by(*order).limit(51))
        print_plan("resolved page", select(QueueItem.id).where(QueueItem.team_id == team_id, QueueItem.status == ItemStatus.RESOLVED)
                   .order_by(QueueItem.resolved_at.desc(), QueueItem.id.desc()).limit(51))
        print_plan("mine", base.where(QueueItem.assignee_id == me).order_by(*order).limit(51))
        print_plan("overdue care plan reviews", select(CarePlan.id).where(
            CarePlan.team_id == team_id, CarePlan.is_current.is_(True), CarePlan.review_date < date.today(),
            ~select(QueueItem.id).where(QueueItem.source_key == literal("plan-review:") + cast(CarePlan.id, String)).exists()))


if __name__ == "__main__":
    # --quick: 2,000 patients, so CI shows it still works (tests/test_bench.py); figures mean little.
    if "--quick" in sys.argv[1:]:
        PATIENTS, OPEN_ITEMS, RESOLVED_ITEMS, PLANS = 2_000, 400, 400, 400
    main()
