"""What each line of the queue page says, worked out in Python once per request.

The page used to ask template helpers per cell (the design system's tag macro twice a row, the
deadline in working time once or twice a row, `current_user` through its proxy for who has it):
most of the page's time with 50 rows. Here every line is plain values, deadlines shared by many
items (each is the end of a working day) are put into words once, and the template only prints.
The item page and the patient page's queue list say the same through the same functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from . import href_prefix
from ..timeutil import short_date_time
from ..triage.models import OUTCOME_LABELS, ItemStatus
from ..triage.queue import KIND_LABELS, KIND_RANK, KIND_TAG_CLASSES
from ..triage.service import QueueRow
from ..triage import working_days

URGENT_RANK = min(KIND_RANK.values())


def is_overdue(status: ItemStatus, due_at: datetime, now: datetime) -> bool:
    """An open item past its response target (a resolved one is never overdue)."""
    return status is ItemStatus.OPEN and working_days.is_overdue(due_at, now)


def who_has(assignee_id: int | None, assignee_name: str | None, viewer_id: int | None) -> str:
    if assignee_id is None:
        return "Nobody yet"
    return "You" if assignee_id == viewer_id else assignee_name


@dataclass(frozen=True)
class QueueLine:
    id: int
    kind_label: str
    kind_tag_class: str
    urgent: bool            # an open emergency or red flag: the row is marked
    overdue: bool
    resolved: bool
    patient_name: str
    nhs_number: str         # as shown: 943 476 5919
    reason: str
    received: str           # short date and time, UK time
    response_words: str     # how it stands against its target, or the outcome once resolved
    response_when: str      # when it is due, or when it was resolved
    who_has: str
    href: str               # the item's page


def item_href_prefix() -> str:
    """The item page's address but its id (`href_prefix`)."""
    return href_prefix("nurse.queue_item", "item_id")


def queue_lines(rows: list[QueueRow], now: datetime, viewer_id: int | None, href_prefix: str) -> list[QueueLine]:
    """`href_prefix`: `item_href_prefix()`, which each line's item id completes."""
    due_words = working_days.due_words_at(now)
    # Deadlines are ends of working days, shared by many lines: each put into words once.
    when_due = lru_cache(maxsize=None)(short_date_time)
    lines = []
    for row in rows:
        resolved = row.status is ItemStatus.RESOLVED
        lines.append(QueueLine(
            id=row.id,
            kind_label=KIND_LABELS[row.kind],
            kind_tag_class=KIND_TAG_CLASSES[row.kind],
            urgent=row.rank == URGENT_RANK and not resolved,
            overdue=is_overdue(row.status, row.due_at, now),
            resolved=resolved,
            patient_name=f"{row.given_name} {row.family_name}",
            nhs_number=f"{row.nhs_number[:3]} {row.nhs_number[3:6]} {row.nhs_number[6:]}",
            reason=row.reason,
            received=short_date_time(row.received_at),
            response_words=OUTCOME_LABELS[row.outcome] if resolved else due_words(row.due_at),
            response_when=short_date_time(row.resolved_at) if resolved else when_due(row.due_at),
            who_has=who_has(row.assignee_id, row.assignee_name, viewer_id),
            href=f"{href_prefix}{row.id}",
        ))
    return lines
