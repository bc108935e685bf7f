"""Where a request's time goes, in process (prints figures; never asserts a time).

    .venv/bin/python bench/request_profile.py                       # every endpoint of bench/pages.py
    .venv/bin/python bench/request_profile.py --only "patient home" --profile   # and cProfile's top functions
    .venv/bin/python bench/request_profile.py --quick               # 20 requests each (CI: it keeps working)
    .venv/bin/python bench/request_profile.py --database-url postgresql+psycopg://...   # on PostgreSQL

The endpoints, demo data and signed-in sessions are bench/pages.py's (the writing endpoints sent
by its many people in turn, `WRITERS` of them), served by Flask's test
client in this one process (no gunicorn, no wrk), beside the same bare Flask JSON endpoint: for
each it prints milliseconds per request, the ratio to the bare endpoint, and the SQL statements
one request sends. Ratios here are upper bounds of what bench/pages.py measures under gunicorn,
where both sides also pay for the server and the network. With --profile, cProfile's heaviest
functions per endpoint (by own time and by cumulative time) say what to fix.

Two endpoints exist only here, registered on this script's app, to measure what every request
costs outside its view ("fixed cost"): a signed-in patient's page whose view reads nothing of its
own and whose template is the base layout with no content, and a nurse's page that reads one
patient's record (audited, as every staff read is) and renders the same empty layout. Rate limits
are on, kept in memory, as in development (production keeps them in Redis).

The nurse's other pages (her patient page, patient list, remote monitoring, a queue item and an
HNA review page, `nurse_endpoints`) are measured here too, as the demo's nurse.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would stand in for the standard library's queue.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

from bench import pages  # noqa: E402

# People the writing endpoints' requests come from in turn (bench/pages.py's writers): about 5
# saves each in a full run, so no one person's log grows past what a phone sends.
WRITERS = 250
_KEYS = itertools.count()


def timed(call, repeat: int) -> float:
    """Milliseconds per call: the median of five rounds, so one slow round (another process on
    the machine) does not decide the figure."""
    rounds = []
    per_round = max(1, repeat // 5)
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(per_round):
            call()
        rounds.append((time.perf_counter() - started) * 1000 / per_round)
    return sorted(rounds)[2]


def requester(client, endpoint: pages.Endpoint, headers: dict, writers: list[pages.Writer] = ()):
    """One request to the endpoint as its person, or as the next of `writers`; a writing one
    carries a new Idempotency-Key each time, so every request is a real save and not a replay."""
    counter = iter(range(10**9))
    sent_by = [(writer.headers, json.dumps(endpoint.body_for(writer))) for writer in writers] or [
        (headers, json.dumps(endpoint.body) if endpoint.body is not None else None)]

    def call():
        number = next(counter)
        person_headers, body = sent_by[number % len(sent_by)]
        if body is not None:
            # A form sent once, as a phone sends it: its own one-time token (pages.FORM_TOKEN_SLOT).
            body = body.replace(pages.FORM_TOKEN_SLOT, f"profile{os.getpid()}_{next(_KEYS):010d}")
        # Never a key sent before by the same person: the writers send to every writing endpoint.
        extra = {"Idempotency-Key": f"profile-{os.getpid()}-{next(_KEYS)}"} if endpoint.method == "POST" else {}
        response = client.open(endpoint.path, method=endpoint.method, data=body,
                               headers={**person_headers, **endpoint.headers, **extra})
        if response.status_code >= 300:
            raise SystemExit(f"{endpoint.label}: {endpoint.method} {endpoint.path} answered "
                             f"{response.status_code}: {response.get_data()[:300]!r}")
        return response

    return call


def count_statements(engine, call) -> int:
    """Statements the call sends, counted on the dialect's execution events: a listener of the
    connection's (`before_cursor_execute`) would stay on the engine after its removal (its
    `_has_events`), and every request profiled after it would pay SQLAlchemy's connection events,
    which the app's engines never listen to (tests/test_database_connections.py)."""
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    executions = ("do_execute", "do_executemany", "do_execute_no_params")
    for execution in executions:
        event.listen(engine, execution, count)
    try:
        call()
    finally:
        for execution in executions:
            event.remove(engine, execution, count)
    return len(statements)


def profile(call, repeat: int, lines: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


# The fixed-cost endpoints' paths (registered by add_fixed_cost_pages, on this script's app only).
FIXED_COST_PATIENT = "/bench/fixed-cost"
FIXED_COST_STAFF = "/bench/fixed-cost/staff/<int:patient_id>"
FIXED_COST_JSON = "/bench/fixed-cost/json"


def add_fixed_cost_pages(app) -> None:
    """What a real page does at the least: a patient's page (session, header, footer, CSRF token,
    nonce, whitespace pass) and a nurse's read of one patient (the same, plus an audited read
    committed), each rendering the base layout with no content of its own; and a patient's JSON
    save that saves nothing of its own (CSRF header, JSON body checks, the idempotency record
    stored and committed), as the HNA autosave is sent and takes the person (`signed_in_patient`)."""
    from flask import render_template, request

    from app.audit import audit
    from app.authz import current_patient, nurse_required, patient_for_staff, patient_required, signed_in_patient
    from app.extensions import db
    from app.idempotency import idempotent

    empty_page = app.jinja_env.from_string(
        '{% extends "base.html" %}{% block title %}Fixed cost{% endblock %}')

    @patient_required
    def fixed_cost_patient():
        current_patient()
        return render_template(empty_page)

    @nurse_required
    def fixed_cost_staff(patient_id: int):
        profile = patient_for_staff(patient_id)
        audit("patient.view", patient=profile)
        page = render_template(empty_page)
        db.session.commit()
        return page

    @patient_required
    @idempotent
    def fixed_cost_json():
        # The person as the JSON saves take them (their values read with the session), not
        # current_patient's tracked records, which no save makes unless it starts a draft.
        signed_in_patient()
        payload = request.get_json(silent=True)
        return {"saved": isinstance(payload, dict)}, 200

    app.add_url_rule(FIXED_COST_PATIENT, "bench_fixed_cost_patient", fixed_cost_patient)
    app.add_url_rule(FIXED_COST_JSON, "bench_fixed_cost_json", fixed_cost_json, methods=["POST"])
    app.add_url_rule(FIXED_COST_STAFF, "bench_fixed_cost_staff", fixed_cost_staff)


def fixed_cost_endpoints(patient_id: int) -> list[pages.Endpoint]:
    return [
        pages.Endpoint("fixed cost: patient page, nothing read", "patient", FIXED_COST_PATIENT, None),
        pages.Endpoint("fixed cost: nurse page, one audited read", "nurse",
                       FIXED_COST_STAFF.replace("<int:patient_id>", str(patient_id)), None),
        pages.Endpoint("fixed cost: patient JSON save", "hna_patient", FIXED_COST_JSON, None,
                       "POST", {"step": "distress", "data": {"distress": 4}},
                       {"Content-Type": "application/json", "Accept": "application/json"}),
    ]


def nurse_endpoints(ids: dict) -> list[pages.Endpoint]:
    """The nurse's other pages (issue 12), as the demo's nurse (Sam Taylor), beside the queue:
    David's page, the patient list, remote monitoring, his team's first open queue item and his
    latest submitted needs assessment's review page."""
    return [
        pages.Endpoint("nurse's patient page", "nurse", f"/nurse/patients/{ids['patient']}", None),
        pages.Endpoint("nurse's patient list", "nurse", "/nurse/patients", None),
        pages.Endpoint("nurse's remote monitoring", "nurse", "/nurse/monitoring", None),
        pages.Endpoint("nurse's queue item page", "nurse", f"/nurse/queue/{ids['item']}", None),
        pages.Endpoint("nurse's HNA review page", "nurse", f"/nurse/hnas/{ids['hna']}", None),
    ]


def nurse_page_ids(patient_id: int) -> dict:
    """What the nurse's pages name: David's record, his latest submitted HNA, his team's first
    open queue item."""
    from sqlalchemy import select

    from app.extensions import db
    from app.hna.models import HNA, HNAStatus
    from app.triage.models import ItemStatus, QueueItem

    team_id = db.session.scalar(select(QueueItem.team_id).where(QueueItem.patient_id == patient_id))
    return {
        "patient": patient_id,
        "hna": db.session.scalar(select(HNA.id).where(HNA.patient_id == patient_id, HNA.status == HNAStatus.SUBMITTED)
                                 .order_by(HNA.id.desc())),
        "item": db.session.scalar(select(QueueItem.id).where(QueueItem.team_id == team_id,
                                                             QueueItem.status == ItemStatus.OPEN)
                                  .order_by(QueueItem.id)),
    }


def run(database: pages.Database, folder: Path, repeat: int, only: str | None, show_profile: bool) -> None:
    from app import create_app
    from app.extensions import db

    instance = folder / f"instance-{database.name.lower()}"
    instance.mkdir()
    signed_in = pages.seed(database, instance, writers=WRITERS)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": pages.SECRET_KEY,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    add_fixed_cost_pages(app)
    with app.app_context():
        engine = db.engine
        patient_id = demo_patient_id()
        nurse_ids = nurse_page_ids(patient_id)
    bare = pages.bare_app().test_client()
    baseline = timed(lambda: bare.get("/"), repeat * 5)
    print(f"\n{database.name}: in process, {repeat} requests per endpoint (median of 5 rounds)")
    print(f"{'endpoint':40} {'ms':>7} {'ratio':>7} {'SQL':>4}")
    print(f"{'bare Flask JSON endpoint (baseline)':40} {baseline:7.2f} {'1':>7} {0:4}")
    profiles = []
    for endpoint in fixed_cost_endpoints(patient_id) + pages.endpoints(date.today()) + nurse_endpoints(nurse_ids):
        if only and only.lower() not in endpoint.label.lower():
            continue
        # No cookie jar: it would drop the Cookie header each request carries, as wrk sends it.
        writers = signed_in["writers"] if endpoint.who == "writers" else []
        call = requester(app.test_client(use_cookies=False), endpoint, signed_in.get(endpoint.who, {}), writers)
        call()  # the first request of a page may do one-off work
        if writers:
            # Each person's log is at a different point (a first watch symptom, a red flag raised,
            # one merged): the most any of a round of them sent, and the mean.
            counts = [count_statements(engine, call) for _ in range(min(len(writers), repeat))]
            statements = f"{max(counts):4} (mean {sum(counts) / len(counts):.1f})"
        else:
            statements = f"{count_statements(engine, call):4}"
        milliseconds = timed(call, repeat)
        print(f"{endpoint.label:40} {milliseconds:7.2f} {'1/' + format(milliseconds / baseline, '.0f'):>7} "
              f"{statements}")
        if show_profile:
            profiles.append((endpoint.label, profile(call, repeat, 30)))
    for label, text in profiles:
        print(f"\n==== {label} ({repeat} requests) ====\n{text}")


def demo_patient_id() -> int:
    """The record of bench/pages.py's signed-in patient, whom the demo's nurse may read."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import PatientProfile, User

    return db.session.scalar(select(PatientProfile.id).join(User, PatientProfile.user_id == User.id)
                             .where(User.display_name == "David Hughes"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 requests per endpoint instead of 200")
    parser.add_argument("--only", help="endpoints whose label contains this")
    parser.add_argument("--profile", action="store_true", help="print cProfile's heaviest functions")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead of SQLite (a new database)")
    args = parser.parse_args()
    repeat = 20 if args.quick else 200
    folder = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        if args.database_url and args.database_url.startswith("postgres"):
            database = pages.postgres_database(args.database_url, f"bench_profile_{os.getpid()}")
            try:
                run(database, folder, repeat, args.only, args.profile)
            finally:
                database.drop()
        else:
            run(pages.sqlite_database(folder), folder, repeat, args.only, args.profile)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
