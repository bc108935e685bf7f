"""Sending reminders through the background tasks to the test suite's local push service, which
verifies the VAPID signature and decrypts each message: these tests read what the phone gets.

The clock is frozen (app.timeutil.utcnow) and moved by hand; huey runs tasks at once (tests), and
tasks scheduled for later (quiet hours) are left to the periodic check, as after a restart."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.followup.models import SurveillanceTest
from app.models import PatientProfile, User
from app.push import service as push
from app.push import vapid
from app.reminders import service
from app.reminders.models import ReminderClaim
from app.reminders.tasks import find_due_reminders, send_reminder
from app.timeutil import LONDON
from tests.conftest import base_test_config, push_config

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Mobile Safari/537.36")


def london(*parts) -> datetime:
    return datetime(*parts, tzinfo=LONDON).astimezone(timezone.utc)


@pytest.fixture
def app_config(database_url, tmp_path, push_service):
    return {**base_test_config(database_url, tmp_path), **push_config(push_service), "PUSH_TIMEOUT_SECONDS": 2}


@pytest.fixture
def clock(monkeypatch):
    """Set the time the reminders read: everything reads app.timeutil.utcnow through the module,
    but the services named (e.g. "app.reentry.service") import utcnow: theirs is set too."""
    def set_to(moment: datetime, *services: str) -> None:
        monkeypatch.setattr("app.timeutil.utcnow", lambda: moment)
        for module in services:
            monkeypatch.setattr(f"{module}.utcnow", lambda: moment)

    return set_to


@pytest.fixture
def phone(app, actors, push_service):
    """Patient A's phone, subscribed with the app's VAPID public key."""
    browser = push_service.subscribe(vapid.application_server_key(app))
    with app.app_context():
        push.subscribe(actors.patient_a, endpoint=browser.endpoint, p256dh=browser.p256dh, auth=browser.auth,
                       user_agent=PHONE, now=london(2026, 1, 5, 12, 0))
        db.session.commit()
    return browser


def psa_due_on(app, actors, due: date) -> int:
    with app.app_context():
        test = SurveillanceTest(patient_id=actors.profile_a, name="PSA blood test", interval_months=6, next_due=due)
        db.session.add(test)
        db.session.commit()
        return test.id


def claims(app) -> list[ReminderClaim]:
    with app.app_context():
        rows = list(db.session.scalars(select(ReminderClaim).order_by(ReminderClaim.id)))
        db.session.expunge_all()
        return rows


def received(push_service, phone) -> list[str]:
    """The kinds the phone was sent, as the phone decrypted them."""
    messages = push_service.messages_for(phone)
    assert all(message.refused is None for message in messages), [m.refused for m in messages]
    return [message.payload["kind"] for message in messages]


def check_at(clock, moment: datetime) -> int:
    """The periodic check, run at `moment`."""
    clock(moment)
    return find_due_reminders.call_local()


# A weekday noon, outside every quiet hours: what is sent at once arrives at once.
NOON = london(2026, 6, 3, 12, 0)
# 6 weeks before 20 November 2026 is 9 October (BST: 09:00 London is 08:00 UTC).
DUE = date(2026, 11, 20)
SIX_WEEKS_BEFORE = london(2026, 10, 9, 9, 0)


def test_the_phone_gets_the_test_due_reminder_at_nine_london_time_and_nothing_clinical(app, actors, push_service, phone, clock):
    test_id = psa_due_on(app, actors, DUE)

    assert check_at(clock, SIX_WEEKS_BEFORE - timedelta(minutes=15)) == 0
    assert check_at(clock, SIX_WEEKS_BEFORE) == 1

    [message] = push_service.messages_for(phone)
    assert message.payload["kind"] == "test_due"
    assert message.payload["title"] == "Your care team"
    assert "PSA" not in str(message.payload) and "cancer" not in str(message.payload).lower()
    [claim] = claims(app)
    assert (claim.key, claim.outcome, claim.attempts) == (f"test_due:6w:{test_id}:2026-11-20", "sent", 1)
    assert claim.due_at == SIX_WEEKS_BEFORE == datetime(2026, 10, 9, 8, 0, tzinfo=timezone.utc)


@pytest.mark.hazard("HAZ-023")
def test_the_scheduler_running_twice_sends_once(app, actors, push_service, phone, clock):
    psa_due_on(app, actors, DUE)

    check_at(clock, SIX_WEEKS_BEFORE)
    check_at(clock, SIX_WEEKS_BEFORE)
    check_at(clock, SIX_WEEKS_BEFORE + timedelta(minutes=15))
    check_at(clock, SIX_WEEKS_BEFORE + timedelta(days=3))

    assert received(push_service, phone) == ["test_due"]
    assert len(claims(app)) == 1


@pytest.mark.hazard("HAZ-023")
def test_two_workers_sending_the_same_reminder_send_it_once(app, actors, push_service, phone, clock):
    test_id = psa_due_on(app, actors, DUE)
    clock(SIX_WEEKS_BEFORE)
    key = f"test_due:6w:{test_id}:2026-11-20"

    first = send_reminder.call_local(actors.patient_a, key)
    second = send_reminder.call_local(actors.patient_a, key)

    assert (first, second) == ("sent", service.TAKEN)
    assert received(push_service, phone) == ["test_due"]


@pytest.mark.hazard("HAZ-023")
def test_a_worker_that_dies_after_claiming_and_before_sending_is_replaced_after_the_limit(
        app, actors, push_service, phone, clock, monkeypatch):
    psa_due_on(app, actors, DUE)
    real_quiet_until = push.quiet_until

    def dies(user_id, now):
        raise RuntimeError("the worker process was killed")

    monkeypatch.setattr(push, "quiet_until", dies)
    check_at(clock, SIX_WEEKS_BEFORE)  # claimed, then the worker died before sending
    [claim] = claims(app)
    assert (claim.sending_at, claim.finished_at, claim.lease_until) == (None, None, SIX_WEEKS_BEFORE + service.CLAIM_LIMIT)
    assert received(push_service, phone) == []

    monkeypatch.setattr(push, "quiet_until", real_quiet_until)
    check_at(clock, SIX_WEEKS_BEFORE + service.CLAIM_LIMIT - timedelta(seconds=1))  # still claimed
    assert received(push_service, phone) == []
    check_at(clock, SIX_WEEKS_BEFORE + service.CLAIM_LIMIT)
    check_at(clock, SIX_WEEKS_BEFORE + 2 * service.CLAIM_LIMIT)

    assert received(push_service, phone) == ["test_due"]
    [claim] = claims(app)
    assert (claim.outcome, claim.attempts) == ("sent", 2)


@pytest.mark.hazard("HAZ-023")
def test_a_worker_that_dies_after_sending_and_before_recording_it_is_never_sent_again(
        app, actors, push_service, phone, clock, monkeypatch):
    psa_due_on(app, actors, DUE)
    real_deliver = push.deliver

    def sends_then_dies(user_id, kind, *, now):
        real_deliver(user_id, kind, now=now)
        raise RuntimeError("the worker process was killed")

    monkeypatch.setattr(push, "deliver", sends_then_dies)
    check_at(clock, SIX_WEEKS_BEFORE)
    monkeypatch.setattr(push, "deliver", real_deliver)
    for minutes in (15, 30, 60, 24 * 60):
        check_at(clock, SIX_WEEKS_BEFORE + timedelta(minutes=minutes))

    # At most once: it may or may not have arrived, so it is not sent again, and says so.
    assert received(push_service, phone) == ["test_due"]
    [claim] = claims(app)
    assert (claim.outcome, claim.attempts) == (service.UNCONFIRMED, 1)


def test_a_reminder_whose_fact_changed_before_it_was_sent_is_not_sent(app, actors, push_service, phone, clock):
    test_id = psa_due_on(app, actors, DUE)
    with app.app_context():
        db.session.get(SurveillanceTest, test_id).next_due = date(2027, 5, 20)  # the nurse moved it
        db.session.commit()

    clock(SIX_WEEKS_BEFORE)
    assert send_reminder.call_local(actors.patient_a, f"test_due:6w:{test_id}:2026-11-20") == service.NOT_DUE
    assert received(push_service, phone) == [] and claims(app) == []


# ---------------------------------------------------------------- quiet hours, across the clock changes


def set_quiet_hours(app, user_id: int, start: time, end: time) -> None:
    with app.app_context():
        push.save_settings(user_id, kinds_on=set(push.KINDS), quiet_start=start, quiet_end=end)
        db.session.commit()


@pytest.mark.hazard("HAZ-023")
@pytest.mark.parametrize("due, morning_utc", [
    (date(2026, 5, 10), datetime(2026, 3, 29, 8, 0, tzinfo=timezone.utc)),    # 6 weeks before: 29 March, the first BST day
    (date(2026, 12, 6), datetime(2026, 10, 25, 9, 0, tzinfo=timezone.utc)),   # 25 October, the first GMT day again
    (date(2027, 5, 9), datetime(2027, 3, 28, 8, 0, tzinfo=timezone.utc)),
    (date(2027, 12, 12), datetime(2027, 10, 31, 9, 0, tzinfo=timezone.utc)),
])
def test_quiet_hours_hold_the_reminder_until_they_end_on_clock_change_days(
        app, actors, push_service, phone, clock, due, morning_utc):
    """Quiet until 09:30 London time: the 09:00 reminder waits for 09:30, BST or GMT."""
    psa_due_on(app, actors, due)
    set_quiet_hours(app, actors.patient_a, time(21, 0), time(9, 30))

    check_at(clock, morning_utc)
    assert received(push_service, phone) == []
    [claim] = claims(app)
    assert claim.lease_until == morning_utc + timedelta(minutes=30)
    assert claim.lease_until.astimezone(LONDON).strftime("%H:%M") == "09:30"

    check_at(clock, morning_utc + timedelta(minutes=15))
    assert received(push_service, phone) == []
    check_at(clock, morning_utc + timedelta(minutes=30))
    assert received(push_service, phone) == ["test_due"]


@pytest.mark.hazard("HAZ-023")
@pytest.mark.parametrize("replied_at, quiet_end", [
    # Saturday 23:30 GMT; quiet hours end at 08:00 on Sunday, which is BST (07:00 UTC).
    (london(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 7, 0, tzinfo=timezone.utc)),
    # Saturday 23:30 BST; quiet hours end at 08:00 on Sunday, which is GMT (08:00 UTC).
    (london(2026, 10, 24, 23, 30), datetime(2026, 10, 25, 8, 0, tzinfo=timezone.utc)),
    (london(2027, 3, 27, 21, 0), datetime(2027, 3, 28, 7, 0, tzinfo=timezone.utc)),
    (london(2027, 10, 30, 22, 15), datetime(2027, 10, 31, 8, 0, tzinfo=timezone.utc)),
])
def test_a_reply_at_night_waits_for_the_end_of_the_default_quiet_hours(
        app, actors, push_service, phone, clock, replied_at, quiet_end):
    clock(replied_at, "app.messages.service")
    reply_from_the_team(app, actors)

    assert received(push_service, phone) == []  # quiet from 21:00 to 08:00 London time
    check_at(clock, quiet_end - timedelta(minutes=15))
    assert received(push_service, phone) == []
    check_at(clock, quiet_end)
    assert received(push_service, phone) == ["team_reply"]
    assert [claim.outcome for claim in claims(app)] == ["sent"]


def reply_from_the_team(app, actors) -> None:
    """A nurse's reply to patient A, through the messages service, committed as a route does."""
    from app.idempotency import new_form_token
    from app.messages import service as messages
    from app.triage import service as triage
    from app.triage.queue import ItemKind

    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        nurse = db.session.get(User, actors.nurse_a)
        item = triage.raise_item(patient, ItemKind.REENTRY, "Worried about a cough", "test:cough")
        thread = messages.start_thread(item, nurse)
        sent = messages.send(thread, nurse, new_form_token(), "Please call us when you can.")
        assert sent.message is not None
        db.session.commit()


def test_a_reply_from_the_team_reaches_the_phone_at_once(app, actors, push_service, phone, clock):
    clock(NOON, "app.messages.service")
    reply_from_the_team(app, actors)

    assert received(push_service, phone) == ["team_reply"]
    [claim] = claims(app)
    assert claim.key.startswith("team_reply:") and claim.claimed_at == NOON


def asked_to_be_seen(actors):
    """Patient A asks to be seen, through the reentry service, committed as a route does."""
    from app.idempotency import new_form_token
    from app.reentry import service as reentry
    from app.reentry.models import ContactMethod, ContactTime

    patient = db.session.get(PatientProfile, actors.profile_a)
    asked = reentry.ask(patient, patient.user, new_form_token(), "A cough that will not go away",
                        ContactMethod.PHONE, ContactTime.ANY, "07700 900 123")
    db.session.commit()
    return asked


def test_a_change_to_a_request_to_be_seen_reaches_the_phone_at_once_and_the_request_itself_does_not(
        app, actors, push_service, phone, clock):
    from app.reentry import service as reentry
    from app.reentry.models import RequestStatus

    clock(NOON, "app.reentry.service")
    with app.app_context():
        asked = asked_to_be_seen(actors)
        assert received(push_service, phone) == []  # the person's own step is not news to them

        reentry.move_on(asked.request, reentry.Change(RequestStatus.WILL_CALL), db.session.get(User, actors.nurse_a),
                        asked.request.version)
        db.session.commit()

    assert received(push_service, phone) == ["reentry_status"]
    [claim] = claims(app)
    assert claim.key.startswith("reentry_status:") and claim.outcome == "sent"


def test_closing_a_request_from_the_queue_reaches_the_phone_too(app, actors, push_service, phone, clock):
    from app.reentry import service as reentry
    from app.triage.models import Outcome, QueueItem

    clock(NOON, "app.reentry.service")
    with app.app_context():
        asked = asked_to_be_seen(actors)
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"reentry:{asked.request.id}"))
        reentry.resolve_queue_item(item, Outcome.ADVICE_GIVEN, "Advice given on the phone",
                                   db.session.get(User, actors.nurse_a), item.revision)
        db.session.commit()

    assert received(push_service, phone) == ["reentry_status"]


def test_a_reminder_held_for_quiet_hours_whose_fact_changes_meanwhile_is_not_sent_and_says_so(
        app, actors, push_service, phone, clock):
    test_id = psa_due_on(app, actors, DUE)
    set_quiet_hours(app, actors.patient_a, time(21, 0), time(9, 30))
    check_at(clock, SIX_WEEKS_BEFORE)  # held until 09:30
    with app.app_context():
        db.session.get(SurveillanceTest, test_id).active = False  # taken off the schedule meanwhile
        db.session.commit()

    clock(SIX_WEEKS_BEFORE + timedelta(minutes=30))
    assert send_reminder.call_local(actors.patient_a, f"test_due:6w:{test_id}:2026-11-20") == service.NOT_DUE

    assert received(push_service, phone) == []
    [claim] = claims(app)
    assert claim.outcome == service.NOT_NEEDED


def new_care_plan_version(actors) -> None:
    from app.careplan import service as careplan
    from app.careplan.models import ActionOwner, Support

    item = careplan.ItemInput(concern_id=None, domain=None, concern="Tiredness", agreed="Pace the day",
                              action="Walk each morning", owner=ActionOwner.PATIENT, owner_name="",
                              support=Support.NONE, service_id=None)
    careplan.save_new_version(db.session.get(PatientProfile, actors.profile_a), 0, [item], date(2026, 9, 1),
                              None, None, None, db.session.get(User, actors.nurse_a))


def needs_assessment_offered(actors) -> None:
    from app.hna import service as hna
    from app.hna.models import PathwayPoint

    hna.publish_bundled_questionnaires()
    hna.offer(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
              PathwayPoint.END_OF_TREATMENT)


def test_a_new_care_plan_version_reaches_the_phone_at_once(app, actors, push_service, phone, clock):
    clock(NOON, "app.careplan.service")
    with app.app_context():
        new_care_plan_version(actors)
        db.session.commit()

    assert received(push_service, phone) == ["care_plan"]
    [claim] = claims(app)
    assert claim.key.startswith("care_plan_updated:") and claim.outcome == "sent"


def test_an_offered_needs_assessment_reaches_the_phone_at_once(app, actors, push_service, phone, clock):
    clock(NOON, "app.hna.service")
    with app.app_context():
        needs_assessment_offered(actors)
        db.session.commit()

    assert received(push_service, phone) == ["hna"]
    [claim] = claims(app)
    assert claim.key.startswith("hna:offered:") and claim.outcome == "sent"


@pytest.mark.parametrize(("switch", "change", "key"), [
    ("care_plan", new_care_plan_version, "care_plan_updated:"),
    ("hna", needs_assessment_offered, "hna:offered:"),
])
def test_a_person_who_switched_the_kind_off_is_not_sent_the_at_once_reminder_and_the_team_sees_why(
        app, actors, push_service, phone, clock, switch, change, key):
    clock(NOON, "app.careplan.service", "app.hna.service")
    with app.app_context():
        push.save_settings(actors.patient_a, kinds_on=set(push.KINDS) - {switch},
                           quiet_start=time(21), quiet_end=time(8))
        db.session.commit()
        change(actors)
        db.session.commit()

    assert received(push_service, phone) == []
    [claim] = claims(app)
    assert claim.key.startswith(key) and claim.outcome == service.OFF
    with app.app_context():
        [line] = service.recent_reminders(actors.patient_a, NOON)
    assert line.outcome == "Not sent: they turned these off"
