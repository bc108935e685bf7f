"""What each line of the queue page says, worked out in Python once per request.

The page used to ask template helpers per cell (the design system's tag macro twice a row, the
deadline in working time once or twice a row, `current_user` through its proxy for who has it):
most of the page's time with 50 rows. Here every line is plain values, deadlines shared by many
items (each is the end of a working day) are put into words once, and the table's rows are
printed by one Python function of the lines (`queue_rows_html`). The item page and the patient
page's queue list say the same through the same functions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from markupsafe import Markup

from . import href_prefix
from .team_filters import team_selects_html
from ..templating import escaped_text, personal
from ..timeutil import short_date_time
from ..triage.models import OUTCOME_LABELS, ItemStatus
from ..triage.queue import KIND_LABELS, KIND_RANK, KIND_TAG_CLASSES
from ..triage.service import QueueRow, TeamNurse
from ..triage import working_days

URGENT_RANK = min(KIND_RANK.values())

STATUS_LABELS = {
    "open": "All open items",
    "mine": "Open items I have",
    "unassigned": "Open items nobody has",
    "resolved": "Resolved items",
}
# The "Show" select's items, the same for everyone: which one is chosen is the select's `value`.
STATUS_ITEMS = [{"value": value, "text": label} for value, label in STATUS_LABELS.items()]


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
    # Deadlines are ends of working days, shared by many lines: each put into words and printed
    # once (a dict of this request's, not a cache made on every request).
    when_due: dict[datetime, tuple[str, str]] = {}
    lines = []
    for row in rows:
        resolved = row.status is ItemStatus.RESOLVED
        if resolved:
            response_words, response_when = OUTCOME_LABELS[row.outcome], short_date_time(row.resolved_at)
        else:
            due = when_due.get(row.due_at)
            if due is None:
                due = when_due[row.due_at] = (working_days.due_in_words(row.due_at, now), short_date_time(row.due_at))
            response_words, response_when = due
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
            response_words=response_words,
            response_when=response_when,
            who_has=who_has(row.assignee_id, row.assignee_name, viewer_id),
            href=f"{href_prefix}{row.id}",
        ))
    return lines


OVERDUE_TAG = {"text": "Overdue", "classes": "nhsuk-tag--red"}


def queue_rows_html(lines: list[QueueLine], tag_html: Callable[[dict], Markup]) -> Markup:
    """The queue table's rows, one `<tr>` a line: the one place that knows a line's markup.

    A Python function of the line rather than a template loop: printing a line's ten values
    through Jinja (an attribute lookup, an escape and a Markup for each, the loop's own calls)
    was most of what a long queue page cost beyond the layout (issue 12), and a line memoised
    whole was slower still. Every value a person or the service wrote is escaped, as the
    template's autoescape did, by `templating.escaped_text` (markupsafe's escape as a plain str, a
    string's in one str.translate, rather than an escape and a Markup per value), the one way
    Python code escapes text: nine values a line cost a call each more than the table inlined
    (3009 -> 3041 Python calls per demo queue), for the one place that knows how and what it
    does with a value that is not a plain str (a Markup, a number, None) instead of an error;
    tests/nurse/test_queue_view.py compares the rows with the template's for a table of lines.
    `tag_html`: the design system's tag through the components' memo (`memoised_component("tag", ...)` bound), asked once per kind of line on the page.
    """
    tags: dict[str, Markup] = {}
    rows = []
    for line in lines:
        tag = tags.get(line.kind_label)
        if tag is None:
            tag = tags[line.kind_label] = tag_html({"text": line.kind_label, "classes": line.kind_tag_class})
        if line.overdue:
            overdue = tags.get(OVERDUE_TAG["text"])
            if overdue is None:
                overdue = tags[OVERDUE_TAG["text"]] = tag_html(OVERDUE_TAG)
            tag = f"{tag} {overdue}"
        if line.resolved:
            response = f"{escaped_text(line.response_when)}<span class=\"app-queue-secondary\">{escaped_text(line.response_words)}</span>"
        elif line.overdue:
            response = (f"<strong>{escaped_text(line.response_words)}</strong>"
                        f"<span class=\"app-queue-secondary\">{escaped_text(line.response_when)}</span>")
        else:
            response = f"{escaped_text(line.response_words)}<span class=\"app-queue-secondary\">{escaped_text(line.response_when)}</span>"
        rows.append(
            f"<tr class=\"nhsuk-table__row{' app-queue-row--urgent' if line.urgent else ''}\">\n"
            f"<td class=\"nhsuk-table__cell\">{tag}</td>\n"
            f"<td class=\"nhsuk-table__cell\"><a href=\"{escaped_text(line.href)}\">{escaped_text(line.patient_name)}</a>"
            f"<span class=\"app-queue-secondary app-queue-nowrap\">{escaped_text(line.nhs_number)}</span></td>\n"
            f"<td class=\"nhsuk-table__cell\">{escaped_text(line.reason)}</td>\n"
            f"<td class=\"nhsuk-table__cell\">{escaped_text(line.received)}</td>\n"
            f"<td class=\"nhsuk-table__cell\">{response}</td>\n"
            f"<td class=\"nhsuk-table__cell\">{escaped_text(line.who_has)}</td>\n"
            "</tr>")
    return Markup("\n".join(rows))


def status_select(status: str) -> dict:
    """The "Show" select's arguments: the items the same for everyone, `value` chooses."""
    return {"id": "status", "name": "status", "label": {"text": "Show"}, "items": STATUS_ITEMS, "value": status}


_NOT_IN_A_TEAM = {"no_team": True}


def queue_page_values(summary: dict | None, filters, nurses: list[TeamNurse], rows: Markup, continued: bool,
                      action: str, select_html: Callable[[dict], Markup]) -> dict:
    """What templates/nurse/_queue_page.html shows, for the components' memo: the shape's key
    (whether the list is the resolved one, whether this page follows another, whether there is a
    search, a row, an urgent or overdue item, one open item or several; the form's address, the
    queue's, the same for everyone at a site root) and, marked personal, the values only this
    view shows (the counts, the list's name, the selects, the search's words, the rows).

    The three selects are put in as one personal value, each rendered by `select_html` (the
    components' memo's "select") as its own entry, and the list's name too: kept in the page's
    shape, which filter is chosen and how many nurses the team has multiplied the page's shapes
    (a team of six browsing its filters made 840, each a miss, until the memo held nothing else,
    pushing out the layout every page shares); as entries of their own they add up (a few dozen).
    `summary`: None for a nurse in no team.

    Built once per view where the template built the selects' arguments and printed a dozen
    values each through autoescape (a third of the queue's own work on the demo's queue, issue
    12). A count is given as its digits (a str), so that none is empty and every one, 0 open
    items too, is put in rather than the page rendered directly; the urgent and overdue counts
    only when not 0, as the page shows them only then."""
    if summary is None:
        return _NOT_IN_A_TEAM
    status, search = filters.status, filters.search
    return {
        "no_team": False, "action": action,
        "open": personal(str(summary["open"])), "one_open": summary["open"] == 1,
        "urgent": personal(str(summary["urgent"])) if summary["urgent"] else None,
        "overdue": personal(str(summary["overdue"])) if summary["overdue"] else None,
        "selects": personal(select_html(status_select(status)) + team_selects_html(select_html, nurses, filters)),
        "search": personal(search) if search else None,
        "rows": personal(rows) if rows else None,
        "status_label": personal(STATUS_LABELS[status]), "resolved": status == "resolved", "continued": continued,
    }
