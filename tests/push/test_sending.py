"""Sending through the test suite's local push service (tests/push_service.py), which verifies
the VAPID signature and decrypts each message with the subscription's keys: these tests read
what a phone would receive."""
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.push import service, vapid
from app.push.kinds import KINDS
from app.push.models import PushSendRecord, PushSubscription
from app.push.service import Delivery, Outcome
from tests.conftest import base_test_config, push_config
from tests.push_service import Answer

# 10:00 UTC on a winter weekday: outside the default quiet hours.
DAYTIME = datetime(2026, 1, 14, 10, 0, tzinfo=timezone.utc)
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def app_config(database_url, tmp_path, push_service):
    return {**base_test_config(database_url, tmp_path), **push_config(push_service), "PUSH_TIMEOUT_SECONDS": 1}


@pytest.fixture
def phone(app, actors, push_service):
    """Patient A's phone, subscribed with the app's VAPID public key."""
    browser = push_service.subscribe(vapid.application_server_key(app))
    with app.app_context():
        service.subscribe(actors.patient_a, endpoint=browser.endpoint, p256dh=browser.p256dh,
                          auth=browser.auth, user_agent=PHONE, now=DAYTIME)
        db.session.commit()
    return browser


def deliver(app, user_id, kind, now=DAYTIME) -> Delivery:
    with app.app_context():
        delivery = service.deliver(user_id, kind, now=now)
        db.session.commit()
        return delivery


def records(app) -> list[PushSendRecord]:
    with app.app_context():
        return list(db.session.scalars(select(PushSendRecord).order_by(PushSendRecord.id)))


def subscriptions(app) -> list[PushSubscription]:
    with app.app_context():
        return list(db.session.scalars(select(PushSubscription)))


@pytest.mark.hazard("HAZ-021")
@pytest.mark.parametrize("kind_id", sorted(KINDS))
def test_the_phone_receives_the_neutral_message_with_its_kinds_headers(app, actors, push_service, phone, kind_id):
    delivery = deliver(app, actors.patient_a, kind_id)

    assert delivery == Delivery(Outcome.SENT, devices_sent=1)
    [received] = push_service.messages_for(phone)
    assert received.refused is None
    kind = KINDS[kind_id]
    assert received.payload == {"title": "Your care team", "body": kind.body, "kind": kind_id, "topic": kind.topic}
    assert received.content_encoding == "aes128gcm"
    assert (received.ttl, received.urgency, received.topic) == (str(kind.ttl_seconds), kind.urgency, kind.topic)
    assert received.claims["aud"] == push_service.origin
    assert received.claims["sub"] == app.config["VAPID_SUBJECT"]


def test_the_title_is_the_configured_one(app, actors, push_service, phone):
    app.config["PUSH_TITLE"] = "Riverside Hospital"
    deliver(app, actors.patient_a, "team_reply")
    assert push_service.messages_for(phone)[0].payload["title"] == "Riverside Hospital"


def test_every_phone_of_the_person_gets_it_and_no_one_elses(app, actors, push_service, phone):
    second = push_service.subscribe()
    someone_else = push_service.subscribe()
    with app.app_context():
        service.subscribe(actors.patient_a, endpoint=second.endpoint, p256dh=second.p256dh, auth=second.auth,
                          user_agent=None, now=DAYTIME)
        service.subscribe(actors.patient_b, endpoint=someone_else.endpoint, p256dh=someone_else.p256dh,
                          auth=someone_else.auth, user_agent=None, now=DAYTIME)
        db.session.commit()

    assert deliver(app, actors.patient_a, "care_plan") == Delivery(Outcome.SENT, devices_sent=2)
    assert len(push_service.messages_for(phone)) == 1
    assert len(push_service.messages_for(second)) == 1
    assert push_service.messages_for(someone_else) == []


def test_a_successful_send_is_recorded_without_personal_detail(app, actors, push_service, phone):
    deliver(app, actors.patient_a, "team_reply")

    [record] = records(app)
    [subscription] = subscriptions(app)
    assert (record.outcome, record.status_code, record.kind) == ("sent", 201, "team_reply")
    assert record.subscription_id == subscription.id
    assert record.push_service == "localhost"
    assert subscription.last_success_at == DAYTIME
    stored = " ".join(str(getattr(record, column.key)) for column in PushSendRecord.__table__.columns)
    assert phone.token not in stored and phone.endpoint not in stored
    assert KINDS["team_reply"].body not in stored


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_says_is_gone_is_removed(app, actors, push_service, phone, status):
    push_service.answer(phone, Answer(status))

    assert deliver(app, actors.patient_a, "hna") == Delivery(Outcome.NO_DEVICES)
    assert subscriptions(app) == []
    [record] = records(app)
    assert (record.outcome, record.status_code) == ("removed", status)


def test_one_gone_phone_does_not_stop_the_others(app, actors, push_service, phone):
    second = push_service.subscribe()
    with app.app_context():
        service.subscribe(actors.patient_a, endpoint=second.endpoint, p256dh=second.p256dh, auth=second.auth,
                          user_agent=None, now=DAYTIME)
        db.session.commit()
    push_service.answer(phone, Answer(410))

    assert deliver(app, actors.patient_a, "hna") == Delivery(Outcome.SENT, devices_sent=1)
    assert [s.endpoint for s in subscriptions(app)] == [second.endpoint]


def test_too_many_requests_is_retried_when_the_push_service_says(app, actors, push_service, phone):
    push_service.answer(phone, Answer(429, {"Retry-After": "120"}))

    delivery = deliver(app, actors.patient_a, "test_due")

    assert delivery == Delivery(Outcome.RETRY_LATER, not_before=DAYTIME + timedelta(seconds=120))
    assert [(r.outcome, r.status_code) for r in records(app)] == [("retry", 429)]
    assert len(subscriptions(app)) == 1


def test_retry_after_as_an_http_date_is_honoured(app, actors, push_service, phone):
    push_service.answer(phone, Answer(503, {"Retry-After": "Wed, 14 Jan 2026 10:05:00 GMT"}))
    assert deliver(app, actors.patient_a, "test_due").not_before == DAYTIME + timedelta(minutes=5)


def test_server_errors_without_retry_after_back_off_longer_each_time(app, actors, push_service, phone):
    push_service.answer(phone, Answer(500), Answer(502), Answer(503))
    waits = [deliver(app, actors.patient_a, "test_due").not_before - DAYTIME for _ in range(3)]
    assert waits == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]

    # A success resets the back-off.
    assert deliver(app, actors.patient_a, "test_due").outcome is Outcome.SENT
    push_service.answer(phone, Answer(500))
    assert deliver(app, actors.patient_a, "test_due").not_before - DAYTIME == timedelta(seconds=60)


def test_a_push_service_that_does_not_answer_in_time_is_retried(app, actors, push_service, phone):
    push_service.answer(phone, Answer(201, delay_seconds=2.5))

    delivery = deliver(app, actors.patient_a, "team_reply")

    assert delivery.outcome is Outcome.RETRY_LATER
    assert [(r.outcome, r.status_code) for r in records(app)] == [("retry", None)]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_never_followed(app, actors, push_service, phone, status):
    push_service.answer(phone, Answer(status, {"Location": f"{push_service.origin}/elsewhere"}))

    assert deliver(app, actors.patient_a, "team_reply") == Delivery(Outcome.FAILED)
    assert "/elsewhere" not in push_service.requests_to
    assert [(r.outcome, r.status_code) for r in records(app)] == [("failed", status)]
    assert len(subscriptions(app)) == 1


def test_a_host_taken_off_the_list_is_not_sent_to_any_more(app, actors, push_service, phone):
    app.config["PUSH_SERVICE_HOSTS"] = ["fcm.googleapis.com"]

    assert deliver(app, actors.patient_a, "team_reply") == Delivery(Outcome.FAILED)
    assert push_service.requests_to == []
    assert [r.outcome for r in records(app)] == ["failed"]


def test_a_kind_switched_off_is_not_sent(app, actors, push_service, phone):
    with app.app_context():
        service.save_settings(actors.patient_a, kinds_on=set(KINDS) - {"test_due"},
                              quiet_start=time(21), quiet_end=time(8))
        db.session.commit()

    assert deliver(app, actors.patient_a, "test_due") == Delivery(Outcome.OFF)
    assert deliver(app, actors.patient_a, "test_overdue").outcome is Outcome.SENT
    assert [r.payload["kind"] for r in push_service.messages_for(phone)] == ["test_overdue"]


def test_nothing_is_sent_in_quiet_hours(app, actors, push_service, phone):
    late = datetime(2026, 7, 1, 21, 30, tzinfo=timezone.utc)  # 10:30pm in London (BST)

    delivery = deliver(app, actors.patient_a, "team_reply", now=late)

    assert delivery == Delivery(Outcome.QUIET, not_before=datetime(2026, 7, 2, 7, 0, tzinfo=timezone.utc))
    assert push_service.received == [] and records(app) == []
    with app.app_context():
        assert service.quiet_until(actors.patient_a, late) == delivery.not_before
        assert service.quiet_until(actors.patient_a, DAYTIME) is None


def test_the_persons_own_quiet_hours_hold(app, actors, push_service, phone):
    with app.app_context():
        service.save_settings(actors.patient_a, kinds_on=set(KINDS), quiet_start=time(9), quiet_end=time(17))
        db.session.commit()
    assert deliver(app, actors.patient_a, "team_reply").outcome is Outcome.QUIET
    assert deliver(app, actors.patient_a, "team_reply", now=DAYTIME.replace(hour=18)).outcome is Outcome.SENT


def test_someone_with_no_phones_subscribed(app, actors, push_service):
    assert deliver(app, actors.patient_a, "team_reply") == Delivery(Outcome.NO_DEVICES)
    assert records(app) == []


def test_the_push_service_refuses_a_message_signed_with_another_key(app, actors, push_service, phone):
    # As if the server's key were changed after the phone subscribed: the push service says no.
    app.extensions.pop("push_vapid")
    app.config["VAPID_PRIVATE_KEY"] = vapid.new_private_key()

    assert deliver(app, actors.patient_a, "team_reply") == Delivery(Outcome.FAILED)
    [received] = push_service.messages_for(phone)
    assert received.answered == 403 and received.refused.startswith("VAPID")
    assert [(r.outcome, r.status_code) for r in records(app)] == [("failed", 403)]


def test_a_message_encrypted_for_other_keys_cannot_be_read_by_the_phone(app, actors, push_service, phone):
    other = push_service.subscribe()
    with app.app_context():
        stored = db.session.scalar(select(PushSubscription))
        stored.auth = other.auth
        db.session.commit()

    assert deliver(app, actors.patient_a, "team_reply").outcome is Outcome.FAILED
    [received] = push_service.messages_for(phone)
    assert received.payload is None and received.refused.startswith("could not decrypt")


def test_a_stored_subscription_with_keys_that_cannot_be_read_fails_without_stopping_the_others(app, actors, push_service, phone):
    with app.app_context():
        db.session.add(PushSubscription(user_id=actors.patient_a, endpoint=f"{push_service.origin}/push/broken",
                                        endpoint_hash="broken", p256dh="a", auth="b", device_label="Phone"))
        db.session.commit()

    assert deliver(app, actors.patient_a, "team_reply") == Delivery(Outcome.SENT, devices_sent=1)
    assert sorted(r.outcome for r in records(app)) == ["failed", "sent"]
