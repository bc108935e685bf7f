"""Keeping subscriptions: idempotent on the endpoint, one person per phone, refused when the
endpoint or keys are not ones we can use."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.push import service
from app.push.models import PushSubscription
from app.push.service import SubscriptionRefused
from tests.conftest import base_test_config, push_config

NOW = datetime(2026, 1, 14, 10, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_config(database_url, tmp_path, push_service):
    return {**base_test_config(database_url, tmp_path), **push_config(push_service)}


def keep(user_id, browser, now=NOW, **changes):
    fields = {"endpoint": browser.endpoint, "p256dh": browser.p256dh, "auth": browser.auth, **changes}
    subscription = service.subscribe(user_id, user_agent="Mozilla/5.0 (iPhone) Safari/604.1", now=now, **fields)
    db.session.commit()
    return subscription


def stored():
    return list(db.session.scalars(select(PushSubscription).order_by(PushSubscription.id)))


def test_subscribing_twice_keeps_one_subscription(app, actors, push_service):
    browser = push_service.subscribe()
    with app.app_context():
        first = keep(actors.patient_a, browser).id
        second = keep(actors.patient_a, browser, now=LATER).id
        assert first == second
        [subscription] = stored()
        assert subscription.created_at == NOW
        assert subscription.device_label == "Safari on iPhone"


def test_a_phone_subscribed_by_someone_else_moves_to_the_person_signed_in(app, actors, push_service):
    browser = push_service.subscribe()
    with app.app_context():
        keep(actors.patient_a, browser)
        keep(actors.patient_a2, browser, now=LATER)
        [subscription] = stored()
        assert subscription.user_id == actors.patient_a2
        assert service.devices_of(actors.patient_a) == []


@pytest.mark.parametrize("changes", [
    {"endpoint": "https://evil.example/push/x"},
    {"endpoint": "http://fcm.googleapis.com/fcm/send/x"},
    {"p256dh": "not-a-key"},
    {"p256dh": "BAAA"},
    # 65 bytes starting 0x04 that are not a point on P-256.
    {"p256dh": "BA" + "A" * 85},
    {"auth": "c2hvcnQ"},
    {"auth": None},
    {"p256dh": 12},
])
def test_an_endpoint_or_keys_we_cannot_use_are_refused(app, actors, push_service, changes):
    browser = push_service.subscribe()
    with app.app_context():
        with pytest.raises(SubscriptionRefused):
            keep(actors.patient_a, browser, **changes)
        assert stored() == []


def test_removing_a_device_removes_only_the_persons_own(app, actors, push_service):
    with app.app_context():
        mine = keep(actors.patient_a, push_service.subscribe()).id
        theirs = keep(actors.patient_b, push_service.subscribe()).id
        assert service.remove_device(actors.patient_a, theirs) is False
        assert service.remove_device(actors.patient_a, mine) is True
        db.session.commit()
        assert [s.id for s in stored()] == [theirs]


def test_unsubscribing_an_endpoint_removes_it_for_that_person_only(app, actors, push_service):
    browser = push_service.subscribe()
    with app.app_context():
        keep(actors.patient_a, browser)
        assert service.unsubscribe_endpoint(actors.patient_b, browser.endpoint) is False
        assert service.unsubscribe_endpoint(actors.patient_a, browser.endpoint) is True
        db.session.commit()
        assert stored() == []
