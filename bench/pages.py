"""Requests per second and latency of the pages people use most, served as in production
(the Procfile's gunicorn command line, 2 workers, loopback), beside a bare Flask JSON endpoint
served the same way in the same run (prints figures; never asserts a time).

    .venv/bin/python bench/pages.py            # 5 runs of 2 s per endpoint, SQLite
    .venv/bin/python bench/pages.py --quick    # 2 runs of 1 s (CI: it keeps working)
    TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/pages.py   # SQLite, then PostgreSQL
    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://...      # the same
    .venv/bin/python bench/pages.py --shapes   # the Procfile's server shape beside others
    .venv/bin/python bench/pages.py --profile-served "HNA question"   # cProfile in the served workers

A ratio from one long run of each side said little here: two runs of the same code 25 minutes
apart differed up to three times. So the bare endpoint is measured right beside each endpoint,
in short runs taken in turn (bare, endpoint, bare, endpoint, ..., bare; both servers up all the
while), each of the endpoint's runs set against the mean of the two bare runs around it, and
the ratio printed is the median of those, with their lowest and highest as its spread. Each
endpoint is warmed first. Each row also says how much CPU the server used per request (its
master and workers, from /proc: set it against bench/request_profile.py's in-process figure)
and in how many runs one worker held all of wrk's connections: with keep-alive a connection
stays with the worker that accepted it, so a run in which one worker took them all was served
by one core. The last line says how the machine's CPU was shared: the servers, wrk, and other
work on the machine, which the figures share it with.

`--shapes` serves the app and the bare endpoint in the Procfile's shape and in each variant of
it (`shapes()`: threads, sync workers, a third worker, `--reuse-port`, the access log) at once, and sets each
one's runs against the same baseline, the bare endpoint in the Procfile's shape, measured beside
it. `--profile-served` runs the app with BENCH_PROFILE_DIR set, for which gunicorn.conf.py
profiles each worker, and prints what a served request costs inside the Flask app and around it.

Load comes from `wrk` (Debian package, installed by scripts/install-system-deps) at 16
connections. The demo data is seeded into a throwaway database (a SQLite file in a temporary
folder; on PostgreSQL a new database on the given server, dropped afterwards); patients and a
nurse are signed in by session rows made directly in it, as the browser tests do. Every server
this starts listens on 127.0.0.1 only and is stopped at the end, whatever happens.

Beside the saves, the durable save floor (`DurableSaves`): a route of the bare endpoint's server
that stores the body it is sent as one row and commits it through the database driver alone, as
the app commits (SQLite's journal, `synchronous` and write queue). No save can cost less, so it
says how much of a save's ratio is the commit's wait for the disk; a line under the table sets
each save against it.

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
import contextlib
import json
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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
  -- A form token of its own (bench/pages.py FORM_TOKEN_SLOT): [A-Za-z0-9_-], 16 to 64 long.
  local body = person.body:gsub("BENCHFORMTOKENSLOT", "bench" .. os.getenv("BENCH_RUN") .. "_" .. thread_id .. "_" .. counter)
  return wrk.format(nil, nil, headers, body)
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
    """The baseline: Flask with one JSON route and nothing else; and, beside it, the durable save
    floor (`DurableSaves`), measured as an endpoint of its own, never as the baseline."""
    from flask import Flask, request

    # No templates: gunicorn.conf.py compiles an app's templates before forking, and "bare" would
    # otherwise find this repository's (its root is the current folder) without their filters.
    bare = Flask("bare", template_folder=None)

    @bare.get("/")
    def hello():
        return {"ok": True}

    saves = bare.extensions["durable_saves"] = DurableSaves(os.environ.get(FLOOR_DATABASE_ENV, ""))

    @bare.post(FLOOR_PATH)
    def durable_save():
        saves.store(request.get_data(as_text=True))
        return {"ok": True}, 201

    return bare


# The durable save floor: the least any save can cost on this machine and database, whatever
# the framework. A bare Flask route that stores the body it is sent as one row and commits it
# durably, through the database driver alone: no session, no sign-in, no CSRF, no Idempotency-
# Key, no audit, no ORM. Every save of the app does all of that besides, so none can be faster
# than this; it says how much of a save's ratio to bare Flask is the commit's wait for the disk
# (SQLite's synchronous FULL: an fsync of the WAL per commit; PostgreSQL's fsync of its WAL,
# unless the server is told not to: the test server, scripts/test-postgres-server, is).
FLOOR_PATH = "/durable-save"
FLOOR_DATABASE_ENV = "BENCH_FLOOR_DATABASE_URL"
FLOOR_TABLE = "bench_durable_saves"


class DurableSaves:
    """Rows stored and committed one a request in the database at `url` (a SQLAlchemy URL: the
    bench's own database), one connection per thread, opened at its first save (after gunicorn
    forks). SQLite's connection is the app's as far as a commit goes: WAL, the app's busy timeout,
    its `synchronous` left at SQLite's default as the app leaves it (tests/test_bench_floor.py
    compares them), and its writers queued for the write lock as the app's are (app/sqlite_writes.py)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()

    def connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def _connect(self):
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            import sqlite3

            from app.extensions import SQLITE_BUSY_TIMEOUT_MS
            from app.sqlite_writes import database_file, queue_for

            path = database_file(url)
            connection = sqlite3.connect(path, factory=queue_for(path, SQLITE_BUSY_TIMEOUT_MS / 1000).connection_class,
                                         check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            return connection
        import psycopg

        return psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))

    def make_table(self) -> None:
        connection = self.connection()
        key = "INTEGER PRIMARY KEY" if self._is_sqlite(connection) else "BIGSERIAL PRIMARY KEY"
        connection.execute(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id {key}, body TEXT NOT NULL)")
        connection.commit()

    def store(self, body: str) -> None:
        connection = self.connection()
        if self._is_sqlite(connection):
            # The app's turn on the write lock, as its engine takes it before the driver's BEGIN.
            if connection.write_queue.enter():
                connection.holds_the_write_turn = True
            statement = f"INSERT INTO {FLOOR_TABLE} (body) VALUES (?)"
        else:
            statement = f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s)"
        try:
            connection.execute(statement, (body,))
            connection.commit()
        except BaseException:
            # Not left open holding the write lock (and, on SQLite, the write turn): the other
            # worker would wait out the busy timeout, and the run would read as slow commits.
            connection.rollback()
            raise

    def how_commits_wait(self) -> str:
        """What a commit waits for here, as the database is set: SQLite's `synchronous`, or the
        PostgreSQL server's `fsync` and `synchronous_commit` (the test server has both off)."""
        connection = self.connection()
        if self._is_sqlite(connection):
            level = connection.execute("PRAGMA synchronous").fetchone()[0]
            return f"synchronous={dict(enumerate(('OFF', 'NORMAL', 'FULL', 'EXTRA'))).get(level, level)}"
        settings = [f"{name}={connection.execute(f'SHOW {name}').fetchone()[0]}" for name in ("fsync", "synchronous_commit")]
        connection.rollback()
        return ", ".join(settings)

    def count(self) -> int:
        return self.connection().execute(f"SELECT count(*) FROM {FLOOR_TABLE}").fetchone()[0]

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @staticmethod
    def _is_sqlite(connection) -> bool:
        import sqlite3

        return isinstance(connection, sqlite3.Connection)


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
    # "none", "patient", "hna_patient", "nurse", or "writers": each request the next of them; "bare":
    # nobody, served by the bare endpoint's server (the durable save floor)
    who: str
    path: str
    goal: str | None  # key into GOALS
    method: str = "GET"
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    # For "writers": each person's own body (otherwise `body` for everyone).
    body_of: Callable[[Writer], dict] | None = None

    def body_for(self, writer: Writer | None) -> dict | None:
        return self.body_of(writer) if self.body_of is not None and writer is not None else self.body


# The rendered form's one-time token (idempotency.new_form_token) as the outbox sends it: each
# request's body gets a token of its own in place of this (wrk's Lua, request_profile's requester),
# so every send is a new form acted on once, with the token's statements, as a phone's is.
FORM_TOKEN_SLOT = "BENCHFORMTOKENSLOT"


def symptom_body(symptom_id: str, started_on) -> dict:
    """The symptom form's fields as the phone's outbox sends them (its token included)."""
    return {"symptom": symptom_id, "severity": "mild", "started_on-day": str(started_on.day),
            "started_on-month": str(started_on.month), "started_on-year": str(started_on.year),
            "new_or_worse": "no", "note": "", "own_words": "", "form_token": FORM_TOKEN_SLOT}


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


def floor_endpoint(symptom_date) -> Endpoint:
    """The durable save floor (`DurableSaves`), served by the bare endpoint's server: sent the
    symptom form's fields, as a symptom is sent, and held to no goal of its own."""
    return Endpoint("durable save floor (bare Flask, 1 row)", "bare", FLOOR_PATH, None, "POST",
                    symptom_body("a-symptom", symptom_date),
                    {"Content-Type": "application/json", "Accept": "application/json"})


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
    threads, preload, keep-alive, ...; or `command`, another shape of it) on 127.0.0.1 with WORKERS
    workers, stopped on exit (or after max_seconds). Its access log (stdout) is dropped; errors
    (stderr) are shown, or with `log`, written there and shown only if it does not start."""

    def __init__(self, target: str, env: dict, max_seconds: int, command: str | None = None,
                 log: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = (command or web_command()).replace(" wsgi:app", f" {shlex.quote(target)}")
        server_env = {**os.environ, "WEB_CONCURRENCY": str(WORKERS), **env, "BIND_HOST": "127.0.0.1",
                      "PORT": str(self.port)}
        # Production's gunicorn is the one on PATH in the app's environment: the venv's here.
        server_env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{server_env.get('PATH', '')}"
        stderr = log.open("w") if log else None
        # `timeout` stops the server even if this script is killed before it can.
        self.process = subprocess.Popen(["timeout", str(max_seconds), "sh", "-c", command], cwd=ROOT,
                                        env=server_env, stdout=subprocess.DEVNULL, stderr=stderr,
                                        start_new_session=True)
        if stderr:
            stderr.close()

    def wait_ready(self, path: str = "/") -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start (exit {self.process.returncode}){self._log_tail()}")
            try:
                urllib.request.urlopen(self.url + path, timeout=10).read()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within 60 s{self._log_tail()}")

    def _log_tail(self) -> str:
        return f":\n{self.log.read_text()[-3000:]}" if self.log else ""

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by the server's processes: the master and its
        workers, all in the session started for it."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            if int(fields[3]) == self.process.pid:  # the session
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def connection_holders(self) -> set[str]:
        """The processes holding the connections open to this server now (`ss`, iproute2): with
        keep-alive, the worker that accepted a connection serves every request sent on it."""
        if shutil.which("ss") is None:
            return set()
        listing = subprocess.run(["ss", "-tnpH", "state", "established", f"sport = :{self.port}"],
                                 capture_output=True, text=True, timeout=10).stdout
        return set(re.findall(r"pid=(\d+)", listing))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent on anything but idling, so far."""
    user, nice, system, idle, iowait, *rest = (int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:])
    return (user + nice + system + sum(rest[:3])) / CLOCK_TICKS  # irq, softirq, steal


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


@dataclass
class Load:
    """What one wrk run sends: to `server`, `endpoint` (None: the bare baseline's "/") as one
    person with `headers`, or, given `writers`, each request as the next of them."""

    server: Gunicorn
    endpoint: Endpoint | None = None
    headers: dict = field(default_factory=dict)
    writers: list[Writer] = field(default_factory=list)


def wrk(load: Load, seconds: int, folder: Path, first_writer: int = 0) -> dict:
    """wrk's figures for the load over `seconds`, with the CPU time the server and wrk used
    meanwhile; the writers from `first_writer` on (then from the start of the table again), so
    that each run's first saves are not a repeat of the last run's."""
    env = {**os.environ, "BENCH_RUN": secrets.token_hex(4), "BENCH_UNIQUE_KEYS": "0",
           "BENCH_THREADS": str(WRK_THREADS)}
    script = WRK_SCRIPT
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "5s"]
    endpoint = load.endpoint
    target = load.server.url + "/"
    if endpoint is not None:
        target = load.server.url + endpoint.path
        for name, value in {**load.headers, **endpoint.headers}.items():
            command += ["-H", f"{name}: {value}"]
        if endpoint.method == "POST":
            # A Lua string literal is a JSON string literal for this body's characters.
            script = (f"wrk.method = \"POST\"\nwrk.body = {json.dumps(json.dumps(endpoint.body))}\n"
                      + script + WRK_COUNT_CONFLICTS)
            env["BENCH_UNIQUE_KEYS"] = "1"
        if load.writers:
            first_writer %= len(load.writers)
            writers = load.writers[first_writer:] + load.writers[:first_writer]
            people = folder / f"people-{secrets.token_hex(4)}.tsv"
            people.write_text("".join(
                f"{writer.headers['Cookie']}\t{writer.headers['X-CSRFToken']}\t"
                f"{json.dumps(endpoint.body_for(writer))}\n" for writer in writers))
            env["BENCH_PEOPLE"] = str(people)
    script_path = folder / f"wrk-{secrets.token_hex(4)}.lua"
    script_path.write_text(script)
    server_before = load.server.cpu_seconds()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen([*command, "-s", str(script_path), target], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(seconds / 2)
    holders = load.server.connection_holders()
    stdout, stderr = process.communicate(timeout=seconds + 60)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = load.server.cpu_seconds() - server_before
    if process.returncode != 0:
        raise SystemExit(f"wrk failed: {stderr or stdout}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["workers_holding"] = len(holders)
    figures["rps"] = figures["requests"] / figures["seconds"]
    figures["server_cpu"] = server_cpu
    figures["wrk_cpu"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    return figures


@dataclass
class Measured:
    """One load's wrk runs, each beside the mean of the baseline's runs just before and after it."""

    runs: list[dict] = field(default_factory=list)
    baselines: list[float] = field(default_factory=list)  # requests/s around each run
    baseline_cpu: list[float] = field(default_factory=list)  # the server's CPU ms a request, around each run

    @property
    def rps(self) -> float:
        return statistics.mean(run["rps"] for run in self.runs)

    @property
    def ratios(self) -> list[float]:
        """Baseline's requests/s over this load's, per run."""
        return [baseline / run["rps"] if run["rps"] else float("inf")
                for run, baseline in zip(self.runs, self.baselines, strict=True)]

    @property
    def cpu_ratio(self) -> float:
        """This load's server CPU per request over the baseline's, the median of the runs: what the
        requests/s ratio would be if both sides had the same CPU and used all of it. It hardly
        moves with what else the machine runs, or with how wrk's connections fell to workers."""
        return statistics.median(run["server_cpu"] / run["requests"] / baseline * 1000 if run["requests"] else float("inf")
                                 for run, baseline in zip(self.runs, self.baseline_cpu, strict=True))

    def median(self, name: str) -> float:
        return statistics.median(run[name] for run in self.runs)

    def total(self, name: str) -> int:
        return sum(run[name] for run in self.runs)

    @property
    def server_ms_per_request(self) -> float:
        requests = self.total("requests")
        return 1000 * sum(run["server_cpu"] for run in self.runs) / requests if requests else float("nan")

    @property
    def one_worker_runs(self) -> str:
        """In how many runs one worker held every connection (the other served none of them)."""
        return f"{sum(run['workers_holding'] == 1 for run in self.runs)}/{len(self.runs)}"

    @property
    def errors(self) -> int:
        return self.total("non_2xx_3xx") - self.total("conflicts") + self.total("socket_errors")


@dataclass
class Pace:
    """How long each wrk run lasts, how many runs each load gets, and the CPU they all used."""

    seconds: int
    rounds: int
    started: float = field(default_factory=time.monotonic)
    busy_at_start: float = field(default_factory=machine_busy_seconds)
    server_cpu: float = 0.0  # CPU seconds of the servers in the runs
    wrk_cpu: float = 0.0
    run_seconds: float = 0.0

    def count(self, figures: dict) -> None:
        self.server_cpu += figures["server_cpu"]
        self.wrk_cpu += figures["wrk_cpu"]
        self.run_seconds += figures["seconds"]

    def cpu_report(self) -> str:
        """How the machine's CPU was shared in the runs: the servers, wrk, and other work on it."""
        cores = os.cpu_count()
        busy = machine_busy_seconds() - self.busy_at_start
        wall = time.monotonic() - self.started

        def share(seconds: float, over: float) -> str:
            return f"{100 * seconds / (cores * over):.0f}%"

        return (f"CPU of {cores} cores in the runs: the servers {share(self.server_cpu, self.run_seconds)}, wrk "
                f"{share(self.wrk_cpu, self.run_seconds)}; the whole machine was busy "
                f"{share(busy, wall)} meanwhile (the rest of it: other work these figures shared the machine with)")


def alternate(baseline: Load, loads: list[Load], pace: Pace, folder: Path) -> list[Measured]:
    """Each load in `pace.rounds` short runs, the baseline run between every two and at both ends
    (baseline, first load, baseline, second load, baseline, ...; the loads' order turning each
    round), so each run is set against the baseline measured seconds before and after it: what
    else the machine is doing then weighs on both alike. Each load is warmed first (a page's first
    requests in a worker may do one-off work)."""
    measured = [Measured() for _ in loads]
    for load in loads:
        wrk(load, 1, folder, len(load.writers) // 2)  # from the middle of the table: not a repeat
    before = wrk(baseline, pace.seconds, folder)
    pace.count(before)
    for round_number in range(pace.rounds):
        turned = round_number % len(loads)
        for index in [*range(turned, len(loads)), *range(turned)]:
            load = loads[index]
            figures = wrk(load, pace.seconds, folder,
                          round_number * len(load.writers) // (2 * pace.rounds))
            after = wrk(baseline, pace.seconds, folder)
            pace.count(figures)
            pace.count(after)
            measured[index].runs.append(figures)
            measured[index].baselines.append((before["rps"] + after["rps"]) / 2)
            measured[index].baseline_cpu.append(1000 * (before["server_cpu"] + after["server_cpu"])
                                                / max(before["requests"] + after["requests"], 1))
            before = after
    return measured


def ratio_text(ratio: float) -> str:
    return "1/" + format(ratio, ".1f" if ratio < 100 else ".0f")


def spread_text(measured: Measured) -> str:
    """The run-to-run spread of the ratio: its lowest and highest over the runs."""
    ratios = measured.ratios
    return f"{ratio_text(min(ratios))}-{ratio_text(max(ratios))[2:]}"


def run(database: Database, pace: Pace, folder: Path, only: str | None) -> None:
    from datetime import date

    instance = folder / f"instance-{database.name.lower()}"
    instance.mkdir()
    signed_in = seed(database, instance, writers=WRITERS_PER_SECOND * pace.seconds * pace.rounds)
    writers = signed_in["writers"]
    plan = [endpoint for endpoint in endpoints(date.today()) if chosen(endpoint, only)]
    # The floor beside the saves (before the first), or alone when --only names it.
    floor = floor_endpoint(date.today())
    save_places = [index for index, endpoint in enumerate(plan) if endpoint.goal == "write"]
    if save_places or (only and chosen(floor, only)):
        plan.insert(save_places[0] if save_places else len(plan), floor)
    # Each server lives at most as long as its whole share of the run could take.
    lifetime = 300 + len(plan) * (2 * pace.seconds * pace.rounds + pace.seconds + 20) * 2
    print(f"\n{database.name}: the Procfile's gunicorn, {WORKERS} workers, wrk -t {WRK_THREADS} -c {CONNECTIONS}; "
          f"each endpoint warmed for 1 s, then {pace.rounds} runs of {pace.seconds} s, each between two "
          f"{pace.seconds} s runs of the bare endpoint; the writing endpoints as {len(writers)} people in turn")
    print(f"  ratio: the bare endpoint's requests/s around each run over the endpoint's, median (lowest-highest "
          f"of the {pace.rounds} runs); p50 and p95: medians of the runs; server ms/req: CPU of the master and "
          f"workers per request; CPU ratio: the bare endpoint's server CPU per request around each run over the "
          f"endpoint's, median (steady on a busy machine: what the ratio would be with all the CPU both could use); "
          f"1 worker: runs in which one worker held all {CONNECTIONS} connections")
    env = app_environment(database, instance)
    saves = DurableSaves(database.url)
    try:
        saves.make_table()
        commits_wait = saves.how_commits_wait()
    finally:
        saves.close()
    with (Gunicorn("bench.pages:bare_app()", {FLOOR_DATABASE_ENV: database.url}, lifetime,
                   log=folder / "bare.log") as bare,
          Gunicorn("wsgi:app", env, lifetime, log=folder / f"app-{database.name}.log") as server):
        bare.wait_ready("/")
        server.wait_ready("/healthz")
        wrk(Load(bare), 1, folder)
        baseline = Load(bare)
        rows = []
        for endpoint in plan:
            load = load_of(bare if endpoint.who == "bare" else server, endpoint, signed_in, writers)
            rows.append((endpoint, alternate(baseline, [load], pace, folder)[0]))
    # 409 busy: a save clashed with another of the same person's and the phone is asked to send
    # it again (Retry-After); counted apart, as they say so about the load, not the endpoint.
    print(f"{'endpoint':40} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'ratio':>7} {'(spread)':>13} "
          f"{'server ms/req':>13} {'CPU ratio':>9} {'1 worker':>8} {'409':>5} {'errors':>6}  goal")
    baselines = [baseline for _, measured in rows for baseline in measured.baselines]
    if baselines:
        baseline_cpu = [cpu for _, measured in rows for cpu in measured.baseline_cpu]
        print(f"{'bare Flask JSON endpoint (baseline)':40} {statistics.mean(baselines):6.0f} {'':7} {'':7} "
              f"{'1':>7} {f'{min(baselines):.0f}-{max(baselines):.0f}/s':>13} {statistics.median(baseline_cpu):13.2f} "
              f"{'1':>9}")
    for endpoint, measured in rows:
        ratio = statistics.median(measured.ratios)
        wanted = ""
        if endpoint.goal:
            met = ratio <= GOALS[endpoint.goal] and measured.median("p95_ms") < P95_GOAL_MS
            wanted = f"1/{GOALS[endpoint.goal]}, p95<{P95_GOAL_MS}: {'met' if met else 'NOT met'}"
        print(f"{endpoint.label:40} {measured.rps:6.0f} {measured.median('p50_ms'):7.1f} "
              f"{measured.median('p95_ms'):7.1f} {ratio_text(ratio):>7} {'(' + spread_text(measured) + ')':>13} "
              f"{measured.server_ms_per_request:13.2f} {ratio_text(measured.cpu_ratio):>9} {measured.one_worker_runs:>8} "
              f"{measured.total('conflicts'):5d} "
              f"{measured.errors:6d}  {wanted}")
    floors = [measured for endpoint, measured in rows if endpoint.who == "bare"]
    measured_saves = [(endpoint, measured) for endpoint, measured in rows if endpoint.goal == "write"]
    if floors:
        # Each side's ratio is to the bare endpoint measured around its own runs: their quotient
        # sets the saves against the floor as the table sets each against bare Flask.
        floor_ratio = statistics.median(floors[0].ratios)
        print(f"  the durable save floor's commits here: {commits_wait}" + (
            "; the saves beside it (their ratio over its; it does none of their work but the commit): "
            + "; ".join(f"{endpoint.label} {ratio_text(statistics.median(measured.ratios) / floor_ratio)}"
                        for endpoint, measured in measured_saves) if measured_saves else ""))
    print(pace.cpu_report())


def chosen(endpoint: Endpoint, only: str | None) -> bool:
    """Whether --only (comma-separated parts of labels) picks the endpoint."""
    return not only or any(part.strip().lower() in endpoint.label.lower() for part in only.split(",") if part.strip())


def app_environment(database: Database, instance: Path) -> dict:
    # Sessions idle for hours stay signed in: a long run reaches its last endpoint (the queue)
    # more than the 10 idle minutes after signing in, and wrk would count the redirects to
    # sign-in as answers. A request's work is the same (its last activity is written every 30 s).
    return {"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "0",
            "INSTANCE_PATH": str(instance), "APP_ENV": "development", "DEMO_MODE": "0",
            "SESSION_IDLE_SECONDS": str(4 * 3600)}


def load_of(server: Gunicorn, endpoint: Endpoint, signed_in: dict, writers: list[Writer]) -> Load:
    """The endpoint's load on the server, checked with one request first."""
    many = writers if endpoint.who == "writers" else []
    headers = many[0].headers if many else signed_in.get(endpoint.who, {})
    check(server.url, endpoint, headers, many[0] if many else None)
    return Load(server, endpoint, headers, many)


# ---------------------------------------------------------------- the server's shape


@dataclass
class Shape:
    """A way to run the web process: the Procfile's command line with `options` toggled (taken
    out if there, added if not), and `env`."""

    label: str
    options: list[str] = field(default_factory=list)
    env: dict = field(default_factory=dict)

    def command(self) -> str:
        command = web_command()
        for option in self.options:
            if f" {option}" in command:
                command = command.replace(f" {option}", "")
            else:
                command = command.replace(" wsgi:app", f" {option} wsgi:app")
        return command


def shapes() -> list[Shape]:
    """The Procfile's shape and the changes to it worth measuring beside it."""
    reuse_port = "no --reuse-port" if "--reuse-port" in web_command() else "--reuse-port"
    return [
        Shape("the Procfile's"),
        Shape(reuse_port, ["--reuse-port"]),
        # The Procfile's earlier threads (4 until 2026-12-07), and a middle way.
        Shape("4 threads", [], {"WEB_THREADS": "4"}),
        Shape("2 threads", [], {"WEB_THREADS": "2"}),
        # With more than one thread gunicorn would run gthread workers instead.
        Shape("sync workers", ["--worker-class gthread", "--worker-class sync"], {"WEB_THREADS": "1"}),
        # A third process on the two cores, to work while another waits for the disk (the saves'
        # commit): it did not help (README "Why the saves' 1/3 is not met"); the goals are for two.
        Shape("3 workers", [], {"WEB_CONCURRENCY": "3"}),
        Shape(f"{reuse_port}, no log", ["--reuse-port", "--access-logfile -"]),
    ]


def compare_shapes(database: Database, pace: Pace, folder: Path, only: str | None, which: str) -> None:
    """The app and the bare endpoint served in each shape at once, every shape's runs set against
    the same baseline (the bare endpoint in the Procfile's shape) measured beside each of them."""
    from datetime import date

    # The Procfile's first, as the others are set against its bare endpoint.
    measured_shapes = [shape for number, shape in enumerate(shapes())
                       if number == 0 or which == "all" or shape.label in [part.strip() for part in which.split(";")]]
    instance = folder / f"instance-{database.name.lower()}"
    instance.mkdir()
    signed_in = seed(database, instance, writers=WRITERS_PER_SECOND * pace.seconds * pace.rounds * len(measured_shapes))
    writers = signed_in["writers"]
    plan = [endpoint for endpoint in endpoints(date.today())
            if endpoint.goal and chosen(endpoint, only)]
    print(f"\n{database.name}: the server's shape, {WORKERS} workers each, wrk -t {WRK_THREADS} -c {CONNECTIONS}; "
          f"per endpoint {pace.rounds} rounds of one {pace.seconds} s run of each shape, each between two runs of "
          f"the bare endpoint in the Procfile's shape (the reference); figures: the reference's requests/s "
          f"around each run over the shape's, median (lowest-highest)")
    lifetime = 300 + (len(plan) + 1) * len(measured_shapes) * (2 * pace.seconds + 2) * pace.rounds * 2
    env = app_environment(database, instance)
    with contextlib.ExitStack() as stack:
        servers = []
        for number, shape in enumerate(measured_shapes):
            command = shape.command()
            bare = stack.enter_context(Gunicorn("bench.pages:bare_app()", shape.env, lifetime, command,
                                                folder / f"bare-{number}.log"))
            app = stack.enter_context(Gunicorn("wsgi:app", {**env, **shape.env}, lifetime, command,
                                               folder / f"app-{database.name}-{number}.log"))
            servers.append((bare, app))
        for bare, app in servers:
            bare.wait_ready("/")
            app.wait_ready("/healthz")
            wrk(Load(bare), 1, folder)
        reference = Load(servers[0][0])
        rows = [("bare Flask JSON endpoint", alternate(reference, [Load(bare) for bare, _ in servers], pace, folder))]
        for endpoint in plan:
            loads = [load_of(app, endpoint, signed_in, writers) for _, app in servers]
            rows.append((endpoint.label, alternate(reference, loads, pace, folder)))
    width = 24
    print(f"{'endpoint':34}" + "".join(f"{shape.label:>{width}}" for shape in measured_shapes))
    for label, measured in rows:
        cells = [f"{ratio_text(statistics.median(each.ratios))} ({spread_text(each)})" for each in measured]
        print(f"{label:34}" + "".join(f"{cell:>{width}}" for cell in cells))
    print("requests/s (mean of the runs), p95 ms (median), server CPU ms per request:")
    for label, measured in rows:
        cells = [f"{each.rps:.0f}/s {each.median('p95_ms'):.0f} {each.server_ms_per_request:.2f}" for each in measured]
        print(f"{label:34}" + "".join(f"{cell:>{width}}" for cell in cells))
    print(f"runs in which one worker held all {CONNECTIONS} connections (sync workers: each request has its own):")
    for label, measured in rows:
        print(f"{label:34}" + "".join(f"{each.one_worker_runs:>{width}}" for each in measured))
    print(pace.cpu_report())


# ---------------------------------------------------------------- a served worker's profile


def profile_served(database: Database, seconds: int, folder: Path, only: str) -> None:
    """What a served request costs inside the Flask app and around it (gunicorn.conf.py measures
    each worker when BENCH_PROFILE_DIR is set), under wrk, in the Procfile's shape; beside it, the
    same request in process through Flask's test client, as bench/request_profile.py sends it.
    Two served runs: the first counts CPU time only (exact: the worker's, and its threads' inside
    the app), the second runs cProfile as well, whose shares of the time around the app say where
    that goes (cProfile's own cost, large, is spread alike over all it counts)."""
    import pstats
    from datetime import date

    plan = [endpoint for endpoint in endpoints(date.today()) if only.lower() in endpoint.label.lower()]
    if not plan:
        raise SystemExit(f"no endpoint's label contains {only!r}")
    endpoint = plan[0]
    instance = folder / f"instance-{database.name.lower()}"
    instance.mkdir()
    signed_in = seed(database, instance, writers=WRITERS_PER_SECOND * seconds * 3 if endpoint.who == "writers" else 0)
    writers = signed_in.get("writers", [])

    def served(name: str, cprofile: bool) -> tuple[dict, Path]:
        measurements = folder / f"{name}-{database.name.lower()}"
        measurements.mkdir()
        env = {**app_environment(database, instance), "BENCH_PROFILE_DIR": str(measurements),
               "BENCH_CPROFILE": "1" if cprofile else "0"}
        with Gunicorn("wsgi:app", env, 300 + 4 * seconds, log=measurements.with_suffix(".log")) as server:
            server.wait_ready("/healthz")
            load = load_of(server, endpoint, signed_in, writers)
            wrk(load, 1, folder, len(writers) // 3)
            (measurements / "start").touch()  # each worker counts from its next request on
            figures = wrk(load, seconds, folder, 2 * len(writers) // 3 if cprofile else 0)
        # Stopped: each worker has written what it measured.
        counted = [json.loads(path.read_text()) for path in measurements.glob("*.json")]
        if not counted:
            raise SystemExit(f"the workers measured nothing:{measurements.with_suffix('.log').read_text()[-3000:]}")
        figures.update({name: sum(each[name] for each in counted) for name in ("requests", "in_app_cpu", "worker_cpu")})
        return figures, measurements

    plain, _ = served("measured", cprofile=False)
    profiled, profiles = served("profiled", cprofile=True)
    in_process = in_process_cpu(database, instance, endpoint, signed_in, writers, 20 if seconds < 5 else 200)
    requests = plain["requests"]
    worker, in_app = 1000 * plain["worker_cpu"] / requests, 1000 * plain["in_app_cpu"] / requests
    print(f"\n{database.name}: {endpoint.label}, served by the Procfile's gunicorn under wrk -c {CONNECTIONS} "
          f"for {seconds} s ({plain['rps']:.0f} requests/s), CPU ms per request:")
    print(f"  {'the workers, all of it':46} {worker:7.3f}")
    print(f"  {'  inside the Flask app':46} {in_app:7.3f}")
    print(f"  {'  around it (gunicorn, threads, sockets)':46} {worker - in_app:7.3f}")
    print(f"  {'in process (Flask test client, no server)':46} {in_process:7.3f}")
    files = sorted(str(path) for path in profiles.glob("*.prof"))
    if files:
        print(f"  around the app, by cProfile's shares of it ({profiled['requests']} requests profiled, "
              f"{profiled['rps']:.0f} requests/s):")
        print(served_breakdown(pstats.Stats(*files), worker - in_app))


def in_process_cpu(database: Database, instance: Path, endpoint: Endpoint, signed_in: dict,
                   writers: list[Writer], repeat: int = 200) -> float:
    """CPU ms per request of the endpoint through Flask's test client in this process (the app
    made as the server makes it), after 20 requests to warm it."""
    from app import create_app

    os.environ["INSTANCE_PATH"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False,
                      "SESSION_IDLE_SECONDS": 4 * 3600})
    client = app.test_client(use_cookies=False)
    # bench/request_profile.py's way of sending it (it imports this module: imported here).
    from bench.request_profile import requester

    send = requester(client, endpoint, signed_in.get(endpoint.who, {}), writers)
    for _ in range(20):
        send()
    before = time.process_time()
    for _ in range(repeat):
        send()
    return 1000 * (time.process_time() - before) / repeat


# Where a served request's time goes besides the app (file name end, function name): each part's
# cumulative time.
APP_CALL = ("flask/app.py", "__call__")
SERVING_PARTS = {
    "reading and parsing the request": [("gunicorn/http/parser.py", "__next__")],
    "the WSGI environ": [("gunicorn/http/wsgi.py", "create")],
    "sending the response": [("gunicorn/http/wsgi.py", "write"), ("gunicorn/http/wsgi.py", "close")],
    # gunicorn's logger, or the Procfile's (gunicorn.conf.py's `AccessLog`).
    "the access log": [("gunicorn/glogging.py", "access"), ("gunicorn.conf.py", "access")],
}
# Files of the server itself, to list where its own time goes.
SERVER_FILES = ("/gunicorn/", "/selectors.py", "/concurrent/", "/threading.py", "/socket.py", "/logging/",
                "/queue.py")
# The built-in calls the server makes (sockets, the poller, the pipe that wakes it).
SERVER_BUILTINS = ("socket", "epoll", "posix.read", "posix.write", "acquire", "_queue")


def served_breakdown(stats, around_ms: float) -> str:
    """The CPU time around the app (`around_ms` a request, measured without cProfile) shared out
    as cProfile counted it: each part of serving, the rest, and the server's costliest functions."""
    cumulative = {}
    working = 0.0
    wanted = [APP_CALL, *[key for keys in SERVING_PARTS.values() for key in keys]]
    for (filename, _line, function), (_calls, _primitive, own, total, _callers) in stats.stats.items():
        working += own
        key = next((key for key in wanted if filename.endswith(key[0]) and function == key[1]), None)
        if key:
            cumulative[key] = cumulative.get(key, 0.0) + total
    around = working - cumulative.get(APP_CALL, 0.0)
    if around <= 0:
        return "    nothing counted around the app"

    def share(seconds: float) -> str:
        return f"{around_ms * seconds / around:7.3f} {100 * seconds / around:4.0f}%"

    lines = []
    parts = 0.0
    for part, keys in SERVING_PARTS.items():
        seconds = sum(cumulative.get(key, 0.0) for key in keys)
        parts += seconds
        lines.append(f"    {part:44} {share(seconds)}")
    lines.append(f"    {'the rest (the poller, handing work to threads)':44} {share(around - parts)}")
    server_functions = sorted(((own, f"{'/'.join(Path(filename).parts[-2:])}:{line} {function}")
                               for (filename, line, function), (_c, _p, own, _t, _callers) in stats.stats.items()
                               if any(part in filename for part in SERVER_FILES) or filename == "~"
                               and any(word in function for word in SERVER_BUILTINS)), reverse=True)
    lines.append("    the server's costliest functions by their own time:")
    lines += [f"      {share(own)}  {name}" for own, name in server_functions[:12]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs of 1 s per endpoint instead of 5 of 2 s")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server to bench as well (a new database is made on it)")
    parser.add_argument("--only", help="only the endpoints whose label has one of these comma-separated parts")
    parser.add_argument("--shapes", nargs="?", const="all", metavar="LABELS",
                        help="compare the Procfile's server shape with others (threads, sync workers, ...); "
                             "optionally only those with these labels, split by semicolons")
    parser.add_argument("--rounds", type=int, help="runs of each endpoint (default 5; --shapes 3; --quick 2)")
    parser.add_argument("--profile-served", metavar="LABEL",
                        help="profile the served workers under load on the first endpoint whose label has this")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run scripts/install-system-deps (Debian package wrk).")
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))

    def measure(database: Database) -> None:
        pace = Pace(1, 2) if args.quick else Pace(2, 3 if args.shapes else 5)
        if args.rounds:
            pace.rounds = args.rounds
        if args.profile_served:
            profile_served(database, 2 if args.quick else 10, folder, args.profile_served)
        elif args.shapes:
            compare_shapes(database, pace, folder, args.only, args.shapes)
        else:
            run(database, pace, folder, args.only)

    try:
        measure(sqlite_database(folder))
        if args.database_url and args.database_url.startswith("postgres"):
            database = postgres_database(args.database_url)
            try:
                measure(database)
            finally:
                database.drop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
