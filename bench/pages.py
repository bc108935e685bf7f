"""Requests per second and latency of the pages people use most, served as in production
(the Procfile's gunicorn command line, 2 workers, loopback), beside a bare Flask JSON endpoint
served the same way in the same run (prints figures; never asserts a time).

    .venv/bin/python bench/pages.py            # 10 s per endpoint, SQLite
    .venv/bin/python bench/pages.py --quick    # 2 s per endpoint (CI: it keeps working)
    TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/pages.py   # SQLite, then PostgreSQL
    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://...      # the same

Load comes from `wrk` (Debian package, installed by scripts/install-system-deps) at 16
connections. The demo data is seeded into a throwaway database (a SQLite file in a temporary
folder; on PostgreSQL a new database on the given server, dropped afterwards); patients and a
nurse are signed in by session rows made directly in it, as the browser tests do. Every server
this starts listens on 127.0.0.1 only and is stopped at the end, whatever happens.

The pages are read by one person each. The writing endpoints (the HNA autosave, a symptom sent)
are loaded by many people (`WRITERS_PER_SECOND` per second of the run, made by bench/generate.py
beside the demo, each with their own session and an open assessment): wrk's script takes each
request's cookie, CSRF token and body from their table in turn, with a new Idempotency-Key, so
no person has two saves in flight at once, as a phone's outbox sends one thing at a time. The
figure is then the endpoint's cost, not one person's saves clashing on their own assessment or
queue item; any `409 busy` answers are counted and printed apart from other errors.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would stand in for the standard library's queue.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

CONNECTIONS = 16
WORKERS = 2
WRK_THREADS = 2
# People sending the writing endpoints' load: enough that each sends a handful in a run (about
# 100 requests/s reach a writing endpoint), never two at once.
WRITERS_PER_SECOND = 100
GOALS = {"page": 5, "write": 3, "queue": 8}  # at least 1/N of bare Flask's requests/s
P95_GOAL_MS = 50

# wrk's Lua: each request of a writing endpoint carries its own Idempotency-Key (so every one
# is a real save, not a replay) and, with BENCH_PEOPLE, the cookie, CSRF token and body of the
# next person of this thread's share of the table (one line each: cookie, token, body, split by
# tabs), so a person's next save goes only after the thread has sent one for each of the others.
# The run ends by printing one JSON line of figures.
WRK_SCRIPT = r"""
local counter = 0
thread_id = 0  -- a global: setup() sets it in each thread
local threads = {}
local unique = os.getenv("BENCH_UNIQUE_KEYS") == "1"
local people = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local table_path = os.getenv("BENCH_PEOPLE")
  if not table_path then return end
  local thread_count = tonumber(os.getenv("BENCH_THREADS"))
  local index = 0
  for line in io.lines(table_path) do
    if index % thread_count == thread_id - 1 then
      local cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(people, {cookie = cookie, csrf = csrf, body = body})
    end
    index = index + 1
  end
end

function request()
  if not unique then return wrk.format() end
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Idempotency-Key"] = "bench-" .. os.getenv("BENCH_RUN") .. "-" .. thread_id .. "-" .. counter
  if #people == 0 then return wrk.format(nil, nil, headers) end
  local person = people[(counter - 1) % #people + 1]
  headers["Cookie"] = person.cookie
  headers["X-CSRFToken"] = person.csrf
  return wrk.format(nil, nil, headers, person.body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  local conflicts = 0
  for _, thread in ipairs(threads) do conflicts = conflicts + (thread:get("conflicts") or 0) end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"non_2xx_3xx": %d, "conflicts": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, errors.status, conflicts,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""
# Only for the writing endpoints: wrk reads every response into Lua when a script has this,
# which would slow the pages' and the baseline's runs.
WRK_COUNT_CONFLICTS = r"""
conflicts = 0
function response(status, headers, body)
  if status == 409 then conflicts = conflicts + 1 end
end
"""


def bare_app():
    """The baseline: Flask with one JSON route and nothing else."""
    from flask import Flask

    # No templates: gunicorn.conf.py compiles an app's templates before forking, and "bare" would
    # otherwise find this repository's (its root is the current folder) without their filters.
    bare = Flask("bare", template_folder=None)

    @bare.get("/")
    def hello():
        return {"ok": True}

    return bare


@dataclass
class Writer:
    """One of the many people a writing endpoint's load comes from: signed in, with an open
    assessment and a watch symptom of their own pathway to send."""

    user_id: int
    headers: dict  # Cookie and X-CSRFToken
    symptom: str


@dataclass
class Endpoint:
    label: str
    who: str  # "none", "patient", "hna_patient", "nurse", or "writers": each request the next of them
    path: str
    goal: str | None  # key into GOALS
    method: str = "GET"
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    # For "writers": each person's own body (otherwise `body` for everyone).
    body_of: Callable[[Writer], dict] | None = None

    def body_for(self, writer: Writer | None) -> dict | None:
        return self.body_of(writer) if self.body_of is not None and writer is not None else self.body


def symptom_body(symptom_id: str, started_on) -> dict:
    """The symptom form's fields as the phone's outbox sends them."""
    return {"symptom": symptom_id, "severity": "mild", "started_on-day": str(started_on.day),
            "started_on-month": str(started_on.month), "started_on-year": str(started_on.year),
            "new_or_worse": "no", "note": "", "own_words": ""}


def watch_symptom(pathway: str | None, today) -> str:
    """A symptom of the pathway the rules judge a watch symptom when first logged (advice, not
    an urgent item): sent again within its repeats window it becomes a red flag, raised and
    then merged into, as the symptom log's longest paths."""
    from app.symptoms import rules as symptom_rules

    for choice in symptom_rules.symptom_choices(pathway):
        report = symptom_rules.Report(choice.id, "mild", today, today, False)
        if symptom_rules.assess(pathway, report, [], today).level == symptom_rules.Level.WATCH:
            return choice.id
    raise SystemExit(f"pathway {pathway} has no watch symptom to log")


def endpoints(symptom_date) -> list[Endpoint]:
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return [
        Endpoint("/healthz", "none", "/healthz", None),
        Endpoint("patient home /my-care", "patient", "/my-care", "page"),
        Endpoint("HNA question page", "hna_patient", "/hna/questions/distress", "page"),
        Endpoint("care plan /my-care/plan", "patient", "/my-care/plan", "page"),
        Endpoint("follow-up /my-care/follow-up", "patient", "/my-care/follow-up", "page"),
        Endpoint("HNA JSON autosave", "writers", "/api/hna/answers", "write", "POST",
                 {"step": "distress", "data": {"distress": 4}}, json_headers),
        Endpoint("symptom submission (JSON)", "writers", "/my-care/symptoms/api/log", "write", "POST",
                 None, json_headers, lambda writer: symptom_body(writer.symptom, symptom_date)),
        Endpoint("nurse queue /nurse/queue", "nurse", "/nurse/queue", "queue"),
    ]


# ---------------------------------------------------------------- the database


@dataclass
class Database:
    url: str
    name: str
    drop: callable = None


def sqlite_database(folder: Path) -> Database:
    return Database(f"sqlite:///{folder / 'bench.sqlite'}", "SQLite")


def postgres_database(server_url: str, name: str | None = None) -> Database:
    """A new database on the given server, so a bench never touches anyone's data (bench/volume.py
    makes one per size, so names its own)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = name or f"bench_pages_{os.getpid()}"
    admin_url = make_url(server_url).set(database="postgres")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return Database(make_url(server_url).set(database=name).render_as_string(hide_password=False),
                    "PostgreSQL", drop)


def sign_in(app, user_ids: list[int]) -> list[dict]:
    """A session row made in the database for each person (one commit), and the headers their
    browser would send: the signed session cookie and the CSRF token."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from app.extensions import db
    from app.models import UserSession
    from app.sessions import _hash

    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    db.session.add_all([UserSession(user_id=user_id, token_hash=_hash(token), method="bench")
                        for user_id, token in zip(user_ids, tokens, strict=True)])
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    headers = []
    for user_id, token in zip(user_ids, tokens, strict=True):
        # Its own app context: generate_csrf keeps the token in g, which would carry over.
        with app.app_context(), app.test_request_context():
            session.update({"sid": token, "_user_id": str(user_id), "_fresh": True, "_permanent": True})
            csrf = generate_csrf()
            cookie = serializer.dumps(dict(session))
        headers.append({"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}", "X-CSRFToken": csrf})
    return headers


def seed(database: Database, instance: Path, writers: int = 0) -> dict:
    """Demo data, a started HNA for Margaret, and signed-in sessions: cookie and CSRF token per
    person; with `writers`, that many more people (bench/generate.py's, with the history real
    use leaves), each signed in with an open assessment, as "writers": a list of Writer."""
    from sqlalchemy import select, text

    from app import create_app
    from app.demo import seed_demo
    from app.extensions import db
    from app.hna import service as hna_service
    from app.models import PatientProfile, User
    from app.timeutil import london_today
    from bench.generate import generate

    os.environ["INSTANCE_PATH"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": SECRET_KEY,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        if database.name == "SQLite":
            # WAL is kept in the file; the app sets its own busy timeout on every connection.
            db.session.execute(text("PRAGMA journal_mode=WAL"))
        db.create_all()
        seed_demo("http://127.0.0.1")
        people = {
            "patient": db.session.scalar(select(User).where(User.display_name == "David Hughes")),
            "hna_patient": db.session.scalar(select(User).where(User.display_name == "Margaret Okafor")),
            "nurse": db.session.scalar(select(User).where(User.display_name == "Sam Taylor")),
        }
        margaret = db.session.scalar(select(PatientProfile).where(PatientProfile.user_id == people["hna_patient"].id))
        hna_service.start_or_resume(margaret)
        db.session.commit()
        signed_in = dict(zip(people, sign_in(app, [user.id for user in people.values()]), strict=True))
        if writers:
            made = generate(writers, 2)
            profiles = db.session.scalars(
                select(PatientProfile).where(PatientProfile.id >= made.first_patient).order_by(PatientProfile.id)
            ).all()
            for profile in profiles:
                hna_service.start_or_resume(profile)
            db.session.commit()
            today = london_today()
            signed_in["writers"] = [
                Writer(profile.user_id, headers, watch_symptom(profile.tumour_pathway, today))
                for profile, headers in zip(profiles, sign_in(app, [profile.user_id for profile in profiles]), strict=True)
            ]
        db.session.remove()
        db.engine.dispose()
    return signed_in


SECRET_KEY = "bench-" + secrets.token_hex(16)


# ---------------------------------------------------------------- servers and load


def web_command() -> str:
    """The Procfile's `web` command line, as production runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("The Procfile has no web process")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`target` served by the Procfile's `web` command line (production's settings: worker class,
    threads, preload, keep-alive, ...) on 127.0.0.1 with WORKERS workers, stopped on exit (or
    after max_seconds). Its access log (stdout) is dropped; errors (stderr) are shown."""

    def __init__(self, target: str, env: dict, max_seconds: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = web_command().replace(" wsgi:app", f" {shlex.quote(target)}")
        server_env = {**os.environ, **env, "BIND_HOST": "127.0.0.1", "PORT": str(self.port),
                      "WEB_CONCURRENCY": str(WORKERS)}
        # Production's gunicorn is the one on PATH in the app's environment: the venv's here.
        server_env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{server_env.get('PATH', '')}"
        # `timeout` stops the server even if this script is killed before it can.
        self.process = subprocess.Popen(["timeout", str(max_seconds), "sh", "-c", command], cwd=ROOT,
                                        env=server_env, stdout=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, path: str = "/") -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start (exit {self.process.returncode})")
            try:
                urllib.request.urlopen(self.url + path, timeout=10).read()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def check(url: str, endpoint: Endpoint, headers: dict, writer: Writer | None = None) -> None:
    """One request first: a bench of a redirect to sign-in or an error page would measure nothing."""
    body = endpoint.body_for(writer)
    body = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + endpoint.path, data=body, method=endpoint.method,
                                     headers={**headers, **endpoint.headers,
                                              "Idempotency-Key": "bench-check-" + secrets.token_hex(8)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
            final = response.url
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{endpoint.label}: {endpoint.method} {endpoint.path} answered {error.code}: "
                         f"{error.read()[:300]!r}") from None
    if status >= 300 or not final.endswith(endpoint.path):
        raise SystemExit(f"{endpoint.label}: {endpoint.path} ended at {final} ({status})")


def wrk(url: str, endpoint: Endpoint | None, headers: dict, seconds: int, folder: Path,
        writers: list[Writer] = ()) -> dict:
    """wrk's figures for the endpoint (None: the baseline's "/"), as one person with `headers`,
    or, given `writers`, each request as the next of them."""
    env = {**os.environ, "BENCH_RUN": secrets.token_hex(4), "BENCH_UNIQUE_KEYS": "0",
           "BENCH_THREADS": str(WRK_THREADS)}
    script = WRK_SCRIPT
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "5s"]
    target = url + "/"
    if endpoint is not None:
        target = url + endpoint.path
        for name, value in {**headers, **endpoint.headers}.items():
            command += ["-H", f"{name}: {value}"]
        if endpoint.method == "POST":
            # A Lua string literal is a JSON string literal for this body's characters.
            script = (f"wrk.method = \"POST\"\nwrk.body = {json.dumps(json.dumps(endpoint.body))}\n"
                      + script + WRK_COUNT_CONFLICTS)
            env["BENCH_UNIQUE_KEYS"] = "1"
        if writers:
            people = folder / f"people-{secrets.token_hex(4)}.tsv"
            people.write_text("".join(
                f"{writer.headers['Cookie']}\t{writer.headers['X-CSRFToken']}\t"
                f"{json.dumps(endpoint.body_for(writer))}\n" for writer in writers))
            env["BENCH_PEOPLE"] = str(people)
    script_path = folder / f"wrk-{secrets.token_hex(4)}.lua"
    script_path.write_text(script)
    output = subprocess.run([*command, "-s", str(script_path), target], capture_output=True, text=True,
                            timeout=seconds + 60, env=env)
    if output.returncode != 0:
        raise SystemExit(f"wrk failed: {output.stderr or output.stdout}")
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def run(database: Database, seconds: int, folder: Path) -> None:
    from datetime import date

    instance = folder / f"instance-{database.name.lower()}"
    instance.mkdir()
    signed_in = seed(database, instance, writers=WRITERS_PER_SECOND * seconds)
    writers = signed_in["writers"]
    env = {"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "0",
           "INSTANCE_PATH": str(instance), "APP_ENV": "development", "DEMO_MODE": "0"}
    plan = endpoints(date.today())
    # Each server lives at most as long as its whole share of the run could take.
    lifetime = 120 + len(plan) * (seconds + 10) * 2
    print(f"\n{database.name}: the Procfile's gunicorn, {WORKERS} workers, wrk -c {CONNECTIONS}, {seconds} s per endpoint "
          f"(warm-up 1 s each); the writing endpoints as {len(writers)} people in turn")
    with Gunicorn("bench.pages:bare_app()", {}, lifetime) as bare:
        bare.wait_ready("/")
        wrk(bare.url, None, {}, 1, folder)
        baseline = wrk(bare.url, None, {}, seconds, folder)
    rows = [("bare Flask JSON endpoint (baseline)", baseline, None)]
    with Gunicorn("wsgi:app", env, lifetime) as server:
        server.wait_ready("/healthz")
        for endpoint in plan:
            many = writers if endpoint.who == "writers" else []
            headers = many[0].headers if many else signed_in.get(endpoint.who, {})
            check(server.url, endpoint, headers, many[0] if many else None)
            # The warm-up from the other end of the table: the run's first saves are not a repeat.
            wrk(server.url, endpoint, headers, 1, folder, many[::-1])
            rows.append((endpoint.label, wrk(server.url, endpoint, headers, seconds, folder, many), endpoint.goal))
    # 409 busy: a save clashed with another of the same person's and the phone is asked to send
    # it again (Retry-After); counted apart, as they say so about the load, not the endpoint.
    print(f"{'endpoint':40} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'ratio':>7} {'409':>5} {'errors':>6}  goal")
    for label, figures, goal in rows:
        ratio = baseline["rps"] / figures["rps"] if figures["rps"] else float("inf")
        wanted = ""
        if goal:
            met = ratio <= GOALS[goal] and figures["p95_ms"] < P95_GOAL_MS
            wanted = f"1/{GOALS[goal]}, p95<{P95_GOAL_MS}: {'met' if met else 'NOT met'}"
        conflicts = figures.get("conflicts", 0)
        errors = figures["non_2xx_3xx"] - conflicts + figures["socket_errors"]
        print(f"{label:40} {figures['rps']:8.0f} {figures['p50_ms']:7.1f} {figures['p95_ms']:7.1f} "
              f"{'1/' + format(ratio, '.1f'):>7} {conflicts:5d} {errors:6d}  {wanted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per endpoint instead of 10")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server to bench as well (a new database is made on it)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run scripts/install-system-deps (Debian package wrk).")
    seconds = 2 if args.quick else 10
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        run(sqlite_database(folder), seconds, folder)
        if args.database_url and args.database_url.startswith("postgres"):
            database = postgres_database(args.database_url)
            try:
                run(database, seconds, folder)
            finally:
                database.drop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
