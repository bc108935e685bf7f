"""Queue order: red flags first, then re-entry, high distress, new HNAs, overdue reviews."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.triage.queue import ItemKind, QueueEntry, kind_for_hna, ordered

T0 = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)


def entry(kind, item_id, received_hours=0, due_hours=8):
    return QueueEntry(kind=kind, received_at=T0 + timedelta(hours=received_hours),
                      due_at=T0 + timedelta(hours=due_hours), item_id=item_id)


def test_kinds_come_in_clinical_order_whatever_arrived_first():
    entries = [
        entry(ItemKind.PLAN_REVIEW_OVERDUE, 1, received_hours=-100),
        entry(ItemKind.HNA_NEW, 2, received_hours=-50),
        entry(ItemKind.HNA_HIGH_DISTRESS, 3, received_hours=-10),
        entry(ItemKind.REENTRY, 4, received_hours=-5),
        entry(ItemKind.RED_FLAG, 5, received_hours=0),
    ]
    assert [e.item_id for e in ordered(entries)] == [5, 4, 3, 2, 1]


def test_emergencies_and_red_flags_share_the_top_by_deadline():
    entries = [entry(ItemKind.RED_FLAG, 1, due_hours=5), entry(ItemKind.EMERGENCY, 2, due_hours=1)]
    assert [e.item_id for e in ordered(entries)] == [2, 1]


def test_within_a_kind_the_nearest_deadline_then_the_oldest_comes_first():
    entries = [
        entry(ItemKind.REENTRY, 1, received_hours=0, due_hours=40),
        entry(ItemKind.REENTRY, 2, received_hours=-30, due_hours=10),
        entry(ItemKind.REENTRY, 3, received_hours=-31, due_hours=10),
    ]
    assert [e.item_id for e in ordered(entries)] == [3, 2, 1]


def test_hna_kind_follows_distress():
    assert kind_for_hna(True) is ItemKind.HNA_HIGH_DISTRESS
    assert kind_for_hna(False) is ItemKind.HNA_NEW
