"""Rules for a person's HNA answers: validation, priority, the nurse summary and progress.

Plain functions over plain data, so the same rules serve the web form, offline drafts synced
as JSON, and the nurse views. No Flask or SQLAlchemy here.

Answers have this shape (a draft may lack any key)::

    {
        "distress": int | None,
        "concerns": {item_id: score | None},   # the selected concerns, scored or not yet
        "domains_none": [domain_id, ...],      # domains answered "None of these"
        "top_concerns": [item_id, ...],        # in the order the person chose them
        "what_matters": {question_id: text},
        "anything_else": str,
    }
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.hna.questionnaire import SCORE_MAX, SCORE_MIN, Questionnaire
from app.symptoms import rules as symptom_rules
from app.timeutil import london_today

__all__ = [
    "LEVEL_HIGH",
    "LEVEL_ROUTINE",
    "STEP_ANYTHING_ELSE",
    "STEP_DISTRESS",
    "STEP_SCORES",
    "STEP_TOP",
    "AnswerError",
    "Priority",
    "completion_state",
    "domain_step",
    "hna_priority",
    "is_required_step",
    "matters_step",
    "missing_for_submission",
    "step_ids",
    "summarise_for_nurse",
    "validate_concern_score",
    "validate_distress",
    "validate_domain_selection",
    "validate_free_text",
    "validate_top_concerns",
]

LEVEL_HIGH = "high"
LEVEL_ROUTINE = "routine"

STEP_DISTRESS = "distress"
STEP_SCORES = "scores"
STEP_TOP = "top"
STEP_ANYTHING_ELSE = "anything_else"
_DOMAIN_PREFIX = "domain:"
_MATTERS_PREFIX = "matters:"

_SCORE_MESSAGE = f"Choose a number from {SCORE_MIN} to {SCORE_MAX}"
# ASCII digits only: int() would also accept other scripts' digits and "+7", and a long digit
# string would raise a ValueError of its own before the range check.
_SCORE_TEXT = re.compile(r"[0-9]{1,2}")
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029]")
_KEEP_CONTROLS = frozenset("\n\t")


class AnswerError(ValueError):
    """An answer the person has to change. ``message`` is shown to them as it is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"AnswerError(field={self.field!r}, message={self.message!r})"


# --- Validating single answers ----------------------------------------------------------


def validate_distress(value: object) -> int:
    """The 0-10 distress score, from an int or form text such as "7"."""
    return _score(value, "distress")


def validate_concern_score(value: object, field: str = "score") -> int:
    """The 0-10 score for one concern. Pass the concern id as ``field`` to place the error."""
    return _score(value, field)


def _score(value: object, field: str) -> int:
    # bool is an int subclass; a stray True must not be read as a score of 1.
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _SCORE_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise AnswerError(field, _SCORE_MESSAGE)
    if not SCORE_MIN <= number <= SCORE_MAX:
        raise AnswerError(field, _SCORE_MESSAGE)
    return number


def validate_domain_selection(
    questionnaire: Questionnaire,
    domain_id: str,
    selected_ids: Iterable[str],
    none_selected: bool,
) -> list[str]:
    """The concerns chosen in one domain, in questionnaire order; [] for "None of these".

    An unknown ``domain_id`` raises KeyError: that is a bad URL, not the person's mistake.
    """
    if isinstance(selected_ids, str):
        raise TypeError("selected_ids must be a collection of ids, not one string")
    domain = questionnaire.domain(domain_id)
    chosen = set(selected_ids)
    # An id from elsewhere usually means the form was rendered from an older version.
    if chosen - set(domain.item_ids):
        raise AnswerError(domain_id, "Select from the options shown")
    none_label = questionnaire.none_label
    if none_selected and chosen:
        raise AnswerError(
            domain_id, f"Select the options that apply, or select '{none_label}', not both"
        )
    if not none_selected and not chosen:
        raise AnswerError(domain_id, f"Select the options that apply, or select '{none_label}'")
    return [item_id for item_id in domain.item_ids if item_id in chosen]


def validate_top_concerns(
    questionnaire: Questionnaire,
    chosen_ids: Iterable[str],
    selected_concern_ids: Iterable[str],
) -> list[str]:
    """The concerns the person most wants to talk about, in the order they chose them.

    Only concerns they selected earlier count; choosing none is allowed.
    """
    if isinstance(chosen_ids, str):
        raise TypeError("chosen_ids must be a collection of ids, not one string")
    selected = set(selected_concern_ids) & set(questionnaire.all_concern_ids)
    # A resubmitted form can repeat an id; dict keeps the first occurrence and its order.
    chosen = list(dict.fromkeys(chosen_ids))
    if any(item_id not in selected for item_id in chosen):
        raise AnswerError("top_concerns", "Select from the concerns you told us about")
    limit = questionnaire.max_top_concerns
    if len(chosen) > limit:
        noun = "concern" if limit == 1 else "concerns"
        raise AnswerError("top_concerns", f"Select up to {limit} {noun}")
    return chosen


def validate_free_text(value: object, max_length: int, field: str = "answer") -> str:
    """Clean free text for storage. Never HTML-escapes: escaping is the template's job.

    Line endings become "\\n"; control characters other than newline and tab are dropped
    (a NUL cannot be stored in PostgreSQL text, and lone surrogates cannot be encoded).
    Length is counted after cleaning, so a Windows line ending counts as one character.
    """
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"max_length must be a positive whole number, not {max_length!r}")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AnswerError(field, "Enter your answer as text")
    text = _LINE_BREAK.sub("\n", value)
    text = "".join(ch for ch in text if _keep_character(ch)).strip()
    if len(text) > max_length:
        raise AnswerError(field, f"Answer must be {max_length} characters or fewer")
    return text


def _keep_character(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch in _KEEP_CONTROLS
    return category != "Cs"


# --- Priority for the team list ---------------------------------------------------------


@dataclass(frozen=True)
class Priority:
    """How urgently a submitted HNA needs the key worker's attention.

    ``level`` follows distress alone: a distress score at or above the threshold is the
    recognised signal to raise priority. High-scoring concerns are listed so the nurse can see
    them, and break ties in ``sort_key``.
    """

    distress: int | None
    high_distress: bool
    high_scoring_concerns: tuple[str, ...]
    level: str

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Sort ascending to put the most urgent first; add the submission time to break ties."""
        distress = self.distress if self.distress is not None else -1
        return (0 if self.high_distress else 1, -distress, -len(self.high_scoring_concerns))


def hna_priority(
    distress: int | None,
    concern_scores: Mapping[str, int | None],
    questionnaire: Questionnaire,
) -> Priority:
    """Priority from the distress score and concern scores; unscored concerns are ignored."""
    # Every id is looked up, scored high or not: an unknown one means answers and
    # questionnaire version do not belong together.
    order = {item_id: questionnaire.concern_order(item_id) for item_id in concern_scores}
    high_distress = distress is not None and distress >= questionnaire.distress.threshold
    threshold = questionnaire.concern_score_threshold
    high_scoring = sorted(
        (-score, order[item_id], item_id)
        for item_id, score in concern_scores.items()
        if score is not None and score >= threshold
    )
    return Priority(
        distress=distress,
        high_distress=high_distress,
        high_scoring_concerns=tuple(item_id for _, _, item_id in high_scoring),
        level=LEVEL_HIGH if high_distress else LEVEL_ROUTINE,
    )


# --- What the nurse sees ----------------------------------------------------------------


def summarise_for_nurse(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The structure a nurse view renders, in reading order, as JSON-ready data.

    Headline (distress and priority), then top concerns as the person ordered them, then What
    Matters To Me, then the other selected concerns by domain in questionnaire order, then
    anything else. Unknown ids raise KeyError: silently dropping something a person reported
    would be worse than a visible error.
    """
    concerns = _concerns(answers)
    _check_known_ids(questionnaire, answers)
    top_ids = list(dict.fromkeys(answers.get("top_concerns") or ()))
    priority = hna_priority(answers.get("distress"), concerns, questionnaire)
    return {
        "questionnaire": {
            "key": questionnaire.key,
            "version": questionnaire.version,
            "title": questionnaire.title,
        },
        "distress": {
            "question": questionnaire.distress.question,
            "score": answers.get("distress"),
            "threshold": questionnaire.distress.threshold,
            "high": priority.high_distress,
        },
        "priority": {
            "level": priority.level,
            "high_distress": priority.high_distress,
            "high_scoring_concerns": list(priority.high_scoring_concerns),
        },
        "top_concerns": [_concern_entry(questionnaire, item_id, concerns) for item_id in top_ids],
        "what_matters": [
            {
                "id": question.id,
                "question": question.question,
                "answer": _text(answers.get("what_matters"), question.id),
            }
            for question in questionnaire.what_matters
        ],
        "other_concerns": _other_concerns(questionnaire, concerns, set(top_ids)),
        "anything_else": {
            "id": questionnaire.other_concern.id,
            "question": questionnaire.other_concern.question,
            "answer": (answers.get("anything_else") or "").strip(),
        },
    }


def _concerns(answers: Mapping[str, Any]) -> dict[str, int | None]:
    return dict(answers.get("concerns") or {})


def _text(texts: Mapping[str, str] | None, question_id: str) -> str:
    return ((texts or {}).get(question_id) or "").strip()


def _check_known_ids(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> None:
    for item_id in [*_concerns(answers), *(answers.get("top_concerns") or ())]:
        questionnaire.concern(item_id)
    for domain_id in answers.get("domains_none") or ():
        questionnaire.domain(domain_id)
    known_questions = {q.id for q in questionnaire.what_matters}
    for question_id in answers.get("what_matters") or {}:
        if question_id not in known_questions:
            raise KeyError(
                f"No What Matters question {question_id!r} in "
                f"{questionnaire.key} version {questionnaire.version}"
            )


def _concern_entry(
    questionnaire: Questionnaire, item_id: str, concerns: Mapping[str, int | None]
) -> dict[str, Any]:
    domain = questionnaire.domain_of(item_id)
    score = concerns.get(item_id)
    return {
        "id": item_id,
        "text": questionnaire.concern(item_id).text,
        "domain_id": domain.id,
        "domain_title": domain.title,
        "score": score,
        # What the score measures when it is not how much the concern bothered them.
        "score_summary": domain.score_summary,
        "high": score is not None and score >= questionnaire.concern_score_threshold,
    }


def _other_concerns(
    questionnaire: Questionnaire, concerns: Mapping[str, int | None], top_ids: set[str]
) -> list[dict[str, Any]]:
    groups = []
    for domain in questionnaire.domains:
        entries = [
            _concern_entry(questionnaire, item_id, concerns)
            for item_id in domain.item_ids
            if item_id in concerns and item_id not in top_ids
        ]
        if entries:
            groups.append(
                {"domain_id": domain.id, "domain_title": domain.title, "concerns": entries}
            )
    return groups


# --- Progress through the form ----------------------------------------------------------


# The pathway symptom an urgent concern is, where the published questionnaire does not say
# (published versions are never edited). hna v1 was published before a concern could name its
# emergency: its fever item is the possible-sepsis emergency of the shared facts (37.5°C or more
# during or after chemotherapy). A questionnaire can only name an emergency, so breathing
# difficulties are linked here to the breathlessness red flag.
PUBLISHED_SYMPTOM_LINKS = {
    ("hna", 1, "fever"): "possible_sepsis",
    ("hna", 1, "breathing"): "breathlessness",
    ("hna", 2, "breathing"): "breathlessness",
}


def linked_symptom(questionnaire: Questionnaire, concern_id: str) -> str | None:
    """The pathway symptom id a concern is linked to (e.g. "possible_sepsis"), or None."""
    linked = questionnaire.concern(concern_id).emergency
    return linked or PUBLISHED_SYMPTOM_LINKS.get((questionnaire.key, questionnaire.version, concern_id))


def concern_level(questionnaire: Questionnaire, concern_id: str, pathway: str | None = None, today: date | None = None):
    """The symptom rules' level (app/symptoms/rules.py, the one source of levels) for a ticked
    concern that comes with urgent advice; None for any other concern."""
    if not questionnaire.concern(concern_id).urgent:
        return None
    today = today or london_today()
    return symptom_rules.hna_concern_level(pathway, linked_symptom(questionnaire, concern_id), today).level


def emergency_of(questionnaire: Questionnaire, concern_id: str, pathway: str | None = None) -> str | None:
    """The pathway emergency a ticked concern may be (e.g. "possible_sepsis"), or None: the
    linked symptom when the symptom rules say it is an emergency."""
    if concern_level(questionnaire, concern_id, pathway) is symptom_rules.Level.EMERGENCY:
        return linked_symptom(questionnaire, concern_id)
    return None


# Pages where a person may be telling us how distressed they are or may write it in their own
# words: the crisis route (templates/partials/mental_health_crisis.html) is shown beside them.
CRISIS_ROUTE_DOMAINS = frozenset({"emotional"})


def shows_crisis_route(step: str) -> bool:
    """True for the distress score, the emotional concerns and every free-text question."""
    return (
        step in (STEP_DISTRESS, STEP_ANYTHING_ELSE)
        or step.startswith(_MATTERS_PREFIX)
        or (step.startswith(_DOMAIN_PREFIX) and step[len(_DOMAIN_PREFIX):] in CRISIS_ROUTE_DOMAINS)
    )


def domain_step(domain_id: str) -> str:
    return f"{_DOMAIN_PREFIX}{domain_id}"


def matters_step(question_id: str) -> str:
    return f"{_MATTERS_PREFIX}{question_id}"


def step_ids(questionnaire: Questionnaire) -> list[str]:
    """Every step of the form, in the order the person meets them."""
    return [
        STEP_DISTRESS,
        *(domain_step(domain.id) for domain in questionnaire.domains),
        STEP_SCORES,
        STEP_TOP,
        STEP_ANYTHING_ELSE,
        *(matters_step(q.id) for q in questionnaire.what_matters),
    ]


def is_required_step(step_id: str) -> bool:
    """Whether a step must be answered before the HNA can be submitted.

    Required: the distress score, every domain (its concerns or "None of these") and a score
    for every selected concern. Top concerns, anything else and What Matters To Me are offered
    on every visit but may be left blank.
    """
    return step_id in (STEP_DISTRESS, STEP_SCORES) or step_id.startswith(_DOMAIN_PREFIX)


def completion_state(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    """Steps not yet answered, in form order, optional ones included.

    "scores" and "top" only apply once a concern is selected; an optional free-text step
    counts as answered when it has text.
    """
    concerns = _concerns(answers)
    domains_none = set(answers.get("domains_none") or ())
    answered_domains = domains_none | {questionnaire.domain_of(item_id).id for item_id in concerns}
    unanswered = {
        STEP_DISTRESS: answers.get("distress") is None,
        STEP_SCORES: any(score is None for score in concerns.values()),
        STEP_TOP: bool(concerns) and not answers.get("top_concerns"),
        STEP_ANYTHING_ELSE: not (answers.get("anything_else") or "").strip(),
    }
    for domain in questionnaire.domains:
        unanswered[domain_step(domain.id)] = domain.id not in answered_domains
    for question in questionnaire.what_matters:
        unanswered[matters_step(question.id)] = not _text(answers.get("what_matters"), question.id)
    return [step for step in step_ids(questionnaire) if unanswered[step]]


def missing_for_submission(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> list[str]:
    """Required steps not yet answered; the HNA can be submitted when this is empty."""
    return [step for step in completion_state(questionnaire, answers) if is_required_step(step)]
