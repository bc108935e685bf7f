"""The symptom log's rules of the house: logging, correcting and removing entries, what the
person is told, and what goes to the team's queue. Routes make no queries; this module does.

What goes to the team:
- an emergency or a red flag raises a queue item at the top of the queue (an emergency item for
  an emergency), saying what the person reported in their own words;
- while the person has an open symptom item, later emergencies and red flags MERGE into it (an
  emergency makes it an emergency item) instead of stacking up beside it;
- a correction or a removal never closes or downgrades an item: the team is told of the change
  on the open item, and a correction that is still urgent is sent again if the item was closed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Date, Integer, Select, and_, bindparam, select
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from ..hna.reply_time import when_team_sees_it
from ..models import PatientProfile
from ..timeutil import clock_time, london_today, long_date, utcnow
from ..triage import service as triage
from ..triage.models import ItemStatus, QueueItem
from ..triage.queue import ItemKind, clipped
from ..triage.working_days import response_deadline
from . import rules
from .models import SymptomEntry, SymptomEntryVersion
from .rules import Level

SOMETHING_ELSE = "something_else"
# Every queue item raised from the symptom log has a source key starting with this.
SOURCE_PREFIX = "symptoms:"
URGENT = (Level.EMERGENCY, Level.RED_FLAG)
QUEUE_KIND = {Level.EMERGENCY: ItemKind.EMERGENCY, Level.RED_FLAG: ItemKind.RED_FLAG}


@dataclass(frozen=True)
class SymptomDetails:
    """What the person told us, as the form checked it."""

    symptom_id: str | None  # None: something else, in `own_words`
    own_words: str | None
    severity: str
    started_on: date
    new_or_worse: bool
    note: str | None


@dataclass(frozen=True)
class Outcome:
    """What the person is told once an entry is logged or corrected."""

    level: Level
    advice: str
    # For a red flag: whether the team sees it today, and the sentence saying when they will.
    seen_today: bool = False
    seen: str | None = None


# ---------------------------------------------------------------- reading


def pathway_of(profile: PatientProfile) -> str | None:
    return profile.tumour_pathway


def choices(profile: PatientProfile) -> list[tuple[str, str]]:
    """(value, words) the person picks from: their pathway's symptoms, then something else."""
    picks = [(c.id, c.text) for c in rules.symptom_choices(pathway_of(profile))]
    return picks + [(SOMETHING_ELSE, rules.something_else_text())]


def symptom_text(profile: PatientProfile, symptom_id: str | None) -> str:
    if symptom_id is None:
        return rules.something_else_text()
    return dict(choices(profile))[symptom_id]


def history(profile: PatientProfile, logged_on: date | None = None,
            levels: tuple[str, ...] | None = None) -> list[SymptomEntry]:
    """The person's current entries, newest first (`is_current_entry_of`)."""
    return list(db.session.scalars(_history_statement(logged_on is not None, levels),
                                   {"patient_id": profile.id, "logged_on": logged_on}))


@cache
def _history_statement(of_one_day: bool, levels: tuple[str, ...] | None):
    """Built once per process (per shape) with the person and the day as bound parameters
    (issue 12): building a statement cost more than running it, on every page that lists them."""
    logged_on = bindparam("logged_on", type_=Date) if of_one_day else None
    return (select(SymptomEntry)
            .where(is_current_entry_of(bindparam("patient_id", type_=Integer), logged_on, levels))
            .order_by(SymptomEntry.logged_at.desc(), SymptomEntry.id.desc()))


def log_for_team(profile: PatientProfile) -> list[SymptomEntry]:
    """Every entry the person has logged, newest first, removed ones too: what the team was sent
    stays readable (each entry's earlier wording is in `earlier_versions`)."""
    return list(db.session.scalars(
        select(SymptomEntry).where(SymptomEntry.patient_id == profile.id)
        .order_by(SymptomEntry.logged_at.desc(), SymptomEntry.id.desc())
    ))


def entries_for_item(item: QueueItem) -> list[SymptomEntry]:
    """Every entry that raised or was merged into the queue item, newest first, removed ones
    too, each with its earlier versions: what the person reported, in full, beside the item's
    short reason."""
    return list(db.session.scalars(
        select(SymptomEntry).where(SymptomEntry.queue_item_id == item.id, SymptomEntry.patient_id == item.patient_id)
        .options(selectinload(SymptomEntry.earlier_versions))
        .order_by(SymptomEntry.logged_at.desc(), SymptomEntry.id.desc())
    ))


def own_entry(profile: PatientProfile, entry_id: int) -> SymptomEntry | None:
    """The person's own current entry, or None (someone else's, removed, or none)."""
    entry = db.session.get(SymptomEntry, entry_id)
    if entry is None or entry.patient_id != profile.id or entry.removed_at is not None:
        return None
    return entry


def logged_entry(profile: PatientProfile, entry_id: int) -> SymptomEntry | None:
    """The person's own entry, removed or not, to remove it."""
    entry = db.session.get(SymptomEntry, entry_id)
    return entry if entry is not None and entry.patient_id == profile.id else None


# What the page saying what to do about an entry shows of it, and reads to say it.
_ADVISED_COLUMNS = (SymptomEntry.id, SymptomEntry.symptom_id, SymptomEntry.symptom_text, SymptomEntry.own_words,
                    SymptomEntry.level, SymptomEntry.logged_at, SymptomEntry.updated_at, SymptomEntry.removed_at)


@cache
def _entry_to_advise_on_statement() -> Select:
    """Built once with the entry and the person as bound parameters (as `_history_statement`)."""
    return select(*_ADVISED_COLUMNS).where(SymptomEntry.id == bindparam("entry_id", type_=Integer),
                                           SymptomEntry.patient_id == bindparam("patient_id", type_=Integer))


def entry_to_advise_on(profile: PatientProfile, entry_id: int):
    """The person's own entry, removed or not, as plain values (`_ADVISED_COLUMNS`), or None
    (someone else's, or none): the page saying what to do after logging it shows it and
    changes nothing, so no entry is loaded."""
    return db.session.execute(_entry_to_advise_on_statement(),
                              {"entry_id": entry_id, "patient_id": profile.id}).first()


def _report(entry: SymptomEntry) -> rules.Report:
    return rules.Report(entry.symptom_id, entry.severity, entry.started_on, entry.logged_on, entry.new_or_worse)


# What the rules read of an entry (rules.Report's fields, in its order), and its id.
_REPORT_COLUMNS = (SymptomEntry.id, SymptomEntry.symptom_id, SymptomEntry.severity, SymptomEntry.started_on,
                   SymptomEntry.logged_on, SymptomEntry.new_or_worse)


@cache
def _repeats_window_statement() -> Select:
    """The person's current entries of one symptom logged in a window of days, as plain values.
    Built once with bound parameters: building it cost more than running it, on every symptom
    sent (as `sessions._session_statement`)."""
    return select(*_REPORT_COLUMNS).where(
        is_current_entry_of(bindparam("patient_id", type_=Integer)),
        SymptomEntry.symptom_id == bindparam("symptom_id"),
        SymptomEntry.logged_on > bindparam("after"), SymptomEntry.logged_on <= bindparam("today"),
    )


def _counted_history(profile: PatientProfile, entry: SymptomEntry, today: date) -> list[rules.Report]:
    """The person's other current entries that the rules can count for this one: the same symptom
    logged within its repeats window (rules.repeats_window_days), not their whole log. Read as
    plain values: the rules need nothing else of them, and loading entries costs more than the SQL."""
    window = rules.repeats_window_days(pathway_of(profile), entry.symptom_id)
    if window == 0:
        return []
    # No autoflush: a correction being made must be written once, as one new version.
    with db.session.no_autoflush:
        rows = db.session.execute(_repeats_window_statement(), {
            "patient_id": profile.id, "symptom_id": entry.symptom_id,
            "after": today - timedelta(days=window), "today": today,
        })
        return [rules.Report(*report) for entry_id, *report in rows if entry_id != entry.id]


def _assess(profile: PatientProfile, entry: SymptomEntry, today: date) -> rules.Assessment:
    return rules.assess(pathway_of(profile), _report(entry), _counted_history(profile, entry, today), today)


# ---------------------------------------------------------------- what the person is told


def outcome_for(profile: PatientProfile, level: Level, now: datetime) -> Outcome:
    """The advice for `level`; for a red flag sent `now`, when the team will see it, by the
    queue's own working-day rules (never "today" when it cannot be)."""
    content = rules.rules_content(pathway_of(profile))
    level = Level(level)
    if level is Level.EMERGENCY:
        return Outcome(level, content.emergency_advice)
    if level is Level.RED_FLAG:
        days = triage.target_working_days(profile.team, ItemKind.RED_FLAG)
        due = response_deadline(now, days)
        seen_today = days == 0 and london_today(due) == london_today(now)
        return Outcome(level, content.red_flag_advice or content.emergency_advice, seen_today,
                       when_team_sees_it(now, due, days, now))
    return Outcome(level, content.watch_advice)


# ---------------------------------------------------------------- the team's queue


def _describe(entry: SymptomEntry) -> str:
    """What the person reported, in their words, for the queue item."""
    what = f'"{entry.own_words}"' if entry.symptom_id is None else entry.symptom_text
    parts = [entry.severity, f"since {long_date(entry.started_on)}"]
    if entry.new_or_worse:
        parts.append("new or getting worse")
    text = f"{what} ({', '.join(parts)})"
    if entry.note:
        text += f': "{entry.note}"'
    return text


def open_symptom_item_id(patient_id: int):
    """The id of `open_symptom_item` (the same rule), as a scalar subquery, for a page that reads
    several areas' records in one statement."""
    item = aliased(QueueItem)
    return select(item.id).where(_is_open_symptom_item(item, patient_id)).order_by(item.id).limit(1).scalar_subquery()


def open_symptom_item(profile: PatientProfile) -> QueueItem | None:
    """The person's open queue item raised from their symptom log (an emergency or a red flag;
    later ones merge into it), or None."""
    return db.session.scalar(
        select(QueueItem).where(_is_open_symptom_item(QueueItem, profile.id)).order_by(QueueItem.id).limit(1)
    )


@cache
def _open_item_and_entries_statement() -> Select:
    """`open_symptom_item` with the entries in it, built once with the patient's id bound (as
    `_repeats_window_statement`). Through the patient's entries (their index): every entry of
    the item is the person's own."""
    return (
        select(QueueItem, SymptomEntry)
        .outerjoin(SymptomEntry, and_(SymptomEntry.patient_id == QueueItem.patient_id,
                                      SymptomEntry.queue_item_id == QueueItem.id))
        .where(QueueItem.id == open_symptom_item_id(bindparam("patient_id")))
    )


def _open_symptom_item_and_entries(profile: PatientProfile) -> tuple[QueueItem | None, list[SymptomEntry]]:
    """`open_symptom_item` and the entries already raised or merged into it, in one statement
    (what a symptom merged into it needs to write the item's words)."""
    rows = db.session.execute(_open_item_and_entries_statement(), {"patient_id": profile.id}).all()
    if not rows:
        return None, []
    return rows[0][0], [entry for _, entry in rows if entry is not None]


def _is_open_symptom_item(item, patient_id: int):
    return and_(item.patient_id == patient_id, item.status == ItemStatus.OPEN, item.source_key.startswith(SOURCE_PREFIX))


def is_current_entry_of(patient_id: int, logged_on: date | None = None, levels: tuple[str, ...] | None = None):
    """The person's current entries (logged and not removed), those logged on `logged_on` and of
    `levels` only when given."""
    clause = and_(SymptomEntry.patient_id == patient_id, SymptomEntry.removed_at.is_(None))
    if logged_on is not None:
        clause = and_(clause, SymptomEntry.logged_on == logged_on)
    if levels is not None:
        clause = and_(clause, SymptomEntry.level.in_(levels))
    return clause


def _item_reason(item_kind: ItemKind, entries: list[SymptomEntry], changes: list[str]) -> str:
    """Most urgent first; the same symptom logged again is named once, with how many times (its
    newest words), so a repeat never pushes another symptom out of the item."""
    newest_first = sorted(entries, key=lambda e: (-rules.level_rank(Level(e.level)), -(e.entry_id if isinstance(e, SymptomEntryVersion) else e.id)))
    groups: dict[tuple, list] = {}
    for entry in newest_first:
        groups.setdefault((entry.symptom_id, entry.own_words if entry.symptom_id is None else None), []).append(entry)
    described = [_describe(same[0]) + (f", logged {len(same)} times" if len(same) > 1 else "") for same in groups.values()]
    head = ("Possible emergency (told to call 999 or the 24-hour line): " if item_kind is ItemKind.EMERGENCY
            else "Red flag symptom: ")
    text = head + "; ".join(described) + "".join(changes)
    return clipped(text)


def _as_sent(entry: SymptomEntry, earlier: list[SymptomEntryVersion]):
    """The entry as the team first had it (its first urgent wording): corrections are added after
    it, never in its place. `earlier`: its earlier versions, newest first."""
    for version in reversed(earlier):  # oldest first
        if Level(version.level) in URGENT:
            return version
    return entry


def _earlier_versions(entries: list[SymptomEntry]) -> dict[int, list[SymptomEntryVersion]]:
    """Each corrected entry's earlier versions, newest first, in one read (none for entries never
    corrected: only a correction makes a version, and it raises the entry's version number)."""
    corrected = [e.id for e in entries if e.version > 1]
    versions: dict[int, list[SymptomEntryVersion]] = {}
    if corrected:
        for version in db.session.scalars(
            select(SymptomEntryVersion).where(SymptomEntryVersion.entry_id.in_(corrected))
            .order_by(SymptomEntryVersion.version.desc())
        ):
            versions.setdefault(version.entry_id, []).append(version)
    return versions


def _refresh_reason(item: QueueItem, change: str | None = None, *, news: bool = True,
                    entries: list[SymptomEntry] | None = None) -> None:
    """The item's words: each linked entry as it was sent, then every change since (kept from
    the item's words as they were, after " | "). With `news` (an entry merged into the item, or
    a change to one) the item counts as changed even when its words, clipped at their length
    limit, come out the same: its revision moves, so a nurse acting on a page opened before
    gets the 409 that shows her the news instead of closing the item unaware of it. `entries`:
    the item's entries, when the caller has just read them (`_open_symptom_item_and_entries`)."""
    if entries is None:
        # Through the patient's entries (their index): every entry of the item is the person's own.
        entries = list(db.session.scalars(select(SymptomEntry).where(
            SymptomEntry.patient_id == item.patient_id, SymptomEntry.queue_item_id == item.id)))
    changes = item.reason.split(" | ", 1)[1] if " | " in item.reason else ""
    if change:
        changes = f"{changes}; {change}" if changes else change
    earlier = _earlier_versions(entries)
    sent = [_as_sent(e, earlier.get(e.id, [])) for e in entries]
    urgent = [e for e in sent if Level(e.level) in URGENT] or sent
    item.reason = _item_reason(item.kind, urgent, [f" | {changes}"] if changes else [])
    if news:
        flag_modified(item, "reason")


_NOT_READ = object()


def send_to_team(profile: PatientProfile, entry: SymptomEntry, now: datetime, why: str = "",
                 open_item: QueueItem | None | object = _NOT_READ, *, new_entry: bool = False,
                 item_entries: list[SymptomEntry] | None = None) -> QueueItem:
    """Raise the entry's emergency or red flag, or merge it into the person's open symptom item
    (`open_item`, or None for none, when the caller has just read it, with `item_entries`, the
    entries already in it). `why` tells apart the raises of one version of an entry (the daily
    sweep's, by its day). `new_entry`: the entry was made in this transaction, so no item can
    have been raised from it yet (triage.raise_item's `source_is_new`)."""
    level = Level(entry.level)
    item = open_symptom_item(profile) if open_item is _NOT_READ else open_item
    if item is None:
        # Raised with the words _refresh_reason gives an item of this one entry (as first sent),
        # so it is not rewritten: a new item has no other entry and no news for anyone.
        item = triage.raise_item(profile, QUEUE_KIND[level], _item_reason(QUEUE_KIND[level], [entry], []),
                                 f"{SOURCE_PREFIX}entry:{entry.id}:v{entry.version}{why}", received_at=now,
                                 source_is_new=new_entry)
        if entry.queue_item_id != item.id:
            entry.queue_item_id = item.id
            db.session.flush()
        if new_entry:
            return item
        _refresh_reason(item, news=False)
        return item
    if level is Level.EMERGENCY and item.kind is not ItemKind.EMERGENCY:
        item.kind = ItemKind.EMERGENCY  # the same rank: both are at the top, never waiting
    if entry.queue_item_id != item.id:
        entry.queue_item_id = item.id
        db.session.flush()
    if item_entries is not None and all(e is not entry for e in item_entries):
        item_entries = [*item_entries, entry]
    _refresh_reason(item, news=True, entries=item_entries)
    return item


def _tell_team_of_change(entry: SymptomEntry, change: str) -> None:
    """A correction or removal the team must see on the item it raised, which stays as it is."""
    item = db.session.get(QueueItem, entry.queue_item_id) if entry.queue_item_id else None
    if item is not None and item.status is ItemStatus.OPEN:
        _refresh_reason(item, change)


# ---------------------------------------------------------------- changing the log


def log_symptom(profile: PatientProfile, details: SymptomDetails, now: datetime | None = None) -> SymptomEntry:
    """A new entry, assessed by the rules, sent to the team when urgent. Flushes; the caller commits."""
    now = now or utcnow()
    entry = SymptomEntry(patient_id=profile.id, logged_at=now, logged_on=london_today(now), version=1)
    _apply(profile, entry, details)
    assessment = _assess(profile, entry, london_today(now))
    entry.level, entry.rule, entry.rules_version = assessment.level.value, assessment.rule, rules.rules_version()
    urgent = assessment.level in URGENT
    # Read before the entry is in the session: merged into an open item, the entry is written
    # already linked to it, not inserted and then updated; the item's words come from the
    # entries read with it.
    open_item, item_entries = _open_symptom_item_and_entries(profile) if urgent else (None, [])
    if open_item is not None:
        entry.queue_item_id = open_item.id
    db.session.add(entry)
    db.session.flush()
    if urgent:
        send_to_team(profile, entry, now, open_item=open_item, new_entry=True, item_entries=item_entries)
    return entry


def _apply(profile: PatientProfile, entry: SymptomEntry, details: SymptomDetails) -> None:
    entry.symptom_id = details.symptom_id
    entry.symptom_text = symptom_text(profile, details.symptom_id)
    entry.own_words = details.own_words if details.symptom_id is None else None
    entry.severity = details.severity
    entry.started_on = details.started_on
    entry.new_or_worse = details.new_or_worse
    entry.note = details.note or None


def same_details(entry: SymptomEntry, details: SymptomDetails) -> bool:
    own_words = details.own_words if details.symptom_id is None else None
    return (entry.symptom_id, entry.own_words, entry.severity, entry.started_on, entry.new_or_worse, entry.note) == (
        details.symptom_id, own_words, details.severity, details.started_on, details.new_or_worse, details.note or None)


class EntryChanged(Exception):
    """The entry was corrected elsewhere since the page was shown. Nothing was saved."""


def correct(profile: PatientProfile, entry: SymptomEntry, shown_version: int | None, details: SymptomDetails,
            now: datetime | None = None) -> SymptomEntry:
    """Correct an entry: the wording the team may have read is kept as a version; the level may
    rise (sent to the team) but an item it raised is never closed or made less urgent. Raises
    EntryChanged when `shown_version` is not the entry's version. Flushes; the caller commits."""
    now = now or utcnow()
    if shown_version != entry.version:
        raise EntryChanged()
    db.session.add(SymptomEntryVersion(
        entry=entry, version=entry.version, symptom_id=entry.symptom_id, symptom_text=entry.symptom_text,
        own_words=entry.own_words, severity=entry.severity, started_on=entry.started_on,
        new_or_worse=entry.new_or_worse, note=entry.note, level=entry.level,
        saved_at=entry.updated_at or entry.logged_at, replaced_at=now,
    ))
    before = Level(entry.level)
    _apply(profile, entry, details)
    assessment = _assess(profile, entry, london_today(now))
    entry.updated_at = now
    entry.version += 1
    entry.level, entry.rule, entry.rules_version = assessment.level.value, assessment.rule, rules.rules_version()
    db.session.flush()
    if assessment.level in URGENT:
        item = db.session.get(QueueItem, entry.queue_item_id) if entry.queue_item_id else None
        if item is None or item.status is not ItemStatus.OPEN:
            send_to_team(profile, entry, now)
        else:
            if assessment.level is Level.EMERGENCY and item.kind is not ItemKind.EMERGENCY:
                item.kind = ItemKind.EMERGENCY
            _tell_team_of_change(entry, f"corrected by the patient at {clock_time(now)} on {long_date(now)}: "
                                        f"now {_describe(entry)}")
    elif before in URGENT:
        _tell_team_of_change(entry, f"corrected by the patient at {clock_time(now)} on {long_date(now)}: "
                                    f"now {_describe(entry)}, a watch symptom (this item stays for you to close)")
    return entry


def remove(entry: SymptomEntry, now: datetime | None = None) -> bool:
    """Remove an entry from the person's log (kept for the team). False when already removed."""
    now = now or utcnow()
    if entry.removed_at is not None:
        return False
    entry.removed_at = now
    db.session.flush()
    _tell_team_of_change(entry, f"the patient removed an entry at {clock_time(now)} on {long_date(now)}")
    return True


# ---------------------------------------------------------------- the daily sweep


def sweep(now: datetime | None = None) -> int:
    """Apply the duration and persistence rules to every current entry that is not yet urgent
    (rules.sweep): an entry whose level has risen since it was logged is recorded at its new
    level and sent to the team (merged into the open symptom item, if there is one). Running it
    again raises nothing new: the entry's stored level is already the risen one. Flushes;
    returns how many entries rose. The caller commits."""
    now = now or utcnow()
    today = london_today(now)
    patients = db.session.scalars(
        select(PatientProfile).where(PatientProfile.id.in_(
            select(SymptomEntry.patient_id).where(SymptomEntry.removed_at.is_(None), SymptomEntry.level == Level.WATCH.value)
        )).order_by(PatientProfile.id)
    ).all()
    risen = 0
    for profile in patients:
        # rules.sweep answers with the very Report objects it was given: matched back by identity.
        pairs = [(_report(entry), entry) for entry in history(profile)]
        entry_of = {id(report): entry for report, entry in pairs}
        for report, assessment in rules.sweep(pathway_of(profile), [report for report, _ in pairs], today):
            entry = entry_of[id(report)]
            if rules.level_rank(assessment.level) <= rules.level_rank(Level(entry.level)):
                continue  # already recorded at this level (an earlier sweep, or a correction)
            entry.level, entry.rule, entry.rules_version = assessment.level.value, assessment.rule, rules.rules_version()
            db.session.flush()
            send_to_team(profile, entry, now, why=f":sweep:{today.isoformat()}")
            _tell_team_of_change(entry, f"raised by the daily check on {long_date(today)}: {assessment.reason}")
            risen += 1
    return risen
