"""A series of results (PSA) as a simple line chart, worked out here and drawn by the template
as SVG: no JavaScript, and no style attributes (the CSP allows none); colours come from classes
in static/css/results.css. Plain functions over plain data, no Flask.

The chart is a picture of the table beside it, which is what screen readers and anyone who
wants the numbers read."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from markupsafe import Markup, escape

from ..timeutil import long_date

WIDTH, HEIGHT = 600, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48  # room for the axis labels
TICKS = 4


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: Decimal
    taken_on: date
    flagged: bool


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: tuple[Point, ...]
    y_ticks: tuple[Tick, ...]
    # The person's level ("abnormal above"), if it is on the chart's scale.
    limit_y: float | None
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def line(self) -> str:
        """The polyline's `points` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _nice_top(highest: Decimal) -> Decimal:
    """A round number at or above `highest` for the top of the scale: 1, 2, 2.5 or 5 times a
    power of ten (4.8 -> 5, 12 -> 20, 0.3 -> 0.5)."""
    if highest <= 0:
        return Decimal(1)
    exponent = highest.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= highest:
            return top.normalize()
    return Decimal(10).scaleb(exponent)  # pragma: no cover (10 x 10^e is always above)


def _label(value: Decimal) -> str:
    return format(value.normalize(), "f")


def series_chart(readings: Sequence[tuple[date, Decimal, bool]], limit: Decimal | None = None) -> Chart | None:
    """The chart of `readings` (taken on, value, flagged for review), oldest first; None for
    fewer than two readings (a single value is clearer in the table alone)."""
    readings = sorted(readings, key=lambda r: r[0])
    if len(readings) < 2:
        return None
    highest = max([value for _, value, _ in readings] + ([limit] if limit is not None else []))
    top_value = _nice_top(highest)
    first, last = readings[0][0], readings[-1][0]
    span_days = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: Decimal) -> float:
        return TOP + plot_h * float(1 - value / top_value)

    points = tuple(
        Point(x=LEFT + plot_w * (taken_on - first).days / span_days, y=y_of(value), value=value, taken_on=taken_on,
              flagged=flagged)
        for taken_on, value, flagged in readings
    )
    step = (top_value / TICKS).quantize(Decimal("0.001"), rounding=ROUND_CEILING)
    ticks = tuple(Tick(y=y_of(step * i), label=_label(step * i)) for i in range(TICKS + 1) if step * i <= top_value)
    return Chart(width=WIDTH, height=HEIGHT, points=points, y_ticks=ticks,
                 limit_y=y_of(limit) if limit is not None else None)


def chart_svg(chart: Chart, chart_id: str, test_name: str) -> Markup:
    """The chart of a test's results as SVG (the person's results page): a line, its points, the
    scale's ticks and the person's level, in classes of static/css/results.css, with the one
    sentence that describes it (the table beside it has the numbers). Printed here in one pass rather than by a template's loops and filters (issue
    12: the template was a fifth of the results page's own work); escaped as the template was."""
    left, right, top, bottom = chart.left, chart.right, chart.top, chart.bottom
    first, last = long_date(chart.points[0].taken_on), long_date(chart.points[-1].taken_on)
    title = f"{test_name} results from {first} to {last} as a line chart. The same results are in the table below."
    chart_id = escape(chart_id)
    parts = [f'<svg class="app-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
             f'aria-labelledby="{chart_id}-title" focusable="false" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>']
    for tick in chart.y_ticks:
        parts.append(f'<line class="app-chart__grid" x1="{left}" x2="{right}" y1="{tick.y:.1f}" y2="{tick.y:.1f}"/>')
        parts.append(f'<text class="app-chart__label" x="{left - 8}" y="{tick.y + 5:.1f}" text-anchor="end">'
                     f'{escape(tick.label)}</text>')
    parts.append(f'<line class="app-chart__axis" x1="{left}" x2="{left}" y1="{top}" y2="{bottom}"/>')
    parts.append(f'<line class="app-chart__axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>')
    if chart.limit_y is not None:
        parts.append(f'<line class="app-chart__limit" x1="{left}" x2="{right}" y1="{chart.limit_y:.1f}" '
                     f'y2="{chart.limit_y:.1f}"/>')
    parts.append(f'<polyline class="app-chart__line" points="{chart.line}"/>')
    for point in chart.points:
        flagged = " app-chart__point--flagged" if point.flagged else ""
        parts.append(f'<circle class="app-chart__point{flagged}" cx="{point.x:.1f}" cy="{point.y:.1f}" r="6"/>')
    parts.append(f'<text class="app-chart__label" x="{left}" y="{bottom + 24}" text-anchor="start">'
                 f'{first}</text>')
    parts.append(f'<text class="app-chart__label" x="{right}" y="{bottom + 24}" text-anchor="end">'
                 f'{last}</text>')
    parts.append("</svg>")
    return Markup("\n".join(parts))
