"""The Holistic Needs Assessment questionnaire as versioned data.

The definition lives in ``app/content/hna/<key>-v<version>.json``. The whole definition
(``Questionnaire.to_dict()``) is stored against its version, so a submitted HNA can always be
shown with the exact wording the person saw, even after the questions change.

Loading is strict on purpose: the file is edited by hand, and a typo has to fail in tests or
at start-up rather than show a broken form to a patient.

Plain Python only: no Flask or SQLAlchemy, so the rules can be tested by tables of cases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "CONTENT_DIR",
    "SCORE_MAX",
    "SCORE_MIN",
    "ConcernItem",
    "ConcernScoreQuestion",
    "DistressQuestion",
    "Domain",
    "FreeTextQuestion",
    "OtherConcernQuestion",
    "Questionnaire",
    "QuestionnaireError",
    "TopConcernsQuestion",
    "WhatMattersQuestion",
    "bundled_definition_paths",
    "load_questionnaire",
]

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "hna"

# Distress and concern scores both use the 0-10 scale of the UK concerns checklist.
SCORE_MIN = 0
SCORE_MAX = 10

# Ids end up in form field names, URLs and stored answers, so keep them boring.
_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_FILE_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*-v(?P<version>[1-9][0-9]*)\.json")


class QuestionnaireError(ValueError):
    """A questionnaire definition is not valid."""


@dataclass(frozen=True)
class ConcernItem:
    id: str
    text: str
    # Advice shown as soon as the concern is ticked, for symptoms that must not wait for
    # the team's reply (for example a high temperature during chemotherapy).
    urgent: str | None = None
    # The emergency in the tumour pathway content (app/content/pathways, e.g. "possible_sepsis")
    # that this concern may be: the HNA then raises an emergency, as a symptom report would.
    emergency: str | None = None


@dataclass(frozen=True)
class Domain:
    id: str
    title: str
    question: str
    items: tuple[ConcernItem, ...]
    hint: str | None = None
    # How each ticked concern is scored, when the usual "how much has it bothered you" does
    # not fit (lifestyle items are wishes for support, not problems).
    score_label: str | None = None
    # With score_label: what 0 and 10 mean, and what a score means where it is read back
    # ("3 out of 10 – how important support is"), so the question, the score and the summary
    # the nurse reads all say the same thing.
    score_hint: str | None = None
    score_summary: str | None = None

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True)
class DistressQuestion:
    question: str
    low_label: str
    high_label: str
    threshold: int
    hint: str | None = None

    @property
    def scale(self) -> tuple[tuple[str, str], ...]:
        """Each answer from 0 to 10 as the page offers it: (value, label), the two ends in words."""
        return tuple((str(n), self.low_label if n == 0 else self.high_label if n == 10 else str(n)) for n in range(11))


@dataclass(frozen=True)
class ConcernScoreQuestion:
    """Wording of the 0-10 score asked for each selected concern."""

    question: str
    low_label: str
    high_label: str
    hint: str | None = None


@dataclass(frozen=True)
class TopConcernsQuestion:
    """Wording of 'which concerns would you most like to talk about'."""

    question: str
    hint: str | None = None


@dataclass(frozen=True)
class FreeTextQuestion:
    id: str
    question: str
    max_length: int
    hint: str | None = None


@dataclass(frozen=True)
class OtherConcernQuestion(FreeTextQuestion):
    """The checklist's 'other concern', asked as its own free-text question."""


@dataclass(frozen=True)
class WhatMattersQuestion(FreeTextQuestion):
    """One of the What Matters To Me questions."""


@dataclass(frozen=True)
class Questionnaire:
    """One version of the HNA. Build it with ``load_questionnaire`` so it is validated."""

    key: str
    version: int
    title: str
    max_top_concerns: int
    concern_score_threshold: int
    none_label: str
    distress: DistressQuestion
    domains: tuple[Domain, ...]
    concern_score: ConcernScoreQuestion
    top_concerns: TopConcernsQuestion
    other_concern: OtherConcernQuestion
    what_matters: tuple[WhatMattersQuestion, ...]
    description: str | None = None
    # Lookup tables, derived from the fields above; not part of equality or the stored form.
    _concerns: dict[str, ConcernItem] = field(init=False, repr=False, compare=False)
    _domains: dict[str, Domain] = field(init=False, repr=False, compare=False)
    _domain_of: dict[str, Domain] = field(init=False, repr=False, compare=False)
    _order: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_domains", {domain.id: domain for domain in self.domains})
        object.__setattr__(
            self,
            "_concerns",
            {item.id: item for domain in self.domains for item in domain.items},
        )
        object.__setattr__(
            self,
            "_domain_of",
            {item.id: domain for domain in self.domains for item in domain.items},
        )
        object.__setattr__(self, "_order", {id_: n for n, id_ in enumerate(self._concerns)})

    @property
    def all_concern_ids(self) -> tuple[str, ...]:
        """Every concern id, in the order the questionnaire asks them."""
        return tuple(self._concerns)

    def concern(self, item_id: str) -> ConcernItem:
        try:
            return self._concerns[item_id]
        except KeyError:
            raise self._not_found("concern", item_id) from None

    def domain(self, domain_id: str) -> Domain:
        try:
            return self._domains[domain_id]
        except KeyError:
            raise self._not_found("domain", domain_id) from None

    def domain_of(self, item_id: str) -> Domain:
        """The domain a concern belongs to."""
        try:
            return self._domain_of[item_id]
        except KeyError:
            raise self._not_found("concern", item_id) from None

    def _not_found(self, kind: str, wanted: str) -> KeyError:
        return KeyError(f"No {kind} {wanted!r} in {self.key} version {self.version}")

    def concern_order(self, item_id: str) -> int:
        """Position of a concern in the questionnaire, for stable ordering."""
        self.concern(item_id)
        return self._order[item_id]

    def to_dict(self) -> dict[str, Any]:
        """The definition as plain JSON-ready data; ``load_questionnaire`` reads it back."""
        return _drop_none(
            {
                "key": self.key,
                "version": self.version,
                "title": self.title,
                "description": self.description,
                "max_top_concerns": self.max_top_concerns,
                "concern_score_threshold": self.concern_score_threshold,
                "none_label": self.none_label,
                "distress": _drop_none(
                    {
                        "question": self.distress.question,
                        "hint": self.distress.hint,
                        "low_label": self.distress.low_label,
                        "high_label": self.distress.high_label,
                        "threshold": self.distress.threshold,
                    }
                ),
                "domains": [_domain_to_dict(domain) for domain in self.domains],
                "concern_score": _drop_none(
                    {
                        "question": self.concern_score.question,
                        "hint": self.concern_score.hint,
                        "low_label": self.concern_score.low_label,
                        "high_label": self.concern_score.high_label,
                    }
                ),
                "top_concerns": _drop_none(
                    {"question": self.top_concerns.question, "hint": self.top_concerns.hint}
                ),
                "other_concern": _free_text_to_dict(self.other_concern),
                "what_matters": [_free_text_to_dict(q) for q in self.what_matters],
            }
        )


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    # Optional fields are left out rather than written as null, so a definition round-trips.
    return {name: value for name, value in data.items() if value is not None}


def _domain_to_dict(domain: Domain) -> dict[str, Any]:
    return _drop_none(
        {
            "id": domain.id,
            "title": domain.title,
            "question": domain.question,
            "hint": domain.hint,
            "score_label": domain.score_label,
            "score_hint": domain.score_hint,
            "score_summary": domain.score_summary,
            "items": [_drop_none({"id": item.id, "text": item.text, "urgent": item.urgent, "emergency": item.emergency})
                      for item in domain.items],
        }
    )


def _free_text_to_dict(question: FreeTextQuestion) -> dict[str, Any]:
    return _drop_none(
        {
            "id": question.id,
            "question": question.question,
            "hint": question.hint,
            "max_length": question.max_length,
        }
    )


# --- Loading and validation -------------------------------------------------------------


def load_questionnaire(source: str | PathLike[str] | Mapping[str, Any]) -> Questionnaire:
    """Load and strictly validate a definition from a JSON file path or an already-parsed dict.

    Raises ``QuestionnaireError`` naming the first problem found and where it is.
    """
    if not isinstance(source, (str, PathLike)):
        return _parse_questionnaire(source)
    path = Path(source)
    data = _read_json(path)
    try:
        return _parse_questionnaire(data)
    except QuestionnaireError as error:
        raise QuestionnaireError(f"{path}: {error}") from None


def bundled_definition_paths(directory: str | PathLike[str] | None = None) -> list[Path]:
    """The definition files shipped with the app, oldest version first.

    Sorted by the version number in the file name, so version 10 comes after version 9.
    """
    folder = Path(directory) if directory is not None else CONTENT_DIR
    versioned = []
    for path in folder.glob("*.json"):
        match = _FILE_NAME_PATTERN.fullmatch(path.name)
        if match is None:
            raise QuestionnaireError(
                f"{path}: questionnaire files must be named like 'hna-v1.json'"
            )
        versioned.append((int(match["version"]), path.name, path))
    return [path for _, _, path in sorted(versioned)]


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise QuestionnaireError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise QuestionnaireError(f"{path}: not valid JSON ({error})") from None
    except QuestionnaireError as error:
        raise QuestionnaireError(f"{path}: {error}") from None


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; in a hand-edited file that hides a mistake.
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise QuestionnaireError(f"key {name!r} appears twice in one object")
        result[name] = value
    return result


class _Fields:
    """Reads one JSON object, reporting problems with their place in the definition."""

    def __init__(
        self,
        data: Any,
        where: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> None:
        self.where = where
        if not isinstance(data, Mapping):
            raise QuestionnaireError(f"{self._label()} must be an object")
        required = tuple(required)
        allowed = set(required) | set(optional)
        missing = [name for name in required if name not in data]
        if missing:
            raise QuestionnaireError(f"{self._label()} is missing {_names(missing)}")
        unknown = sorted(str(name) for name in data if name not in allowed)
        if unknown:
            raise QuestionnaireError(f"{self._label()} has unknown {_names(unknown)}")
        self.data = data

    def _label(self) -> str:
        return self.where or "the definition"

    def path(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def text(self, name: str) -> str:
        value = self.data[name]
        if not isinstance(value, str) or not value.strip():
            raise QuestionnaireError(f"{self.path(name)} must be non-empty text")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if name in self.data else None

    def identifier(self, name: str) -> str:
        value = self.data[name]
        if not isinstance(value, str) or not _ID_PATTERN.fullmatch(value):
            raise QuestionnaireError(
                f"{self.path(name)} must be a snake_case id such as 'hot_flushes', not {value!r}"
            )
        return value

    def integer(self, name: str, minimum: int, maximum: int | None = None) -> int:
        value = self.data[name]
        # bool is a subclass of int, and true must not quietly mean 1.
        valid = isinstance(value, int) and not isinstance(value, bool)
        if valid and value >= minimum and (maximum is None or value <= maximum):
            return value
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise QuestionnaireError(
            f"{self.path(name)} must be a whole number {bounds}, not {value!r}"
        )

    def non_empty_list(self, name: str) -> list[Any]:
        value = self.data[name]
        if not isinstance(value, list) or not value:
            raise QuestionnaireError(f"{self.path(name)} must be a non-empty list")
        return value

    def child(
        self, name: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> _Fields:
        return _Fields(self.data[name], self.path(name), required, optional)


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


class _IdRegistry:
    """Ids must be unique across the whole questionnaire: they key stored answers."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def claim(self, item_id: str, where: str) -> None:
        if item_id in self._seen:
            raise QuestionnaireError(
                f"{where} {item_id!r} is already used at {self._seen[item_id]}"
            )
        self._seen[item_id] = where


def _parse_questionnaire(data: Any) -> Questionnaire:
    root = _Fields(
        data,
        "",
        required=(
            "key",
            "version",
            "title",
            "max_top_concerns",
            "concern_score_threshold",
            "none_label",
            "distress",
            "domains",
            "concern_score",
            "top_concerns",
            "other_concern",
            "what_matters",
        ),
        optional=("description",),
    )
    # Scalars first, so a broken header is reported before anything nested.
    key = root.identifier("key")
    version = root.integer("version", minimum=1)
    title = root.text("title")
    description = root.optional_text("description")
    max_top_concerns = root.integer("max_top_concerns", minimum=1)
    concern_score_threshold = root.integer("concern_score_threshold", SCORE_MIN, SCORE_MAX)
    none_label = root.text("none_label")
    ids = _IdRegistry()
    return Questionnaire(
        key=key,
        version=version,
        title=title,
        description=description,
        max_top_concerns=max_top_concerns,
        concern_score_threshold=concern_score_threshold,
        none_label=none_label,
        distress=_parse_distress(root.child("distress", *_DISTRESS_FIELDS)),
        domains=tuple(
            _parse_domain(_Fields(raw, f"domains[{index}]", *_DOMAIN_FIELDS), ids)
            for index, raw in enumerate(root.non_empty_list("domains"))
        ),
        concern_score=_parse_concern_score(root.child("concern_score", *_SCORE_FIELDS)),
        top_concerns=_parse_top_concerns(root.child("top_concerns", *_TOP_FIELDS)),
        other_concern=_parse_free_text(
            OtherConcernQuestion, root.child("other_concern", *_FREE_TEXT_FIELDS), ids
        ),
        what_matters=tuple(
            _parse_free_text(
                WhatMattersQuestion,
                _Fields(raw, f"what_matters[{index}]", *_FREE_TEXT_FIELDS),
                ids,
            )
            for index, raw in enumerate(root.non_empty_list("what_matters"))
        ),
    )


# (required, optional) field names of each nested object.
_DISTRESS_FIELDS = (("question", "low_label", "high_label", "threshold"), ("hint",))
_SCORE_FIELDS = (("question", "low_label", "high_label"), ("hint",))
_TOP_FIELDS = (("question",), ("hint",))
_DOMAIN_FIELDS = (("id", "title", "question", "items"), ("hint", "score_label", "score_hint", "score_summary"))
_FREE_TEXT_FIELDS = (("id", "question", "max_length"), ("hint",))


def _parse_domain(fields: _Fields, ids: _IdRegistry) -> Domain:
    domain_id = fields.identifier("id")
    ids.claim(domain_id, fields.path("id"))
    items = []
    for index, raw in enumerate(fields.non_empty_list("items")):
        item = _Fields(raw, fields.path(f"items[{index}]"), ("id", "text"), ("urgent", "emergency"))
        item_id = item.identifier("id")
        ids.claim(item_id, item.path("id"))
        emergency = item.optional_text("emergency")
        if emergency is not None and not item.optional_text("urgent"):
            raise QuestionnaireError(f"{item.path('emergency')}: an emergency needs its 'urgent' advice too")
        items.append(ConcernItem(id=item_id, text=item.text("text"), urgent=item.optional_text("urgent"),
                                 emergency=emergency))
    return Domain(
        id=domain_id,
        title=fields.text("title"),
        question=fields.text("question"),
        hint=fields.optional_text("hint"),
        items=tuple(items),
        score_label=fields.optional_text("score_label"),
        score_hint=fields.optional_text("score_hint"),
        score_summary=fields.optional_text("score_summary"),
    )


def _parse_distress(fields: _Fields) -> DistressQuestion:
    return DistressQuestion(
        question=fields.text("question"),
        hint=fields.optional_text("hint"),
        low_label=fields.text("low_label"),
        high_label=fields.text("high_label"),
        threshold=fields.integer("threshold", SCORE_MIN, SCORE_MAX),
    )


def _parse_concern_score(fields: _Fields) -> ConcernScoreQuestion:
    return ConcernScoreQuestion(
        question=fields.text("question"),
        hint=fields.optional_text("hint"),
        low_label=fields.text("low_label"),
        high_label=fields.text("high_label"),
    )


def _parse_top_concerns(fields: _Fields) -> TopConcernsQuestion:
    return TopConcernsQuestion(question=fields.text("question"), hint=fields.optional_text("hint"))


_FreeText = TypeVar("_FreeText", bound=FreeTextQuestion)


def _parse_free_text(cls: type[_FreeText], fields: _Fields, ids: _IdRegistry) -> _FreeText:
    question_id = fields.identifier("id")
    ids.claim(question_id, fields.path("id"))
    return cls(
        id=question_id,
        question=fields.text("question"),
        hint=fields.optional_text("hint"),
        max_length=fields.integer("max_length", minimum=1),
    )
