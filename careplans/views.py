from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from careplans.models import CarePlan, Goal
from careplans.selectors import get_plan_with_sections
from patients.models import RelatedPerson


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Section:
    """A section's items: the current ones, and the ended ones the page shows collapsed."""

    current: list[Any]
    ended: list[Any]


def _split(items: Iterable[Any], *, is_ended: Callable[[Any], bool] = lambda item: item.is_ended) -> Section:
    current: list[Any] = []
    ended: list[Any] = []
    for item in items:
        (ended if is_ended(item) else current).append(item)
    return Section(current=current, ended=ended)


def _with_latest_measurement(goals: Iterable[Goal]) -> list[Goal]:
    """Set `latest_measurement` and `latest_meets_target` on each goal from its prefetched measurements.

    Computed here rather than with `.latest()` in the template, which would query once per goal.
    """
    goals = list(goals)
    for goal in goals:
        latest = max(goal.measurements.all(), key=lambda m: (m.measured_on, m.pk), default=None)
        goal.latest_measurement = latest
        goal.latest_meets_target = latest is not None and goal.meets_target(latest.value)
    return goals


def plan_sections(plan: CarePlan) -> dict[str, Section]:
    """Every list section of a plan loaded by `get_plan_with_sections`, without further queries."""
    return {
        "problems": _split(plan.problems.all()),
        "goals": _split(_with_latest_measurement(plan.goals.all())),
        "action_steps": _split(plan.action_steps.all()),
        "medications": _split(plan.medications.all()),
        "symptom_plans": _split(plan.symptom_plans.all()),
        "community_services": _split(plan.community_services.all()),
        "care_team": _split(plan.care_team.all()),
        "information_releases": _split(plan.information_releases.all()),
        "education": _split(plan.education.all()),
        "related_people": _split(
            plan.patient.related_people.all(),
            is_ended=lambda person: person.status == RelatedPerson.Status.ENDED,
        ),
    }


def plan_detail(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The whole care plan, read-only, in a fixed number of queries however large it grows."""
    plan = get_plan_with_sections(request.user, plan_id)
    context = {"plan": plan, "patient": plan.patient, "sections": plan_sections(plan)}
    return render(request, "careplans/plan_detail.html", context)
