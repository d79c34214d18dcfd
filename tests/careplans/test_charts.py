"""The goal chart: geometry and text, from a goal and its measurements, without the database."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from careplans import charts
from careplans.models import Goal, GoalMeasurement

TODAY = datetime.date(2026, 11, 20)


def a1c_goal(**overrides) -> Goal:
    """A decreasing target: HbA1c from 8.0 in September down to at most 7.0 by March."""
    values = {
        "pk": 7,
        "measure": "HbA1c",
        "unit": "%",
        "baseline_value": Decimal("8.0"),
        "baseline_date": datetime.date(2026, 9, 1),
        "target_comparator": "<=",
        "target_value": Decimal("7.0"),
        "target_date": datetime.date(2027, 3, 31),
        **overrides,
    }
    return Goal(**values)


def measured(value: str, on: datetime.date, status: str = "final") -> GoalMeasurement:
    return GoalMeasurement(value=Decimal(value), measured_on=on, status=status)


THREE = [
    measured("7.9", datetime.date(2026, 9, 20)),
    measured("7.6", datetime.date(2026, 10, 15)),
    measured("7.4", datetime.date(2026, 11, 2)),
]


def test_points_go_left_to_right_in_date_order_and_lower_values_sit_lower():
    chart = charts.geometry(a1c_goal(), list(reversed(THREE)), today=TODAY)
    xs = [p.x for p in chart.points]
    ys = [p.y for p in chart.points]
    assert xs == sorted(xs)
    assert ys == sorted(ys), "falling values are drawn lower (larger y) each time"
    assert [p.value for p in chart.points] == [Decimal("7.9"), Decimal("7.6"), Decimal("7.4")]


def test_the_time_axis_runs_from_the_baseline_to_the_target_date():
    chart = charts.geometry(a1c_goal(), THREE, today=TODAY)
    assert (chart.first_day, chart.last_day) == (datetime.date(2026, 9, 1), datetime.date(2027, 3, 31))
    assert chart.baseline.x == charts.LEFT
    assert [label.text for label in chart.date_labels][0::2] == ["1 Sep 2026", "31 Mar 2027"]


def test_the_value_axis_has_round_labels_covering_baseline_target_and_every_value():
    chart = charts.geometry(a1c_goal(), [*THREE, measured("8.3", datetime.date(2026, 11, 10))], today=TODAY)
    labels = [label.text for label in chart.value_labels]
    assert labels == ["7", "7.5", "8", "8.5"]
    assert chart.low <= Decimal("7.0") and chart.high >= Decimal("8.3")
    top, bottom = charts.TOP, charts.TOP + charts.PLOT_HEIGHT
    assert all(top <= p.y <= bottom for p in chart.points)


def test_a_value_below_the_target_is_drawn_below_the_target_line_and_one_above_it_above():
    below, above = measured("6.5", datetime.date(2026, 10, 1)), measured("9.5", datetime.date(2026, 10, 2))
    chart = charts.geometry(a1c_goal(), [below, above], today=TODAY)
    assert chart.points[0].y > chart.target_y > chart.points[1].y


def test_values_marked_entered_in_error_are_left_out():
    wrong = measured("12.0", datetime.date(2026, 11, 3), status="entered_in_error")
    chart = charts.geometry(a1c_goal(), [*THREE, wrong], today=TODAY)
    assert len(chart.points) == 3
    assert chart.high < Decimal("12")
    assert "3 measurements, latest 7.4 % on 2 Nov 2026" in charts.summary(a1c_goal(), [*THREE, wrong])


def test_a_goal_without_measurements_or_dates_still_draws_an_axis_around_today():
    goal = a1c_goal(baseline_value=None, baseline_date=None, target_date=None)
    chart = charts.geometry(goal, [], today=TODAY)
    assert chart.points == []
    assert chart.first_day < TODAY < chart.last_day
    svg = charts.goal_chart(goal, [], today=TODAY)
    assert "No measurements yet" in svg
    assert "<polyline" not in svg and "<circle" not in svg


def test_one_value_is_a_dot_without_a_line():
    svg = charts.goal_chart(a1c_goal(), THREE[:1], today=TODAY)
    assert svg.count("<circle") == 1
    assert "<polyline" not in svg
    assert "1 measurement, latest 7.9 %" in svg


def test_many_values_are_dots_joined_by_a_line():
    svg = charts.goal_chart(a1c_goal(), THREE, today=TODAY)
    assert svg.count("<circle") == 3
    points = re.search(r'<polyline class="trend" points="([^"]+)"', svg).group(1).split()
    assert len(points) == 3


def test_the_target_line_is_dashed_and_labelled_and_the_baseline_is_marked():
    svg = charts.goal_chart(a1c_goal(), THREE, today=TODAY)
    assert re.search(r'<line class="target"[^>]*stroke-dasharray', svg)
    assert ">Target ≤ 7 %</text>" in svg
    assert '<rect class="baseline"' in svg and ">Baseline</text>" in svg


def test_the_chart_is_an_image_with_a_title_and_a_summary_for_screen_readers():
    svg = charts.goal_chart(a1c_goal(), THREE, today=TODAY)
    assert 'role="img"' in svg
    assert 'aria-labelledby="goal-7-chart-title" aria-describedby="goal-7-chart-desc"' in svg
    assert '<title id="goal-7-chart-title">Chart of HbA1c over time</title>' in svg
    assert (
        '<desc id="goal-7-chart-desc">HbA1c: 3 measurements, latest 7.4 % on 2 Nov 2026 (not yet at the target), '
        "target at most 7 % by 31 Mar 2027, baseline 8 % on 1 Sep 2026.</desc>"
    ) in svg


def test_the_summary_says_when_the_latest_value_meets_the_target():
    reached = [*THREE, measured("6.9", datetime.date(2026, 11, 19))]
    assert "latest 6.9 % on 19 Nov 2026 (meets the target)" in charts.summary(a1c_goal(), reached)


def test_the_chart_draws_in_the_text_colour_only_so_it_prints_in_black_and_white():
    svg = charts.goal_chart(a1c_goal(), THREE, today=TODAY)
    colours = set(re.findall(r'(?:fill|stroke)="([^"]+)"', svg))
    assert colours <= {"currentColor", "none"}


def test_text_from_the_goal_is_escaped():
    goal = a1c_goal(measure="<script>alert(1)</script>", unit="&")
    svg = charts.goal_chart(goal, THREE, today=TODAY)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "Target ≤ 7 &amp;" in svg


def test_an_increasing_target_also_fits_its_values():
    goal = a1c_goal(
        measure="Steps a day",
        unit="",
        baseline_value=Decimal(2000),
        target_comparator=">=",
        target_value=Decimal(6000),
    )
    chart = charts.geometry(goal, [measured("3500", datetime.date(2026, 10, 1))], today=TODAY)
    assert [label.text for label in chart.value_labels] == ["2000", "3000", "4000", "5000", "6000"]
    assert chart.target_y < chart.points[0].y < chart.baseline.y
