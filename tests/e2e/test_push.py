"""Push in Chromium: turning notifications on reaches the server, and the service worker shows
a pushed message as the right notification.

This browser has no push service it can reach (no Google account, no network), so the one
thing stubbed is `PushManager.subscribe`: it returns a subscription of the test suite's own push
service (tests/push_service.py), with that service's keys. Everything else is real: the
permission prompt after the tap, the page's script, the CSRF-checked JSON post, the server's
checks, and then a real send that the local push service decrypts."""
from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from app.extensions import db
from app.push import service, vapid
from app.push.kinds import open_url_for, payload_for
from app.timeutil import utcnow
from tests.conftest import base_test_config, push_config
from tests.e2e.conftest import sign_in_browser, wait_until

# Counts permission prompts (kept across the page's reload), so the test can show none is made
# when a page loads.
COUNT_PERMISSION_PROMPTS = """
const ask = Notification.requestPermission.bind(Notification)
Notification.requestPermission = (...args) => {
  sessionStorage.setItem('prompts', String(Number(sessionStorage.getItem('prompts') || 0) + 1))
  return ask(...args)
}
"""
PROMPTS = "Number(sessionStorage.getItem('prompts') || 0)"

# The stub: PushManager.subscribe answers with the local push service's subscription.
STUB_SUBSCRIBE = """
PushManager.prototype.subscribe = async function (options) {
  sessionStorage.setItem('key', btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''))
  sessionStorage.setItem('userVisibleOnly', String(options.userVisibleOnly))
  const made = %s
  return { endpoint: made.endpoint, toJSON: () => made, unsubscribe: async () => true }
}
"""


SHOWN_NOTIFICATIONS = """() => navigator.serviceWorker.ready.then(r => r.getNotifications())
    .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url})))"""


def shown_notifications(page, until, what: str) -> list[dict]:
    """The notifications the service worker is showing, once `until(them)` holds. The bound is
    generous (a busy machine delays a push by seconds) and costs nothing: it returns at once."""
    return wait_until(page, SHOWN_NOTIFICATIONS, until, timeout=30, what=what)


@pytest.fixture
def app_config(database_url, tmp_path, push_service):
    return {**base_test_config(database_url, tmp_path), **push_config(push_service)}


@pytest.mark.hazard("HAZ-021")
def test_turning_on_notifications_reaches_the_server_and_the_phone_gets_a_message(
        app, live_server, open_page, actors, push_service):
    phone = push_service.subscribe(vapid.application_server_key(app))
    tab = open_page("phone", service_worker=True)
    tab.context.grant_permissions(["notifications"], origin=live_server.url)
    tab.context.add_init_script(COUNT_PERMISSION_PROMPTS)
    tab.context.add_init_script(STUB_SUBSCRIBE % json.dumps(phone.as_json()))
    sign_in_browser(tab, live_server, actors.patient_a)

    tab.goto("/my-care/notifications")
    page = tab.page
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_visible()
    tab.axe("notification settings")
    assert page.evaluate(PROMPTS) == 0

    page.get_by_role("button", name="Turn on notifications").click()
    expect(page.get_by_role("heading", name="Devices that get notifications")).to_be_visible()

    assert page.evaluate(PROMPTS) == 1
    assert page.evaluate("sessionStorage.getItem('key')") == vapid.application_server_key(app)
    assert page.evaluate("sessionStorage.getItem('userVisibleOnly')") == "true"
    expect(page.locator("main")).to_contain_text("Chrome on ")
    tab.axe("notification settings with a device")
    with app.app_context():
        [kept] = service.devices_of(actors.patient_a)
        assert kept.endpoint == phone.endpoint
        delivery = service.deliver(actors.patient_a, "team_reply", now=utcnow().replace(hour=12))
        db.session.commit()
    assert delivery.outcome is service.Outcome.SENT
    [received] = push_service.messages_for(phone)
    assert received.payload == payload_for("team_reply", "Your care team")


@pytest.mark.hazard("HAZ-021")
def test_the_service_worker_shows_a_pushed_message_as_a_neutral_notification(app, live_server, open_page, actors):
    tab = open_page("phone", service_worker=True)
    tab.context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in_browser(tab, live_server, actors.patient_a)
    cdp = tab.context.new_cdp_session(tab.page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    tab.goto("/my-care")
    tab.page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    # The DevTools events about the registration arrive on their own time, while Playwright
    # waits (Python's sleep would not let them in).
    deadline = time.monotonic() + 30
    while not (ids := {r["registrationId"] for r in registrations if r["scopeURL"] == live_server.url + "/"}):
        assert time.monotonic() < deadline, "waited 30 s for DevTools to report the service worker's registration"
        tab.page.wait_for_timeout(100)
    [registration_id] = ids

    for kind in ("test_due", "team_reply"):
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server.url, "registrationId": registration_id,
            "data": json.dumps(payload_for(kind, "Your care team"))})

    notifications = shown_notifications(tab.page, lambda shown: len(shown) >= 2, "for 2 notifications")
    notifications = sorted(notifications, key=lambda n: n["tag"])
    assert notifications == [
        {"title": "Your care team", "body": payload_for(kind, "x")["body"], "tag": kind, "url": open_url_for(kind)}
        for kind in ("team_reply", "test_due")
    ]
    # A newer message of the same kind replaces the older one (the tag is the kind's topic): its
    # own title tells when it is shown, and then it is the only one of its kind.
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": registration_id,
        "data": json.dumps(payload_for("team_reply", "Your care team again"))})
    shown = shown_notifications(tab.page, lambda shown: any(n["title"] == "Your care team again" for n in shown),
                                "for the newer team reply")
    assert sorted((n["tag"], n["title"]) for n in shown) == [
        ("team_reply", "Your care team again"), ("test_due", "Your care team")]


# A phone's subscription as the browser keeps it, across pages and sign-ins (localStorage is the
# origin's, like the real subscription): subscribe makes it, unsubscribe drops it.
STUB_PHONES_SUBSCRIPTION = """
const made = %s
const kept = () => ({ endpoint: made.endpoint, toJSON: () => made,
                      unsubscribe: async () => { localStorage.removeItem('subscribed'); return true } })
PushManager.prototype.subscribe = async function () { localStorage.setItem('subscribed', 'yes'); return kept() }
PushManager.prototype.getSubscription = async function () { return localStorage.getItem('subscribed') ? kept() : null }
"""
PHONE_SUBSCRIBED = "() => localStorage.getItem('subscribed') === 'yes'"


@pytest.mark.hazard("HAZ-021")
@pytest.mark.hazard("HAZ-022")
def test_whoever_signs_in_after_an_idle_timeout_stops_the_phone_getting_the_first_persons_notifications(
        app, live_server, open_page, actors, push_service):
    """Patient A turns notifications on and their session times out (no sign-out, so the phone
    stays subscribed, deliberately). The next person to sign in, another patient or a member of
    staff, opens any page: A's subscription goes on the server and in the browser."""
    from app.models import UserSession
    from app.push.models import PushSubscription

    phone = push_service.subscribe(vapid.application_server_key(app))
    tab = open_page("phone", service_worker=True)
    tab.context.grant_permissions(["notifications"], origin=live_server.url)
    tab.context.add_init_script(STUB_PHONES_SUBSCRIPTION % json.dumps(phone.as_json()))
    page = tab.page

    def a_turns_notifications_on_and_times_out():
        sign_in_browser(tab, live_server, actors.patient_a)
        tab.goto("/my-care/notifications")
        page.get_by_role("button", name="Turn on notifications").click()
        expect(page.get_by_role("heading", name="Devices that get notifications")).to_be_visible()
        assert page.evaluate(PHONE_SUBSCRIBED)
        page.goto("about:blank")  # the phone is put down; its page's own requests stop
        with app.app_context():
            assert [s.user_id for s in db.session.scalars(select(PushSubscription))] == [actors.patient_a]
            db.session.execute(update(UserSession).where(UserSession.user_id == actors.patient_a)
                               .values(revoked_at=utcnow()))
            db.session.commit()

    def a_subscriptions():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(PushSubscription)
                                     .where(PushSubscription.user_id == actors.patient_a))

    for next_person, first_page in ((actors.patient_b, "/my-care"), (actors.nurse_a, "/nurse/patients")):
        a_turns_notifications_on_and_times_out()
        sign_in_browser(tab, live_server, next_person)
        tab.goto(first_page)
        wait_until(page, PHONE_SUBSCRIBED, lambda subscribed: not subscribed, what=f"for {first_page} to unsubscribe the phone")
        assert a_subscriptions() == 0
    tab.assert_clean()
