"""Wrong passwords slow the next try down, per NHS number, per address and across the service,
and wear off on their own: nobody can lock a patient out by guessing at their NHS number."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.auth import throttle
from app.auth.throttle import Policy
from app.models import User
from tests.auth import ANN_DOB, confirm_date_of_birth, give_nhs_number, invite, is_signed_in, update_row

PASSWORD = "kettle purple garden"
ANN = "9994242423"
BEN = "9994343432"  # Ben has a passkey and no password
NOBODY = "9434765919"  # valid check digit, belongs to nobody here
WAIT = "Wait before you try again"
START = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
FAST = {"free_attempts": 2, "forgive_seconds": 600, "first_delay_seconds": 60, "longest_delay_seconds": 240}
GENEROUS = {"free_attempts": 1000, "forgive_seconds": 1, "first_delay_seconds": 1, "longest_delay_seconds": 1}


@pytest.fixture
def app_config(app_config) -> dict:
    # Small numbers so that a test needs few requests; each test may narrow one bucket.
    return {**app_config, "SIGN_IN_THROTTLE_ACCOUNT": FAST, "SIGN_IN_THROTTLE_ADDRESS": GENEROUS,
            "SIGN_IN_THROTTLE_SERVICE": GENEROUS}


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved on by hand."""
    class Clock:
        now = START

        def pass_(self, **delta) -> None:
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(throttle, "utcnow", lambda: clock.now)
    return clock


@pytest.fixture
def people(app, actors):
    update_row(app, User, actors.patient_a, password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    give_nhs_number(app, actors.profile_a, ANN)
    give_nhs_number(app, actors.profile_b, BEN)
    return actors


def sign_in(browser, nhs_number: str, password: str):
    return browser.post_form("/sign-in/password", {"nhs_number": nhs_number, "password": password})


def from_address(browser, address: str):
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


# ---------------------------------------------------------------- the rule, as tables


@pytest.mark.parametrize("attempts, seconds", [
    (0, 0), (1, 0), (2, 0),  # free
    (3, 60), (4, 120), (5, 240),  # doubling
    (6, 240), (50, 240), (10**6, 240),  # never longer than the longest delay
])
def test_each_wrong_attempt_past_the_free_ones_doubles_the_wait_up_to_a_ceiling(attempts, seconds):
    assert Policy(**FAST).delay(attempts) == timedelta(seconds=seconds)


@pytest.mark.parametrize("attempts, idle_seconds, left", [
    (5, 0, 5), (5, 599, 5), (5, 600, 4), (5, 1800, 2), (5, 3000, 0), (5, 10**7, 0), (0, 600, 0),
    (3, -5, 3),  # a clock that stepped back forgives nothing and counts nothing twice
])
def test_wrong_attempts_are_forgotten_one_at_a_time_as_time_passes(attempts, idle_seconds, left):
    assert Policy(**FAST).attempts_left_after(attempts, timedelta(seconds=idle_seconds)) == left


@pytest.mark.parametrize("known_browser, kinds", [
    (False, ["account", "address", "service"]),
    (True, ["account"]),
])
def test_which_counts_an_attempt_goes_into(app, known_browser, kinds):
    with app.test_request_context():
        buckets = throttle.buckets_for(ANN, "198.51.100.7", known_browser)
        strangers = throttle.buckets_for(ANN, "198.51.100.7", False)
    assert [b.kind for b in buckets] == kinds
    # A known browser's own account count is not the one strangers fill.
    assert (buckets[0] == strangers[0]) is (not known_browser)
    assert not any(ANN in b.key or "198.51.100.7" in b.key for b in buckets), "keys must not hold personal data"


# ---------------------------------------------------------------- what a person sees


@pytest.mark.hazard("HAZ-007")
def test_wrong_passwords_past_the_free_ones_ask_the_person_to_wait_with_a_429(app, client, people, clock):
    for _ in range(2):
        assert sign_in(client, ANN, "not the password").status_code == 200

    response = sign_in(client, ANN, "not the password")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    html = response.get_data(as_text=True)
    assert WAIT in html and "wait 1 minute, then try again" in html
    assert "ask your care team for a new invitation" in html
    assert f'value="{ANN}"' in html, "the NHS number typed is kept"
    # While waiting even the right password is not checked.
    assert sign_in(client, ANN, PASSWORD).status_code == 429
    assert not is_signed_in(client)


@pytest.mark.hazard("HAZ-007")
def test_the_wait_wears_off_on_its_own_and_the_right_password_then_works(app, client, people, clock):
    for _ in range(3):
        sign_in(client, ANN, "not the password")
    clock.pass_(seconds=59)
    assert sign_in(client, ANN, PASSWORD).status_code == 429

    clock.pass_(seconds=1)
    response = sign_in(client, ANN, PASSWORD)

    assert response.status_code == 303
    assert is_signed_in(client)


def test_a_right_password_forgets_the_wrong_ones_before_it(app, client, people, clock, new_client):
    for _ in range(2):
        sign_in(client, ANN, "not the password")
    assert sign_in(client, ANN, PASSWORD).status_code == 303

    stranger = new_client()
    for _ in range(2):
        assert sign_in(stranger, ANN, "not the password").status_code == 200


@pytest.mark.hazard("HAZ-007")
def test_a_delayed_real_account_reads_the_same_as_an_unknown_number_or_one_without_a_password(
        app, people, clock, new_client):
    answers = {}
    for name, number, password in [("real", ANN, "not the password"), ("unknown", NOBODY, "whatever it is"),
                                   ("no password", BEN, PASSWORD)]:
        browser = new_client()
        statuses = [sign_in(browser, number, password).status_code for _ in range(4)]
        answers[name] = (statuses, sign_in(browser, number, password))

    assert {name: statuses for name, (statuses, _) in answers.items()} == {
        name: [200, 200, 429, 429] for name in answers}
    pages = {name: _without_typed(response) for name, (_, response) in answers.items()}
    assert pages["real"] == pages["unknown"] == pages["no password"]
    assert {response.headers["Retry-After"] for _, response in answers.values()} == {"60"}


def _without_typed(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r'(csrf_token" value=|csrf-token" content=|nonce=)"[^"]*"', r'\1""', html)
    for number in (ANN, BEN, NOBODY):
        html = html.replace(number, "TYPED")
    return html


# ---------------------------------------------------------------- a stranger cannot lock the person out


def signed_in_before(app, new_client):
    """Ann's own browser: she signed in with her password once, then signed out."""
    browser = from_address(new_client(), "192.0.2.10")
    assert sign_in(browser, ANN, PASSWORD).status_code == 303
    browser.post_form("/sign-out")
    return browser


@pytest.mark.hazard("HAZ-007")
def test_a_stranger_guessing_at_her_nhs_number_does_not_delay_her_own_browser(app, people, clock, new_client):
    ann = signed_in_before(app, new_client)
    stranger = from_address(new_client(), "203.0.113.66")
    for _ in range(10):
        sign_in(stranger, ANN, "a guess")
    assert sign_in(new_client(), ANN, PASSWORD).status_code == 429, "other browsers are delayed"

    assert sign_in(ann, ANN, PASSWORD).status_code == 303
    assert is_signed_in(ann)


@pytest.mark.hazard("HAZ-007")
@pytest.mark.parametrize("bucket", ["SIGN_IN_THROTTLE_ADDRESS", "SIGN_IN_THROTTLE_SERVICE"])
def test_guessing_from_her_address_or_across_the_service_does_not_delay_her_own_browser(
        app, people, clock, new_client, bucket):
    ann = signed_in_before(app, new_client)
    app.config[bucket] = FAST
    stranger = from_address(new_client(), "192.0.2.10")  # the same address (a shared network)
    for number in ("9434765919", "4010232137", "9876543210"):
        sign_in(stranger, number, "a guess")
    assert sign_in(from_address(new_client(), "192.0.2.10"), ANN, PASSWORD).status_code == 429

    assert sign_in(ann, ANN, PASSWORD).status_code == 303


def test_her_own_browser_is_still_slowed_if_it_guesses(app, people, clock, new_client):
    ann = signed_in_before(app, new_client)
    statuses = [sign_in(ann, ANN, "not the password").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_forged_known_browser_cookie_counts_for_nothing(app, people, clock, new_client):
    browser = new_client()
    browser.set_cookie(app.config["KNOWN_BROWSER_COOKIE_NAME"], "WyJhYmMiXQ.forged")
    for _ in range(2):
        sign_in(new_client(), ANN, "a guess")
    assert sign_in(browser, ANN, "a guess").status_code == 429


# ---------------------------------------------------------------- getting back in


@pytest.mark.hazard("HAZ-007")
def test_a_new_invitation_lets_a_delayed_patient_set_a_new_password_and_sign_in(app, people, clock, new_client):
    for _ in range(3):
        sign_in(new_client(), ANN, "not the password")

    browser = new_client()
    browser.get(invite(app, people.patient_a).link)
    confirm_date_of_birth(browser, ANN_DOB)
    browser.post_form("/enrol/password", {"password": "a brand new password", "confirm": "a brand new password"})
    browser.post_form("/sign-out")

    assert sign_in(new_client(), ANN, "a brand new password").status_code == 303


@pytest.mark.parametrize("option", [["--nhs-number", "999 424 2423"], ["--all"]])
def test_the_command_line_clears_the_counts(app, people, clock, new_client, runner, option):
    for _ in range(3):
        sign_in(new_client(), ANN, "not the password")

    result = runner.invoke(args=["sign-in-delays", "clear", *option])

    assert result.exit_code == 0, result.output
    assert "Cleared" in result.output
    assert sign_in(new_client(), ANN, PASSWORD).status_code == 303


def test_the_command_line_clears_an_address(app, people, clock, new_client, runner):
    app.config["SIGN_IN_THROTTLE_ADDRESS"] = FAST
    for number in ("9434765919", "4010232137", "9876543210"):
        sign_in(from_address(new_client(), "203.0.113.9"), number, "a guess")

    result = runner.invoke(args=["sign-in-delays", "clear", "--address", "203.0.113.9"])

    assert "Cleared 1 count" in result.output
    assert sign_in(from_address(new_client(), "203.0.113.9"), ANN, PASSWORD).status_code == 303


def test_the_command_line_says_what_to_clear(runner):
    result = runner.invoke(args=["sign-in-delays", "clear"])
    assert result.exit_code != 0 and "--nhs-number, --address or --all" in result.output


def test_finished_counts_are_removed(app, people, clock, new_client, runner):
    sign_in(new_client(), NOBODY, "a guess")
    clock.pass_(hours=23)
    with app.app_context():
        assert throttle.forget_finished(clock.now) == 0, "still counting"

    clock.pass_(hours=2)
    result = runner.invoke(args=["sign-in-delays", "forget-finished"])

    assert "Removed 3 finished counts" in result.output  # account, address and service


@pytest.mark.hazard("HAZ-007")
def test_wrong_passwords_sent_at_once_all_count(app, clock):
    """Guesses sent in parallel must not slip through uncounted (compare-and-set in _count)."""
    from concurrent.futures import ThreadPoolExecutor

    from app.auth.throttle import SignInThrottle
    from app.extensions import db

    def guess(_):
        with app.app_context():
            throttle.record_failure([throttle.Bucket("account", "account:parallel")], clock.now)
            db.session.commit()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(guess, range(12)))

    with app.app_context():
        row = db.session.scalars(select(SignInThrottle).where(SignInThrottle.key == "account:parallel")).one()
        assert row.attempts == 12
