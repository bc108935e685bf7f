"""Browser tests: the real app on a local port, driven in headless Chromium.

- `live_server`: the test's `app` (same database, emptied per test) served by Werkzeug in a thread.
- `browser`: one Debian Chromium for the whole run, launched through Playwright's Python API
  (never `playwright install`).
- `open_page("phone" | "desktop")`: a fresh context and page that fails the test on any console
  error, uncaught exception, CSP violation or server error, with `axe()` and a virtual
  authenticator helper.
"""
from __future__ import annotations

import base64
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app.extensions import db
from app.models import UserSession
from app.sessions import _hash
from app.timeutil import london_today

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# Playwright's default of 30 s hides hangs; every step here takes well under a second.
TIMEOUT_MS = 10_000
# What Chromium logs while a test has taken the signal away (tab.allow_console(OFFLINE_NOISE)).
OFFLINE_NOISE = r"ERR_INTERNET_DISCONNECTED|Failed to fetch|ERR_FAILED|net::ERR"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


# ---------------------------------------------------------------- the server


@dataclass
class LiveServer:
    app: object
    url: str

    def configure(self, **settings) -> None:
        """Change settings that are read per request (e.g. session timeouts)."""
        self.app.config.update(settings)


# Where `closing_every_response` leaves the response it was given, for the handler to close.
_RESPONSE = "tests.e2e.response"


class QuietRequestHandler(WSGIRequestHandler):
    """No line per request in the test output; errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass

    def connection_dropped(self, error, environ=None):
        # werkzeug closes the app's response only after draining what the client sent; when the
        # browser has reset the connection (a cancelled fetch) that drain raises first, and the
        # response (WhiteNoise's open file) was left to the garbage collector, whose
        # ResourceWarning pytest made the next test's error (tests/e2e/test_live_server.py).
        response = (environ or {}).pop(_RESPONSE, None)
        if response is not None:
            response.close()
        super().connection_dropped(error, environ)


class _ClosedOnce:
    """The app's response, closed once whoever asks first: werkzeug when it gets that far, or
    the handler when the connection dropped."""

    def __init__(self, response):
        self._response = response
        self._closed = False

    def __iter__(self):
        return iter(self._response)

    def close(self):
        if not self._closed:
            self._closed = True
            close = getattr(self._response, "close", None)
            if close is not None:
                close()


def closing_every_response(app):
    """The app served so that the handler can close each response itself (`_RESPONSE`)."""

    def serving(environ, start_response):
        response = environ[_RESPONSE] = _ClosedOnce(app(environ, start_response))
        return response

    return serving


@pytest.fixture
def live_server(app):
    server = make_server("localhost", 0, closing_every_response(app), threaded=True,
                         request_handler=QuietRequestHandler)
    url = f"http://localhost:{server.server_port}"
    # The passkey origin is the exact origin the browser sees.
    app.config["WEBAUTHN_ORIGINS"] = [url]
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install it with `apt-get install chromium` "
            "(scripts/test does this), or set CHROMIUM_PATH. Never run `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - say clearly why every browser test fails
        playwright.stop()
        pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


_AXE_SOURCE: str | None = None


def axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        if not AXE_PATH.is_file():
            pytest.fail(f"axe-core is missing at {AXE_PATH}: run `npm ci`.", pytrace=False)
        _AXE_SOURCE = AXE_PATH.read_text(encoding="utf-8")
    return _AXE_SOURCE


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


@dataclass
class Tab:
    """A page in its own browser context, watching for anything that went wrong."""

    page: object
    context: object
    base_url: str
    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)
    cdp: object = None
    authenticator_id: str | None = None

    def __post_init__(self):
        page = self.page
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught exception: {exc}"))
        page.on("response", self._on_response)
        # axe-core goes into every page before the page's own scripts: scripts added this way
        # are not subject to the page's CSP, and it is much cheaper than evaluate() per check.
        self.context.add_init_script(axe_source())
        # CSP violations are reported on the console too, but this names the directive.
        self.context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +"
            " ' at ' + e.sourceFile + ':' + e.lineNumber))"
        )

    def _on_console(self, message) -> None:
        if message.type not in ("error", "assert"):
            return
        text = message.text
        if any(p.search(text) for p in self.allowed):
            return
        self.problems.append(f"console {message.type} on {self.page.url}: {text}")

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"server error {response.status} for {response.url}")

    def allow_console(self, pattern: str) -> None:
        """Let an expected console error through, e.g. the 404 of a page that is meant to 404."""
        self.allowed.append(re.compile(pattern))

    def goto(self, path: str, **kwargs):
        url = path if path.startswith("http") else self.base_url + path
        response = self.page.goto(url, **kwargs)
        self.assert_clean()
        return response

    def assert_clean(self) -> None:
        problems, self.problems[:] = list(self.problems), []
        assert not problems, "The browser reported problems:\n" + "\n".join(problems)

    def axe(self, label: str = "") -> None:
        """Check the page as it is now against WCAG 2.2 AA with axe-core."""
        page = self.page
        # After a click that navigates, the new page may still be loading its stylesheets.
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # e.g. a page made with set_content(); evaluate() is not subject to the CSP either.
            page.evaluate("() => {\n" + axe_source() + "\n}")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS,
        )
        violations = result["violations"]
        where = f"{label or page.url}"
        assert not violations, f"axe found accessibility problems on {where}:\n" + format_violations(violations)
        self.assert_clean()

    # -------------------------------------------------------- WebAuthn virtual authenticator

    def add_authenticator(self) -> str:
        """A platform passkey authenticator (like a phone's) that always says yes."""
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        result = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.authenticator_id = result["authenticatorId"]
        return self.authenticator_id

    def passkey_ready(self) -> None:
        """Wait until the page's passkey button works: its script is imported after the page has
        loaded (static/js/app.js), so a click straight after goto() could come before it."""
        wait_until(self.page, "() => [...document.querySelectorAll('[data-module=\"passkey-ceremony\"]')]"
                   ".every(root => root.dataset.ready === 'true')", bool, what="for the passkey button to work")

    def authenticator_credentials(self) -> list[dict]:
        assert self.cdp is not None, "add_authenticator() first"
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})[
            "credentials"
        ]


def wait_until(page, script: str, until, *, arg=None, timeout: float = 10.0, what: str = ""):
    """Evaluates `script` in the page until `until(value)` holds, and returns that value.

    The one way these tests wait on the page. Polled from Python because page.wait_for_function
    takes a returned promise as true at once: an async predicate there (reading IndexedDB, the
    caches, the service worker registration) passes without checking anything.
    tests/test_e2e_waits.py keeps async predicates out of wait_for_function."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if until(value):
            return value
        assert time.monotonic() < deadline, f"waited {timeout} s {what or 'for ' + script}; last value: {value!r}"
        time.sleep(0.1)


def credential_id_bytes(cdp_credential: dict) -> bytes:
    """CDP gives the credential id in base64; the database keeps the raw bytes."""
    return base64.b64decode(cdp_credential["credentialId"])


@pytest.fixture
def open_page(request, browser, live_server):
    """open_page("phone") for patients, open_page("desktop") for staff; each is a new browser.

    Pass service_worker=True to let the page register the service worker, and any other
    Playwright context option (e.g. java_script_enabled=False) by name."""
    tabs: list[Tab] = []

    def _open(kind: str = "phone", service_worker: bool = False, **context_options) -> Tab:
        options = PHONE if kind == "phone" else DESKTOP
        context = browser.new_context(
            **options, locale="en-GB", timezone_id="Europe/London", base_url=live_server.url,
            # The service worker makes every page load slower in a fresh profile; the
            # journey tests keep it, to show it does no harm.
            service_workers="allow" if service_worker else "block",
            **context_options,
        )
        tab = Tab(page=context.new_page(), context=context, base_url=live_server.url)
        tabs.append(tab)
        return tab

    yield _open
    failed = getattr(request.node, "e2e_failed", False)
    problems = []
    for number, tab in enumerate(tabs, start=1):
        if failed:
            path = f"/tmp/e2e-failed-{request.node.name}-{number}.png"
            try:
                tab.page.screenshot(path=path, full_page=True)
                print(f"Screenshot of {tab.page.url} when the test failed: {path}")
            except Exception as exc:  # noqa: BLE001 - the test's own failure matters more
                print(f"No screenshot of {tab.page.url}: {exc}")
        problems.extend(tab.problems)
        tab.context.close()
    if failed:
        print("The browser also reported:\n" + "\n".join(problems) if problems else "")
    else:
        assert not problems, "The browser reported problems:\n" + "\n".join(problems)


def sign_in_browser(tab: Tab, live_server: LiveServer, user_id: int) -> None:
    """Give a browser a live server-side session, as a real sign-in would (no ceremony)."""
    app = live_server.app
    token = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(UserSession(user_id=user_id, token_hash=_hash(token), method="test"))
        db.session.commit()
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"sid": token, "_user_id": str(user_id), "_fresh": True, "_permanent": True}
    )
    tab.context.add_cookies(
        [{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}]
    )


def send_a_severe_high_temperature_started_today(page) -> None:
    """On the new-symptom page: a severe high temperature, new or worse, started today (an
    emergency on every pathway), then Send. The date is read when the test runs."""
    page.get_by_label("A high temperature", exact=False).check()
    page.locator("input[name=severity][value=severe]").check()
    today = london_today()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.locator("input[name=new_or_worse][value=yes]").check()
    page.get_by_role("button", name="Send").click()
