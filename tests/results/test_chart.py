"""The PSA chart's geometry: a picture of the table beside it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.results.chart import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, _nice_top, series_chart


@pytest.mark.parametrize("highest, top", [
    (D("4.8"), D("5")), (D("5"), D("5")), (D("5.01"), D("10")), (D("12"), D("20")), (D("0.3"), D("0.5")),
    (D("2.2"), D("2.5")), (D("0"), D("1")), (D("100"), D("100")),
])
def test_the_scale_ends_at_a_round_number_at_or_above_the_highest(highest, top):
    assert _nice_top(highest) == top


def test_points_are_placed_by_date_and_value():
    chart = series_chart([
        (date(2026, 1, 1), D("1"), False), (date(2026, 7, 1), D("5"), True), (date(2026, 4, 1), D("2.5"), False),
    ], limit=D("4"))
    first, middle, last = chart.points
    assert [p.taken_on for p in chart.points] == [date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)]
    assert (first.x, last.x) == (LEFT, WIDTH - RIGHT)
    assert last.y == TOP and last.flagged
    assert middle.y == pytest.approx(TOP + (HEIGHT - TOP - BOTTOM) / 2)
    assert chart.limit_y == pytest.approx(TOP + (HEIGHT - TOP - BOTTOM) * 0.2)
    assert [t.label for t in chart.y_ticks] == ["0", "1.25", "2.5", "3.75", "5"]
    assert chart.line.count(",") == 3


def test_one_reading_is_not_a_chart():
    assert series_chart([(date(2026, 1, 1), D("1"), False)]) is None
