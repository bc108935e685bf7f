"""The notification settings page, the subscribe and unsubscribe endpoints, and sign-out."""
from datetime import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.push import service
from app.push.kinds import KINDS
from app.push.models import NotificationPreferences, PushSubscription
from app.timeutil import utcnow
from tests.conftest import base_test_config, push_config
from tests.helpers import page, sign_in_as

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def app_config(database_url, tmp_path, push_service):
    return {**base_test_config(database_url, tmp_path), **push_config(push_service)}


def subscribe(client, browser, **headers):
    return client.post_json("/my-care/notifications/subscribe", browser.as_json(),
                            headers={"User-Agent": ANDROID, **headers})


# Asked by every signed-in page, patients' and staff's alike (static/js/push.js checkThisPhone).
THIS_PHONE = "/notifications/this-phone"


def subscriptions(app) -> list[PushSubscription]:
    with app.app_context():
        return list(db.session.scalars(select(PushSubscription).order_by(PushSubscription.id)))


def test_the_settings_page_explains_and_never_asks_on_load(app, patient):
    response = patient.get("/my-care/notifications")
    body = page(response)

    assert response.status_code == 200
    assert "Turn on notifications" in body
    assert 'only says "Your care team"' in body
    assert "iPhone or iPad" in body and "Home Screen" in body
    # The button carries what the script needs; nothing on the page asks for permission itself.
    raw = response.get_data(as_text=True)
    assert 'data-application-server-key="' in raw and "requestPermission" not in raw
    assert 'href="/my-care/install"' in raw
    for kind in KINDS.values():
        assert kind.label in body


def test_without_a_vapid_key_the_page_says_notifications_are_not_available(app, patient):
    app.extensions["push_vapid"] = None
    body = page(patient.get("/my-care/notifications"))
    assert "Notifications are not available on this service yet." in body
    assert "data-application-server-key" not in body


def test_subscribing_keeps_this_phone_once_and_lists_it(app, patient, actors, push_service):
    browser = push_service.subscribe()

    first = subscribe(patient, browser)
    again = subscribe(patient, browser)

    assert first.status_code == 201 and first.get_json()["device"] == "Chrome on Android"
    assert again.status_code == 201
    [kept] = subscriptions(app)
    assert (kept.user_id, kept.endpoint, kept.p256dh, kept.auth) == (actors.patient_a, browser.endpoint, browser.p256dh, browser.auth)
    body = page(patient.get("/my-care/notifications"))
    assert "Chrome on Android" in body and f"/my-care/notifications/devices/{kept.id}/remove" in body


@pytest.mark.parametrize("payload, status", [
    ({"endpoint": "https://evil.example/push/x", "keys": {"p256dh": "x", "auth": "y"}}, 422),
    ({"endpoint": "https://169.254.169.254/latest", "keys": {"p256dh": "x", "auth": "y"}}, 422),
    ({"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "x", "auth": "y"}}, 422),
    ({"endpoint": "https://fcm.googleapis.com/fcm/send/x"}, 400),
    (["not", "an", "object"], 400),
])
def test_a_subscription_we_cannot_use_is_refused(app, patient, payload, status):
    response = patient.post_json("/my-care/notifications/subscribe", payload)
    assert response.status_code == status
    assert response.get_json()["error"] in {"refused", "bad_request"}
    assert subscriptions(app) == []


def test_subscribing_needs_the_csrf_token(app, patient, push_service):
    response = patient.post("/my-care/notifications/subscribe", json=push_service.subscribe().as_json())
    assert response.status_code == 400
    assert subscriptions(app) == []


def test_unsubscribing_forgets_this_phone(app, patient, push_service):
    browser = push_service.subscribe()
    subscribe(patient, browser)

    response = patient.post_json("/my-care/notifications/unsubscribe", {"endpoint": browser.endpoint})

    assert response.status_code == 200 and response.get_json() == {"removed": True}
    assert subscriptions(app) == []


def test_saving_the_settings(app, patient, actors):
    response = patient.post_form("/my-care/notifications", {
        "kinds": ["hna", "team_reply"], "quiet_start": "22:00", "quiet_end": "07:00"})

    assert response.status_code == 303 and response.headers["Location"].endswith("/my-care/notifications")
    with app.app_context():
        settings = service.settings_for(actors.patient_a)
        assert settings.kinds_off == frozenset(KINDS) - {"hna", "team_reply"}
        assert (settings.quiet_start, settings.quiet_end) == (time(22), time(7))
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "push.settings")) is not None
    body = page(patient.get("/my-care/notifications"))
    assert "Your notification settings have been saved." in body


def test_a_time_not_on_the_list_is_refused_and_what_was_chosen_kept(app, patient, actors):
    response = patient.post_form("/my-care/notifications", {
        "kinds": ["care_plan"], "quiet_start": "22:30", "quiet_end": "07:00"})

    body = page(response)
    assert "Choose a time from the list" in body
    assert 'value="care_plan" checked' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(NotificationPreferences, actors.patient_a) is None


@pytest.mark.hazard("HAZ-021")
def test_removing_a_device(app, patient, push_service):
    subscribe(patient, push_service.subscribe())
    [kept] = subscriptions(app)

    response = patient.post_form(f"/my-care/notifications/devices/{kept.id}/remove")

    assert response.status_code == 303
    assert subscriptions(app) == []


@pytest.mark.hazard("HAZ-021")
@pytest.mark.hazard("HAZ-022")
def test_signing_out_removes_this_phones_subscription_and_only_it(app, client, actors, push_service):
    sign_in_as(client, actors.patient_a)
    this_phone, other_phone = push_service.subscribe(), push_service.subscribe()
    subscribe(client, this_phone)
    with app.app_context():
        service.subscribe(actors.patient_a, endpoint=other_phone.endpoint, p256dh=other_phone.p256dh,
                          auth=other_phone.auth, user_agent=None, now=utcnow())
        db.session.commit()

    client.post_form("/sign-out", {"push_endpoint": this_phone.endpoint})

    assert [s.endpoint for s in subscriptions(app)] == [other_phone.endpoint]


@pytest.mark.hazard("HAZ-021")
def test_the_session_that_subscribed_removes_it_at_sign_out_without_the_script(app, client, actors, push_service):
    sign_in_as(client, actors.patient_a)
    subscribe(client, push_service.subscribe())

    client.post_form("/sign-out")

    assert subscriptions(app) == []


def test_an_idle_timeout_keeps_the_phone_subscribed(app, client, actors, push_service):
    sign_in_as(client, actors.patient_a)
    browser = push_service.subscribe()
    subscribe(client, browser)

    client.post_form("/sign-out", {"reason": "idle", "push_endpoint": browser.endpoint})

    assert len(subscriptions(app)) == 1


@pytest.mark.hazard("HAZ-021")
def test_signing_out_everywhere_removes_every_phone(app, client, actors, push_service):
    sign_in_as(client, actors.patient_a)
    subscribe(client, push_service.subscribe())
    subscribe(client, push_service.subscribe())

    client.post_form("/sign-out-everywhere")

    assert subscriptions(app) == []


@pytest.mark.hazard("HAZ-021")
@pytest.mark.hazard("HAZ-022")
def test_a_phone_subscribed_for_someone_else_moves_to_whoever_turns_it_on(app, client, actors, push_service):
    browser = push_service.subscribe()
    sign_in_as(client, actors.patient_a)
    subscribe(client, browser)
    sign_in_as(client, actors.patient_a2)
    subscribe(client, browser)

    [kept] = subscriptions(app)
    assert kept.user_id == actors.patient_a2


@pytest.mark.hazard("HAZ-021")
def test_a_phone_left_subscribed_for_someone_else_is_dropped_when_the_next_person_signs_in(app, client, actors, push_service):
    browser = push_service.subscribe()
    sign_in_as(client, actors.patient_a)
    subscribe(client, browser)
    assert client.post_json(THIS_PHONE, {"endpoint": browser.endpoint}).get_json() == {"theirs": True}

    # Patient A's session timed out; patient A2 signs in on the same phone.
    sign_in_as(client, actors.patient_a2)
    answer = client.post_json(THIS_PHONE, {"endpoint": browser.endpoint})

    assert answer.status_code == 200 and answer.get_json() == {"theirs": False}
    assert subscriptions(app) == []


def test_a_phone_the_server_does_not_know_is_not_theirs(app, patient, push_service):
    answer = patient.post_json(THIS_PHONE, {"endpoint": push_service.subscribe().endpoint})
    assert answer.get_json() == {"theirs": False}
    assert patient.post_json(THIS_PHONE, {}).status_code == 400


@pytest.mark.hazard("HAZ-021")
@pytest.mark.hazard("HAZ-022")
@pytest.mark.parametrize("who", ["nurse_a", "admin"])
def test_a_phone_left_subscribed_for_a_patient_is_dropped_when_a_member_of_staff_signs_in_on_it(
        app, client, actors, push_service, who):
    browser = push_service.subscribe()
    sign_in_as(client, actors.patient_a)
    subscribe(client, browser)

    # The patient's session timed out (the phone stays subscribed); staff sign in on the same phone.
    sign_in_as(client, getattr(actors, who))
    answer = client.post_json(THIS_PHONE, {"endpoint": browser.endpoint})

    assert answer.status_code == 200 and answer.get_json() == {"theirs": False}
    assert subscriptions(app) == []


@pytest.mark.parametrize(("who", "path"), [("patient_a", "/my-care"), ("nurse_a", "/nurse/queue"), ("admin", "/admin/")])
def test_every_signed_in_page_says_where_to_check_the_phone(client, actors, who, path):
    sign_in_as(client, getattr(actors, who))
    raw = client.get(path).get_data(as_text=True)
    assert f'data-push-check-url="{THIS_PHONE}"' in raw


def test_a_signed_out_page_does_not_check_the_phone(client):
    assert "data-push-check-url" not in client.get("/sign-in").get_data(as_text=True)
