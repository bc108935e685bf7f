"""Two app processes, as two gunicorn servers on loopback with the same database and the same
Redis, act as one service (issue 12): a sign-in made on one is valid on the other, sign-in
delays count wrong passwords made on either, and so do the rate limits."""
from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from app.models import User
from tests.auth import give_nhs_number, update_row
from tests.servers import free_port, stop_process_group

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# Each server is gone by then whatever happens (`timeout` kills it).
HARD_TIMEOUT_SECONDS = 120
PASSWORD = "kettle purple garden"
ANN = "9994242423"
NOBODY = "9434765919"  # valid check digit, belongs to nobody here
FREE_WRONG_PASSWORDS = 5  # SIGN_IN_THROTTLE_ACCOUNT's free attempts (config.py)
SIGN_IN_LIMIT = 8  # per minute, per address: set below for both servers
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Server:
    """`gunicorn -w 1 wsgi:app` on 127.0.0.1: one app process."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                ["timeout", str(HARD_TIMEOUT_SECONDS), str(VENV_BIN / "gunicorn"), "-w", "1", "-b",
                 f"127.0.0.1:{self.port}", "--timeout", "30", "--log-level", "warning", "wsgi:app"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=5).read()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        stop_process_group(self.process)
        raise AssertionError(f"gunicorn did not start: {self.log.read_text()}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies kept across both servers (a cookie is not tied to a port), redirects not followed."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirects())

    def request(self, url: str, form: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, server: Server, nhs_number: str, password: str) -> tuple[int, str]:
        status, page = self.request(server.url + "/sign-in/password")
        assert status == 200, page
        token = CSRF.search(page).group(1)
        return self.request(server.url + "/sign-in/password",
                            {"csrf_token": token, "nhs_number": nhs_number, "password": password})


@pytest.fixture
def servers(app, database_url, redis_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "APP_ENV": "development",
           "SECRET_KEY": "two-processes-test-secret-key-0123456789", "RATELIMIT_ENABLED": "1",
           "RATE_LIMIT_SIGN_IN": f"{SIGN_IN_LIMIT} per minute", "DEMO_MODE": "0"}
    started = []
    try:
        for name in ("one", "two"):
            started.append(Server({**env, "INSTANCE_PATH": str(tmp_path / name)}, tmp_path / f"{name}.log"))
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            stop_process_group(server.process)


@pytest.mark.servers
def test_two_processes_share_sessions_sign_in_delays_and_rate_limits(app, actors, servers):
    one, two = servers
    update_row(app, User, actors.patient_a, password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    give_nhs_number(app, actors.profile_a, ANN)
    ann = Browser()

    # Signed in on one, she is signed in on two (the session is a database row).
    assert ann.sign_in(one, ANN, PASSWORD)[0] == 303
    assert ann.request(two.url + "/account/passkeys")[0] == 200
    assert Browser().request(two.url + "/account/passkeys")[0] != 200, "a browser never signed in is not"

    # Wrong passwords typed on either count together (the delays are database rows).
    guesser = Browser()
    for attempt in range(FREE_WRONG_PASSWORDS):
        status, page = guesser.sign_in((one, two)[attempt % 2], ANN, "not the password")
        assert status == 200, page
    status, page = guesser.sign_in(two, ANN, "not the password")
    assert status == 429 and "Wait before you try again" in page

    # The rate limit counts posts made to either (Redis): 1 + 5 + 1 so far, all from 127.0.0.1.
    posts = 1 + FREE_WRONG_PASSWORDS + 1
    while posts < SIGN_IN_LIMIT:
        status, page = guesser.sign_in((one, two)[posts % 2], NOBODY, "not the password")
        assert status == 200, page
        posts += 1
    status, page = guesser.sign_in(one, NOBODY, "not the password")
    assert status == 429 and "Too many attempts" in page
    status, page = guesser.sign_in(two, NOBODY, "not the password")
    assert status == 429 and "Too many attempts" in page
