"""The queue's kinds and their one order (the database's, QUEUE_ORDER; tests/triage/test_service.py
checks the order itself, page by page)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.triage.queue import KIND_RANK, REASON_LENGTH, ItemKind, clipped, in_a_line, kind_for_hna

APP = Path(__file__).resolve().parent.parent.parent / "app"


@pytest.mark.parametrize(
    ("high_distress", "urgent_symptom", "kind"),
    [
        (True, False, ItemKind.HNA_HIGH_DISTRESS),
        (False, False, ItemKind.HNA_NEW),
        (False, True, ItemKind.RED_FLAG),
        (True, True, ItemKind.RED_FLAG),
    ],
)
def test_hna_kind_follows_urgent_symptoms_then_distress(high_distress, urgent_symptom, kind):
    assert kind_for_hna(high_distress, urgent_symptom) is kind


@pytest.mark.hazard("HAZ-001")
def test_emergencies_and_red_flags_outrank_everything_else():
    top = {kind for kind, rank in KIND_RANK.items() if rank == min(KIND_RANK.values())}
    assert top == {ItemKind.EMERGENCY, ItemKind.RED_FLAG}
    assert sorted(KIND_RANK, key=KIND_RANK.get)[2:] == [
        ItemKind.REENTRY, ItemKind.HNA_HIGH_DISTRESS, ItemKind.HNA_NEW, ItemKind.PLAN_REVIEW_OVERDUE]


def test_the_queue_order_is_written_once():
    """Every query that lists queue items most urgent first uses triage.models.QUEUE_ORDER."""
    copies = [
        str(path.relative_to(APP)) for path in APP.rglob("*.py")
        if re.search(r"order_by\(\s*QueueItem\.rank", path.read_text(encoding="utf-8"))
        or re.search(r"def (sort_key|ordered)\b", path.read_text(encoding="utf-8")) and "triage" in str(path)
    ]
    assert copies == []


@pytest.mark.parametrize(
    ("text", "longest", "line"),
    [
        ("Back pain", 20, "Back pain"),
        ("  Back\npain\t since   Monday ", 40, "Back pain since Monday"),
        ("x" * 10, 10, "x" * 10),
        ("x" * 11, 10, "x" * 9 + "…"),
        ("one two three", 8, "one two…"),
        ("", 10, ""),
    ],
)
def test_what_a_person_wrote_goes_in_a_reason_on_one_line_clipped_with_an_ellipsis(text, longest, line):
    assert in_a_line(text, longest) == line
    assert len(in_a_line(text, longest)) <= longest


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Red flag symptom: bone pain", "Red flag symptom: bone pain"),
        ("a\nb" + "c" * 400, ("a\nb" + "c" * 400)[: REASON_LENGTH - 1] + "…"),
        ("c" * REASON_LENGTH, "c" * REASON_LENGTH),
    ],
)
def test_a_reason_longer_than_the_queue_keeps_is_clipped_with_an_ellipsis_not_cut(text, reason):
    assert clipped(text) == reason
