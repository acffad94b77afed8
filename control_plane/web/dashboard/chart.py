"""A bar chart of calls per day as plain geometry for an SVG template: no charting script, no CDN."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 180
LEFT, BOTTOM, TOP = 40, 20, 10


@dataclass(frozen=True)
class Bar:
    day: int
    calls: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[int, float]]  # (value, y) of the axis labels
    baseline: float


def _ceiling(peak: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50, ... at or above ``peak``."""
    top = 1
    while top < peak:
        top = next(c for c in _candidates(top) if c > top)
    return top


def _candidates(top: int) -> list[int]:
    magnitude = 10 ** (len(str(top)) - 1)
    return [m * magnitude for m in (1, 2, 5, 10)]


def bars(counts: list[int], width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """One bar per day; the tallest day reaches a round ceiling (at least 1, so an empty month is flat)."""
    top = _ceiling(max(counts, default=0))
    plot_w, plot_h = width - LEFT, height - BOTTOM - TOP
    step = plot_w / max(len(counts), 1)
    baseline = TOP + plot_h
    drawn = []
    for index, calls in enumerate(counts):
        tall = plot_h * calls / top
        x = LEFT + index * step + step * 0.15
        drawn.append(Bar(index + 1, calls, x, baseline - tall, step * 0.7, tall))
    ticks = sorted({(value, baseline - plot_h * value / top) for value in (0, top // 2, top)})
    return Chart(width, height, drawn, ticks, baseline)
