"""A bounded load test of a mixed workload, served as in production (gunicorn, 2 workers,
loopback): patients answering their needs assessment through the JSON autosave and logging
symptoms, nurses opening the team queue. Prints latency percentiles and errors per kind of
request, then counts what reached the database: every submission carries its own
Idempotency-Key, and some are sent twice (as the phone's outbox does after a lost answer), so
nothing may be lost and nothing doubled. Prints figures and exits 1 if anything was lost,
doubled or answered with an error; never asserts a time.

    .venv/bin/python bench/load.py            # 50 users for 60 s, SQLite
    .venv/bin/python bench/load.py --quick    # 10 users for 5 s (CI: it keeps working)
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://...   # a new database there

Users are threads of this process, each with its own connection per request (gunicorn's sync
workers close it after each answer), with 0.1 to 0.5 s between requests. The people come from
bench/generate.py in a throwaway database (a SQLite file with WAL in a temporary folder, or a new
PostgreSQL database dropped afterwards), signed in by session rows made directly in it. The
server listens on 127.0.0.1 only, lives at most a few minutes and is stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would stand in for the standard library's queue.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

from bench.pages import Gunicorn, postgres_database, sign_in, sqlite_database, watch_symptom  # noqa: E402

SECRET_KEY = "bench-load-" + secrets.token_hex(16)
FULL = {"users": 50, "seconds": 60}
QUICK = {"users": 10, "seconds": 5}
# Of the users: 40% answer HNAs, 40% log symptoms, the rest are nurses opening the queue.
SHARES = {"hna": 0.4, "symptom": 0.4}
RESEND_SHARE = 0.1  # submissions sent a second time with the same key, as the outbox does
THINK_SECONDS = (0.1, 0.5)
HNA_STEPS = [("distress", lambda rng: {"distress": rng.randrange(0, 11)})]


@dataclass
class Person:
    kind: str  # "hna", "symptom" or "nurse"
    user_id: int
    headers: dict
    symptom: str | None = None  # a watch symptom of the person's own pathway


@dataclass
class Tally:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    error_samples: list = field(default_factory=list)
    accepted: dict = field(default_factory=lambda: defaultdict(set))  # kind -> {(user_id, key)}
    resent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, label: str, seconds: float, status: int, body: bytes, ok: bool) -> None:
        with self.lock:
            self.latencies[label].append(seconds * 1000)
            if not ok:
                self.errors[label] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{label}: {status} {body[:200]!r}")


# ---------------------------------------------------------------- the people


def seed(database_url: str, instance: Path, users: int, is_sqlite: bool) -> list[Person]:
    """Generated people, an HNA draft for each answering patient, and a signed-in session each."""
    from sqlalchemy import select, text

    from app import create_app
    from app.extensions import db
    from app.hna import service as hna_service
    from app.models import PatientProfile, Role, User
    from app.timeutil import london_today
    from bench.generate import generate

    today = london_today()

    os.environ["INSTANCE_PATH"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False})
    counts = {"hna": int(users * SHARES["hna"]), "symptom": int(users * SHARES["symptom"])}
    counts["nurse"] = users - counts["hna"] - counts["symptom"]
    with app.app_context():
        if is_sqlite:
            db.session.execute(text("PRAGMA journal_mode=WAL"))
        db.create_all()
        generate(max(4, counts["hna"] + counts["symptom"]), 2)
        profiles = db.session.scalars(select(PatientProfile).order_by(PatientProfile.id)).all()
        nurses = db.session.scalars(select(User).where(User.role == Role.NURSE).order_by(User.id)).all()
        chosen = {"hna": profiles[:counts["hna"]],
                  "symptom": profiles[counts["hna"]:counts["hna"] + counts["symptom"]]}
        for profile in chosen["hna"]:
            hna_service.start_or_resume(profile)
        db.session.commit()
        people = [(kind, profile.user_id, watch_symptom(profile.tumour_pathway, today) if kind == "symptom" else None)
                  for kind in ("hna", "symptom") for profile in chosen[kind]]
        people += [("nurse", nurses[n % len(nurses)].id, None) for n in range(counts["nurse"])]
        signed_in = [Person(kind, user_id, headers, symptom) for (kind, user_id, symptom), headers
                     in zip(people, sign_in(app, [user_id for _, user_id, _ in people]), strict=True)]
        db.session.remove()
        db.engine.dispose()
    return signed_in


def stored(database_url: str, run: str) -> dict:
    """What the database holds of this run: symptom entries and saved answers per (user, key)."""
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.idempotency import IdempotencyRecord
    from app.symptoms.models import SymptomEntry

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False})
    with app.app_context():
        # Answers the server gave (2xx) and keeps for a resend; a refusal is no submission.
        records = db.session.execute(select(IdempotencyRecord.user_id, IdempotencyRecord.key, IdempotencyRecord.response)
                                     .where(IdempotencyRecord.key.like(f"load-{run}-%"),
                                            IdempotencyRecord.status_code < 300)).all()
        entries = db.session.scalar(select(func.count()).select_from(SymptomEntry)
                                    .where(SymptomEntry.id.in_([r.response.get("entry_id") for r in records
                                                                if "entry_id" in (r.response or {})] or [0])))
        db.session.remove()
        db.engine.dispose()
    keys = defaultdict(set)
    for record in records:
        keys["symptom" if "-symptom-" in record.key else "hna"].add((record.user_id, record.key))
    return {"keys": keys, "symptom_entries": entries}


# ---------------------------------------------------------------- the users


def request(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def user(person: Person, port: int, run: str, stop_at: float, tally: Tally, seed_number: int) -> None:
    rng = random.Random(seed_number)
    json_headers = {**person.headers, "Content-Type": "application/json", "Accept": "application/json"}
    sent = 0
    while time.monotonic() < stop_at:
        if person.kind == "nurse":
            label, method, path, body, headers = "nurse queue (GET /nurse/queue)", "GET", "/nurse/queue", None, person.headers
        elif person.kind == "hna":
            step, answer = rng.choice(HNA_STEPS)
            label, method, path, body = "HNA autosave (JSON)", "POST", "/api/hna/answers", {"step": step, "data": answer(rng)}
            headers = json_headers
        else:
            today = date.today()
            label, method, path = "symptom sent (JSON)", "POST", "/my-care/symptoms/api/log"
            body = {"symptom": person.symptom, "severity": "mild",
                    "started_on-day": str(today.day), "started_on-month": str(today.month),
                    "started_on-year": str(today.year), "new_or_worse": "no", "note": "", "own_words": ""}
            headers = json_headers
        if method == "POST":
            sent += 1
            key = f"load-{run}-{person.kind}-{person.user_id}-{sent}"
            headers = {**headers, "Idempotency-Key": key}
        sends = 2 if method == "POST" and rng.random() < RESEND_SHARE else 1
        for attempt in range(sends):
            started = time.perf_counter()
            try:
                status, answer_body = request(port, method, path, headers, body)
            except OSError as error:
                status, answer_body = 0, str(error).encode()
            ok = 200 <= status < 300
            tally.record(label, time.perf_counter() - started, status, answer_body, ok)
            if ok and method == "POST":
                with tally.lock:
                    tally.accepted[person.kind].add((person.user_id, key))
                    tally.resent += attempt
        time.sleep(rng.uniform(*THINK_SECONDS))


# ---------------------------------------------------------------- the run


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run(database, users: int, seconds: int, folder: Path) -> bool:
    instance = folder / f"instance-{database.name.lower()}"
    instance.mkdir()
    print(f"\n{database.name}: {users} users for {seconds} s against gunicorn -w 2 on 127.0.0.1")
    people = seed(database.url, instance, users, database.name == "SQLite")
    env = {"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "0",
           "INSTANCE_PATH": str(instance), "APP_ENV": "development", "DEMO_MODE": "0",
           "HUEY_SQLITE_PATH": str(instance / "huey.sqlite")}
    run_id = secrets.token_hex(4)
    tally = Tally()
    with Gunicorn("wsgi:app", env, seconds + 180) as server:
        server.wait_ready("/healthz")
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=user, args=(person, server.port, run_id, stop_at, tally, n), daemon=True)
                   for n, person in enumerate(people)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
    kept = stored(database.url, run_id)
    print(f"{'request':34} {'count':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}")
    for label, values in sorted(tally.latencies.items()):
        print(f"{label:34} {len(values):6d} {len(values) / seconds:6.1f} {statistics.median(values):7.1f} "
              f"{percentile(values, 0.95):7.1f} {percentile(values, 0.99):7.1f} {max(values):7.1f} "
              f"{tally.errors[label]:6d}")
    errors = sum(tally.errors.values())
    lost = {kind: len(tally.accepted[kind] - kept["keys"][kind]) for kind in ("hna", "symptom")}
    extra = {kind: len(kept["keys"][kind] - tally.accepted[kind]) for kind in ("hna", "symptom")}
    doubled = kept["symptom_entries"] - len(kept["keys"]["symptom"])
    print(f"submissions accepted: {len(tally.accepted['hna'])} HNA answers, {len(tally.accepted['symptom'])} symptoms "
          f"({tally.resent} sent twice with the same key)")
    print(f"stored: {len(kept['keys']['hna'])} HNA answer keys, {len(kept['keys']['symptom'])} symptom keys, "
          f"{kept['symptom_entries']} symptom entries")
    print(f"lost: {sum(lost.values())}, stored without an answer: {sum(extra.values())}, doubled: {doubled}, "
          f"errors: {errors}")
    for sample in tally.error_samples:
        print(f"  error: {sample}")
    return errors == 0 and not any(lost.values()) and doubled == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK['users']} users for {QUICK['seconds']} s")
    parser.add_argument("--users", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on instead (a new database is made on it)")
    args = parser.parse_args()
    shape = QUICK if args.quick else FULL
    users, seconds = args.users or shape["users"], args.seconds or shape["seconds"]
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        if args.database_url and args.database_url.startswith("postgres"):
            database = postgres_database(args.database_url)
            try:
                ok = run(database, users, seconds, folder)
            finally:
                database.drop()
        else:
            ok = run(sqlite_database(folder), users, seconds, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
