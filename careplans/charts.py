"""Small server-rendered SVG charts of a goal's measurements against its target.

Pure functions: a goal and its measurements in, geometry or escaped SVG markup out, no queries
and no JavaScript. The chart draws in `currentColor` only, so it prints in black on white, and
meaning never rests on colour: the target line is dashed and labelled, the baseline is an open
square, the measurements are filled dots joined by a line.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from careplans.models import Goal, GoalMeasurement

WIDTH = 520
HEIGHT = 200
LEFT = 52  # room for the value labels
RIGHT = 92  # room for the target label
TOP = 16
BOTTOM = 36  # room for the date labels
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
# A chart whose dates or values are all the same still needs a span to draw across.
SINGLE_DAY_PADDING = datetime.timedelta(days=15)
# The target's comparator as a symbol, short enough for the label beside the target line.
SYMBOLS = {"<=": "≤", "<": "<", "=": "=", ">": ">", ">=": "≥"}
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: Decimal
    on: datetime.date


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """Where everything goes, in SVG user units (y grows downwards)."""

    points: list[Point]
    baseline: Point | None
    target_y: float | None
    value_labels: list[Label]
    date_labels: list[Label]
    first_day: datetime.date
    last_day: datetime.date
    low: Decimal
    high: Decimal


def number(value: Decimal) -> str:
    """A value as people write it: 7.4 rather than 7.40, 100 rather than 1E+2."""
    return f"{value.normalize():f}"


def day(value: datetime.date) -> str:
    return date_format(value, "j M Y")


def final_measurements(measurements: Iterable[GoalMeasurement]) -> list[GoalMeasurement]:
    """The measurements that count, oldest first: any marked entered in error are left out."""
    kept = [m for m in measurements if m.status == GoalMeasurement.Status.FINAL]
    return sorted(kept, key=lambda m: (m.measured_on, m.pk or 0))


def _step(span: Decimal) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about four intervals over `span`."""
    rough = span / 4
    power = Decimal(10) ** (rough.adjusted())
    return next(power * step for step in NICE_STEPS if power * step >= rough)


def geometry(goal: Goal, measurements: Iterable[GoalMeasurement], *, today: datetime.date) -> Chart:
    shown = final_measurements(measurements)
    days = [m.measured_on for m in shown]
    days += [d for d in (goal.baseline_date, goal.target_date) if d is not None]
    first_day, last_day = (min(days), max(days)) if days else (today, today)
    if first_day == last_day:
        first_day, last_day = first_day - SINGLE_DAY_PADDING, last_day + SINGLE_DAY_PADDING

    values = [m.value for m in shown]
    values += [v for v in (goal.baseline_value, goal.target_value) if v is not None]
    low, high = (min(values), max(values)) if values else (Decimal(0), Decimal(1))
    if low == high:
        low, high = low - 1, high + 1
    step = _step(high - low)
    low = (low / step).to_integral_value(ROUND_FLOOR) * step
    high = (high / step).to_integral_value(ROUND_CEILING) * step

    def x(on: datetime.date) -> float:
        return round(LEFT + (on - first_day).days / (last_day - first_day).days * PLOT_WIDTH, 1)

    def y(value: Decimal) -> float:
        return round(TOP + float((high - value) / (high - low)) * PLOT_HEIGHT, 1)

    baseline = None
    if goal.baseline_value is not None:
        on = goal.baseline_date or first_day
        baseline = Point(x(on), y(goal.baseline_value), goal.baseline_value, on)
    ticks = int((high - low) / step) + 1
    label_days = [first_day, last_day]
    if (last_day - first_day).days >= 14:
        label_days.insert(1, first_day + (last_day - first_day) / 2)
    return Chart(
        points=[Point(x(m.measured_on), y(m.value), m.value, m.measured_on) for m in shown],
        baseline=baseline,
        target_y=None if goal.target_value is None else y(goal.target_value),
        value_labels=[Label(LEFT - 6, y(v), number(v)) for v in (low + step * i for i in range(ticks))],
        date_labels=[Label(x(d), HEIGHT - BOTTOM + 18, day(d)) for d in label_days],
        first_day=first_day,
        last_day=last_day,
        low=low,
        high=high,
    )


def summary(goal: Goal, measurements: Iterable[GoalMeasurement]) -> str:
    """One sentence for screen readers and the chart's tooltip: how many, the latest, the target."""
    shown = final_measurements(measurements)
    unit = f" {goal.unit}" if goal.unit else ""
    count = len(shown)
    parts = [f"{count} measurement{'' if count == 1 else 's'}" if count else "No measurements yet"]
    if shown:
        latest = shown[-1]
        meets = "meets the target" if goal.meets_target(latest.value) else "not yet at the target"
        parts.append(f"latest {number(latest.value)}{unit} on {day(latest.measured_on)} ({meets})")
    if goal.target_value is not None:
        by = f" by {day(goal.target_date)}" if goal.target_date else ""
        parts.append(f"target {goal.target_label}{by}")
    if goal.baseline_value is not None:
        since = f" on {day(goal.baseline_date)}" if goal.baseline_date else ""
        parts.append(f"baseline {number(goal.baseline_value)}{unit}{since}")
    return f"{goal.measure}: {', '.join(parts)}."


def _anchor(index: int, count: int) -> str:
    """The first date label starts at the left edge, the last ends at the right, any other is centred."""
    return "start" if index == 0 else "end" if index == count - 1 else "middle"


def goal_chart(goal: Goal, measurements: Iterable[GoalMeasurement], *, today: datetime.date) -> SafeString:
    """The goal's chart as inline SVG markup, every text escaped."""
    measurements = list(measurements)
    chart = geometry(goal, measurements, today=today)
    chart_id = f"goal-{goal.pk}-chart"
    right = LEFT + PLOT_WIDTH
    bottom = TOP + PLOT_HEIGHT
    parts = [
        format_html(
            '<g stroke="currentColor"><line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/></g>',
            LEFT,
            TOP,
            LEFT,
            bottom,
            LEFT,
            bottom,
            right,
            bottom,
        ),
        format_html_join(
            "",
            '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity="0.2"/>'
            '<text class="value-label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
            ((LEFT, label.y, right, label.y, label.x, label.y, label.text) for label in chart.value_labels),
        ),
        format_html_join(
            "",
            '<text class="date-label" x="{}" y="{}" text-anchor="{}">{}</text>',
            (
                (label.x, label.y, _anchor(i, len(chart.date_labels)), label.text)
                for i, label in enumerate(chart.date_labels)
            ),
        ),
    ]
    if chart.target_y is not None:
        parts.append(
            format_html(
                '<line class="target" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-width="1.5" stroke-dasharray="6 4"/>'
                '<text class="target-label" x="{}" y="{}" dominant-baseline="middle">Target {}</text>',
                LEFT,
                chart.target_y,
                right,
                chart.target_y,
                right + 6,
                chart.target_y,
                f"{SYMBOLS.get(goal.target_comparator, '')} {number(goal.target_value)} {goal.unit}".strip(),
            )
        )
    if chart.baseline is not None:
        parts.append(
            format_html(
                '<rect class="baseline" x="{}" y="{}" width="8" height="8" fill="none" stroke="currentColor" stroke-width="1.5"/>'
                '<text class="baseline-label" x="{}" y="{}">Baseline</text>',
                round(chart.baseline.x - 4, 1),
                round(chart.baseline.y - 4, 1),
                round(chart.baseline.x + 7, 1),
                round(chart.baseline.y - 7, 1),
            )
        )
    if len(chart.points) > 1:
        parts.append(
            format_html(
                '<polyline class="trend" points="{}" fill="none" stroke="currentColor" stroke-width="2"/>',
                " ".join(f"{p.x},{p.y}" for p in chart.points),
            )
        )
    parts.append(
        format_html_join(
            "",
            '<circle class="measurement" cx="{}" cy="{}" r="4" fill="currentColor"/>',
            ((p.x, p.y) for p in chart.points),
        )
    )
    if not chart.points:
        parts.append(
            format_html(
                '<text class="empty-label" x="{}" y="{}" text-anchor="middle">No measurements yet</text>',
                LEFT + PLOT_WIDTH / 2,
                TOP + PLOT_HEIGHT / 2,
            )
        )
    return format_html(
        '<svg class="goal-chart" id="{id}" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}"'
        ' aria-labelledby="{id}-title" aria-describedby="{id}-desc" xmlns="http://www.w3.org/2000/svg"'
        ' fill="currentColor" font-size="11">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=HEIGHT,
        title=f"Chart of {goal.measure} over time",
        desc=summary(goal, measurements),
        body=SafeString("".join(parts)),
    )
