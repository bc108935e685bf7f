"""Push in Chromium: turning notifications on reaches the server, and the service worker shows
a pushed message as the right notification.

This browser has no push service it can reach (no Google account, no network), so the one
thing stubbed is `PushManager.subscribe`: it returns a subscription of the test suite's own push
service (tests/push_service.py), with that service's keys. Everything else is real: the
permission prompt after the tap, the page's script, the CSRF-checked JSON post, the server's
checks, and then a real send that the local push service decrypts."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

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


def shown_notifications(page, count: int) -> list[dict]:
    """The notifications the service worker is showing, once there are `count` of them."""
    return wait_until(page, """() => navigator.serviceWorker.ready.then(r => r.getNotifications())
        .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url})))""",
                      lambda shown: len(shown) >= count, timeout=5, what=f"for {count} notifications")


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
    for _ in range(50):  # the DevTools events about the registration arrive on their own time
        ids = {r["registrationId"] for r in registrations if r["scopeURL"] == live_server.url + "/"}
        if ids:
            break
        tab.page.wait_for_timeout(100)
    [registration_id] = ids

    for kind in ("test_due", "team_reply"):
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server.url, "registrationId": registration_id,
            "data": json.dumps(payload_for(kind, "Your care team"))})

    notifications = shown_notifications(tab.page, count=2)
    notifications = sorted(notifications, key=lambda n: n["tag"])
    assert notifications == [
        {"title": "Your care team", "body": payload_for(kind, "x")["body"], "tag": kind, "url": open_url_for(kind)}
        for kind in ("team_reply", "test_due")
    ]
    # A newer message of the same kind replaces the older one (the tag is the kind's topic).
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": registration_id,
        "data": json.dumps(payload_for("team_reply", "Your care team"))})
    tab.page.wait_for_timeout(300)
    assert len(shown_notifications(tab.page, count=2)) == 2
