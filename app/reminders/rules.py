"""Which reminders a person is due, from plain facts about their record: no Flask, no database.

`schedule(facts)` lists every reminder the record calls for, past and future, each with
- `key`: unique for the reminder and person, e.g. "test_due:6w:12:2027-03-01" (test 12, due on 1
  March 2027, six weeks before); claimed in the database before it is sent, so it goes once;
- `send_at`: when to send it (UTC). A reminder about a date goes at 09:00 London time, which is
  09:00 GMT in winter and 09:00 BST in summer; one about an event (a reply from the team, a
  change to a request) goes at once;
- `until`: after this it is no longer worth sending (the next reminder of the series has taken
  its place, or it has gone stale), so a scheduler that was down for a week does not send a
  backlog of old news.
`due(reminders, now)` keeps those whose time has come and not yet gone.

The rules (timings from the shared domain facts, follow-up-push-interop.md):
- needs assessment offered: at once, and if not started 3 days after the offer, then 7 days after;
- surveillance test: 6 weeks and 4 weeks before it is due, and the day after the due date
  unless a sample or result was taken for it from 6 weeks before the due date on;
- a sample taken with no result 3 weeks later ("call if you hear nothing within 3 weeks");
- GP Cancer Care Review: the first contact is due within 3 months of diagnosis, so a prompt at
  about 2 months; the full review is due within 12 months, so a prompt at about 10 months;
- care plan review: a week before the review date;
- a new version of the care plan the person has not opened, a reply from the team, and a change
  in a request to be seen: at once.
Nothing urgent waits on these: each fact is also on the person's home page and the team's
queue or monitoring list, whether or not a notification arrives (HAZ-023).
"""
from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from ..timeutil import LONDON

# Reminders about a date go out at this London clock time (after quiet hours, before work).
MORNING = time(9, 0)

HNA_FIRST_DAYS, HNA_SECOND_DAYS = 3, 7
# After this long an offered assessment is the team's to chase, not a notification's.
HNA_STALE_DAYS = 28
TEST_DUE_WEEKS = (6, 4)
OVERDUE_STALE_DAYS = 28
NO_RESULT_DAYS = 21
NO_RESULT_STALE_DAYS = 28
GP_FIRST_PROMPT_MONTHS, GP_FIRST_DUE_MONTHS = 2, 3
GP_REVIEW_PROMPT_MONTHS, GP_REVIEW_DUE_MONTHS = 10, 12
CARE_PLAN_REVIEW_DAYS_BEFORE = 7
# News of a reply or a request stays worth a notification this long (if the send was delayed).
EVENT_STALE = timedelta(days=2)


# ---------------------------------------------------------------- facts in


@dataclass(frozen=True)
class OfferedHNA:
    id: int
    offered_at: datetime
    started: bool


@dataclass(frozen=True)
class DueTest:
    id: int
    next_due: date
    # The latest day a sample was taken, or a result was taken, for this test (None: never).
    last_done_on: date | None = None


@dataclass(frozen=True)
class WaitingSample:
    id: int
    taken_on: date


@dataclass(frozen=True)
class TeamReply:
    message_id: int
    sent_at: datetime
    read: bool


@dataclass(frozen=True)
class StatusChange:
    id: int
    request_id: int
    status: str
    changed_at: datetime


@dataclass(frozen=True)
class Facts:
    user_id: int
    patient_id: int
    diagnosed_on: date | None = None
    offered_hnas: tuple[OfferedHNA, ...] = ()
    tests: tuple[DueTest, ...] = ()
    samples: tuple[WaitingSample, ...] = ()
    care_plan_id: int | None = None
    care_plan_review: date | None = None
    # When the current version was agreed, and whether the person has opened it since.
    care_plan_created_at: datetime | None = None
    care_plan_seen: bool = True
    team_replies: tuple[TeamReply, ...] = ()
    status_changes: tuple[StatusChange, ...] = field(default=())


# ---------------------------------------------------------------- reminders out


@dataclass(frozen=True)
class Reminder:
    kind: str  # the notification kind (app/push/kinds.py)
    key: str
    user_id: int
    send_at: datetime
    until: datetime
    # What it is about, for the history shown to people ("test_due", "gp_review_first", ...).
    about: str

    def is_due(self, now: datetime) -> bool:
        return self.send_at <= now < self.until


# The same few hundred days recur across every person's schedule: the time zone sum is done once each.
@functools.lru_cache(maxsize=4096)
def london_morning(day: date) -> datetime:
    """09:00 London time on that day, as UTC (08:00 UTC in summer, 09:00 UTC in winter)."""
    return datetime.combine(day, MORNING, tzinfo=LONDON).astimezone(timezone.utc)


def first_morning_from(moment: datetime) -> datetime:
    """The first 09:00 London time at or after `moment`."""
    day = moment.astimezone(LONDON).date()
    morning = london_morning(day)
    return morning if morning >= moment else london_morning(day + timedelta(days=1))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (the month's last day when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def hna_reminders(facts: Facts) -> list[Reminder]:
    reminders = []
    for hna in facts.offered_hnas:
        if hna.started:
            continue
        first = first_morning_from(hna.offered_at + timedelta(days=HNA_FIRST_DAYS))
        second = first_morning_from(hna.offered_at + timedelta(days=HNA_SECOND_DAYS))
        stale = hna.offered_at + timedelta(days=HNA_STALE_DAYS)
        reminders.append(Reminder("hna", f"hna:offered:{hna.id}", facts.user_id, hna.offered_at,
                                  min(hna.offered_at + EVENT_STALE, first), "hna_offered"))
        reminders.append(Reminder("hna", f"hna:3d:{hna.id}", facts.user_id, first, second, "hna_not_started"))
        reminders.append(Reminder("hna", f"hna:7d:{hna.id}", facts.user_id, second, stale, "hna_not_started"))
    return reminders


def test_reminders(facts: Facts) -> list[Reminder]:
    reminders = []
    for test in facts.tests:
        due_at = london_morning(test.next_due)
        due = test.next_due.isoformat()
        marks = [london_morning(test.next_due - timedelta(weeks=weeks)) for weeks in TEST_DUE_WEEKS] + [due_at]
        for weeks, send_at, until in zip(TEST_DUE_WEEKS, marks[:-1], marks[1:], strict=True):
            reminders.append(Reminder("test_due", f"test_due:{weeks}w:{test.id}:{due}", facts.user_id,
                                      send_at, until, f"test_due_{weeks}w"))
        # A sample or result taken in the weeks before the due date or since means the test was
        # done: waiting for its result is the no-result reminder's business, not "overdue".
        if test.last_done_on is not None and test.last_done_on >= test.next_due - timedelta(weeks=TEST_DUE_WEEKS[0]):
            continue
        overdue_from = london_morning(test.next_due + timedelta(days=1))
        reminders.append(Reminder("test_overdue", f"test_overdue:{test.id}:{due}", facts.user_id, overdue_from,
                                  overdue_from + timedelta(days=OVERDUE_STALE_DAYS), "test_overdue"))
    return reminders


def sample_reminders(facts: Facts) -> list[Reminder]:
    reminders = []
    for sample in facts.samples:
        send_at = london_morning(sample.taken_on + timedelta(days=NO_RESULT_DAYS))
        reminders.append(Reminder("test_overdue", f"no_result:{sample.id}", facts.user_id, send_at,
                                  send_at + timedelta(days=NO_RESULT_STALE_DAYS), "no_result"))
    return reminders


def gp_review_dates(diagnosed_on: date) -> list[tuple[str, date, date]]:
    """Each GP Cancer Care Review: ("first" or "review", the day to prompt, the day it is due by)."""
    return [(which, add_months(diagnosed_on, prompt_months), add_months(diagnosed_on, due_months))
            for which, prompt_months, due_months in (("first", GP_FIRST_PROMPT_MONTHS, GP_FIRST_DUE_MONTHS),
                                                     ("review", GP_REVIEW_PROMPT_MONTHS, GP_REVIEW_DUE_MONTHS))]


def gp_review_reminders(facts: Facts) -> list[Reminder]:
    if facts.diagnosed_on is None:
        return []
    diagnosed = facts.diagnosed_on.isoformat()
    return [Reminder("gp_review", f"gp_review:{which}:{facts.patient_id}:{diagnosed}", facts.user_id,
                     london_morning(prompt_on), london_morning(due_by), f"gp_review_{which}")
            for which, prompt_on, due_by in gp_review_dates(facts.diagnosed_on)]


def care_plan_reminders(facts: Facts) -> list[Reminder]:
    if facts.care_plan_id is None:
        return []
    reminders = []
    if facts.care_plan_created_at is not None and not facts.care_plan_seen:
        agreed = facts.care_plan_created_at
        reminders.append(Reminder("care_plan", f"care_plan_updated:{facts.care_plan_id}", facts.user_id, agreed,
                                  agreed + EVENT_STALE, "care_plan_updated"))
    if facts.care_plan_review is not None:
        review = facts.care_plan_review
        send_at = london_morning(review - timedelta(days=CARE_PLAN_REVIEW_DAYS_BEFORE))
        reminders.append(Reminder("care_plan", f"care_plan_review:{facts.care_plan_id}:{review.isoformat()}",
                                  facts.user_id, send_at, london_morning(review + timedelta(days=1)), "care_plan_review"))
    return reminders


def event_reminders(facts: Facts) -> list[Reminder]:
    reminders = [Reminder("team_reply", f"team_reply:{reply.message_id}", facts.user_id, reply.sent_at,
                          reply.sent_at + EVENT_STALE, "team_reply")
                 for reply in facts.team_replies if not reply.read]
    reminders += [Reminder("reentry_status", f"reentry_status:{change.id}", facts.user_id, change.changed_at,
                           change.changed_at + EVENT_STALE, f"reentry_{change.status}")
                  for change in facts.status_changes]
    return reminders


def schedule(facts: Facts) -> list[Reminder]:
    """Every reminder the person's record calls for, earliest first."""
    reminders = (hna_reminders(facts) + test_reminders(facts) + sample_reminders(facts) + gp_review_reminders(facts)
                 + care_plan_reminders(facts) + event_reminders(facts))
    return sorted(reminders, key=lambda reminder: (reminder.send_at, reminder.key))


def due(reminders: list[Reminder], now: datetime) -> list[Reminder]:
    """The reminders whose time has come and not yet passed."""
    return [reminder for reminder in reminders if reminder.is_due(now)]
