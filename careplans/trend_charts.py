"""Small server-rendered SVG line charts, accessible without JavaScript.

Each chart is an `<svg role="img">` with a title and a description naming every point, and the
page shows the same numbers in a table beside it, so nothing depends on seeing the picture.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 28


@dataclass(frozen=True)
class Point:
    label: str  # shown on the x axis and read out in the description
    value: float


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    path: str  # the line, as an SVG path
    dots: list[tuple[float, float, str]]  # x, y, and the point's text
    gridlines: list[tuple[float, str]]  # y, label
    width: int = WIDTH
    height: int = HEIGHT


def line_chart(*, title: str, points: Sequence[Point], maximum: float, bands: Sequence[int] = ()) -> Chart:
    """A chart of `points` in order, on a y scale from 0 to `maximum`, with gridlines at `bands`."""
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return round(TOP + inner_h * (1 - value / maximum), 1) if maximum else TOP + inner_h

    dots = [
        (round(LEFT + i * step, 1), y(point.value), f"{point.label}: {point.value:g}")
        for i, point in enumerate(points)
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{yy}" for i, (x, yy, _text) in enumerate(dots))
    gridlines = [(y(value), f"{value:g}") for value in sorted({0, *bands, maximum})]
    if points:
        description = f"{len(points)} results: " + "; ".join(text for _x, _y, text in dots) + "."
    else:
        description = "No results yet."
    return Chart(title=title, description=description, path=path, dots=dots, gridlines=gridlines)


def month_label(day: datetime.date) -> str:
    return day.strftime("%-d %b %Y")
