"""The kinds of work in a team's triage queue, their clinical rank and response targets.

Red-flag symptom alerts and emergency reports first, then open-access re-entry requests, then
HNAs with high distress, then other new HNAs, then overdue care plan reviews. Within a kind,
the item closest to (or furthest past) its response target comes first, then the oldest. The
database orders the queue (`QUEUE_ORDER` in app/triage/models.py, by the stored `rank`), so that
it can be paged by an index; this module gives only the rank each kind has.
"""
from __future__ import annotations

import enum


class ItemKind(str, enum.Enum):
    EMERGENCY = "emergency"
    RED_FLAG = "red_flag"
    REENTRY = "reentry"
    HNA_HIGH_DISTRESS = "hna_high_distress"
    HNA_NEW = "hna_new"
    PLAN_REVIEW_OVERDUE = "plan_review_overdue"


# How long an item's reason may be (QueueItem.reason's column).
REASON_LENGTH = 300


def clipped(text: str, longest: int = REASON_LENGTH) -> str:
    """`text` if it fits in `longest` characters, else cut to fit with an ellipsis saying so."""
    return text if len(text) <= longest else text[: longest - 1] + "…"


def in_a_line(text: str, longest: int) -> str:
    """What a person wrote, on one line and clipped, for a reason read at a glance in the queue."""
    return clipped(" ".join(text.split()), longest)


# Lower comes first. Emergencies and red flags share the top: both never wait.
KIND_RANK = {
    ItemKind.EMERGENCY: 0,
    ItemKind.RED_FLAG: 0,
    ItemKind.REENTRY: 1,
    ItemKind.HNA_HIGH_DISTRESS: 2,
    ItemKind.HNA_NEW: 3,
    ItemKind.PLAN_REVIEW_OVERDUE: 4,
}

# Response targets in working days (0 = the same working day); a team may configure these.
DEFAULT_TARGET_WORKING_DAYS = {
    ItemKind.EMERGENCY: 0,
    ItemKind.RED_FLAG: 0,
    ItemKind.REENTRY: 2,
    ItemKind.HNA_HIGH_DISTRESS: 2,
    ItemKind.HNA_NEW: 5,
    ItemKind.PLAN_REVIEW_OVERDUE: 5,
}


def kind_for_hna(high_distress: bool, urgent_symptom: bool = False, emergency: bool = False) -> ItemKind:
    """An HNA with a possible emergency (e.g. a fever after chemotherapy) is an emergency, as the
    same symptom reported on its own is; a possible urgent symptom is a red flag; then high
    distress; then the rest."""
    if emergency:
        return ItemKind.EMERGENCY
    if urgent_symptom:
        return ItemKind.RED_FLAG
    return ItemKind.HNA_HIGH_DISTRESS if high_distress else ItemKind.HNA_NEW


# How each kind is named on the queue, and the NHS.UK tag colour that marks it.
KIND_LABELS = {
    ItemKind.EMERGENCY: "Emergency",
    ItemKind.RED_FLAG: "Red flag",
    ItemKind.REENTRY: "Re-entry request",
    ItemKind.HNA_HIGH_DISTRESS: "High distress",
    ItemKind.HNA_NEW: "Needs assessment",
    ItemKind.PLAN_REVIEW_OVERDUE: "Care plan review",
}
KIND_TAG_CLASSES = {
    ItemKind.EMERGENCY: "nhsuk-tag--red",
    ItemKind.RED_FLAG: "nhsuk-tag--red",
    ItemKind.REENTRY: "nhsuk-tag--orange",
    ItemKind.HNA_HIGH_DISTRESS: "nhsuk-tag--yellow",
    ItemKind.HNA_NEW: "nhsuk-tag--blue",
    ItemKind.PLAN_REVIEW_OVERDUE: "nhsuk-tag--grey",
}
