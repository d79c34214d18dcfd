"""`{% goal_chart goal %}`: a goal's progress chart (careplans.charts) from its prefetched measurements."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from careplans import charts
from careplans.models import Goal

register = template.Library()


@register.simple_tag
def goal_chart(goal: Goal) -> SafeString:
    return charts.goal_chart(goal, goal.measurements.all(), today=timezone.localdate())


@register.filter
def recent_measurements(goal: Goal, count: int = 5) -> list:
    """The goal's latest measurements that count, newest first, from its prefetched measurements."""
    return charts.final_measurements(goal.measurements.all())[::-1][:count]
