"""Lighthouse on a signed-in patient's pages at mobile settings (prints figures; no asserts).

    .venv/bin/python bench/lighthouse.py            # each page twice, the better run kept
    .venv/bin/python bench/lighthouse.py --quick    # each page once

Needs npm's `lighthouse` (pinned in package.json; `npm ci` installs it) and Debian's Chromium.
The demo runs on a local port (as bench/page_weight.py serves it: brotli asked for on the
browser's behalf, as a phone on the real HTTPS site gets it) and Lighthouse loads each page as
David Hughes, the demo's self-managed patient, his session cookie passed with --extra-headers.
As production serves them: the templates compiled before serving (gunicorn.conf.py's
`ready_to_fork`) and each page requested once before Lighthouse loads it, so no load pays for
a cold start that a person never meets (home, loaded first, took 220 ms instead of 10-60 ms).
Lighthouse's default mobile settings: a mid-range phone's screen, 4x CPU slowdown and a
simulated slow 4G link. Prints the performance, accessibility and best-practices scores
(goal: 100 each), LCP, TBT, CLS, and the compressed bytes of a first and a repeat visit
(bench/page_weight.py's measure, in Chromium with the service worker), the bytes of the page as
sent (over 14,600 with its headers it takes a second round trip), then every audit that kept a
score under 100.
"""
from __future__ import annotations

import argparse
import json
import os
import runpy
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would stand in for the standard library's queue.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

from sqlalchemy import select  # noqa: E402

from bench.page_weight import CHROMIUM, CHROMIUM_ARGS, PATIENT, Recorder, kb, measure, serve, session_cookie  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PAGES = [("home", "/my-care"), ("needs assessment", "/hna"), ("care plan", "/my-care/plan"),
         ("follow-up", "/my-care/follow-up")]
CATEGORIES = ("performance", "accessibility", "best-practices")
TIMEOUT_SECONDS = 180
# What a new connection delivers in its first round trip (TCP's initial window, 10 segments of
# 1,460 bytes, as Lighthouse's simulation and phones' servers have it).
FIRST_ROUND_TRIP = 14_600


def as_production_serves(app) -> None:
    """Compile every template as production does before forking its workers (gunicorn.conf.py's
    `ready_to_fork`, the one function that does it), so no page Lighthouse loads pays for that."""
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["ready_to_fork"](app)


def warm(url: str, paths: list[str], cookie_header: str) -> str:
    """Request each page once before Lighthouse loads it, and give back the session cookie as the
    first page left it. A person's phone has opened a page since signing in: its session holds
    the CSRF token that page made, so no later page sends a Set-Cookie; the bench's made-up
    session has none until its first page, and Lighthouse would be timing that first page's
    extra header on every load (every load sends the cookie made up here)."""
    for path in paths:
        request = urllib.request.Request(url + path, headers={"Cookie": cookie_header})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
            if not response.url.endswith(path):
                raise SystemExit(f"{path} ended at {response.url}: not signed in?")
            for set_cookie in response.headers.get_all("Set-Cookie") or []:
                name_value = set_cookie.split(";", 1)[0]
                if name_value.split("=", 1)[0] == cookie_header.split("=", 1)[0]:
                    cookie_header = name_value
    return cookie_header


def lighthouse(url: str, cookie_header: str, attempts: int = 3) -> dict:
    """Lighthouse's report (JSON) for one page load. A run that fails (Chromium slow to start on
    a busy machine, a protocol timeout) is tried again; the last failure says what Lighthouse said."""
    for attempt in range(1, attempts + 1):
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.json"
            result = subprocess.run(
                [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
                 f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
                 f"--extra-headers={json.dumps({'Cookie': cookie_header})}",
                 "--chrome-flags=--headless --no-sandbox --disable-gpu"],
                timeout=TIMEOUT_SECONDS, env={**os.environ, "CHROME_PATH": CHROMIUM},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if result.returncode == 0 and report.is_file():
                return json.loads(report.read_text())
        print(f"Lighthouse run {attempt} of {attempts} on {url} failed (exit {result.returncode}): "
              f"{result.stderr.strip()[-1500:]}", file=sys.stderr)
    raise SystemExit(f"Lighthouse failed {attempts} times on {url}")


def summary(report: dict) -> dict:
    audits = report["audits"]
    return {
        **{name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES},
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "final_url": report["finalDisplayedUrl"],
        # The page as sent, headers and all: over a phone's first round trip (FIRST_ROUND_TRIP) it
        # takes another one (150 ms on the slow 4G link) before anything can be drawn.
        "document_bytes": next(item["transferSize"] for item in audits["network-requests"]["details"]["items"]
                               if item["resourceType"] == "Document"),
    }


def shortfalls(report: dict) -> list[str]:
    """The audits that cost points in any of the categories, worst first."""
    found = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                found.append(f"{name}: {ref['id']} {audit['score']:.2f} {audit.get('displayValue', '')}".rstrip())
        # Opportunities and diagnostics carry no weight but say what to do about the metrics.
        if name == "performance":
            for ref in report["categories"][name]["auditRefs"]:
                audit = report["audits"][ref["id"]]
                details = audit.get("details") or {}
                if not ref["weight"] and details.get("type") == "opportunity" and (details.get("overallSavingsMs") or 0) > 0:
                    found.append(f"{name} (opportunity): {ref['id']} {audit.get('displayValue', '')}".rstrip())
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each page once")
    parser.add_argument("--pages", help="only these paths, comma-separated (e.g. /my-care,/hna)")
    parser.add_argument("--keep-reports", type=Path, help="a folder to write each page's full JSON report into")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print(f"{LIGHTHOUSE} is missing: run `npm ci`", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from app import create_app
    from app.demo import seed_demo
    from app.extensions import db
    from app.models import User

    runs = 1 if args.quick else 2
    rows, notes = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["INSTANCE_PATH"] = str(Path(tmp) / "instance")
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                          "SECRET_KEY": "bench-secret-" + "x" * 32, "RATELIMIT_ENABLED": False, "DEMO_MODE": True})
        with app.app_context():
            db.create_all()
            seed_demo("http://127.0.0.1")
            user_id = db.session.scalars(select(User.id).where(User.display_name == PATIENT)).one()
        as_production_serves(app)
        cookie = f"{app.config['SESSION_COOKIE_NAME']}={session_cookie(app, user_id)}"
        pages = [(label, path) for label, path in PAGES if not args.pages or path in args.pages.split(",")]
        server, url = serve(app, Recorder(app))
        try:
            cookie = warm(url, [path for _, path in pages], cookie)
            for label, path in pages:
                reports = [lighthouse(url + path, cookie) for _ in range(runs)]
                best = max(reports, key=lambda r: r["categories"]["performance"]["score"])
                figures = summary(best)
                if not figures["final_url"].endswith(path):
                    raise SystemExit(f"{path} ended at {figures['final_url']}: not signed in?")
                rows.append((label, path, figures))
                notes[path] = shortfalls(best)
                if args.keep_reports:
                    args.keep_reports.mkdir(parents=True, exist_ok=True)
                    (args.keep_reports / f"{path.strip('/').replace('/', '-')}.json").write_text(json.dumps(best))
        finally:
            server.shutdown()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            weights = {path: measure(app, user_id, browser, path, verbose=False)[:2] for _, path, _ in rows}
            browser.close()

    print(f"Lighthouse 12.2.3, mobile (4x CPU, simulated slow 4G); {'best of ' + str(runs) if runs > 1 else 'one run'} per page")
    print(f"{'page':18} {'perf':>4} {'a11y':>4} {'b-p':>4} {'LCP s':>6} {'TBT ms':>6} {'CLS':>6} {'first visit':>12} {'repeat':>10}"
          f" {'HTML sent':>10}")
    for label, path, f in rows:
        first, repeat = weights[path]
        over = " (over one round trip)" if f["document_bytes"] > FIRST_ROUND_TRIP else ""
        print(f"{label:18} {f['performance']:4} {f['accessibility']:4} {f['best-practices']:4} {f['lcp'] / 1000:6.2f} "
              f"{f['tbt']:6.0f} {f['cls']:6.3f} {kb(first):>12} {kb(repeat):>10} {f['document_bytes']:8,} B{over}")
    print(f"HTML sent: the page with its headers, uncompressed (bench/page_weight.py says why); over "
          f"{FIRST_ROUND_TRIP:,} B it takes a second round trip")
    for label, path, _ in rows:
        if notes[path]:
            print(f"\n{label} ({path}): what cost points")
            for line in notes[path]:
                print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
