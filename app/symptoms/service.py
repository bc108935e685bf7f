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

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Date, Integer, Select, and_, bindparam, insert, literal, null, select, union_all, update
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..hna.reply_time import when_team_sees_it
from ..models import PatientProfile
from ..plain_rows import read_rows, write_row
from ..sessions import RecordValues, SignedInPatient
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
class LoggedEntry:
    """An entry just logged: what the caller answers with and audits."""

    id: int
    level: str
    rule: str
    rules_version: str
    queue_item_id: int | None  # the item it raised or was merged into; None for a watch symptom


@dataclass(frozen=True)
class Outcome:
    """What the person is told once an entry is logged or corrected."""

    level: Level
    advice: str
    # For a red flag: whether the team sees it today, and the sentence saying when they will.
    seen_today: bool = False
    seen: str | None = None


class Sender(NamedTuple):
    """The person sending a symptom as `log_symptom`, and the queue item it may raise, read them:
    their record's id, pathway and team (whose response targets say when a red flag raised is
    due), as values read with their session (`authz.signed_in_patient`), so that a symptom sent
    makes no tracked record of them (issue 12). A tracked `PatientProfile` serves as well."""

    id: int
    tumour_pathway: str | None
    team_id: int
    team: RecordValues


def sender(patient: PatientProfile | SignedInPatient) -> PatientProfile | Sender:
    if isinstance(patient, PatientProfile):
        return patient
    return Sender(patient.id, patient.values["tumour_pathway"], patient.team_id, patient.team)


# ---------------------------------------------------------------- reading


def pathway_of(profile: PatientProfile | Sender) -> str | None:
    return profile.tumour_pathway


def choices(profile: PatientProfile) -> list[tuple[str, str]]:
    """(value, words) the person picks from: their pathway's symptoms, then something else."""
    picks = [(c.id, c.text) for c in rules.symptom_choices(pathway_of(profile))]
    return picks + [(SOMETHING_ELSE, rules.something_else_text())]


def symptom_text(profile: PatientProfile | Sender, symptom_id: str | None) -> str:
    if symptom_id is None:
        return rules.something_else_text()
    return rules.symptom_wording(pathway_of(profile), symptom_id)


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
    return list(db.session.scalars(_entries_for_item_statement(),
                                   {"item_id": item.id, "patient_id": item.patient_id}))


@cache
def _entries_for_item_statement() -> Select:
    """Built once per process with the item and its person as bound parameters (as
    `_history_statement`): building it, its selectinload above all, was a tenth of the queue item
    page's Python calls."""
    return (select(SymptomEntry)
            .where(SymptomEntry.queue_item_id == bindparam("item_id", type_=Integer),
                   SymptomEntry.patient_id == bindparam("patient_id", type_=Integer))
            .options(selectinload(SymptomEntry.earlier_versions))
            .order_by(SymptomEntry.logged_at.desc(), SymptomEntry.id.desc()))


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


def _report(entry: SymptomEntry | EntryValues) -> rules.Report:
    return rules.Report(entry.symptom_id, entry.severity, entry.started_on, entry.logged_on, entry.new_or_worse)


class EntryValues(NamedTuple):
    """An entry as plain values: what the rules count of it (`_report`) and what a queue item's
    words say of it (`_describe`, `_item_reason`, `_earlier_versions`). Rows read with
    `_ENTRY_COLUMNS` have the same names."""

    id: int
    symptom_id: str | None
    symptom_text: str
    own_words: str | None
    severity: str
    started_on: date
    logged_on: date
    new_or_worse: bool
    note: str | None
    level: str
    version: int


_ENTRY_COLUMNS = tuple(getattr(SymptomEntry, name) for name in EntryValues._fields)


@cache
def _repeats_window_statement() -> Select:
    """The person's current entries of one symptom logged in a window of days, as plain values.
    Built once with bound parameters: building it cost more than running it, on every symptom
    sent (as `sessions._session_statement`)."""
    return select(*_ENTRY_COLUMNS).where(
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
        return [_report(row) for row in rows if row.id != entry.id]


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


class OpenItem(NamedTuple):
    """`open_symptom_item` as plain values: what merging an entry into it reads and checks."""

    id: int
    kind: ItemKind
    reason: str
    revision: int


@cache
def _open_item_statement(with_repeats_window: bool) -> Select:
    """`open_symptom_item` with the entries in it (`_ENTRY_COLUMNS`; one row each, the item's
    values beside; an item with none yet, one row with no entry; no row: none open), built once
    with bound parameters. Through the patient's entries (their index): every entry of the item
    is the person's own. With the repeats window: the same symptom's recent entries too
    (`_repeats_window_statement`), each with no item beside it, in the same statement."""
    in_item = (
        select(*_ENTRY_COLUMNS, QueueItem.id.label("item_id"), QueueItem.kind, QueueItem.reason, QueueItem.revision)
        .select_from(QueueItem)
        .outerjoin(SymptomEntry, and_(SymptomEntry.patient_id == QueueItem.patient_id,
                                      SymptomEntry.queue_item_id == QueueItem.id))
        .where(QueueItem.id == open_symptom_item_id(bindparam("patient_id", type_=Integer)))
    )
    if not with_repeats_window:
        return in_item
    # The item's part first: a union's columns are typed as its first part's.
    return union_all(in_item, _repeats_window_statement().add_columns(null(), null(), null(), null()))


def _open_item_and_entries(profile: PatientProfile | Sender, repeats_of: str | None = None, today: date | None = None,
                           window: int = 0) -> tuple[OpenItem | None, list[EntryValues], list[EntryValues]]:
    """(`open_symptom_item`, the entries already raised or merged into it, and with a `window`
    of days the person's current entries of `repeats_of` logged in it up to `today`), in one
    statement, as plain values: what a symptom sent needs to be judged (the repeats rule) and to
    write the item's words."""
    rows = read_rows(_open_item_statement(window > 0), {
        "patient_id": profile.id, "symptom_id": repeats_of,
        "after": today - timedelta(days=window) if window else None, "today": today,
    }).all()
    in_item = [row for row in rows if row.item_id is not None]
    item = OpenItem(in_item[0].item_id, in_item[0].kind, in_item[0].reason, in_item[0].revision) if in_item else None
    entries = [EntryValues(*row[:len(EntryValues._fields)]) for row in in_item if row.id is not None]
    recent = [EntryValues(*row[:len(EntryValues._fields)]) for row in rows if row.item_id is None]
    return item, entries, recent


def _is_open_symptom_item(item, patient_id: int):
    return and_(item.patient_id == patient_id, item.status == ItemStatus.OPEN, item.source_key.startswith(SOURCE_PREFIX))


def is_current_entry_of(patient_id: int, logged_on: date | None = None, levels: tuple[str, ...] | None = None):
    """The person's current entries (logged and not removed), those logged on `logged_on` and of
    `levels` only when given."""
    clause = and_(SymptomEntry.patient_id == patient_id, SymptomEntry.removed_at.is_(None))
    if logged_on is not None:
        clause = and_(clause, SymptomEntry.logged_on == logged_on)
    if levels is not None:
        # One bound parameter per level, not one expanding parameter: SQLAlchemy writes an
        # expanding one into the statement's text again on every run (the home page's row).
        clause = and_(clause, SymptomEntry.level.in_([literal(level) for level in levels]))
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


def _item_words(kind: ItemKind, words_now: str, entries: list, change: str | None = None) -> str:
    """An item's words: each of its `entries` as it was sent, then every change since (kept from
    its words as they are now, after " | "), and `change`, when given."""
    changes = words_now.split(" | ", 1)[1] if " | " in words_now else ""
    if change:
        changes = f"{changes}; {change}" if changes else change
    earlier = _earlier_versions(entries)
    sent = [_as_sent(e, earlier.get(e.id, [])) for e in entries]
    urgent = [e for e in sent if Level(e.level) in URGENT] or sent
    return _item_reason(kind, urgent, [f" | {changes}"] if changes else [])


def _refresh_reason(item: QueueItem, change: str | None = None, *, news: bool = True) -> None:
    """The item's words (`_item_words`), from the entries in it. With `news` (a change to an
    entry in it) the item counts as changed even when its words, clipped at their length limit,
    come out the same: its revision moves, so a nurse acting on a page opened before gets the
    409 that shows her the news instead of closing the item unaware of it."""
    # Through the patient's entries (their index): every entry of the item is the person's own.
    entries = list(db.session.scalars(select(SymptomEntry).where(
        SymptomEntry.patient_id == item.patient_id, SymptomEntry.queue_item_id == item.id)))
    item.reason = _item_words(item.kind, item.reason, entries, change)
    if news:
        flag_modified(item, "reason")


@cache
def _merge_statement():
    """An entry merged into an open item: its kind and words, and its revision moved, if it is
    still at the revision read (built once, with bound parameters)."""
    items = QueueItem.__table__
    return (update(items)
            .where(items.c.id == bindparam("item_id"), items.c.revision == bindparam("revision_read"))
            .values(kind=bindparam("new_kind", type_=items.c.kind.type), reason=bindparam("new_reason"),
                    revision=bindparam("revision_read") + 1))


def _merge(item: OpenItem, level: Level, entries: list) -> None:
    """Merge an entry into the person's open symptom item (`entries`: every entry in it, the new
    one too): an emergency makes it an emergency item, and its words are written again. Its
    revision moves even when its words, clipped at their length limit, come out the same, so a
    nurse acting on a page opened before gets the 409 that shows her the news instead of closing
    the item unaware of it. Changed meanwhile (a nurse closed it): StaleDataError, as the ORM
    raises for a stale revision, so the save is tried again (idempotency's write clash)."""
    kind = ItemKind.EMERGENCY if level is Level.EMERGENCY else item.kind  # the same rank: both at the top
    changed = write_row(_merge_statement(), {
        "item_id": item.id, "revision_read": item.revision, "new_kind": kind,
        "new_reason": _item_words(kind, item.reason, entries)})
    if changed != 1:
        raise StaleDataError(f"queue item {item.id} changed since revision {item.revision} was read")
    held = db.session.identity_map.get(identity_key(QueueItem, item.id))
    if held is not None:
        db.session.expire(held)  # loaded earlier in this session (the demo's): read as stored now


def _source_key(entry_id: int, version: int, why: str = "") -> str:
    return f"{SOURCE_PREFIX}entry:{entry_id}:v{version}{why}"


def send_to_team(profile: PatientProfile, entry: SymptomEntry, now: datetime, why: str = "") -> None:
    """Raise a corrected or swept entry's emergency or red flag, or merge it into the person's
    open symptom item (`log_symptom` does the same for an entry it writes). `why` tells apart
    the raises of one version of an entry (the daily sweep's, by its day)."""
    level = Level(entry.level)
    item, item_entries, _ = _open_item_and_entries(profile)
    if item is None:
        kind = QUEUE_KIND[level]
        raised = triage.raise_item(profile, kind, _item_reason(kind, [entry], []),
                                   _source_key(entry.id, entry.version, why), received_at=now)
        if entry.queue_item_id != raised.id:
            entry.queue_item_id = raised.id
            db.session.flush()
        _refresh_reason(raised, news=False)
        return
    if entry.queue_item_id != item.id:
        entry.queue_item_id = item.id
        db.session.flush()
    _merge(item, level, [e for e in item_entries if e.id != entry.id] + [entry])


def _tell_team_of_change(entry: SymptomEntry, change: str) -> None:
    """A correction or removal the team must see on the item it raised, which stays as it is."""
    item = db.session.get(QueueItem, entry.queue_item_id) if entry.queue_item_id else None
    if item is not None and item.status is ItemStatus.OPEN:
        _refresh_reason(item, change)


# ---------------------------------------------------------------- changing the log


@cache
def _insert_entry_statement():
    entries = SymptomEntry.__table__
    return insert(entries).returning(entries.c.id)


@cache
def _link_entry_statement():
    entries = SymptomEntry.__table__
    return update(entries).where(entries.c.id == bindparam("entry_id")).values(queue_item_id=bindparam("item_id"))


def log_symptom(profile: PatientProfile | Sender, details: SymptomDetails, now: datetime | None = None) -> LoggedEntry:
    """A new entry, assessed by the rules, sent to the team when urgent: it raises a queue item,
    or merges into the person's open symptom item. Every symptom sent comes this way, so it is
    written by statements built once, with no entry made or loaded as an object (issue 12): the same
    symptom's recent entries (the repeats rule) and the open item with the entries in it are read
    in one statement, and an entry merged into the item is written already linked to it.
    Flushes; the caller commits."""
    now = now or utcnow()
    today = london_today(now)
    pathway = pathway_of(profile)
    window = rules.repeats_window_days(pathway, details.symptom_id)
    item, item_entries, recent = (_open_item_and_entries(profile, details.symptom_id, today, window) if window
                                  else (None, [], []))
    report = rules.Report(details.symptom_id, details.severity, details.started_on, today, details.new_or_worse)
    assessment = rules.assess(pathway, report, [_report(entry) for entry in recent], today)
    urgent = assessment.level in URGENT
    if not urgent:
        item = None  # read with the recent entries, and only for emergencies and red flags
    elif not window:
        item, item_entries, _ = _open_item_and_entries(profile)
    values = {
        "patient_id": profile.id, **_as_stored(details), "symptom_text": symptom_text(profile, details.symptom_id),
        "logged_at": now, "logged_on": today, "level": assessment.level.value, "rule": assessment.rule,
        "rules_version": rules.rules_version(), "queue_item_id": item.id if item is not None else None, "version": 1,
    }
    # Kept compiled and sent to the driver from the second symptom sent (plain_rows): Core's
    # execution of the INSERT was a fifth of a symptom sent's own work.
    entry_id = read_rows(_insert_entry_statement(), values).scalar_one()
    logged = LoggedEntry(entry_id, values["level"], values["rule"], values["rules_version"], values["queue_item_id"])
    if not urgent:
        return logged
    entry = EntryValues(**{name: values[name] for name in EntryValues._fields if name != "id"}, id=entry_id)
    if item is not None:
        _merge(item, assessment.level, [*item_entries, entry])
        return logged
    # Raised with the words `_item_words` gives an item of this one entry, so it is not written
    # again; its source key names the entry made a moment ago, so it is not looked up first.
    kind = QUEUE_KIND[assessment.level]
    item_id = triage.raise_new_item(profile, kind, _item_reason(kind, [entry], []), _source_key(entry_id, 1),
                                    received_at=now)
    write_row(_link_entry_statement(), {"entry_id": entry_id, "item_id": item_id})
    return replace(logged, queue_item_id=item_id)


def _as_stored(details: SymptomDetails) -> dict:
    """What the person told us as an entry's columns hold it (by name), the one way for a new
    entry, a correction and the check that a correction changes something: own words only for
    something else, no empty note. (The symptom's wording, `symptom_text`, follows its id.)"""
    return {
        "symptom_id": details.symptom_id, "own_words": details.own_words if details.symptom_id is None else None,
        "severity": details.severity, "started_on": details.started_on, "new_or_worse": details.new_or_worse,
        "note": details.note or None,
    }


def _apply(profile: PatientProfile, entry: SymptomEntry, details: SymptomDetails) -> None:
    for column, value in _as_stored(details).items():
        setattr(entry, column, value)
    entry.symptom_text = symptom_text(profile, details.symptom_id)


def same_details(entry: SymptomEntry, details: SymptomDetails) -> bool:
    return all(getattr(entry, column) == value for column, value in _as_stored(details).items())


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
