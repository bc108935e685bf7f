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
