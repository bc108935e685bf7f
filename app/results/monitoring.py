"""Remote monitoring for the team: every person on supported self-management who needs a look,
whether or not they use the app (people who decline it are monitored by letter and phone).

A person is listed when any of these holds (each a column of the one query, so a page costs one
statement, and keyset paging by name keeps a page deep in the list as cheap as the first):
- **needs review**: a result waiting for a nurse (outside the safe range, or not judged);
- **no result**: a sample taken `NO_RESULT_DAYS` or more ago with no result yet;
- **no schedule**: no active surveillance test at all (people never put on the monitoring list
  are the known failure of older pathways);
- **overdue**: an active test whose due date has passed with no result taken since
  `EARLY_DAYS` before it was due (a test done a little early counts);
- **due soon**: an active test due within `DUE_SOON_DAYS`;
- **never enrolled**: no passkey and no password, so the app cannot reach them;
- **not opened**: enrolled, but not seen in the app for `NOT_OPENED_DAYS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select, tuple_

from ..extensions import db
from ..followup.models import FollowUpPlan, FollowUpType, SurveillanceTest
from ..models import PasskeyCredential, PatientProfile, User, UserSession
from ..plain_rows import read_rows
from ..timeutil import LONDON
from .models import SampleTaken, TestResult

DUE_SOON_DAYS = 28
EARLY_DAYS = 28
NOT_OPENED_DAYS = 90
NO_RESULT_DAYS = 21
PAGE_SIZE = 50

REASONS = ("needs_review", "no_result", "no_schedule", "overdue", "due_soon", "never_enrolled", "not_opened")
REASON_LABELS = {
    "needs_review": "Result needs review",
    "no_result": f"No result {NO_RESULT_DAYS // 7} weeks after a sample",
    "no_schedule": "No tests scheduled",
    "overdue": "Test overdue",
    "due_soon": f"Test due within {DUE_SOON_DAYS // 7} weeks",
    "never_enrolled": "Never enrolled in the app",
    "not_opened": f"Has not opened the app for {NOT_OPENED_DAYS // 30} months",
}


@dataclass(frozen=True)
class MonitoringFilters:
    pathway: str | None = None
    key_worker_id: int | None = None


class MonitoredProfile(NamedTuple):
    """What the list shows of a person, read as plain values: the page reads nothing more, and
    a commit (the audit's) cannot expire them into one reload a row."""

    id: int
    given_name: str
    family_name: str
    tumour_pathway: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class MonitoredPerson:
    profile: MonitoredProfile
    reasons: list[str]


@dataclass
class MonitoringPage:
    people: list[MonitoredPerson] = field(default_factory=list)
    next_after: str | None = None


def _days_before(column, days: int):
    """`column` (a date) less `days` days, in the database's own date arithmetic."""
    if db.engine.dialect.name == "sqlite":
        return func.date(column, f"-{days} days")
    return column - days


def _conditions(person_id, user_id, password_hash):
    """Each reason as a condition on the person (their record's id and user id, and their
    account's password hash, as columns), with the day's values bound: `today`, `no_result_by`
    (a sample taken by then has had long enough), `due_soon_by` and `seen_since`."""
    test = SurveillanceTest
    today = bindparam("today", type_=SurveillanceTest.next_due.type)
    active_test = and_(test.patient_id == person_id, test.active.is_(True))
    result_since_due = exists().where(TestResult.surveillance_test_id == test.id,
                                      TestResult.taken_on >= _days_before(test.next_due, EARLY_DAYS))
    enrolled = or_(password_hash.is_not(None), exists().where(PasskeyCredential.user_id == user_id))
    return {
        "needs_review": exists().where(TestResult.patient_id == person_id, TestResult.needs_review.is_(True)),
        "no_result": exists().where(SampleTaken.patient_id == person_id, SampleTaken.result_id.is_(None),
                                    SampleTaken.taken_on <= bindparam("no_result_by", type_=SampleTaken.taken_on.type)),
        "no_schedule": ~exists().where(active_test),
        "overdue": exists().where(active_test, test.next_due < today, ~result_since_due),
        "due_soon": exists().where(active_test, test.next_due >= today,
                                   test.next_due <= bindparam("due_soon_by", type_=SurveillanceTest.next_due.type)),
        "never_enrolled": ~enrolled,
        "not_opened": and_(enrolled, ~exists().where(
            UserSession.user_id == user_id,
            UserSession.last_seen_at >= bindparam("seen_since", type_=UserSession.last_seen_at.type))),
    }


def _day_values(today: date) -> dict:
    return {
        "today": today,
        "no_result_by": today - timedelta(days=NO_RESULT_DAYS),
        "due_soon_by": today + timedelta(days=DUE_SOON_DAYS),
        "seen_since": datetime.combine(today - timedelta(days=NOT_OPENED_DAYS), time(0), tzinfo=LONDON)
        .astimezone(timezone.utc),
    }


_PROFILE_COLUMNS = (PatientProfile.id, PatientProfile.given_name, PatientProfile.family_name,
                    PatientProfile.tumour_pathway)


def cursor_for(profile: MonitoredProfile) -> str:
    return f"{profile.id}"


@lru_cache(maxsize=32)
def _monitoring_shape(dialect: str, pathway: bool, key_worker: bool, from_person: bool, limit: int) -> Select:
    """The list's statement for one shape of filters, built once per process with every value
    bound (team, filters, the day's dates, the person to start after): building it (seven EXISTS,
    each in the select list and the WHERE) cost more than running it. `dialect` because the
    date arithmetic is the database's own."""
    stmt = (
        select(*_PROFILE_COLUMNS, PatientProfile.user_id, User.password_hash)
        .join(FollowUpPlan, FollowUpPlan.patient_id == PatientProfile.id)
        # For whether they enrolled (a password); the person's account is not loaded.
        .join(User, User.id == PatientProfile.user_id)
        .where(PatientProfile.team_id == bindparam("team_id"),
               FollowUpPlan.follow_up_type == FollowUpType.SUPPORTED_SELF_MANAGEMENT,
               or_(*_conditions(PatientProfile.id, PatientProfile.user_id, User.password_hash).values()))
    )
    if pathway:
        stmt = stmt.where(PatientProfile.tumour_pathway == bindparam("pathway"))
    if key_worker:
        stmt = stmt.where(PatientProfile.key_worker_id == bindparam("key_worker_id"))
    if from_person:
        stmt = stmt.where(tuple_(PatientProfile.family_name, PatientProfile.given_name, PatientProfile.id)
                          > tuple_(bindparam("after_family_name", type_=PatientProfile.family_name.type),
                                   bindparam("after_given_name", type_=PatientProfile.given_name.type),
                                   bindparam("after_id", type_=PatientProfile.id.type)))
    order = (PatientProfile.family_name, PatientProfile.given_name, PatientProfile.id)
    page = stmt.order_by(*order).limit(limit + 1).subquery("page")
    # Each reason is worked out again for the page's people only, outside the query that finds
    # them: in its select list PostgreSQL costed the reasons for every person of the team the
    # WHERE might pass (not the page's 51), and so read whole tables once to hash them
    # (test_results, surveillance_tests: 132 ms at 100,000 people against 10 ms at 1,000,
    # bench/volume.py); over the page's rows it looks each one up.
    reasons = _conditions(page.c.id, page.c.user_id, page.c.password_hash)
    return (select(*(page.c[column.key] for column in _PROFILE_COLUMNS),
                   *(condition.label(name) for name, condition in reasons.items()))
            .order_by(page.c.family_name, page.c.given_name, page.c.id))


def _statement_and_values(team_id: int, filters: MonitoringFilters, today: date, after: int | None,
                          limit: int) -> tuple[Select, dict]:
    values = {"team_id": team_id, "pathway": filters.pathway, "key_worker_id": filters.key_worker_id,
              **_day_values(today)}
    last = db.session.get(PatientProfile, after) if after is not None else None
    from_person = last is not None and last.team_id == team_id
    if from_person:
        values.update(after_family_name=last.family_name, after_given_name=last.given_name, after_id=last.id)
    shape = _monitoring_shape(db.engine.dialect.name, bool(filters.pathway), bool(filters.key_worker_id),
                              from_person, limit)
    return shape, values


def monitoring_statement(team_id: int, filters: MonitoringFilters, today: date, after: int | None = None,
                         limit: int = PAGE_SIZE) -> Select:
    """The one query behind a page of the list, with its values (what the benchmark and the
    query-plan test read): the team's self-managed people who need a look, by name, after the
    person `after`. Filtered by key worker, it reads the (team_id, key_worker_id, family_name,
    given_name, id) index in order, so a key worker's page stops after `limit` rows however big
    the team."""
    shape, values = _statement_and_values(team_id, filters, today, after, limit)
    return shape.params(values)


def monitoring_page(team_id: int, filters: MonitoringFilters, today: date, after: int | None = None,
                    limit: int = PAGE_SIZE) -> MonitoringPage:
    """One page of the team's self-managed people who need a look, by name."""
    shape, values = _statement_and_values(team_id, filters, today, after, limit)
    # Plain rows (app/plain_rows.py): the statement selects columns only, and the ORM's execution
    # and loading of each row was a sixth of what the page cost beyond a staff page's fixed cost.
    rows = read_rows(shape, values).all()
    width = len(_PROFILE_COLUMNS)
    people = [MonitoredPerson(MonitoredProfile(*row[:width]), [name for name in REASONS if getattr(row, name)])
              for row in rows[:limit]]
    return MonitoringPage(people, cursor_for(people[-1].profile) if len(rows) > limit else None)
