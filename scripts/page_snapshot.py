"""Save every page each demo person can reach, so that two snapshots can be compared with diff.

    .venv/bin/python scripts/page_snapshot.py /tmp/before          # SQLite, the whole demo
    ... change the code ...
    .venv/bin/python scripts/page_snapshot.py /tmp/after
    diff -r /tmp/before /tmp/after                                 # empty: no page changed
    .venv/bin/python scripts/page_snapshot.py OUTDIR --database-url postgresql+psycopg://...

The demo is seeded (app/demo.py's seed_demo, as `flask seed-demo` does) once per run into a
throwaway database (a SQLite file in a temporary folder; on PostgreSQL a new database on the
given server, dropped afterwards). Every demo person (each patient, nurse and admin of the demo
team) is signed in by a session row made directly in it, as the tests do, and with Flask's test
client fetches their start page and then every same-origin page reachable by GET links from it,
breadth first in the order the links appear (deterministic: the only things a GET writes here are
audit rows and 'seen' marks, and they come out the same in the same order); last, someone signed
out does the same (the sign-in and enrolment pages). Sign-out, static
assets and non-HTML responses are skipped. A few pages are also saved showing form errors, by
posting an empty form as the tests do (FORM_ERROR_PAGES). Each page's HTML goes to
OUTDIR/<person>/<path-as-filename>.html, with what differs between two runs of the same code
masked (MASKS: CSRF tokens, CSP nonces, clock times, asset hashes). Dates are kept: compare two
snapshots taken the same day.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the app's package is beside scripts/
    sys.path.insert(0, str(ROOT))

SECRET_KEY = "page-snapshot-secret-key-not-for-production"
ORIGIN = "http://localhost"
PAGES_PER_PERSON = 400
# Links that differ only in their query string (a list's pages, a chart's earlier weeks) could go
# on for ever: at most this many of one path, the first ones found.
QUERIES_PER_PATH = 8
SKIPPED_PATHS = ("/sign-out", "/static/", "/service-worker.js", "/manifest.webmanifest", "/favicon")

# Everything that differs between two runs on the same code, in one place: (pattern, replacement).
MASKS = [
    # Per-session secrets.
    (re.compile(r'(<meta name="csrf-token" content=")[^"]*'), r"\1CSRF"),
    (re.compile(r'(name="csrf_token"[^>]*?value=")[^"]*'), r"\1CSRF"),
    (re.compile(r'(value=")[^"]*("[^>]*?name="csrf_token")'), r"\1CSRF\2"),
    (re.compile(r'(data-csrf-token=")[^"]*'), r"\1CSRF"),
    (re.compile(r'nonce="[^"]*"'), 'nonce="NONCE"'),
    # Single-use form tokens (app/idempotency.py: token, form_token, test-add_token, ...).
    (re.compile(r'(name="(?!csrf_token")[\w-]*token"[^>]*?value=")[^"]*'), r"\1TOKEN"),
    # Per session: whose offline outbox a form writes to, and the seconds the session has left.
    (re.compile(r'(data-outbox-owner=")[^"]+'), r"\1OWNER"),
    (re.compile(r'(data-session-left=")[^"]*'), r"\1SECONDS"),
    # Development makes a throwaway Web Push key for each app (config.py, VAPID_PRIVATE_KEY).
    (re.compile(r'(data-application-server-key=")[^"]*'), r"\1VAPID"),
    # Times of day: the demo is seeded at run time, and a run may cross a minute. NHS.UK style
    # (app/timeutil.py: 9:30am, 9:30:05am, 5pm, midday, midnight), 24-hour and ISO forms.
    (re.compile(r"(\d{4}-\d\d-\d\d)[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"), r"\1TTIME"),
    (re.compile(r"\b(1[0-2]|0?[1-9])(:[0-5]\d){0,2}(am|pm)\b"), "TIME"),
    (re.compile(r"\bmid(day|night)\b"), "TIME"),
    (re.compile(r"\b([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?\b"), "TIME"),
    # Content-hashed asset names (scripts/build_assets.py): what a page is made of, not what it
    # says; another engineer's edit to a script would otherwise show on every page.
    (re.compile(r"\.[0-9a-f]{12}\.(css|js|png|svg|ico|mjs|json)\b"), r".HASH.\1"),
]

# Pages showing form errors: (person's display name, path) posted with an empty form and its
# CSRF token. Each must answer with its page again, showing the errors, never a redirect (which
# would mean something was saved).
FORM_ERROR_PAGES = [
    ("Sam Taylor", "/nurse/patients/new"),
    ("Jo Admin", "/admin/staff"),
    ("Jo Admin", "/admin/services/new"),
    ("David Hughes", "/my-care/symptoms/new"),
    ("David Hughes", "/my-care/ask-to-be-seen"),
    ("Margaret Okafor", "/hna/questions/distress"),
]
# Someone not signed in, crawled last from the same start page: sign-in, enrolment, help pages.
SIGNED_OUT = "Signed out"
# Written in every snapshot's folder: only a folder holding it is emptied for a new snapshot.
MARKER = ".page-snapshot"


def mask(html: str) -> str:
    for pattern, replacement in MASKS:
        html = pattern.sub(replacement, html)
    return html


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str, page_url: str) -> list[str]:
    """Same-origin paths (with their query) linked from a page, in order, fragments dropped."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(page_url, href))
        if url.scheme not in ("http", "https") or url.netloc != urlsplit(ORIGIN).netloc:
            continue
        if url.path.startswith(SKIPPED_PATHS):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def file_name(path: str) -> str:
    """'/nurse/patients/3?page=2' -> 'nurse__patients__3--page=2.html'; '/' -> 'index.html'."""
    url = urlsplit(path)
    name = "__".join(quote(part, safe="-_.") for part in url.path.strip("/").split("/") if part) or "index"
    if url.query:
        name += "--" + quote(url.query, safe="-_.=&")
    return name[:200] + ".html"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class Page:
    path: str
    status: int
    html: str
    method: str = "GET"


@dataclass
class Person:
    name: str
    user_id: int | None  # None: signed out
    pages: list[Page] = field(default_factory=list)


def crawl(client, start: str = "/", limit: int = PAGES_PER_PERSON) -> list[Page]:
    """Breadth first from `start`, following links in the order they appear; a redirect is saved
    as a line saying where it goes, and its target is crawled like a link."""
    queue, seen, per_path, pages = deque([start]), {start}, {}, []
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        content_type = response.headers.get("Content-Type", "")
        if 300 <= response.status_code < 400:
            location = urljoin(ORIGIN + path, response.headers.get("Location", ""))
            pages.append(Page(path, response.status_code, f"<!-- redirect to {location} -->\n"))
            targets = links_of(f'<a href="{location}"></a>', ORIGIN + path)
        elif content_type.startswith("text/html"):
            html = response.get_data(as_text=True)
            pages.append(Page(path, response.status_code, html))
            targets = links_of(html, ORIGIN + path)
        else:
            continue
        for target in targets:
            bare = target.split("?", 1)[0]
            if target in seen or (target != bare and per_path.get(bare, 0) >= QUERIES_PER_PATH):
                continue
            if target != bare:
                per_path[bare] = per_path.get(bare, 0) + 1
            seen.add(target)
            queue.append(target)
    return pages


_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def form_error_page(client, path: str) -> Page | None:
    html = client.get(path).get_data(as_text=True)
    token = _CSRF.search(html)
    if token is None:
        return None
    response = client.post(path, data={"csrf_token": token.group(1)})
    if response.status_code >= 300:
        raise SystemExit(f"{path}: an empty form answered {response.status_code}, not its errors")
    return Page(f"{path}?form-errors", response.status_code, response.get_data(as_text=True), "POST")


def make_app(database_url: str, instance: Path):
    from app import create_app

    # The instance folder (the task queue's files) comes from the environment, only at creation.
    before = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(instance)
    try:
        return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY,
                           "RATELIMIT_ENABLED": False, "DEMO_MODE": True, "HUEY_IMMEDIATE": True,
                           "SERVER_NAME": None})
    finally:
        if before is None:
            del os.environ["INSTANCE_PATH"]
        else:
            os.environ["INSTANCE_PATH"] = before


def seeded_people(app) -> list[Person]:
    from app.demo import demo_people, seed_demo
    from app.extensions import db

    with app.app_context():
        db.create_all()
        seed_demo(ORIGIN)
        people = [Person(user.display_name, user.id) for user in demo_people()]
        db.session.remove()
    return people


def snapshot(outdir: Path, database_url: str, instance: Path, only: list[str] | None = None,
             limit: int = PAGES_PER_PERSON) -> list[Person]:
    """Seed, crawl as each person (those named in `only`, if given), write the pages."""
    from app.extensions import db
    from tests.helpers import sign_in_as  # a live server-side session, as a real sign-in makes

    app = make_app(database_url, instance)
    everyone = [*seeded_people(app), Person(SIGNED_OUT, None)]
    unknown = sorted(set(only or ()) - {person.name for person in everyone})
    if unknown:
        raise SystemExit(f"no demo person named {', '.join(unknown)}; the demo has: "
                         + ", ".join(person.name for person in everyone))
    people = [person for person in everyone if not only or person.name in only]
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / MARKER).write_text("")
    clients = []
    # Every session row first, in the same order each run, so their ids are the same.
    for person in people:
        client = app.test_client()
        if person.user_id is not None:
            sign_in_as(client, person.user_id, method="snapshot")
        clients.append(client)
    for person, client in zip(people, clients, strict=True):
        person.pages = crawl(client, "/", limit)
        for name, path in FORM_ERROR_PAGES:
            if name == person.name:
                page = form_error_page(client, path)
                if page:
                    person.pages.append(page)
        folder = outdir / slug(person.name)
        folder.mkdir(parents=True, exist_ok=True)
        for page in person.pages:
            (folder / file_name(page.path)).write_text(
                f"<!-- {page.method} {page.path} {page.status} -->\n" + mask(page.html), encoding="utf-8")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="where to write the pages: a new folder, or an earlier snapshot's "
                                                  "(emptied first)")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead of SQLite (a new database)")
    parser.add_argument("--person", action="append", help="only this demo person (repeatable)")
    parser.add_argument("--limit", type=int, default=PAGES_PER_PERSON, help="most pages per person")
    args = parser.parse_args()
    if args.outdir.exists() and any(args.outdir.iterdir()):
        if not (args.outdir / MARKER).exists():
            parser.error(f"{args.outdir} is not empty and not an earlier snapshot: choose another folder")
        shutil.rmtree(args.outdir)
    args.outdir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="page-snapshot-"))
    started = time.perf_counter()
    drop = None
    try:
        if args.database_url and args.database_url.startswith("postgres"):
            from bench.pages import postgres_database

            database = postgres_database(args.database_url, f"page_snapshot_{os.getpid()}")
            url, drop = database.url, database.drop
        else:
            url = f"sqlite:///{folder / 'snapshot.sqlite'}"
        people = snapshot(args.outdir, url, folder / "instance", args.person, args.limit)
    finally:
        if drop:
            drop()
        shutil.rmtree(folder, ignore_errors=True)
    for person in people:
        errors = [page.path for page in person.pages if page.status >= 500]
        print(f"{person.name:24} {len(person.pages):4} pages" + (f"  SERVER ERRORS: {errors}" if errors else ""))
    total = sum(len(person.pages) for person in people)
    print(f"{'total':24} {total:4} pages in {time.perf_counter() - started:.1f} s, in {args.outdir}")


if __name__ == "__main__":
    main()
