"""What a signed-in patient's phone downloads to open /my-care: the first visit (an empty
browser) and a repeat visit (prints figures; no asserts).

    .venv/bin/python bench/page_weight.py            # demo data (David Hughes), three repeats
    .venv/bin/python bench/page_weight.py --quick    # one run

Measured in Debian's Chromium: the app runs on a local port with the demo data, and a counting
layer in front of it records every request that reaches the server and the bytes of each
response's body as sent (so what the browser's HTTP cache or the service worker answered never
counts, and what the service worker fetches does). Chromium asks for brotli only over HTTPS;
on this plain-HTTP port the layer asks for it on the browser's behalf, as a phone on the real
(HTTPS) site would, and Chromium decodes it.

The page itself (HTML) is sent uncompressed: it holds the CSRF token beside text the person
typed, and compressing those together over HTTPS leaks the token (BREACH).

Goal: first visit under 60 kB compressed; repeat visit only the HTML (assets are immutable
and kept by the service worker).
"""
from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# In place of bench/ itself, whose queue.py would hide the standard library's queue module.
sys.path[0] = str(ROOT)

from sqlalchemy import select  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User, UserSession  # noqa: E402
from app.sessions import _hash  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PATIENT = "David Hughes"  # the demo's self-managed patient: care plan, follow-up, results
GOAL_FIRST_VISIT = 60 * 1024


@dataclass
class Sent:
    path: str
    encoding: str
    body_bytes: int


@dataclass
class Recorder:
    """WSGI layer: asks for brotli like Chromium over HTTPS, and counts each body as sent."""
    app: object
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        environ["HTTP_ACCEPT_ENCODING"] = "gzip, deflate, br, zstd"
        path = environ.get("PATH_INFO", "")
        encoding = {"value": "identity"}

        def recording_start_response(status, headers, exc_info=None):
            for name, value in headers:
                if name.lower() == "content-encoding":
                    encoding["value"] = value
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording_start_response)
        total = 0
        try:
            for chunk in body:
                total += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):
                body.close()
            with self.lock:
                self.sent.append(Sent(path, encoding["value"], total))

    def take(self) -> list[Sent]:
        with self.lock:
            taken, self.sent = self.sent, []
        return taken


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def serve(app, recorder: Recorder):
    server = make_server("127.0.0.1", 0, recorder, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def session_cookie(app, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(UserSession(user_id=user_id, token_hash=_hash(token), method="bench"))
        db.session.commit()
    return app.session_interface.get_signing_serializer(app).dumps(
        {"sid": token, "_user_id": str(user_id), "_fresh": True, "_permanent": True})


def kb(n: int) -> str:
    return f"{n / 1024:6.1f} kB"


def print_visit(title: str, sent: list[Sent], verbose: bool = True) -> int:
    total = sum(s.body_bytes for s in sent)
    if not verbose:
        return total
    print(f"  {title}: {kb(total)} in {len(sent)} responses")
    for s in sorted(sent, key=lambda s: -s.body_bytes):
        print(f"      {kb(s.body_bytes)}  {s.encoding:8}  {s.path}")
    return total


def is_page_request(s: Sent) -> bool:
    # What the page loads; the service worker's own fetches (its script, its precache) are
    # counted apart: they happen in the background after the page is shown.
    return s.path != "/service-worker.js"


def measure(app, user_id: int, browser, path: str = "/my-care", verbose: bool = True) -> tuple[int, int, int, list[str]]:
    """First and repeat visit bytes of `path` (bench/lighthouse.py measures each patient page)."""
    recorder = Recorder(app)
    server, url = serve(app, recorder)
    try:
        context = browser.new_context(service_workers="allow", viewport={"width": 390, "height": 844},
                                      is_mobile=True, has_touch=True)
        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_cookie(app, user_id),
                              "url": url}])
        page = context.new_page()
        # First visit: nothing on the phone yet. The service worker installs once the page is
        # shown and downloads its precache in the background: counted apart.
        page.goto(url + path, wait_until="load")
        first = recorder.take()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        page.wait_for_timeout(500)
        background = recorder.take()
        # Repeat visit: the person comes back later and opens the page again.
        page.goto(url + path, wait_until="load")
        page.wait_for_timeout(500)
        repeat = recorder.take()
        problems = [s.path for s in first + repeat if s.path.startswith("/static/") and s.encoding == "identity"
                    and not s.path.endswith((".png", ".ico"))]
        context.close()
    finally:
        server.shutdown()
    first_page = [s for s in first if is_page_request(s)]
    print_visit("first visit (HTML and every asset the page loads)", first_page, verbose)
    print_visit("service worker in the background after the first visit (script and precache)",
                [s for s in first if not is_page_request(s)] + background, verbose)
    repeat_page = [s for s in repeat if is_page_request(s)]
    print_visit("repeat visit", repeat_page, verbose)
    print_visit("service worker's update check on the repeat visit", [s for s in repeat if not is_page_request(s)], verbose)
    first_total = sum(s.body_bytes for s in first_page)
    # The page may fetch its own small data (the person's 24-hour line); no asset may come.
    repeat_only_html = any(s.path == path for s in repeat_page) and not any(
        s.path.startswith("/static/") for s in repeat_page)
    return first_total, sum(s.body_bytes for s in repeat_page), repeat_only_html, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from app.demo import seed_demo

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "bench-secret-" + "x" * 32, "RATELIMIT_ENABLED": False, "DEMO_MODE": True,
        })
        with app.app_context():
            db.create_all()
            seed_demo("http://127.0.0.1")
            user_id = db.session.scalars(
                select(User.id).where(User.display_name == PATIENT)).one()
        runs = 1 if args.quick else 3
        results = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for run in range(runs):
                print(f"run {run + 1} of {runs}, a signed-in patient's /my-care:")
                results.append(measure(app, user_id, browser))
            browser.close()
    first, repeat, only_html, problems = results[-1]
    print()
    print(f"first visit:  {kb(first)} compressed   goal: under {kb(GOAL_FIRST_VISIT).strip()}"
          f"   {'met' if first < GOAL_FIRST_VISIT else 'NOT MET'}")
    print(f"repeat visit: {kb(repeat)}              goal: only the HTML (and the page's own data), no asset"
          f"   {'met' if only_html else 'NOT MET'}")
    if problems:
        print(f"sent uncompressed although compressible: {problems}")
    if len({r[0] for r in results}) > 1:
        print(f"(first visit varied between runs: {[kb(r[0]).strip() for r in results]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
