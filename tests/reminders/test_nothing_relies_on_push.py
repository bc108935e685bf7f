"""Nothing urgent relies on push (HAZ-023): for every kind of reminder, on the day it is due, the
same fact is on the patient's home page or the nurse's pages, whether or not a notification
ever arrives (no phone subscribed, notifications off, quiet hours, a push service down)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.careplan.models import CarePlan
from app.extensions import db
from app.followup.models import SurveillanceTest
from app.hna import service as hna_service
from app.hna.models import PathwayPoint
from app.idempotency import new_form_token
from app.main.things_to_do import (Urgency, care_plan_review_things, gp_review_things, things_to_do,
                                   waiting_result_things)
from app.models import PatientProfile, User
from app.reminders import rules
from app.reminders import service as reminders
from app.results.models import SampleTaken
from app.timeutil import london_today, long_date, utcnow
from tests.helpers import page, sign_in_as


def profile_of(actors) -> PatientProfile:
    return db.session.get(PatientProfile, actors.profile_a)


def psa(actors, due: date) -> SurveillanceTest:
    test = SurveillanceTest(patient_id=actors.profile_a, name="PSA blood test", interval_months=6, next_due=due)
    db.session.add(test)
    db.session.flush()
    return test


# Each: the record a reminder is about, made so that the reminder is due now (dates are days
# from today, so that it holds at any time of day), and the words that show the same fact.

def hna_offered_4_days_ago(actors, today):
    hna_service.publish_bundled_questionnaires()
    offer = hna_service.offer(profile_of(actors), db.session.get(User, actors.nurse_a), PathwayPoint.END_OF_TREATMENT)
    offer.hna.offered_at = utcnow() - timedelta(days=4)
    return ("home", "Fill in your needs assessment")


def hna_offered_now(actors, today):
    hna_service.publish_bundled_questionnaires()
    hna_service.offer(profile_of(actors), db.session.get(User, actors.nurse_a), PathwayPoint.END_OF_TREATMENT)
    return ("home", "Fill in your needs assessment")


def psa_due_in_41_days(actors, today):
    due = today + timedelta(days=41)
    psa(actors, due)
    return ("nurse", f"PSA blood test, {long_date(due)}")


def psa_due_in_27_days(actors, today):
    due = today + timedelta(days=27)
    psa(actors, due)
    return ("home", f"PSA blood test due {long_date(due)}")


def psa_due_2_days_ago(actors, today):
    psa(actors, today - timedelta(days=2))
    return ("home", "PSA blood test: arrange it now")


def sample_taken_22_days_ago(actors, today):
    test = psa(actors, today + timedelta(days=150))
    db.session.add(SampleTaken(surveillance_test_id=test.id, patient_id=actors.profile_a,
                               taken_on=today - timedelta(days=22), recorded_by_id=actors.nurse_a))
    return ("home", "No result yet for your PSA blood test?")


def diagnosed_2_months_ago(actors, today):
    profile_of(actors).diagnosed_on = rules.add_months(today, -2) - timedelta(days=1)
    return ("home", "Your GP practice: support after your diagnosis")


def diagnosed_10_months_ago(actors, today):
    profile_of(actors).diagnosed_on = rules.add_months(today, -10) - timedelta(days=1)
    return ("home", "Book your Cancer Care Review with your GP practice")


def care_plan_review_in_6_days(actors, today):
    review = today + timedelta(days=6)
    db.session.add(CarePlan(patient_id=actors.profile_a, team_id=actors.team_a, version=1, is_current=True,
                            review_date=review, created_by_id=actors.nurse_a))
    return ("home", f"Your care plan review is due {long_date(review)}")


def care_plan_agreed_today(actors, today):
    db.session.add(CarePlan(patient_id=actors.profile_a, team_id=actors.team_a, version=1, is_current=True,
                            review_date=today + timedelta(days=90), created_by_id=actors.nurse_a, created_at=utcnow()))
    return ("nurse", f"Version 1, agreed {long_date(today)}")


def reply_from_the_team(actors, today):
    from app.messages import service as messages
    from app.triage import service as triage
    from app.triage.queue import ItemKind

    nurse = db.session.get(User, actors.nurse_a)
    item = triage.raise_item(profile_of(actors), ItemKind.REENTRY, "Worried about a cough", "test:cough")
    messages.send(messages.start_thread(item, nurse), nurse, new_form_token(), "Please call us.")
    return ("home", "Read the reply from your team")


def request_moved_on(actors, today):
    from app.reentry import service as reentry
    from app.reentry.models import ContactMethod, ContactTime, RequestStatus
    from tests.reentry.helpers import give_plan

    give_plan(actors.profile_a, actors.nurse_a)
    profile = profile_of(actors)
    asked = reentry.ask(profile, profile.user, new_form_token(), "A cough", ContactMethod.PHONE, ContactTime.ANY, None)
    db.session.flush()
    reentry.move_on(asked.request, reentry.Change(RequestStatus.WILL_CALL), db.session.get(User, actors.nurse_a),
                    asked.request.version)
    return ("home", "Your request to be seen")


RECORDS = {
    "hna_offered": hna_offered_now,
    "hna_not_started": hna_offered_4_days_ago,
    "test_due_6w": psa_due_in_41_days,
    "test_due_4w": psa_due_in_27_days,
    "test_overdue": psa_due_2_days_ago,
    "no_result": sample_taken_22_days_ago,
    "gp_review_first": diagnosed_2_months_ago,
    "gp_review_review": diagnosed_10_months_ago,
    "care_plan_review": care_plan_review_in_6_days,
    "care_plan_updated": care_plan_agreed_today,
    "team_reply": reply_from_the_team,
    "reentry_will_call": request_moved_on,
}


@pytest.mark.hazard("HAZ-023")
def test_every_kind_of_reminder_the_rules_make_is_in_this_table():
    """A new rule in app/reminders/rules.py must say where its fact is shown without push."""
    from datetime import datetime, timezone

    moment = datetime(2026, 2, 1, 9, tzinfo=timezone.utc)
    everything = rules.schedule(rules.Facts(
        user_id=1, patient_id=1, diagnosed_on=date(2026, 1, 5),
        offered_hnas=(rules.OfferedHNA(1, moment, False),), tests=(rules.DueTest(1, date(2026, 6, 1)),),
        samples=(rules.WaitingSample(1, date(2026, 5, 1)),), care_plan_id=1, care_plan_review=date(2026, 6, 1),
        care_plan_created_at=moment, care_plan_seen=False, team_replies=(rules.TeamReply(1, moment, False),),
        status_changes=tuple(rules.StatusChange(n, 1, status, moment)
                             for n, status in enumerate(("seen", "will_call", "appointment_booked", "closed")))))
    abouts = {"reentry_will_call" if r.about.startswith("reentry_") else r.about for r in everything}

    assert abouts == set(RECORDS)


@pytest.mark.hazard("HAZ-023")
@pytest.mark.parametrize("about", sorted(RECORDS))
def test_the_fact_a_reminder_is_about_is_shown_without_push(app, actors, new_client, about):
    today = london_today()
    with app.app_context():
        where, words = RECORDS[about](actors, today)
        db.session.commit()
        due = [r.about for r in reminders.due_reminders(utcnow()) if r.user_id == actors.patient_a]
    assert about in due  # the reminder is due now: the same moment the page must show it

    browser = new_client()
    if where == "home":
        sign_in_as(browser, actors.patient_a)
        body = page(browser.get("/my-care"))
    else:
        sign_in_as(browser, actors.nurse_a)
        body = page(browser.get(f"/nurse/patients/{actors.profile_a}"))
    assert words in body


# ---------------------------------------------------------------- the home page's own rules, in tables

DAY = date(2026, 12, 7)


@pytest.mark.parametrize("taken_days_ago, shown", [(20, False), (21, True), (60, True)])
def test_a_sample_with_no_result_is_on_home_from_3_weeks(taken_days_ago, shown):
    from types import SimpleNamespace

    sample = SimpleNamespace(taken_on=DAY - timedelta(days=taken_days_ago))
    things = waiting_result_things([sample], DAY)
    assert bool(things) is shown
    if shown:
        assert (things[0].urgency, things[0].kind) == (Urgency.LATE, "no_result")


@pytest.mark.parametrize("diagnosed_on, kinds", [
    (None, []),
    (date(2026, 10, 8), []),                      # 2 months less a day ago
    (date(2026, 10, 7), ["gp_review_first"]),     # 2 months ago: until the 3 months are up
    (date(2026, 9, 8), ["gp_review_first"]),
    (date(2026, 9, 7), []),                       # 3 months: due today, the prompt has passed
    (date(2026, 2, 7), ["gp_review_review"]),     # 10 months ago
    (date(2025, 12, 8), ["gp_review_review"]),
    (date(2025, 12, 7), []),                      # a year ago
])
def test_gp_cancer_care_reviews_are_on_home_from_the_prompt_until_they_are_due(diagnosed_on, kinds):
    assert [thing.kind for thing in gp_review_things(diagnosed_on, DAY)] == kinds


@pytest.mark.parametrize("review_in_days, shown", [(8, False), (7, True), (0, True), (-1, False)])
def test_a_care_plan_review_is_on_home_in_the_week_before(review_in_days, shown):
    from types import SimpleNamespace

    plan = SimpleNamespace(review_date=DAY + timedelta(days=review_in_days))
    assert bool(care_plan_review_things(plan, DAY)) is shown
    assert care_plan_review_things(None, DAY) == []


def test_things_to_do_gathers_them(app, actors):
    with app.app_context():
        today = london_today()
        diagnosed_2_months_ago(actors, today)
        care_plan_review_in_6_days(actors, today)
        sample_taken_22_days_ago(actors, today)
        db.session.commit()
        kinds = [thing.kind for thing in things_to_do(profile_of(actors), today)]
    assert kinds == ["no_result", "care_plan_review", "gp_review_first"]
