"""How a person's needs changed between their assessments: distress over time and, by domain,
the concerns that are new, still there (with the change in score) or no longer ticked.

Plain functions over plain data (no Flask or SQLAlchemy), so the rules are tested by tables of
cases. Labels come from the questionnaire version each assessment answered: a concern that was
dropped from a later version still shows with the words the person saw.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.hna.questionnaire import Questionnaire

__all__ = [
    "Assessment",
    "Comparison",
    "ConcernChange",
    "DistressPoint",
    "DomainChanges",
    "compare",
]


@dataclass(frozen=True)
class Assessment:
    """One submitted HNA, as the comparison needs it."""

    id: int
    submitted_at: datetime
    answers: Mapping[str, Any]
    questionnaire: Questionnaire

    @property
    def distress(self) -> int | None:
        return self.answers.get("distress")

    @property
    def concerns(self) -> dict[str, int | None]:
        return dict(self.answers.get("concerns") or {})


@dataclass(frozen=True)
class DistressPoint:
    hna_id: int
    submitted_at: datetime
    score: int | None
    high: bool
    # Change from the assessment before this one; None for the first or an unanswered score.
    change: int | None
    is_this_one: bool


@dataclass(frozen=True)
class ConcernChange:
    id: str
    text: str
    before: int | None
    now: int | None
    high: bool

    @property
    def change(self) -> int | None:
        if self.before is None or self.now is None:
            return None
        return self.now - self.before


@dataclass(frozen=True)
class DomainChanges:
    domain_id: str
    title: str
    new: tuple[ConcernChange, ...] = ()
    still_there: tuple[ConcernChange, ...] = ()
    no_longer: tuple[ConcernChange, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """This assessment against the one sent just before it (and distress across all of them)."""

    this: Assessment
    previous: Assessment | None
    distress_trend: tuple[DistressPoint, ...]
    domains: tuple[DomainChanges, ...] = field(default=())

    @property
    def has_previous(self) -> bool:
        return self.previous is not None

    @property
    def distress_change(self) -> int | None:
        if self.previous is None or self.this.distress is None or self.previous.distress is None:
            return None
        return self.this.distress - self.previous.distress

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": sum(len(d.new) for d in self.domains),
            "still_there": sum(len(d.still_there) for d in self.domains),
            "no_longer": sum(len(d.no_longer) for d in self.domains),
        }


def compare(this: Assessment, others: Iterable[Assessment]) -> Comparison:
    """Compare `this` with the person's other submitted assessments.

    Only assessments sent before `this` count (a nurse opening an older one sees it as it was
    then). Concerns are compared with the assessment sent just before.
    """
    earlier = sorted(
        (a for a in others if a.id != this.id and a.submitted_at < this.submitted_at),
        key=lambda a: (a.submitted_at, a.id),
    )
    previous = earlier[-1] if earlier else None
    return Comparison(
        this=this,
        previous=previous,
        distress_trend=_trend([*earlier, this], this),
        domains=_domain_changes(this, previous) if previous is not None else (),
    )


def _trend(assessments: Sequence[Assessment], this: Assessment) -> tuple[DistressPoint, ...]:
    points = []
    before: int | None = None
    for assessment in assessments:
        score = assessment.distress
        threshold = assessment.questionnaire.distress.threshold
        points.append(
            DistressPoint(
                hna_id=assessment.id,
                submitted_at=assessment.submitted_at,
                score=score,
                high=score is not None and score >= threshold,
                change=None if score is None or before is None else score - before,
                is_this_one=assessment is this,
            )
        )
        before = score
    return tuple(points)


def _domain_changes(this: Assessment, previous: Assessment) -> tuple[DomainChanges, ...]:
    now, then = this.concerns, previous.concerns
    threshold = this.questionnaire.concern_score_threshold
    groups: dict[str, dict[str, list[ConcernChange]]] = {}
    titles: dict[str, str] = {}

    def add(kind: str, questionnaire: Questionnaire, item_id: str, change: ConcernChange) -> None:
        domain = questionnaire.domain_of(item_id)
        titles.setdefault(domain.id, domain.title)
        groups.setdefault(domain.id, {"new": [], "still_there": [], "no_longer": []})[kind].append(change)

    for item_id in _in_order(this.questionnaire, now):
        score = now[item_id]
        change = ConcernChange(
            id=item_id, text=this.questionnaire.concern(item_id).text,
            before=then.get(item_id), now=score, high=score is not None and score >= threshold,
        )
        add("still_there" if item_id in then else "new", this.questionnaire, item_id, change)
    for item_id in _in_order(previous.questionnaire, then):
        if item_id in now:
            continue
        # Worded as the person saw it then; the id may not exist in the newer questionnaire.
        change = ConcernChange(
            id=item_id, text=previous.questionnaire.concern(item_id).text,
            before=then[item_id], now=None, high=False,
        )
        add("no_longer", previous.questionnaire, item_id, change)

    order = [d.id for d in this.questionnaire.domains]
    order += [d for d in groups if d not in order]
    # Domain titles from the newer questionnaire where it has the domain.
    for domain in this.questionnaire.domains:
        if domain.id in titles:
            titles[domain.id] = domain.title
    return tuple(
        DomainChanges(
            domain_id=domain_id, title=titles[domain_id],
            new=tuple(groups[domain_id]["new"]),
            still_there=tuple(groups[domain_id]["still_there"]),
            no_longer=tuple(groups[domain_id]["no_longer"]),
        )
        for domain_id in order
        if domain_id in groups
    )


def _in_order(questionnaire: Questionnaire, concerns: Mapping[str, int | None]) -> list[str]:
    return sorted(concerns, key=questionnaire.concern_order)
