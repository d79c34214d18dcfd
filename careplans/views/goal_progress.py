"""A goal's progress on the plan page: record a measurement in place, mark one entered in error.

Both answer with the goal's card re-rendered (latest value and chart) when saved, with their
form and 422 when the input or the service refused it, and 409 when a measurement changed
since its form was opened. The card is careplans/plan_detail.html#goal-item; the chart, the
recent values and the forms are careplans/goal_progress.html, which that card includes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget

from careplans import services
from careplans.forms import InErrorForm, MeasurementForm, add_service_errors
from careplans.models import CarePlan, Goal, GoalMeasurement
from careplans.selectors import get_goal_measurement_for_user, get_plan_with_sections
from careplans.views.plan import PAGE, HtmxHttpRequest, form_data, plan_and_item, plan_sections, whole_page
from teams.records import StaleVersionError

PROGRESS = "careplans/goal_progress.html"


@dataclass
class MeasurementFormOpen:
    """A measurement form open on the plan page: recording a value for `goal`, or marking `measurement` in error."""

    goal: Goal
    form: forms.Form
    measurement: GoalMeasurement | None = None
    conflict: bool = False

    @property
    def status(self) -> int:
        return 409 if self.conflict else 422 if self.form.errors else 200


@never_cache
@require_http_methods(["GET", "POST"])
def measurement_new(request: HtmxHttpRequest, plan_id: uuid.UUID, goal_id: int) -> HttpResponse:
    """Record a value of the goal's measure."""
    plan, goal = plan_and_item(request, plan_id, "goal", goal_id)
    form = MeasurementForm(
        form_data(request),
        goal=goal,
        initial={"measured_on": timezone.localdate()},
        auto_id=f"goal-{goal.pk}-measurement-%s",
    )
    if form.is_bound and form.is_valid():
        try:
            services.record_goal_measurement(goal=goal, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _goal_card(request, plan, goal)
    open_form = MeasurementFormOpen(goal=goal, form=form)
    return _form(request, plan, open_form, "measurement-form" if form.is_bound else "record-slot")


@never_cache
@require_http_methods(["GET", "POST"])
def measurement_in_error(
    request: HtmxHttpRequest, plan_id: uuid.UUID, goal_id: int, measurement_id: int
) -> HttpResponse:
    """Mark a measurement entered in error, with a reason: it leaves the chart and stays on record."""
    plan, goal = plan_and_item(request, plan_id, "goal", goal_id)
    measurement = get_goal_measurement_for_user(request.user, measurement_id, goal_id=goal.pk)
    form = InErrorForm(
        form_data(request),
        initial={"version": measurement.version},
        auto_id=f"measurement-{measurement.pk}-%s",
    )
    open_form = MeasurementFormOpen(goal=goal, form=form, measurement=measurement)
    if form.is_bound and form.is_valid():
        try:
            services.mark_measurement_in_error(
                measurement=measurement,
                expected_version=form.cleaned_data["version"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except StaleVersionError as error:
            open_form.measurement = error.current
            open_form.conflict = True
            open_form.form = InErrorForm(
                initial={**form.cleaned_data, "version": error.current.version}, auto_id=form.auto_id
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _goal_card(request, plan, goal)
    return _form(request, plan, open_form, "in-error-form" if form.is_bound else "measurement-row")


def _form(
    request: HtmxHttpRequest, plan: CarePlan, open_form: MeasurementFormOpen, partial: str
) -> HttpResponse:
    if not request.htmx:
        return whole_page(request, plan.pk, open_form, status=open_form.status)
    context = {
        "plan": plan,
        "item": open_form.goal,
        "measurement": open_form.measurement,
        "open_form": open_form,
    }
    return render(request, f"{PROGRESS}#{partial}", context, status=open_form.status)


def _goal_card(request: HtmxHttpRequest, plan: CarePlan, goal: Goal) -> HttpResponse:
    """The goal's card again, with its latest value and chart; without JavaScript, back to it on the page."""
    if not request.htmx:
        return redirect(f"{reverse('careplans:plan-detail', args=[plan.pk])}#goal-{goal.pk}")
    plan = get_plan_with_sections(request.user, plan.pk)
    section = plan_sections(plan)["goals"]
    item = next(shown for shown in [*section.current, *section.ended] if shown.pk == goal.pk)
    context = {"plan": plan, "kind": "goal", "noun": "goal", "item": item, "focus": item}
    partial = "ended-item" if item.is_ended else "goal-item"
    return retarget(reswap(render(request, f"{PAGE}#{partial}", context), "outerHTML"), f"#goal-{goal.pk}")
