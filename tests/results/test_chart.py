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


def test_the_svg_draws_every_point_tick_and_the_level_and_escapes_the_tests_name():
    from app.results.chart import chart_svg

    chart = series_chart([
        (date(2026, 1, 1), D("1"), False), (date(2026, 7, 1), D("5"), True), (date(2026, 4, 1), D("2.5"), False),
    ], limit=D("4"))
    svg = chart_svg(chart, "chart-7", "PSA <b>& co</b>")
    assert svg.startswith('<svg class="app-chart" viewBox="0 0 600 300" role="img" aria-labelledby="chart-7-title"')
    assert ('<title id="chart-7-title">PSA &lt;b&gt;&amp; co&lt;/b&gt; results from 1 January 2026 to 1 July 2026'
            ' as a line chart. The same results are in the table below.</title>') in svg
    assert svg.count('<line class="app-chart__grid"') == 5 and '>3.75</text>' in svg
    assert f'<line class="app-chart__limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{chart.limit_y:.1f}"' in svg
    assert svg.count('<circle class="app-chart__point"') == 2
    assert svg.count('<circle class="app-chart__point app-chart__point--flagged"') == 1
    assert f'<polyline class="app-chart__line" points="{chart.line}"/>' in svg
    assert '>1 January 2026</text>' in svg and '>1 July 2026</text>' in svg and svg.endswith("</svg>")
    assert "app-chart__limit" not in chart_svg(series_chart([(date(2026, 1, 1), D("1"), False),
                                                            (date(2026, 2, 1), D("2"), False)]), "chart-8", "PSA")
