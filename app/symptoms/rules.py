"""The symptom rules: which level a logged symptom is at, as a plain function over plain data.

The rules are data, in the versioned pathway content (``app/content/pathways/pathways-v2.json``
and later, loaded by ``app.followup.pathway_content``); this module only applies them. Three
levels, kept apart as the shared facts say:

- **emergency**: the four emergencies listed once for every pathway (possible spinal cord
  compression, possible sepsis, severe breathlessness or chest pain, new confusion or a
  seizure). Always an emergency, whatever the severity or history.
- **red flag**: the pathway's red flags. One with ``after_days`` (e.g. "a change in bowel habit
  for over 3 weeks", ``after_days: 21``) is a red flag once ``today - started_on`` is
  ``after_days`` days or more, and a watch symptom before then (the daily sweep raises it).
- **watch**: the pathway's watch symptoms, and "something else" in the person's own words. A
  watch symptom is a red flag when (first rule that applies wins, in this order):

  1. ``severe_raises`` and the person says it is severe ("severe watch -> red flag"; a red flag
     that is not yet at its duration counts as a watch symptom here too);
  2. it has lasted ``persists_days`` days or more (``today - started_on >= 21``: started 21 days
     ago raises, 20 days ago does not);
  3. the same symptom was logged ``repeats`` times (this report included) within
     ``repeats_within_days`` days: the window is the ``repeats_within_days`` days ending today,
     both ends included (``today - logged_on <= 13`` for 14 days). "Something else" entries are
     each in their own words, so they are never counted as the same symptom.

  "Something else" follows rules 1 and 2 with its own ``severe_raises``.
  Otherwise it stays a watch symptom. ``new_or_worse`` is recorded for the nurse to read; it
  does not change the level on its own (the watch advice tells the person to contact the team
  if it gets worse, and "severe" raises it).

Pure Python: no Flask, no database.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ..followup.pathway_content import (
    SEVERITIES,
    PathwayContent,
    PathwayDefinition,
    Symptom,
    WatchRules,
    bundled_definition,
)

__all__ = [
    "SEVERITIES",
    "Assessment",
    "Level",
    "Report",
    "SymptomChoice",
    "UnknownSymptom",
    "assess",
    "hna_concern_level",
    "level_rank",
    "offline_rules",
    "repeats_window_days",
    "rules_content",
    "rules_version",
    "severity_descriptions",
    "something_else_text",
    "sweep",
    "symptom_choices",
]


class Level(StrEnum):
    EMERGENCY = "emergency"
    RED_FLAG = "red_flag"
    WATCH = "watch"


_RANK = {Level.WATCH: 0, Level.RED_FLAG: 1, Level.EMERGENCY: 2}


def level_rank(level: Level) -> int:
    """Higher is more urgent: watch 0, red flag 1, emergency 2."""
    return _RANK[Level(level)]


class UnknownSymptom(ValueError):
    """The symptom id is not one the person can report on this pathway, or the severity is not
    one of SEVERITIES (bad input: the caller shows a field error)."""


@dataclass(frozen=True)
class Report:
    symptom_id: str | None  # None = "something else" in their own words
    severity: str
    started_on: date
    logged_on: date
    new_or_worse: bool = False


@dataclass(frozen=True)
class Assessment:
    level: Level
    rule: str  # which rule fired, for the audit trail and tests
    reason: str  # plain words for the nurse


@dataclass(frozen=True)
class SymptomChoice:
    id: str
    text: str
    level: Level
    # A red flag that only counts once it has lasted this many days (None: at once).
    after_days: int | None = None


# ---------------------------------------------------------------- content


def rules_content(pathway_key: str | None) -> PathwayContent:
    """The newest pathway content that carries rules; with no pathway (not yet recorded, or not
    one we know), a pathway's content is still used for what is the same everywhere: the
    emergencies, the severities and the "something else" rule."""
    definition = bundled_definition()
    if pathway_key in definition.pathways:
        return definition.pathways[pathway_key]
    return next(iter(definition.pathways.values()))


def rules_version() -> str:
    """The version of the rules applied, e.g. "pathways-v2", kept with each assessment."""
    return f"pathways-v{bundled_definition().version}"


def severity_descriptions() -> dict[str, str]:
    """{"mild": "You notice it, but ...", ...} in SEVERITIES order."""
    return dict(rules_content(None).severities)


def something_else_text() -> str:
    return rules_content(None).something_else.text


def _known(pathway_key: str | None) -> bool:
    return pathway_key in bundled_definition().pathways


@dataclass(frozen=True)
class _Reportable:
    symptoms: tuple[Symptom, ...]
    by_id: dict[str, Symptom]
    choices: tuple[SymptomChoice, ...]
    wording: dict[str, str]  # each choice's words by its id


# (id of the definition, pathway): (that definition, what it lets the person report). The
# definition is held so that its id is never another's.
_REPORTABLE: dict[tuple[int, str | None], tuple[PathwayDefinition, _Reportable]] = {}
_REPORTABLE_LIMIT = 256  # pathways are a few dozen; an unknown key stored on a record counts too


def _reportable(pathway_key: str | None) -> _Reportable:
    """What the person can report on the pathway, worked out once per definition of the content
    (one per process: `bundled_definition`) and pathway, as every symptom sent is judged
    against it; the lists are the content's, never changed here."""
    definition = bundled_definition()
    held = _REPORTABLE.get((id(definition), pathway_key))
    if held is None or held[0] is not definition:
        if len(_REPORTABLE) >= _REPORTABLE_LIMIT:
            _REPORTABLE.clear()
        held = _REPORTABLE[(id(definition), pathway_key)] = (definition, _reportable_in(pathway_key))
    return held[1]


def _reportable_in(pathway_key: str | None) -> _Reportable:
    """Emergencies first, then (on a known pathway) its red flags and watch symptoms; never a
    test result such as a rising PSA, which the team sees, not the person."""
    content = rules_content(pathway_key)
    symptoms = list(content.emergency)
    if _known(pathway_key):
        symptoms += [s for s in content.red_flags + content.watch if s.reported_by == "person"]
    by_id: dict[str, Symptom] = {}
    for symptom in symptoms:
        by_id.setdefault(symptom.id, symptom)
    choices = tuple(SymptomChoice(s.id, s.text, Level(s.level), s.after_days) for s in symptoms)
    return _Reportable(tuple(symptoms), by_id, choices, {choice.id: choice.text for choice in choices})


def symptom_choices(pathway_key: str | None) -> list[SymptomChoice]:
    """What the person can pick from: emergencies first, then the pathway's red flags and watch
    symptoms ("something else" is offered by the form beside these)."""
    return list(_reportable(pathway_key).choices)


def reportable_ids(pathway_key: str | None):
    """The ids of `symptom_choices` (a set-like view, worked out once per pathway), for the symptom
    form's rules to check a choice against without building the list again for every symptom sent."""
    return _reportable(pathway_key).wording.keys()


def symptom_wording(pathway_key: str | None, symptom_id: str) -> str:
    """The words of a symptom the person can pick on the pathway (KeyError for any other), as
    `symptom_choices` gives them, without building the list again for every symptom sent."""
    return _reportable(pathway_key).wording[symptom_id]


# ---------------------------------------------------------------- the engine


def _days_since(earlier: date, today: date) -> int:
    return (today - earlier).days


def assess(pathway_key: str | None, report: Report, history: Sequence[Report], today: date) -> Assessment:
    """The level of one report, given the person's other entries (``history``: the same object
    as ``report`` in it is skipped, so it is counted once) and today's date.

    Raises UnknownSymptom for a symptom id the person cannot report on this pathway (including
    a test result such as a rising PSA) or a severity not in SEVERITIES."""
    if report.severity not in SEVERITIES:
        raise UnknownSymptom(f"severity must be one of {', '.join(SEVERITIES)}")
    content = rules_content(pathway_key)
    severe = report.severity == "severe"
    lasted = _days_since(report.started_on, today)
    if report.symptom_id is None:
        if severe and content.something_else.severe_raises:
            return Assessment(Level.RED_FLAG, "something_else_severe", "Something else, in their own words, that they say is severe")
        if lasted >= content.watch_rules.persists_days:
            return Assessment(
                Level.RED_FLAG, "watch_persists",
                f"Something else, in their own words, for {lasted} days ({content.watch_rules.persists_days} or more)",
            )
        return Assessment(Level.WATCH, "something_else", "Something else, in their own words")

    symptom = _reportable(pathway_key).by_id.get(report.symptom_id)
    if symptom is None:
        raise UnknownSymptom(f"{report.symptom_id!r} is not a symptom on this pathway")
    if symptom.level == Level.EMERGENCY:
        return Assessment(Level.EMERGENCY, "emergency", f"Possible emergency: {symptom.text}")
    if symptom.level == Level.RED_FLAG:
        if symptom.after_days is None:
            return Assessment(Level.RED_FLAG, "red_flag", f"Red flag: {symptom.text}")
        if lasted >= symptom.after_days:
            return Assessment(
                Level.RED_FLAG, "red_flag_duration", f"Red flag: {symptom.text}, for {lasted} days ({symptom.after_days} or more)"
            )
        # Below its duration it is a watch symptom, with the pathway's watch rules.
        rules = content.watch_rules
        below = f", for {lasted} days (a red flag from {symptom.after_days})"
    else:
        rules = content.rules_for(symptom)
        below = ""

    if severe and rules.severe_raises:
        return Assessment(Level.RED_FLAG, "watch_severe", f"{symptom.text}{below}, which they say is severe")
    if lasted >= rules.persists_days:
        return Assessment(
            Level.RED_FLAG, "watch_persists", f"{symptom.text}, for {lasted} days ({rules.persists_days} or more)"
        )
    times = _times_logged(report, history, rules, today)
    if times >= rules.repeats:
        return Assessment(
            Level.RED_FLAG, "watch_repeats", f"{symptom.text}, logged {times} times in {rules.repeats_within_days} days"
        )
    return Assessment(Level.WATCH, "watch", f"Watch: {symptom.text}{below}")


def hna_concern_level(pathway_key: str | None, symptom_id: str | None, today: date) -> Assessment:
    """The level of an urgent concern ticked in an HNA (a fever, breathing difficulties), from
    the pathway symptom it is linked to (None: not linked), so that the HNA and the symptom log
    give the same symptom the same level.

    An HNA says nothing of severity or of how long: the concern is taken as severe and started
    today, since the questionnaire marks it as one not to wait with; a linked symptom that is not
    on this pathway (breathlessness is a red flag on the lung pathway only) counts as something
    else in the person's words. So a linked emergency is an emergency on every pathway, and
    anything else is at least a red flag while "severe" raises a watch symptom."""
    known = symptom_id is not None and symptom_id in _reportable(pathway_key).by_id
    return assess(pathway_key, Report(symptom_id if known else None, "severe", today, today), [], today)


def repeats_window_days(pathway_key: str | None, symptom_id: str | None) -> int:
    """How many days of the person's history ``assess`` can count for this symptom: only the same
    symptom logged within this many days, ending today, can change its level (0: none can, as for
    an emergency, a red flag without a duration or "something else"). So the caller reads only
    those entries, however long the person's log is."""
    if symptom_id is None:
        return 0
    content = rules_content(pathway_key)
    symptom = _reportable(pathway_key).by_id.get(symptom_id)
    if symptom is None or symptom.level == Level.EMERGENCY:
        return 0
    if symptom.level == Level.RED_FLAG:
        return content.watch_rules.repeats_within_days if symptom.after_days is not None else 0
    return content.rules_for(symptom).repeats_within_days


def _times_logged(report: Report, history: Sequence[Report], rules: WatchRules, today: date) -> int:
    # The report itself counts once whether or not the caller put it in the history (by
    # identity: two entries with the same details logged the same day are two entries).
    entries = [report] + [entry for entry in history if entry is not report]
    return sum(
        1 for entry in entries
        if entry.symptom_id == report.symptom_id and 0 <= _days_since(entry.logged_on, today) < rules.repeats_within_days
    )


def sweep(pathway_key: str | None, entries: Sequence[Report], today: date) -> list[tuple[Report, Assessment]]:
    """The daily sweep: each entry whose level today is higher than when it was logged (a red
    flag that has reached its duration, a watch symptom that has lasted too long), oldest first.

    ``entries`` are the person's current entries (removed ones left out). An entry stays in the
    answer on every later sweep, so that a missed day loses nothing: the caller merges it into
    the open queue item (or records that it has raised it) rather than raising it again."""
    risen = []
    for entry in sorted(entries, key=lambda e: e.logged_on):
        earlier = [e for e in entries if e.logged_on <= entry.logged_on]
        then = assess(pathway_key, entry, earlier, entry.logged_on)
        now = assess(pathway_key, entry, earlier, today)
        if level_rank(now.level) > level_rank(then.level):
            risen.append((entry, now))
    return risen


def offline_rules(pathway_key: str | None) -> dict:
    """The rules kept on the phone (static/js/symptom-rules.js, ``levelOffline``), so that an
    emergency logged with no connection shows its instruction at once. Everything ``assess``
    needs except the person's history: an entry's repeats are counted when it reaches the
    server. Plain JSON data; the route adds the person's own 24-hour line."""
    content = rules_content(pathway_key)

    def rules_of(watch: WatchRules) -> dict:
        return {"persists_days": watch.persists_days, "severe_raises": watch.severe_raises}

    symptoms = []
    for symptom in _reportable(pathway_key).symptoms:
        entry = {"id": symptom.id, "text": symptom.text, "level": symptom.level}
        if symptom.level == Level.RED_FLAG and symptom.after_days is not None:
            entry["after_days"] = symptom.after_days
        if symptom.level == Level.WATCH and symptom.watch_rules is not None:
            entry["watch_rules"] = rules_of(symptom.watch_rules)
        symptoms.append(entry)
    return {
        "version": rules_version(),
        "pathway": pathway_key if _known(pathway_key) else None,
        "advice": {
            Level.EMERGENCY.value: content.emergency_advice,
            Level.RED_FLAG.value: content.red_flag_advice,
            Level.WATCH.value: content.watch_advice,
        },
        "severities": dict(content.severities),
        "watch_rules": rules_of(content.watch_rules),
        "something_else": {"text": content.something_else.text, "severe_raises": content.something_else.severe_raises},
        "symptoms": symptoms,
    }
