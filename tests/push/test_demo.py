"""Demo push: David's phone gets notifications, with his own quiet hours and two sends."""
from datetime import time

from sqlalchemy import func, select

from app.demo import seed_demo
from app.extensions import db
from app.models import PatientProfile
from app.push import demo as push_demo
from app.push import service
from app.push.models import PushSendRecord, PushSubscription


def test_david_has_notifications_on_with_a_phone_and_two_sends_once(app):
    with app.app_context():
        seed_demo("http://localhost:5000")
        david = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "David"))

        [phone] = service.devices_of(david.user_id)
        assert phone.device_label == "Chrome on Android" and phone.last_success_at is not None
        settings = service.settings_for(david.user_id)
        assert settings.kinds_off == frozenset() and (settings.quiet_start, settings.quiet_end) == (time(22), time(7))
        assert [r.kind for r in service.recent_sends(david.user_id)] == ["team_reply", "test_due"]

        push_demo.seed(david.team)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 1
        assert db.session.scalar(select(func.count()).select_from(PushSendRecord)) == 2


def test_davids_settings_page_lists_his_phone_and_sends(app, client):
    from tests.helpers import page, sign_in_as

    with app.app_context():
        seed_demo("http://localhost:5000")
        david = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "David")).user_id
    sign_in_as(client, david)
    body = page(client.get("/my-care/notifications"))
    assert "Devices that get notifications" in body and "Chrome on Android" in body
    assert "Reply from your care team (sent to Chrome on Android)" in body
