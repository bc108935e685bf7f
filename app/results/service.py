"""Results: recording them, judging them by the person's safe range, raising a red flag for the
team, the "needs review" flag and clearing it. Routes call these; they make no queries.

Recording is idempotent per rendered form (`idempotency.add_once`: its one-time token is stored
in the same transaction as the result), and a safe range is versioned
(`app/versioning.py`): a colleague's change is a conflict, never silently overwritten.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import versioning
from ..audit import audit
from ..extensions import db, savepoint
from ..followup import service as followup
from ..followup.models import SurveillanceTest
from ..idempotency import Once, add_once
from ..models import PatientProfile, User
from ..plain_rows import read_rows
from ..timeutil import london_today, utcnow
from ..triage.models import ItemStatus, QueueItem
from ..triage.queue import ItemKind
from ..triage.service import raise_item
from .chart import Chart, series_chart
from .csv_import import ImportRow
from .models import ResultRule, SampleTaken, TestResult
from .rules import Reading, SafeRange, Verdict, assess, number, same_unit

# What changes a safe range (the audit action), for naming who changed it last.
RULE_CHANGES = ("results.rule_save",)
# Queue items raised by results start with this; a person's open one takes later abnormal
# results too, so a series of high values is one item to act on, not a stack.
SOURCE_PREFIX = "result:"


class ResultsError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleConflict(ResultsError):
    def __init__(self, message: str, rule: ResultRule | None) -> None:
        super().__init__(message)
        self.rule = rule


class FormAlreadyUsed(ResultsError):
    """The rendered form's one-time token was used for a different result."""


@dataclass(frozen=True)
class ResultEntry:
    value: Decimal
    unit: str
    taken_on: date
    resulted_on: date
    comment: str | None = None


@dataclass(frozen=True)
class RuleEntry:
    unit: str
    upper_limit: Decimal | None
    rise_amount: Decimal | None
    rise_months: int | None


# ---------------------------------------------------------------- reading


def own_test(profile: PatientProfile, test_id: int | None) -> SurveillanceTest | None:
    """The person's surveillance test `test_id`, or None if it is not theirs (or not a test)."""
    test = db.session.get(SurveillanceTest, test_id) if test_id is not None else None
    return test if test is not None and test.patient_id == profile.id else None


def active_tests(profile: PatientProfile) -> list[SurveillanceTest]:
    return list(db.session.scalars(
        select(SurveillanceTest)
        .where(SurveillanceTest.patient_id == profile.id, SurveillanceTest.active.is_(True))
        .order_by(SurveillanceTest.name, SurveillanceTest.id)
    ))


def rule_of(test: SurveillanceTest) -> ResultRule | None:
    return db.session.scalar(select(ResultRule).where(ResultRule.surveillance_test_id == test.id))


def safe_range(rule: ResultRule | None) -> SafeRange | None:
    if rule is None:
        return None
    return SafeRange(unit=rule.unit, upper_limit=rule.upper_limit, rise_amount=rule.rise_amount,
                     rise_months=rule.rise_months)


def results_of(test: SurveillanceTest) -> list[TestResult]:
    """The test's results, oldest first (its series)."""
    return list(db.session.scalars(
        select(TestResult).where(TestResult.surveillance_test_id == test.id)
        .order_by(TestResult.taken_on, TestResult.id)
    ))


def flagged_results(profile: PatientProfile) -> list[TestResult]:
    """Results waiting for a nurse's review, oldest first, each with its test (the list names it)
    in the same statement."""
    return list(db.session.scalars(_flagged_results_statement(), {"patient_id": profile.id}))


@cache
def _flagged_results_statement():
    """Built once per process with the person as a bound parameter (issue 12): building it, its
    joined load above all, was a tenth of the nurse's page for the person."""
    return (select(TestResult)
            .where(TestResult.patient_id == bindparam("patient_id", type_=Integer), TestResult.needs_review.is_(True))
            .options(joinedload(TestResult.test))
            .order_by(TestResult.taken_on, TestResult.id))


def is_persons_result(profile: PatientProfile, result_id: int) -> bool:
    result = db.session.get(TestResult, result_id)
    return result is not None and result.patient_id == profile.id


def needs_review(profile: PatientProfile) -> bool:
    return db.session.scalar(
        select(TestResult.id).where(TestResult.patient_id == profile.id, TestResult.needs_review.is_(True)).limit(1)
    ) is not None


def is_unread_result_of(patient_id: int, result=TestResult):
    """Results with the team's comment that the person has not seen yet."""
    return and_(result.patient_id == patient_id, result.comment.is_not(None), result.seen_by_patient_at.is_(None))


def unread_results(profile: PatientProfile) -> list[TestResult]:
    """`is_unread_result_of` the person, newest first, each with its test (pages name it)."""
    return list(db.session.scalars(_unread_results_statement(), {"patient_id": profile.id}))


def newest_unread_result_id(patient_id: int):
    """The id of the first of `unread_results` (the same rule and order), as a scalar subquery,
    for a page that reads several areas' records in one statement."""
    result = aliased(TestResult)
    return (select(result.id).where(is_unread_result_of(patient_id, result))
            .order_by(*_newest_first(result)).limit(1).scalar_subquery())


def _newest_first(result=TestResult) -> tuple:
    return result.taken_on.desc(), result.id.desc()


@cache
def _unread_results_statement():
    """Built once per process with the person as a bound parameter (issue 12), like the home
    page's other reads: building a statement cost more than running it."""
    return (select(TestResult).where(is_unread_result_of(bindparam("patient_id", type_=Integer)))
            .options(joinedload(TestResult.test)).order_by(*_newest_first()))


def mark_results_seen(profile: PatientProfile, shown: list[PatientPanel]) -> int:
    """The person opened their results page: the results it `shown` them (`patient_panels`) that
    they had not seen are seen now, in one statement, and none when there are none (most views:
    no write at all). A result recorded after the page read them stays unread until it is shown.
    No version change: seeing a result is not changing it, so a nurse's page showing the result
    is not made out of date. The caller commits. Returns how many were new."""
    unseen = [result.id for panel in shown for result in panel.results if result.seen_by_patient_at is None]
    if not unseen:
        return 0
    return db.session.execute(
        update(TestResult).where(TestResult.patient_id == profile.id, TestResult.id.in_(unseen),
                                 TestResult.seen_by_patient_at.is_(None))
        .values(seen_by_patient_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def has_result_to_review(patient_id):
    """A result of the person `patient_id` (a column, for a list's rows) waiting for a nurse's
    review: a correlated EXISTS through the (patient_id, needs_review) index, so a list page
    reads it with its rows."""
    return exists().where(TestResult.patient_id == patient_id, TestResult.needs_review.is_(True))


@dataclass
class TestPanel:
    test: SurveillanceTest
    rule: ResultRule | None
    results: list[TestResult]  # oldest first


def nurse_panels(profile: PatientProfile) -> list[TestPanel]:
    """Every test of the person's (stopped ones too, if they have results), with its safe range
    and results."""
    # One statement, whatever the number of tests: each test with its rule (at most one) and its
    # results, oldest first (`results_of`); a test with none comes once, with no result.
    rows = db.session.execute(_panels_statement(), {"patient_id": profile.id}).all()
    panels: dict[int, TestPanel] = {}
    for test, rule, result in rows:
        panel = panels.setdefault(test.id, TestPanel(test, rule, []))
        if result is not None:
            panel.results.append(result)
    return [p for p in panels.values() if p.test.active or p.results]


@cache
def _panels_statement():
    """Built once per process with the person as a bound parameter (issue 12)."""
    return (select(SurveillanceTest, ResultRule, TestResult)
            .where(SurveillanceTest.patient_id == bindparam("patient_id", type_=Integer))
            .outerjoin(ResultRule, ResultRule.surveillance_test_id == SurveillanceTest.id)
            .outerjoin(TestResult, TestResult.surveillance_test_id == SurveillanceTest.id)
            .order_by(SurveillanceTest.active.desc(), SurveillanceTest.name, SurveillanceTest.id,
                      TestResult.taken_on, TestResult.id))


class TestOnResultsPage(NamedTuple):
    """What the person's results page shows of a test."""

    id: int
    name: str


class ResultOnPage(NamedTuple):
    """What the person's results page shows of a result, and whether they had seen it."""

    id: int
    taken_on: date
    value: Decimal
    unit: str
    comment: str | None
    needs_review: bool
    seen_by_patient_at: datetime | None


@dataclass
class PatientPanel:
    test: TestOnResultsPage
    results: list[ResultOnPage]  # newest first, as the table lists them
    chart: Chart | None        # the same results as a line, oldest first


def patient_panels(profile: PatientProfile) -> list[PatientPanel]:
    """What the patient sees: each of their tests that has results, with the team's comments and
    a chart of the series. Only results the team has recorded exist, so nothing unreviewed by a
    person is ever shown as a bare number from a machine. One statement of plain values (issue
    12: the tests, rules and results as ORM objects cost more than the rest of the view), the
    tests in `nurse_panels`' order."""
    tests: dict[int, tuple[TestOnResultsPage, Decimal | None, list[ResultOnPage]]] = {}
    for test_id, name, limit, *result in read_rows(_patient_panels_statement(), {"patient_id": profile.id}):
        panel = tests.get(test_id)
        if panel is None:
            panel = tests[test_id] = (TestOnResultsPage(test_id, name), limit, [])
        panel[2].append(ResultOnPage(*result))
    return [PatientPanel(test, results[::-1], series_chart([(r.taken_on, r.value, r.needs_review) for r in results],
                                                           limit=limit))
            for test, limit, results in tests.values()]


@cache
def _patient_panels_statement():
    """Each of the person's results with its test's name and safe range's upper limit, oldest
    first within each test (as `_panels_statement`); built once with the person as a bound
    parameter."""
    return (select(SurveillanceTest.id, SurveillanceTest.name, ResultRule.upper_limit, TestResult.id,
                   TestResult.taken_on, TestResult.value, TestResult.unit, TestResult.comment,
                   TestResult.needs_review, TestResult.seen_by_patient_at)
            .join(TestResult, TestResult.surveillance_test_id == SurveillanceTest.id)
            .outerjoin(ResultRule, ResultRule.surveillance_test_id == SurveillanceTest.id)
            .where(SurveillanceTest.patient_id == bindparam("patient_id", type_=Integer))
            .order_by(SurveillanceTest.active.desc(), SurveillanceTest.name, SurveillanceTest.id,
                      TestResult.taken_on, TestResult.id))


# ---------------------------------------------------------------- recording a result


def judge(test: SurveillanceTest, entry: ResultEntry, rule: ResultRule | None) -> Verdict:
    earlier = [Reading(r.value, r.taken_on) for r in results_of(test)]
    return assess(safe_range(rule), Reading(entry.value, entry.taken_on), earlier)


def record_result(profile: PatientProfile, test: SurveillanceTest, entry: ResultEntry, by: User,
                  token: str | None, source: str = "nurse") -> TestResult:
    """Store the result once per rendered form (`token`, through `idempotency.add_once`), judged
    by the person's safe range; outside it, raise a red-flag item for the team (or add to the
    person's open one). The same form sent twice returns the result already stored. Flushes; the
    caller commits."""
    made: list[tuple[TestResult, ResultRule | None, Verdict]] = []

    def make() -> dict:
        rule = rule_of(test)
        verdict = judge(test, entry, rule)
        result = TestResult(
            surveillance_test_id=test.id, patient_id=profile.id, value=entry.value, unit=entry.unit.strip(),
            taken_on=entry.taken_on, resulted_on=entry.resulted_on, comment=entry.comment,
            abnormal=verdict.abnormal, needs_review=verdict.needs_review,
            review_reason="; ".join(verdict.reasons)[:300] or None, source=source, recorded_by_id=by.id,
        )
        db.session.add(result)
        # The test was done: its next due date moves on (never back, for an old result entered late).
        followup.move_due_after_result(test, entry.taken_on, by)
        db.session.flush()
        # A sample waiting for this result is settled by it (and by none taken before it was).
        for sample in db.session.scalars(select(SampleTaken).where(
                SampleTaken.surveillance_test_id == test.id, SampleTaken.result_id.is_(None),
                SampleTaken.taken_on <= entry.taken_on)):
            sample.result_id = result.id
        made.append((result, rule, verdict))
        return {"test_result_id": result.id}

    once = add_once(by.id, "results.record", token, {"patient": profile.id, "test": test.id, **entry.__dict__}, make)
    if once.status is Once.OUT_OF_DATE:
        raise FormAlreadyUsed("This page was out of date, so the result has not been recorded yet. "
                              "Check it below, then select Record result again.")
    if once.status is Once.TOKEN_USED:
        raise FormAlreadyUsed("This form was already used to record a result, so this one has not been "
                              "recorded yet. Check the results, then record it again if it is a different one.")
    if once.status is Once.ALREADY:
        return db.session.get(TestResult, once.made["test_result_id"])
    result, rule, verdict = made[0]
    # Ids and the verdict only: values and comments are clinical detail kept in the record.
    audit("results.record", patient=profile, subject=f"test_result:{result.id}", actor=by,
          surveillance_test=test.id, abnormal=verdict.abnormal, judged=verdict.judged, source=source,
          rule_version=rule.version if rule else None)
    if verdict.abnormal:
        raise_red_flag(profile, test, result, by)
    return result


def is_waiting_sample_of(patient_id: int):
    """Samples taken with no result yet."""
    return and_(SampleTaken.patient_id == patient_id, SampleTaken.result_id.is_(None))


def waiting_samples(profile: PatientProfile) -> list[SampleTaken]:
    """`is_waiting_sample_of` the person, oldest first, each with its test (pages name it)."""
    return list(db.session.scalars(_waiting_samples_statement(), {"patient_id": profile.id}))


@cache
def _waiting_samples_statement():
    """Built once per process with the person as a bound parameter (issue 12)."""
    return (select(SampleTaken).where(is_waiting_sample_of(bindparam("patient_id", type_=Integer)))
            .options(joinedload(SampleTaken.test)).order_by(SampleTaken.taken_on, SampleTaken.id))


def record_sample(profile: PatientProfile, test: SurveillanceTest, taken_on: date, by: User,
                  token: str | None) -> SampleTaken:
    """Note that a sample was taken for `test`, once per rendered form. Flushes; the caller commits."""
    made: list[SampleTaken] = []

    def make() -> dict:
        sample = SampleTaken(surveillance_test_id=test.id, patient_id=profile.id, taken_on=taken_on,
                             recorded_by_id=by.id)
        db.session.add(sample)
        db.session.flush()
        made.append(sample)
        return {"sample_id": sample.id}

    once = add_once(by.id, "results.sample", token, {"patient": profile.id, "test": test.id, "taken_on": taken_on}, make)
    if once.status in (Once.OUT_OF_DATE, Once.TOKEN_USED):
        raise FormAlreadyUsed("This form was out of date or already used, so the sample has not been noted. "
                              "Check the results, then note it again.")
    if once.status is Once.ALREADY:
        return db.session.get(SampleTaken, once.made["sample_id"])
    audit("results.sample_taken", patient=profile, subject=f"sample:{made[0].id}", actor=by, surveillance_test=test.id)
    return made[0]


def open_results_item(profile: PatientProfile) -> QueueItem | None:
    return db.session.scalar(
        select(QueueItem).where(
            QueueItem.patient_id == profile.id, QueueItem.status == ItemStatus.OPEN,
            QueueItem.source_key.startswith(SOURCE_PREFIX, autoescape=True),
        ).order_by(QueueItem.id).limit(1)
    )


def raise_red_flag(profile: PatientProfile, test: SurveillanceTest, result: TestResult, by: User) -> QueueItem:
    """A red-flag item for the team, at the top of its queue. While one raised by a result is
    open, later abnormal results join it (they are all on the person's results page, flagged)."""
    item = open_results_item(profile)
    if item is not None:
        audit("results.red_flag_merged", patient=profile, subject=f"queue-item:{item.id}", actor=by,
              test_result=result.id)
        return item
    reason = (f"{test.name} result outside the person's safe range: {number(result.value)} {result.unit} "
              f"taken {result.taken_on.day} {result.taken_on:%B %Y} ({result.review_reason})")
    return raise_item(profile, ItemKind.RED_FLAG, reason, f"{SOURCE_PREFIX}{result.id}")


def clear_review(profile: PatientProfile, result_ids: list[int], by: User) -> list[TestResult]:
    """Clear the flag on the results the nurse's page showed (`result_ids`, all the person's);
    a result flagged after her page was shown stays flagged. Returns those cleared now."""
    wanted = set(result_ids)
    results = [r for r in flagged_results(profile) if r.id in wanted]
    now = utcnow()
    for result in results:
        result.needs_review, result.cleared_at, result.cleared_by_id = False, now, by.id
    try:
        db.session.flush()
    except StaleDataError:
        # Cleared by a colleague a moment ago: it is cleared, which is what she asked for.
        db.session.rollback()
        return []
    for result in results:
        audit("results.review_clear", patient=profile, subject=f"test_result:{result.id}", actor=by)
    return results


# ---------------------------------------------------------------- the safe range


def _rule_values(entry: RuleEntry) -> dict:
    return {"unit": entry.unit.strip(), "upper_limit": entry.upper_limit, "rise_amount": entry.rise_amount,
            "rise_months": entry.rise_months}


def _same(rule: ResultRule, values: dict) -> bool:
    return all(getattr(rule, name) == value for name, value in values.items())


def save_rule(profile: PatientProfile, test: SurveillanceTest, entry: RuleEntry, shown: int | None,
              by: User) -> ResultRule:
    """Set the person's safe range for `test`, if the version her page showed (0: none yet) is
    the one stored. Her own save arriving twice is answered as saved; anything else that moved
    on is a RuleConflict naming who changed it. Flushes; the caller commits."""
    rule = rule_of(test)
    values = _rule_values(entry)
    stored = rule.version if rule else 0
    if shown != stored:
        changed_by = versioning.last_changed_by(f"result_rule:{rule.id}", RULE_CHANGES, patient_id=profile.id) if rule else None
        if rule is not None and versioning.is_own_retry(
            stored_version=rule.version, shown_version=shown, changed_by_id=changed_by.id if changed_by else None,
            by_id=by.id, same_content=lambda: _same(rule, values),
        ):
            return rule
        raise RuleConflict(versioning.conflict_message(
            changed_by, f"the safe range for {test.name}",
            "The range below is the one stored now. Save again if your changes are still right."), rule)
    if rule is None:
        rule = ResultRule(surveillance_test_id=test.id, patient_id=profile.id, updated_by_id=by.id, **values)
        db.session.add(rule)
        changed = sorted(name for name, value in values.items() if value is not None)
    else:
        changed = sorted(name for name, value in values.items() if getattr(rule, name) != value)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.updated_by_id = by.id
    try:
        with savepoint():
            db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise RuleConflict(versioning.conflict_message(
            None, f"the safe range for {test.name}", "Save again if your changes are still right."),
            rule_of(test)) from None
    # The new range's numbers are the rule itself, not free text about the person: kept, so the
    # log shows which range judged which result.
    audit("results.rule_save", patient=profile, subject=f"result_rule:{rule.id}", actor=by, version=rule.version,
          fields=changed, unit=rule.unit, upper_limit=_text(rule.upper_limit), rise_amount=_text(rule.rise_amount),
          rise_months=rule.rise_months)
    return rule


def _text(value: Decimal | None) -> str | None:
    return number(value) if value is not None else None


# ---------------------------------------------------------------- importing a results file


def check_import(rows: list[ImportRow], team_id: int) -> None:
    """Look each readable row up: the person must be one of the team's (anyone else is an
    unknown patient: a file never confirms who is on another team's list), the test one of
    theirs, the unit their safe range's, and the result not already stored or in the file twice."""
    numbers = {row.nhs_number for row in rows if row.ok}
    people = {p.nhs_number: p for p in db.session.scalars(
        select(PatientProfile).where(PatientProfile.team_id == team_id, PatientProfile.nhs_number.in_(numbers)))} if numbers else {}
    seen: dict[tuple, int] = {}
    for row in rows:
        if not row.ok:
            continue
        profile = people.get(row.nhs_number)
        if profile is None:
            row.problems.append("Unknown patient: no one in your team has this NHS number")
            continue
        test = next((t for t in active_tests(profile) if t.name.strip().casefold() == row.test_name.casefold()), None)
        if test is None:
            row.problems.append(f"{profile.full_name} has no test called {row.test_name} in their schedule")
            continue
        rule = rule_of(test)
        if rule is not None and not same_unit(row.unit, rule.unit):
            row.problems.append(f"Unit {row.unit} does not match {rule.unit}, the unit of {profile.full_name}'s safe range")
            continue
        key = (test.id, row.taken_on, row.value)
        if key in seen:
            row.problems.append(f"Duplicate of line {seen[key]} in this file")
            continue
        seen[key] = row.line
        if db.session.scalar(select(TestResult.id).where(
                TestResult.surveillance_test_id == test.id, TestResult.taken_on == row.taken_on,
                TestResult.value == row.value).limit(1)) is not None:
            row.problems.append("Already recorded: this result is stored for this test and date")
            continue
        row.profile, row.test = profile, test


def import_rows(rows: list[ImportRow], by: User, token: str | None) -> list[TestResult]:
    """Record the rows that passed `check_import`, each once for this file's confirmation
    (`token`), judged like a result typed by a nurse. Flushes; the caller commits."""
    recorded = []
    for row in rows:
        if not row.ok:
            continue
        entry = ResultEntry(value=row.value, unit=row.unit, taken_on=row.taken_on, resulted_on=london_today())
        recorded.append(record_result(row.profile, row.test, entry, by, f"{token or ''}-{row.line}", source="import"))
    audit("results.import", actor=by, subject=f"team:{by.team_id}", imported=len(recorded),
          refused=sum(1 for row in rows if not row.ok))
    return recorded
