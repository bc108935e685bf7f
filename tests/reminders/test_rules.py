"""The reminder rules (app/reminders/rules.py): plain facts in, a schedule out, in tables.

Times are London clock times turned into UTC: 2026's clocks go forward on 29 March and back on
25 October, 2027's on 28 March and 31 October."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.reminders import rules
from app.reminders.rules import DueTest, Facts, OfferedHNA, StatusChange, TeamReply, WaitingSample
from app.timeutil import LONDON

USER, PATIENT = 7, 3


def london(*parts) -> datetime:
    """A London clock time, as the aware UTC datetime the app stores."""
    return datetime(*parts, tzinfo=LONDON).astimezone(timezone.utc)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def facts(**values) -> Facts:
    return Facts(user_id=USER, patient_id=PATIENT, **values)


def schedule_of(**values) -> list[tuple[str, datetime, datetime]]:
    return [(reminder.key, reminder.send_at, reminder.until) for reminder in rules.schedule(facts(**values))]


# ---------------------------------------------------------------- 09:00 London, whatever the season


@pytest.mark.hazard("HAZ-023")
@pytest.mark.parametrize("day, utc_time", [
    (date(2026, 1, 15), utc(2026, 1, 15, 9, 0)),     # GMT
    (date(2026, 3, 28), utc(2026, 3, 28, 9, 0)),     # the last GMT day
    (date(2026, 3, 29), utc(2026, 3, 29, 8, 0)),     # clocks went forward at 01:00 UTC: BST
    (date(2026, 7, 1), utc(2026, 7, 1, 8, 0)),
    (date(2026, 10, 24), utc(2026, 10, 24, 8, 0)),   # the last BST day
    (date(2026, 10, 25), utc(2026, 10, 25, 9, 0)),   # clocks went back at 01:00 UTC: GMT
    (date(2027, 3, 27), utc(2027, 3, 27, 9, 0)),
    (date(2027, 3, 28), utc(2027, 3, 28, 8, 0)),
    (date(2027, 10, 30), utc(2027, 10, 30, 8, 0)),
    (date(2027, 10, 31), utc(2027, 10, 31, 9, 0)),
])
def test_a_reminder_about_a_date_goes_at_nine_in_the_morning_london_time(day, utc_time):
    assert rules.london_morning(day) == utc_time
    assert rules.london_morning(day).astimezone(LONDON).strftime("%H:%M") == "09:00"


@pytest.mark.parametrize("moment, first_morning", [
    (london(2026, 3, 28, 8, 59), london(2026, 3, 28, 9, 0)),
    (london(2026, 3, 28, 9, 0), london(2026, 3, 28, 9, 0)),
    (london(2026, 3, 28, 9, 1), london(2026, 3, 29, 9, 0)),   # next morning is BST: 08:00 UTC
    (london(2026, 10, 24, 23, 30), london(2026, 10, 25, 9, 0)),
])
def test_the_first_morning_from_a_moment(moment, first_morning):
    assert rules.first_morning_from(moment) == first_morning


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 1, 15), 2, date(2026, 3, 15)),
    (date(2026, 12, 31), 2, date(2027, 2, 28)),
    (date(2027, 11, 30), 3, date(2028, 2, 29)),
    (date(2026, 5, 31), 10, date(2027, 3, 31)),
    (date(2026, 1, 31), 12, date(2027, 1, 31)),
])
def test_adding_calendar_months(day, months, expected):
    assert rules.add_months(day, months) == expected


# ---------------------------------------------------------------- each rule


def test_a_needs_assessment_not_started_is_reminded_after_3_days_then_7():
    offered = london(2026, 3, 23, 14, 30)  # a Monday afternoon, GMT

    assert schedule_of(offered_hnas=(OfferedHNA(5, offered, started=False),)) == [
        ("hna:offered:5", offered, offered + timedelta(days=2)),                # the offer itself, at once
        ("hna:3d:5", london(2026, 3, 27, 9, 0), london(2026, 3, 31, 9, 0)),   # 3 days on, the next 09:00
        ("hna:7d:5", london(2026, 3, 31, 9, 0), offered + timedelta(days=28)),  # after the clocks changed: 08:00 UTC
    ]


def test_a_needs_assessment_once_started_is_not_reminded():
    assert schedule_of(offered_hnas=(OfferedHNA(5, london(2026, 3, 23, 14, 30), started=True),)) == []


def test_a_test_is_reminded_6_and_4_weeks_before_it_is_due_and_when_overdue():
    due = date(2026, 11, 20)

    assert schedule_of(tests=(DueTest(12, due),)) == [
        ("test_due:6w:12:2026-11-20", london(2026, 10, 9, 9, 0), london(2026, 10, 23, 9, 0)),  # BST
        ("test_due:4w:12:2026-11-20", london(2026, 10, 23, 9, 0), london(2026, 11, 20, 9, 0)),
        ("test_overdue:12:2026-11-20", london(2026, 11, 21, 9, 0), london(2026, 12, 19, 9, 0)),  # GMT
    ]


@pytest.mark.parametrize("last_done_on, overdue_reminder", [
    (None, True),
    (date(2026, 10, 8), True),    # 6 weeks and a day before the due date: the last round's
    (date(2026, 10, 9), False),   # 6 weeks before: this round's test was done
    (date(2026, 11, 25), False),  # done late, after the due date
])
def test_a_test_done_is_not_overdue(last_done_on, overdue_reminder):
    keys = [key for key, _, _ in schedule_of(tests=(DueTest(12, date(2026, 11, 20), last_done_on),))]

    assert ("test_overdue:12:2026-11-20" in keys) is overdue_reminder
    assert keys[:2] == ["test_due:6w:12:2026-11-20", "test_due:4w:12:2026-11-20"]


def test_a_sample_with_no_result_is_reminded_3_weeks_after_it_was_taken():
    assert schedule_of(samples=(WaitingSample(4, date(2027, 3, 10)),)) == [
        ("no_result:4", london(2027, 3, 31, 9, 0), london(2027, 4, 28, 9, 0)),
    ]


def test_gp_cancer_care_reviews_are_prompted_before_each_deadline():
    assert schedule_of(diagnosed_on=date(2026, 5, 31)) == [
        # First contact due within 3 months: prompted at about 2 months.
        ("gp_review:first:3:2026-05-31", london(2026, 7, 31, 9, 0), london(2026, 8, 31, 9, 0)),
        # The full review due within 12 months: prompted at about 10 months.
        ("gp_review:review:3:2026-05-31", london(2027, 3, 31, 9, 0), london(2027, 5, 31, 9, 0)),
    ]


def test_no_diagnosis_date_no_gp_review_prompts():
    assert schedule_of(diagnosed_on=None) == []


def test_a_care_plan_review_is_reminded_a_week_before():
    assert schedule_of(care_plan_id=9, care_plan_review=date(2026, 11, 1)) == [
        ("care_plan_review:9:2026-11-01", london(2026, 10, 25, 9, 0), london(2026, 11, 2, 9, 0)),
    ]


def test_a_new_care_plan_version_the_person_has_not_seen_is_sent_at_once():
    agreed = utc(2026, 12, 7, 14, 3)

    assert schedule_of(care_plan_id=9, care_plan_created_at=agreed, care_plan_seen=False) == [
        ("care_plan_updated:9", agreed, agreed + timedelta(days=2)),
    ]
    assert schedule_of(care_plan_id=9, care_plan_created_at=agreed, care_plan_seen=True) == []


def test_a_reply_and_a_request_change_are_sent_at_once_and_go_stale_after_two_days():
    sent = utc(2026, 12, 7, 14, 3)

    assert schedule_of(team_replies=(TeamReply(40, sent, read=False), TeamReply(41, sent, read=True)),
                       status_changes=(StatusChange(8, 2, "will_call", sent),)) == [
        ("reentry_status:8", sent, sent + timedelta(days=2)),
        ("team_reply:40", sent, sent + timedelta(days=2)),
    ]


# ---------------------------------------------------------------- what is due when


def test_each_reminder_is_due_from_its_time_until_the_next_takes_its_place():
    reminders = rules.schedule(facts(tests=(DueTest(12, date(2026, 11, 20)),)))

    def due_at(moment):
        return [reminder.key for reminder in rules.due(reminders, moment)]

    assert due_at(london(2026, 10, 9, 8, 59)) == []
    assert due_at(london(2026, 10, 9, 9, 0)) == ["test_due:6w:12:2026-11-20"]
    assert due_at(london(2026, 10, 23, 9, 0)) == ["test_due:4w:12:2026-11-20"]
    assert due_at(london(2026, 11, 20, 9, 0)) == []
    assert due_at(london(2026, 11, 21, 9, 0)) == ["test_overdue:12:2026-11-20"]
    assert due_at(london(2026, 12, 19, 9, 0)) == []  # stale: the team's monitoring list has it


@pytest.mark.parametrize("moment, keys", [
    # A test newly scheduled 3 weeks ahead: the 6-week reminder's time has passed, the 4-week one's has not.
    (london(2026, 10, 30, 12, 0), ["test_due:4w:12:2026-11-20"]),
])
def test_a_test_scheduled_late_gets_only_the_reminder_still_in_time(moment, keys):
    reminders = rules.schedule(facts(tests=(DueTest(12, date(2026, 11, 20)),)))

    assert [reminder.key for reminder in rules.due(reminders, moment)] == keys


def test_every_key_is_unique_for_the_person():
    reminders = rules.schedule(facts(
        diagnosed_on=date(2026, 1, 5),
        offered_hnas=(OfferedHNA(1, utc(2026, 2, 1, 9), False), OfferedHNA(2, utc(2026, 2, 1, 9), False)),
        tests=(DueTest(1, date(2026, 6, 1)), DueTest(2, date(2026, 6, 1))),
        samples=(WaitingSample(1, date(2026, 5, 1)),), care_plan_id=1, care_plan_review=date(2026, 6, 1),
        care_plan_created_at=utc(2026, 2, 1, 9), care_plan_seen=False,
        team_replies=(TeamReply(1, utc(2026, 2, 1, 9), False),),
        status_changes=(StatusChange(1, 1, "seen", utc(2026, 2, 1, 9)),)))

    assert len({reminder.key for reminder in reminders}) == len(reminders) == 19
    assert {reminder.kind for reminder in reminders} == {
        "hna", "test_due", "test_overdue", "gp_review", "care_plan", "team_reply", "reentry_status"}


# ---------------------------------------------------------------- each reminder under its own switch

# Every reminder the rules make, the notification kind that carries it (the switch on the
# settings page that turns it off) and the words on that switch that name it: a person who turns
# off "care plan updated" must stop getting exactly the care plan reminders, and recognise them.
SWITCH_OF = {
    "hna_offered": ("hna", "Needs assessment offered"),
    "hna_not_started": ("hna", "Needs assessment offered or due"),
    "test_due_6w": ("test_due", "A test is due soon"),
    "test_due_4w": ("test_due", "A test is due soon"),
    "test_overdue": ("test_overdue", "A test is overdue"),
    "no_result": ("test_overdue", "A test is overdue"),
    "gp_review_first": ("gp_review", "GP Cancer Care Review"),
    "gp_review_review": ("gp_review", "GP Cancer Care Review"),
    "care_plan_review": ("care_plan", "due for review"),
    "care_plan_updated": ("care_plan", "Care plan updated"),
    "team_reply": ("team_reply", "Reply from your care team"),
    "reentry_seen": ("reentry_status", "request to be seen"),
    "reentry_will_call": ("reentry_status", "request to be seen"),
    "reentry_appointment_booked": ("reentry_status", "request to be seen"),
    "reentry_closed": ("reentry_status", "request to be seen"),
}


def every_reminder() -> list[rules.Reminder]:
    moment = utc(2026, 2, 1, 9)
    return rules.schedule(facts(
        diagnosed_on=date(2026, 1, 5), offered_hnas=(OfferedHNA(1, moment, False),),
        tests=(DueTest(1, date(2026, 6, 1)),), samples=(WaitingSample(1, date(2026, 5, 1)),),
        care_plan_id=1, care_plan_review=date(2026, 6, 1), care_plan_created_at=moment, care_plan_seen=False,
        team_replies=(TeamReply(1, moment, False),),
        status_changes=tuple(StatusChange(n, 1, status, moment)
                             for n, status in enumerate(("seen", "will_call", "appointment_booked", "closed")))))


def test_every_reminder_the_rules_make_has_its_switch_in_this_table():
    assert {reminder.about for reminder in every_reminder()} == set(SWITCH_OF)


@pytest.mark.parametrize("about", sorted(SWITCH_OF))
def test_each_reminder_goes_under_the_settings_switch_that_names_it(about):
    from app.push.kinds import KINDS

    kind, words = SWITCH_OF[about]
    assert {reminder.kind for reminder in every_reminder() if reminder.about == about} == {kind}
    assert words in KINDS[kind].label
