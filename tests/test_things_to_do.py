"""What the patient needs to do now (app/main/things_to_do.py): the order rule as a table, what
each area adds, and the top of the home page."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.followup.models import SurveillanceTest
from app.hna import service as hna_service
from app.hna.models import PathwayPoint
from app.main.service import UnreadResults
from app.main.things_to_do import (DUE_SOON_DAYS, ToDo, Urgency, due_tests, hna_things, in_order, message_things, result_things, symptom_item_things, symptom_things,
                                   request_things, things_to_do)
from app.models import PatientProfile, User
from app.reentry.models import RequestStatus
from app.timeutil import london_today, long_date
from tests.helpers import page
from tests.reentry.helpers import ask_data, form_token, give_plan

DAY = date(2026, 12, 7)


def thing(urgency: Urgency, when: date | None, name: str) -> ToDo:
    return ToDo(urgency, name, when)


@pytest.mark.parametrize("given, expected", [
    # Late beats everything, however far back; what the team asked beats what is due soon.
    ([thing(Urgency.WAITING, DAY, "sent"), thing(Urgency.LATE, DAY - timedelta(days=90), "overdue")], ["overdue", "sent"]),
    ([thing(Urgency.DUE_SOON, DAY, "due"), thing(Urgency.ASKED, DAY + timedelta(days=5), "offer")], ["offer", "due"]),
    ([thing(Urgency.STARTED, DAY, "draft"), thing(Urgency.DUE_SOON, DAY + timedelta(days=20), "due")], ["due", "draft"]),
    ([thing(Urgency.WAITING, DAY, "sent"), thing(Urgency.STARTED, DAY + timedelta(days=1), "draft")], ["draft", "sent"]),
    # Of the same urgency, the earliest date first; no date after a date.
    ([thing(Urgency.DUE_SOON, DAY + timedelta(days=9), "later"), thing(Urgency.DUE_SOON, DAY, "sooner")], ["sooner", "later"]),
    ([thing(Urgency.LATE, None, "undated"), thing(Urgency.LATE, DAY, "dated")], ["dated", "undated"]),
    # Ties keep the order the areas gave them.
    ([thing(Urgency.ASKED, DAY, "first"), thing(Urgency.ASKED, DAY, "second")], ["first", "second"]),
    ([], []),
])
def test_most_urgent_first_then_earliest(given, expected):
    assert [t.kind for t in in_order(given)] == expected


def scheduled(due: date, name: str = "PSA blood test"):
    return SimpleNamespace(name=name, next_due=due)


@pytest.mark.parametrize("days_from_today, expected", [
    (-1, [(Urgency.LATE, "test_overdue")]),
    (0, [(Urgency.DUE_SOON, "test_due")]),
    (DUE_SOON_DAYS, [(Urgency.DUE_SOON, "test_due")]),
    (DUE_SOON_DAYS + 1, []),
])
def test_a_test_is_late_after_its_day_and_due_soon_within_four_weeks(days_from_today, expected):
    found = due_tests([scheduled(DAY + timedelta(days=days_from_today))], DAY)
    assert [(t.urgency, t.kind) for t in found] == expected


NOW = datetime(2026, 12, 7, 10, tzinfo=timezone.utc)
OFFERED = SimpleNamespace(offered_by_id=3, offered_at=NOW, created_at=NOW)
STARTED = SimpleNamespace(offered_by_id=None, offered_at=None, created_at=NOW)
SENT = SimpleNamespace(id=9)


@pytest.mark.parametrize("draft, last_sent, reply, expected", [
    (OFFERED, None, None, [(Urgency.ASKED, "hna_offered")]),
    # An offer counts even when an earlier assessment is waiting for its reply.
    (OFFERED, SENT, {"done": False, "late": True, "by": NOW}, [(Urgency.ASKED, "hna_offered")]),
    (STARTED, None, None, [(Urgency.STARTED, "hna_started")]),
    (None, SENT, {"done": False, "late": True, "by": NOW}, [(Urgency.LATE, "hna_reply_late")]),
    (None, SENT, {"done": False, "late": False, "by": NOW}, [(Urgency.WAITING, "hna_sent")]),
    # Dealt with by the team: nothing left to do or wait for.
    (None, SENT, {"done": True, "late": False, "by": None}, []),
    (None, None, None, []),
])
def test_the_needs_assessment_adds_one_thing_at_most(draft, last_sent, reply, expected):
    assert [(t.urgency, t.kind) for t in hna_things(draft, last_sent, reply)] == expected


def _schedule(app, actors, *tests: tuple[str, int]) -> None:
    today = london_today()
    with app.app_context():
        db.session.add_all([SurveillanceTest(patient_id=actors.profile_a, name=name, interval_months=6,
                                             next_due=today + timedelta(days=days)) for name, days in tests])
        db.session.commit()


def test_things_to_do_gathers_each_area_in_order(app, actors):
    _schedule(app, actors, ("CT scan", 10), ("PSA blood test", -3), ("Mammogram", 200))
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        hna_service.offer(profile, db.session.get(User, actors.nurse_a), PathwayPoint.AFTER_TREATMENT)
        db.session.commit()
        found = things_to_do(profile, london_today())
        assert [(t.kind, getattr(t.subject, "name", None)) for t in found] == [
            ("test_overdue", "PSA blood test"), ("hna_offered", None), ("test_due", "CT scan")]


def test_the_home_page_says_what_to_do_before_anything_else(app, patient, actors):
    _schedule(app, actors, ("PSA blood test", -3), ("CT scan", 10))
    body = page(patient.get("/my-care"))
    to_do = body.index("To do now")
    assert to_do < body.index("Feeling unwell?")
    overdue, due = body.index("PSA blood test: arrange it now"), body.index("CT scan due")
    assert to_do < overdue < due < body.index("Feeling unwell?")
    assert f"Due {long_date(london_today() - timedelta(days=3))}. Not had it? Contact your team." in body


def test_the_home_page_says_when_there_is_nothing_to_do(patient):
    assert "Nothing to do now." in page(patient.get("/my-care"))


def test_someone_elses_tests_are_not_on_my_list(app, patient, actors):
    with app.app_context():
        db.session.add(SurveillanceTest(patient_id=actors.profile_a2, name="Their scan", interval_months=6,
                                        next_due=london_today()))
        db.session.commit()
    body = page(patient.get("/my-care"))
    assert "Their scan" not in body and "Nothing to do now." in body


def asked(status: RequestStatus, due_in_hours: int = 24, appointment_at: datetime | None = None):
    return SimpleNamespace(status=status, due_at=NOW + timedelta(hours=due_in_hours), created_at=NOW - timedelta(days=1),
                           appointment_at=appointment_at)


@pytest.mark.hazard("HAZ-012")  # past its reply target, a request is never shown as still on its way
@pytest.mark.parametrize("given, expected", [
    (asked(RequestStatus.SENT), [(Urgency.WAITING, "request_status")]),
    # Past the team's response target with no answer: the person is told to call.
    (asked(RequestStatus.SENT, due_in_hours=-1), [(Urgency.LATE, "request_late")]),
    # Once a nurse has seen it, the target has been met, however long ago it was.
    (asked(RequestStatus.SEEN, due_in_hours=-100), [(Urgency.WAITING, "request_status")]),
    (asked(RequestStatus.WILL_CALL, due_in_hours=-100), [(Urgency.WAITING, "request_status")]),
    (asked(RequestStatus.APPOINTMENT_BOOKED, appointment_at=NOW + timedelta(days=2)), [(Urgency.DUE_SOON, "request_appointment")]),
    (asked(RequestStatus.CLOSED, due_in_hours=-100), []),
])
def test_an_open_request_to_be_seen_says_where_it_stands(given, expected):
    assert [(t.urgency, t.kind) for t in request_things([given], NOW)] == expected


def test_the_home_page_shows_a_request_to_be_seen_and_its_status(app, patient, actors):
    with app.app_context():
        give_plan(actors.profile_a, actors.nurse_a)
    token = form_token(patient.get("/my-care/ask-to-be-seen").get_data(as_text=True))
    patient.post_form("/my-care/ask-to-be-seen", ask_data(token))
    body = page(patient.get("/my-care"))
    assert body.index("Your request to be seen") < body.index("Feeling unwell?")
    assert f"Sent to your team. Sent {long_date(london_today())}." in body


@pytest.mark.parametrize("unread, expected", [
    (0, []),
    (1, [(Urgency.ASKED, "messages_unread")]),
    (3, [(Urgency.ASKED, "messages_unread")]),
])
def test_unread_replies_from_the_team_are_one_thing_to_do(unread, expected):
    assert [(t.urgency, t.kind) for t in message_things(unread)] == expected


def test_the_home_page_shows_a_reply_from_the_team_until_it_is_read(app, actors, patient):
    from app.idempotency import new_form_token
    from app.messages import service as messages_service
    from app.triage.queue import ItemKind
    from app.triage.service import raise_item

    with app.app_context():
        nurse = db.session.get(User, actors.nurse_a)
        item = raise_item(db.session.get(PatientProfile, actors.profile_a), ItemKind.HNA_NEW, "Needs assessment: sent", "hna:test")
        thread = messages_service.start_thread(item, nurse)
        messages_service.send(thread, nurse, new_form_token(), "Can you come in on Tuesday?")
        db.session.commit()
        thread_id = thread.id
    body = page(patient.get("/my-care"))
    assert body.index("Read the reply from your team") < body.index("Feeling unwell?")
    assert patient.get(f"/my-care/messages/{thread_id}").status_code == 200
    assert "Read the reply from your team" not in page(patient.get("/my-care"))


def entry(level: str, logged_on: date):
    return SimpleNamespace(level=level, logged_on=logged_on)


@pytest.mark.hazard("HAZ-015")  # a red flag logged today stays at the top of the home page with what to do
@pytest.mark.parametrize("given, expected", [
    (entry("emergency", DAY), [(Urgency.LATE, "symptom_act_today")]),
    (entry("red_flag", DAY), [(Urgency.LATE, "symptom_act_today")]),
    # Watch symptoms come with advice, not something to do now.
    (entry("watch", DAY), []),
    # Yesterday's: the team has it in their queue; today's instruction was for that day.
    (entry("red_flag", DAY - timedelta(days=1)), []),
])
def test_a_symptom_to_act_on_today_is_at_the_top(given, expected):
    assert [(t.urgency, t.kind) for t in symptom_things([given], DAY)] == expected


def test_the_home_page_puts_a_red_flag_logged_today_first(app, patient):
    from tests.symptoms.helpers import log

    response = log(patient, symptom="something_else", own_words="A lump under my arm", severity="severe", new_or_worse="yes")
    assert response.status_code == 303
    body = page(patient.get("/my-care"))
    first = body.index("What to do about your symptom now")
    assert first < body.index("Feeling unwell?")
    assert "A lump under my arm, logged today." in body
    entry_url = response.headers["Location"].split("?")[0]
    assert f'href="{entry_url}"' in patient.get("/my-care").get_data(as_text=True)


def open_item(due: datetime):
    return SimpleNamespace(due_at=due)


NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.mark.hazard("HAZ-015")  # after its day, a red flag still open says the team has it, and when to call
@pytest.mark.parametrize("item, acting_today, expected", [
    (None, False, []),
    # On the day, "what to do now" is already at the top: said once, not twice.
    (open_item(NOW + timedelta(hours=5)), True, []),
    (open_item(NOW + timedelta(hours=5)), False, [(Urgency.WAITING, "symptom_with_team")]),
    # Past the team's target with the item still open: call them.
    (open_item(NOW - timedelta(minutes=1)), False, [(Urgency.LATE, "symptom_reply_late")]),
])
def test_an_open_symptom_item_after_its_day_says_the_team_has_it(item, acting_today, expected):
    assert [(t.urgency, t.kind) for t in symptom_item_things(item, acting_today, NOW)] == expected


def test_the_home_page_keeps_an_open_red_flag_after_its_day(app, patient, actors, monkeypatch):
    from app.symptoms import service as symptoms
    from tests.symptoms.helpers import log

    assert log(patient, symptom="something_else", own_words="A lump under my arm", severity="severe",
               new_or_worse="yes").status_code == 303
    with app.app_context():
        item = symptoms.open_symptom_item(db.session.get(PatientProfile, actors.profile_a))
        item.due_at = datetime.now(timezone.utc) + timedelta(days=2)  # whatever the time of day the test runs
        db.session.commit()
        due = long_date(item.due_at)
    tomorrow = london_today() + timedelta(days=1)
    monkeypatch.setattr("app.main.routes.london_today", lambda: tomorrow)
    body = page(patient.get("/my-care"))
    assert "What to do about your symptom now" not in body
    assert "Your team has your symptom report" in body and f"They will contact you by {due}" in body
    assert body.index("Your team has your symptom report") < body.index("Feeling unwell?")


@pytest.mark.parametrize("unread, expected", [
    (None, []),
    (UnreadResults(1, "PSA blood test", DAY), [(Urgency.ASKED, "results_unread", DAY)]),
    # Several are one thing to do, dated by the newest: read them on the results page.
    (UnreadResults(2, "CT scan", DAY), [(Urgency.ASKED, "results_unread", DAY)]),
])
def test_results_with_a_comment_not_yet_read_are_one_thing_to_do(unread, expected):
    assert [(t.urgency, t.kind, t.when) for t in result_things(unread)] == expected


def test_the_home_page_shows_a_result_with_the_teams_comment_until_it_is_read(app, actors, patient):
    from decimal import Decimal

    from app.idempotency import new_form_token
    from app.results import service as results_service
    from tests.results.helpers import make_psa

    with app.app_context():
        test = make_psa(actors.profile_a, actors.nurse_a)
        profile, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        taken = london_today() - timedelta(days=4)
        no_comment = results_service.ResultEntry(Decimal("1.1"), "ng/mL", taken - timedelta(days=200), taken - timedelta(days=198))
        results_service.record_result(profile, test, no_comment, nurse, new_form_token())
        db.session.commit()
        test_id = test.id
    assert "Read your PSA blood test result" not in page(patient.get("/my-care"))  # no comment: nothing to read

    with app.app_context():
        profile, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        entry = results_service.ResultEntry(Decimal("1.2"), "ng/mL", taken, taken + timedelta(days=2), "Steady. Nothing to do.")
        results_service.record_result(profile, db.session.get(SurveillanceTest, test_id), entry, nurse, new_form_token())
        db.session.commit()
    body = page(patient.get("/my-care"))
    assert body.index("Read your PSA blood test result and your team’s comment") < body.index("Feeling unwell?")
    assert f"Taken {long_date(taken)}." in body

    assert "Steady. Nothing to do." in page(patient.get("/my-care/results"))
    assert "Read your PSA blood test result" not in page(patient.get("/my-care"))


def test_another_persons_results_are_not_read_by_opening_mine(app, actors, patient, new_client):
    from decimal import Decimal

    from app.idempotency import new_form_token
    from app.results import service as results_service
    from tests.results.helpers import make_psa
    from tests.helpers import sign_in_as

    with app.app_context():
        for profile_id in (actors.profile_a, actors.profile_a2):
            test = make_psa(profile_id, actors.nurse_a)
            entry = results_service.ResultEntry(Decimal("1.2"), "ng/mL", london_today(), london_today(), "Steady.")
            results_service.record_result(db.session.get(PatientProfile, profile_id), test,
                                          entry, db.session.get(User, actors.nurse_a), new_form_token())
        db.session.commit()
    patient.get("/my-care/results")
    other = new_client()
    sign_in_as(other, actors.patient_a2)
    assert "Read your PSA blood test result" in page(other.get("/my-care"))


# ---------------------------------------------------------------- what the home page reads


def _as_each_area_reads_it(profile, today) -> dict:
    """Each area's own reader, kept as the list of things to do keeps it."""
    from app.careplan.service import current_plan
    from app.followup.service import plan_of, tests_of
    from app.followup.summaries import current_summary
    from app.main.things_to_do import ACT_TODAY_LEVELS
    from app.reentry.service import requests_of
    from app.results.service import unread_results, waiting_samples
    from app.symptoms.service import history, open_symptom_item

    draft, sent = hna_service.current_draft(profile), hna_service.submitted_hnas(profile)
    plan, item = current_plan(profile), open_symptom_item(profile)
    unread = unread_results(profile)
    return {
        # The home page reads only the columns it shows of these, as plain values.
        "draft": (draft.id, draft.offered_by_id, draft.offered_by.display_name if draft.offered_by else None,
                  draft.offered_at, draft.last_step, draft.created_at) if draft else None,
        "last_sent": (sent[0].id, sent[0].submitted_at) if sent else None,
        "tests": [(t.id, t.name, t.interval_months, t.next_due, t.arranged_by, t.notes) for t in tests_of(profile)],
        "care_plan": (plan.id, plan.created_at, plan.review_date) if plan else None,
        "has_follow_up_plan": plan_of(profile) is not None, "has_summary": current_summary(profile) is not None,
        "symptom_item": (item.id, item.received_at, item.due_at) if item else None,
        "symptoms_today": [e for e in history(profile) if e.level in ACT_TODAY_LEVELS and e.logged_on == today],
        "unread_results": (len(unread), unread[0].test.name, unread[0].taken_on) if unread else None,
        "waiting_samples": waiting_samples(profile),
        "requests": [(r.id, r.status, r.created_at, r.due_at, r.appointment_at, r.appointment_place,
                      (r.seen_by.display_name,) if r.seen_by else None)
                     for r in requests_of(profile) if r.status is not RequestStatus.CLOSED],
    }


def _as_the_home_page_reads_it(profile, today) -> tuple[dict, int]:
    from app.main.service import home_records
    from tests.test_query_counts import counting_statements

    with counting_statements() as statements:
        records = home_records(profile, today, unread_messages=0)
    return {name: getattr(records, name) for name in _as_each_area_reads_it(profile, today)}, len(statements)


def _give(app, actors, profile_id: int, client, step: str) -> None:
    """One kind of record for the person (both people get each, so neither sees the other's)."""
    from app.followup.models import EndOfTreatmentSummary
    from app.results.models import SampleTaken
    from tests.results.helpers import flagged_result, make_psa
    from tests.symptoms.helpers import log
    from tests.triage.helpers import care_plan

    today = london_today()
    with app.app_context():
        profile = db.session.get(PatientProfile, profile_id)
        if step == "plans":
            give_plan(profile_id, actors.nurse_a)
            care_plan(profile_id, today + timedelta(days=3))
            care_plan(profile_id, today + timedelta(days=90), version=2)
            db.session.add(EndOfTreatmentSummary(patient_id=profile_id, team_id=profile.team_id, version=1, is_current=True,
                                                 created_by_id=actors.nurse_a, diagnosis="Prostate cancer", treatments=[]))
            hna_service.offer(profile, db.session.get(User, actors.nurse_a), PathwayPoint.AFTER_TREATMENT)
            # Two active tests: the home page's row comes once per test, the rest the same on each.
            db.session.add_all([SurveillanceTest(patient_id=profile_id, name=name, interval_months=12,
                                                 next_due=today + timedelta(days=days))
                                for name, days in (("Mammogram", 200), ("Chest X-ray", 20))])
        if step == "sent":  # with its queue item, taken by a nurse
            from app.hna.models import HNAStatus
            from app.timeutil import utcnow
            from app.triage.models import QueueItem
            from app.triage.queue import ItemKind

            hna = hna_service.start_or_resume(profile)
            hna.status, hna.submitted_at = HNAStatus.SUBMITTED, utcnow()
            db.session.flush()
            db.session.add(QueueItem(team_id=profile.team_id, patient_id=profile_id, kind=ItemKind.HNA_NEW, reason="New",
                                     source_key=f"hna:{hna.id}", hna_id=hna.id, due_at=utcnow(),
                                     assignee_id=actors.nurse_a, assigned_at=utcnow()))
        if step == "result":
            result = flagged_result(make_psa(profile_id, actors.nurse_a), actors.nurse_a)
            result.comment = "Your team will call you about this result."
        if step == "sample":
            test = SurveillanceTest(patient_id=profile_id, name="CT scan", interval_months=12, next_due=today, active=False)
            db.session.add(test)
            db.session.flush()
            db.session.add(SampleTaken(surveillance_test_id=test.id, patient_id=profile_id,
                                       taken_on=today - timedelta(days=30), recorded_by_id=actors.nurse_a))
        db.session.commit()
    if step == "request":
        token = form_token(client.get("/my-care/ask-to-be-seen").get_data(as_text=True))
        assert client.post_form("/my-care/ask-to-be-seen", ask_data(token)).status_code == 303
    if step == "red flag":
        assert log(client, symptom="something_else", own_words="A lump under my arm", severity="severe",
                   new_or_worse="yes").status_code == 303


@pytest.mark.parametrize("steps, lists_read", [
    ([], 0),
    # The one-row read (plans, summary, open symptom item, the assessments, the newest unread
    # result and how many) costs nothing more.
    (["plans"], 0),
    (["plans", "result"], 0),
    (["plans", "result", "result"], 0),
    (["sent"], 0),
    (["sent", "plans"], 0),
    (["plans", "sample"], 1),
    # The newest open request is in the row: the list is read only when there are more.
    (["plans", "request"], 0),
    (["plans", "request", "request"], 1),
    # A red flag today: the entry to act on (and its open queue item, read with the row).
    (["plans", "red flag"], 1),
    (["plans", "result", "sample", "request", "red flag"], 2),
])
def test_the_home_page_reads_what_each_area_reads_each_usually_empty_list_only_when_it_has_something(
        app, actors, patient, new_client, steps, lists_read):
    from tests.helpers import sign_in_as

    other = new_client()
    sign_in_as(other, actors.patient_a2)
    for step in steps:
        _give(app, actors, actors.profile_a, patient, step)
        _give(app, actors, actors.profile_a2, other, step)
    today = london_today()
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        expected = _as_each_area_reads_it(profile, today)
        found, statements = _as_the_home_page_reads_it(profile, today)
        assert found == expected
        if "plans" in steps:  # not only nothing read the same as nothing
            assert found["care_plan"] and found["has_follow_up_plan"] and found["has_summary"]
            names = [test[1] for test in found["tests"]]
            assert names.index("Chest X-ray") < names.index("Mammogram")  # soonest due first
        # The row (with the tests); then one statement for each list with anything in it.
        assert statements == 1 + lists_read
        assert all(getattr(thing, "patient_id", profile.id) == profile.id
                   for value in found.values() for thing in (value if isinstance(value, list) else [value]) if thing)
