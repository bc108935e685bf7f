"""The queue's kinds and their one order (the database's, QUEUE_ORDER; tests/triage/test_service.py
checks the order itself, page by page)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.triage.queue import KIND_RANK, ItemKind, kind_for_hna

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
