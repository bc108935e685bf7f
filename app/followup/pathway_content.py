"""Follow-up pathway content as versioned data: symptoms to act on and suggested surveillance.

The definition lives in ``app/content/pathways/pathways-v<version>.json``. For every tumour
pathway in ``app.pathways.PATHWAYS`` it lists the red-flag symptoms (contact the team the same
working day) and the symptoms to watch, plus suggested surveillance tests. Emergency symptoms
(call 999 or the 24-hour line) are the same for everyone and are listed once.

Three levels that the app's rules must keep apart: ``emergency``, ``red_flags`` and ``watch``.
Symptom ids are unique within a pathway across the three levels, so that a later rule engine
can say which level a logged symptom belongs to.

From version 2 the file also holds the symptom rules that ``app/symptoms/rules.py`` applies:
the severities (each with a plain description), the red-flag advice, the watch rules (how long
or how often a watch symptom may come back before it is a red flag, and whether "severe" makes
it one), how "something else" in the person's own words is treated, and, on a red flag that only
counts after a while ("a change in bowel habit for over 3 weeks"), ``after_days``. A watch
symptom may override any watch rule for itself. Version 1 has none of these and stays loadable.

Loading is strict: the file is edited by hand (the clinical safety officer owns the lists), and
a typo must fail in tests or at start-up rather than show a patient a broken list.

Plain Python only: no Flask or SQLAlchemy.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any

from ..pathways import PATHWAYS

__all__ = [
    "CONTENT_DIR",
    "LEVELS",
    "PathwayContent",
    "PathwayContentError",
    "PathwayDefinition",
    "SEVERITIES",
    "SomethingElse",
    "SuggestedTest",
    "Symptom",
    "WatchRules",
    "bundled_definition",
    "emergency_signs",
    "load_pathway_definition",
    "pathway_content",
]

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "pathways"
LEVELS = ("emergency", "red_flag", "watch")
# Who notices a symptom: the person, or the team on a remote monitoring result (a rising PSA).
REPORTERS = ("person", "result")
MAX_INTERVAL_MONTHS = 60
SEVERITIES = ("mild", "moderate", "severe")
MAX_RULE_DAYS = 365
# The first version whose file carries the symptom rules.
RULES_SINCE_VERSION = 2

_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_FILE_NAME_PATTERN = re.compile(r"pathways-v(?P<version>[1-9][0-9]*)\.json")


class PathwayContentError(ValueError):
    """A pathway content definition is not valid, or names a pathway that does not exist."""


@dataclass(frozen=True)
class WatchRules:
    """When a watch symptom becomes a red flag: it has lasted ``persists_days`` or more, or it
    was logged ``repeats`` times within ``repeats_within_days`` days, or (``severe_raises``) it is
    severe."""

    persists_days: int
    repeats: int
    repeats_within_days: int
    severe_raises: bool


@dataclass(frozen=True)
class SomethingElse:
    """A symptom told in the person's own words: a watch symptom, a red flag when severe and
    ``severe_raises``."""

    text: str
    severe_raises: bool


@dataclass(frozen=True)
class Symptom:
    id: str
    text: str
    level: str
    reported_by: str = "person"
    # A red flag only once it has lasted this many days; a watch symptom before then.
    after_days: int | None = None
    # A watch symptom's own rules where they differ from the pathway's (None: the pathway's).
    watch_rules: WatchRules | None = None


@dataclass(frozen=True)
class SuggestedTest:
    name: str
    interval_months: int
    arranged_by: str | None = None


@dataclass(frozen=True)
class PathwayContent:
    """What one tumour pathway's follow-up needs: the three symptom levels and suggested tests."""

    key: str
    name: str
    version: int
    red_flags: tuple[Symptom, ...]
    emergency: tuple[Symptom, ...]
    watch: tuple[Symptom, ...]
    suggested_tests: tuple[SuggestedTest, ...]
    emergency_advice: str
    watch_advice: str
    # From version 2 (None before): the symptom rules.
    red_flag_advice: str | None = None
    severities: Mapping[str, str] | None = None
    watch_rules: WatchRules | None = None
    something_else: SomethingElse | None = None

    @property
    def has_rules(self) -> bool:
        return self.watch_rules is not None

    def rules_for(self, symptom: Symptom) -> WatchRules:
        """The watch rules for one watch symptom: its own, else the pathway's."""
        return symptom.watch_rules or self.watch_rules

    def symptom(self, symptom_id: str) -> Symptom:
        for symptom in self.emergency + self.red_flags + self.watch:
            if symptom.id == symptom_id:
                return symptom
        raise PathwayContentError(f"pathway {self.key!r} has no symptom {symptom_id!r}")

    def reported_by_person(self, level: str) -> tuple[Symptom, ...]:
        """Symptoms of one level that a person can report themselves (not test results)."""
        symptoms = {"emergency": self.emergency, "red_flag": self.red_flags, "watch": self.watch}[level]
        return tuple(s for s in symptoms if s.reported_by == "person")


@dataclass(frozen=True)
class PathwayDefinition:
    key: str
    version: int
    title: str
    pathways: Mapping[str, PathwayContent]

    def __getitem__(self, key: str) -> PathwayContent:
        try:
            return self.pathways[key]
        except KeyError:
            raise PathwayContentError(f"there is no pathway content for {key!r}") from None


# ---------------------------------------------------------------- public API


def pathway_content(key: str) -> PathwayContent:
    """The bundled (newest) content for one tumour pathway, e.g. ``pathway_content("prostate")``."""
    return bundled_definition()[key]


def emergency_signs() -> tuple[Symptom, ...]:
    """The emergencies every pathway shares (newest bundled content): the one source of the urgent
    advice's words (e.g. "37.5°C or more") on pages that know no pathway."""
    return next(iter(bundled_definition().pathways.values())).emergency


def emergency_sign_text(symptom_id: str) -> str:
    """The words of one of `emergency_signs` (e.g. "possible_sepsis"), for a page that shows one:
    a loop over a handful, where the template's `selectattr | first` took a dozen filter calls."""
    return next(sign.text for sign in emergency_signs() if sign.id == symptom_id)


@lru_cache(maxsize=1)
def bundled_definition() -> PathwayDefinition:
    """The newest definition shipped with the app, loaded once per process."""
    return load_pathway_definition(bundled_definition_paths()[-1])


def bundled_definition_paths(directory: str | PathLike[str] | None = None) -> list[Path]:
    """The definition files, oldest version first (version 10 after version 9)."""
    folder = Path(directory) if directory is not None else CONTENT_DIR
    versioned = []
    for path in folder.glob("*.json"):
        match = _FILE_NAME_PATTERN.fullmatch(path.name)
        if match is None:
            raise PathwayContentError(f"{path}: pathway files must be named like 'pathways-v1.json'")
        versioned.append((int(match["version"]), path))
    if not versioned:
        raise PathwayContentError(f"no pathway content in {folder}")
    return [path for _, path in sorted(versioned)]


def load_pathway_definition(
    source: str | PathLike[str] | Mapping[str, Any], known_pathways: Mapping[str, str] = PATHWAYS
) -> PathwayDefinition:
    """Load and check a definition from a file path or an already-parsed mapping."""
    if isinstance(source, Mapping):
        data = source
    else:
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_reject_duplicate_keys)
        except OSError as error:
            raise PathwayContentError(f"{path}: cannot read ({error})") from error
        except json.JSONDecodeError as error:
            raise PathwayContentError(f"{path}: not valid JSON ({error})") from error
        match = _FILE_NAME_PATTERN.fullmatch(path.name)
        if match and isinstance(data, Mapping) and data.get("version") != int(match["version"]):
            raise PathwayContentError(f"{path}: the version inside the file must match its name")
    return _parse(data, known_pathways)


# ---------------------------------------------------------------- parsing


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PathwayContentError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _object(value: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PathwayContentError(f"{where}: must be an object")
    missing = required - value.keys()
    if missing:
        raise PathwayContentError(f"{where}: missing {', '.join(sorted(missing))}")
    unknown = value.keys() - required - optional
    if unknown:
        raise PathwayContentError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return value


def _text(value: Any, where: str, max_length: int = 300) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PathwayContentError(f"{where}: must be some text")
    if value != value.strip() or len(value) > max_length:
        raise PathwayContentError(f"{where}: no spaces at either end and at most {max_length} characters")
    return value


def _list(value: Any, where: str, allow_empty: bool = False) -> list:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise PathwayContentError(f"{where}: must be a {'list' if allow_empty else 'non-empty list'}")
    return value


def _days(value: Any, where: str, low: int = 1, high: int = MAX_RULE_DAYS) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PathwayContentError(f"{where}: a whole number from {low} to {high}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PathwayContentError(f"{where}: must be true or false")
    return value


_WATCH_RULE_FIELDS = {"persists_days", "repeats", "repeats_within_days", "severe_raises"}


def _watch_rules(value: Any, where: str, defaults: WatchRules | None = None) -> WatchRules:
    """The pathway's watch rules (every field), or a symptom's overrides of ``defaults``."""
    raw = _object(value, where, set() if defaults else _WATCH_RULE_FIELDS, _WATCH_RULE_FIELDS if defaults else set())
    fields = dict(defaults.__dict__) if defaults else {}
    for name in ("persists_days", "repeats_within_days"):
        if name in raw:
            fields[name] = _days(raw[name], f"{where}.{name}")
    if "repeats" in raw:
        fields["repeats"] = _days(raw["repeats"], f"{where}.repeats", 2, 20)
    if "severe_raises" in raw:
        fields["severe_raises"] = _flag(raw["severe_raises"], f"{where}.severe_raises")
    return WatchRules(**fields)


def _severities(value: Any, where: str) -> Mapping[str, str]:
    raw = _object(value, where, set(SEVERITIES))
    return {name: _text(raw[name], f"{where}.{name}") for name in SEVERITIES}


def _symptoms(
    value: Any, where: str, level: str, seen: dict[str, str], pathway_rules: WatchRules | None = None
) -> tuple[Symptom, ...]:
    optional = {"reported_by"}
    if pathway_rules is not None and level == "red_flag":
        optional.add("after_days")
    if pathway_rules is not None and level == "watch":
        optional.add("watch_rules")
    symptoms = []
    for index, raw in enumerate(_list(value, where)):
        at = f"{where}[{index}]"
        raw = _object(raw, at, {"id", "text"}, optional)
        symptom_id = raw["id"]
        if not isinstance(symptom_id, str) or not _ID_PATTERN.fullmatch(symptom_id):
            raise PathwayContentError(f"{at}.id: use lower-case letters, digits and underscores")
        if symptom_id in seen:
            raise PathwayContentError(f"{at}.id: {symptom_id!r} is already used at {seen[symptom_id]}")
        seen[symptom_id] = at
        reported_by = raw.get("reported_by", "person")
        if reported_by not in REPORTERS:
            raise PathwayContentError(f"{at}.reported_by: must be one of {', '.join(REPORTERS)}")
        after_days = _days(raw["after_days"], f"{at}.after_days") if "after_days" in raw else None
        if after_days is not None and reported_by != "person":
            raise PathwayContentError(f"{at}.after_days: only for a symptom the person reports")
        own_rules = _watch_rules(raw["watch_rules"], f"{at}.watch_rules", pathway_rules) if "watch_rules" in raw else None
        symptoms.append(Symptom(symptom_id, _text(raw["text"], f"{at}.text"), level, reported_by, after_days, own_rules))
    return tuple(symptoms)


def _tests(value: Any, where: str) -> tuple[SuggestedTest, ...]:
    tests, names = [], set()
    for index, raw in enumerate(_list(value, where, allow_empty=True)):
        at = f"{where}[{index}]"
        raw = _object(raw, at, {"name", "interval_months"}, {"arranged_by"})
        name = _text(raw["name"], f"{at}.name", 120)
        if name.lower() in names:
            raise PathwayContentError(f"{at}.name: {name!r} is suggested twice")
        names.add(name.lower())
        months = raw["interval_months"]
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_INTERVAL_MONTHS:
            raise PathwayContentError(f"{at}.interval_months: a whole number from 1 to {MAX_INTERVAL_MONTHS}")
        arranged_by = raw.get("arranged_by")
        tests.append(SuggestedTest(name, months, _text(arranged_by, f"{at}.arranged_by", 200) if arranged_by is not None else None))
    return tuple(tests)


def _parse(data: Any, known_pathways: Mapping[str, str]) -> PathwayDefinition:
    required = {"key", "version", "title", "emergency_advice", "watch_advice", "emergency", "pathways"}
    rule_fields = {"red_flag_advice", "severities", "watch_rules", "something_else"}
    version = data.get("version") if isinstance(data, Mapping) else None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise PathwayContentError("definition.version: must be a whole number, 1 or more")
    # Version 1 was published before the rules; from version 2 they are required.
    has_rules = version >= RULES_SINCE_VERSION
    root = _object(data, "definition", required | rule_fields if has_rules else required)
    if root["key"] != "pathways":
        raise PathwayContentError("definition.key: must be 'pathways'")
    rules: dict[str, Any] = {}
    if has_rules:
        something_else = _object(root["something_else"], "something_else", {"text", "severe_raises"})
        rules = {
            "red_flag_advice": _text(root["red_flag_advice"], "definition.red_flag_advice"),
            "severities": _severities(root["severities"], "severities"),
            "watch_rules": _watch_rules(root["watch_rules"], "watch_rules"),
            "something_else": SomethingElse(
                _text(something_else["text"], "something_else.text"),
                _flag(something_else["severe_raises"], "something_else.severe_raises"),
            ),
        }
    title = _text(root["title"], "definition.title")
    emergency_advice = _text(root["emergency_advice"], "definition.emergency_advice")
    watch_advice = _text(root["watch_advice"], "definition.watch_advice")
    emergency_ids: dict[str, str] = {}
    emergency = _symptoms(root["emergency"], "emergency", "emergency", emergency_ids)
    if any(s.reported_by != "person" for s in emergency):
        raise PathwayContentError("emergency: every emergency symptom is reported by the person")

    raw_pathways = root["pathways"]
    if not isinstance(raw_pathways, Mapping):
        raise PathwayContentError("pathways: must be an object keyed by pathway")
    missing = known_pathways.keys() - raw_pathways.keys()
    unknown = raw_pathways.keys() - known_pathways.keys()
    if missing:
        raise PathwayContentError(f"pathways: no content for {', '.join(sorted(missing))}")
    if unknown:
        raise PathwayContentError(f"pathways: unknown pathway(s) {', '.join(sorted(unknown))}")

    pathways = {}
    for key in known_pathways:
        at = f"pathways.{key}"
        raw = _object(raw_pathways[key], at, {"red_flags", "watch", "suggested_tests"})
        seen = dict(emergency_ids)
        pathways[key] = PathwayContent(
            key=key,
            name=known_pathways[key],
            version=version,
            red_flags=_symptoms(raw["red_flags"], f"{at}.red_flags", "red_flag", seen, rules.get("watch_rules")),
            emergency=emergency,
            watch=_symptoms(raw["watch"], f"{at}.watch", "watch", seen, rules.get("watch_rules")),
            suggested_tests=_tests(raw["suggested_tests"], f"{at}.suggested_tests"),
            emergency_advice=emergency_advice,
            watch_advice=watch_advice,
            **rules,
        )
    return PathwayDefinition(key="pathways", version=version, title=title, pathways=pathways)
