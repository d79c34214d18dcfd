"""Editing the plan's own fields in place: its summary, strengths and preferences, additional information, status.

Each part of the plan page that shows some of the plan's fields is a named partial of
careplans/plan_detail.html; its "Edit" swaps the partial for the same partial with a form
open, and every answer (the form again with 422 or 409, or the part as saved) is that partial.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from careplans import services
from careplans.forms import (
    PLAN_PARTS,
    Conflict,
    PlanStatusForm,
    add_service_errors,
    conflict_between,
    plan_form_class,
)
from careplans.models import CarePlan
from careplans.selectors import get_plan_for_user, item_as_of_version
from careplans.views.plan import HtmxHttpRequest, page_partial, whole_page
from teams.records import StaleVersionError

# The partial of the plan page that shows each part; the plan's status sits in its summary.
PARTIALS = {
    "summary": "plan-summary",
    "status": "plan-summary",
    **{part: part for part in PLAN_PARTS if part != "summary"},
}


@dataclass
class OpenPlanForm:
    """A form open on one part of the plan page, editing the plan's own fields."""

    part: str
    form: forms.Form
    action: str
    conflict: Conflict | None = None

    @property
    def dom_id(self) -> str:
        return f"plan-{self.part}"


def _partial(part: str) -> str:
    try:
        return PARTIALS[part]
    except KeyError:
        raise Http404("No such part of the plan") from None


def _respond(
    request: HtmxHttpRequest, plan: CarePlan, part: str, open_form: OpenPlanForm | None = None
) -> HttpResponse:
    status = 409 if open_form and open_form.conflict else 422 if open_form and open_form.form.errors else 200
    if not request.htmx:
        return whole_page(request, plan.pk, open_form, status=status)
    # Shown as saved (or put back by "Cancel"): the part takes the focus, as an item's row does.
    focus_part = _partial(part) if open_form is None else None
    context = {"plan": plan, "patient": plan.patient, "plan_form": open_form, "focus_part": focus_part}
    return render(request, page_partial(_partial(part)), context, status=status)


def submit_plan_form(
    request: HtmxHttpRequest,
    plan: CarePlan,
    open_form: OpenPlanForm,
    save: Callable[[dict[str, Any]], CarePlan],
) -> HttpResponse:
    """Save a valid POST with one service call and show the part as saved; otherwise the form again."""
    form = open_form.form
    if form.is_bound and form.is_valid():
        try:
            plan = save(form.cleaned_data)
        except StaleVersionError as error:
            seen = item_as_of_version(error.current, form.cleaned_data["version"])
            open_form.conflict = conflict_between(seen=seen, current=error.current, form=form)
            open_form.form = form.rebased(seen=seen, current=error.current)
            plan = error.current
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                return redirect(
                    f"{reverse('careplans:plan-detail', args=[plan.pk])}#{_partial(open_form.part)}"
                )
            return _respond(request, plan, open_form.part)
    return _respond(request, plan, open_form.part, open_form)


@never_cache
@require_GET
def plan_part(request: HtmxHttpRequest, plan_id: uuid.UUID, part: str) -> HttpResponse:
    """One part of the plan as the page shows it: what "Cancel" puts back in place of a form."""
    _partial(part)
    plan = get_plan_for_user(request.user, plan_id)
    if not request.htmx:
        return redirect(f"{reverse('careplans:plan-detail', args=[plan.pk])}#{_partial(part)}")
    return _respond(request, plan, part)


@never_cache
@require_http_methods(["GET", "POST"])
def plan_part_edit(request: HtmxHttpRequest, plan_id: uuid.UUID, part: str) -> HttpResponse:
    """Change the plan fields one part of the page shows, refusing to overwrite a newer version."""
    if part not in PLAN_PARTS:
        raise Http404("No such part of the plan")
    plan = get_plan_for_user(request.user, plan_id)
    initial = {**model_to_dict(plan, fields=PLAN_PARTS[part]), "version": plan.version}
    data = request.POST if request.method == "POST" else None
    form = plan_form_class(part)(data, initial=initial, plan=plan, item=plan, auto_id=f"plan-{part}-%s")
    return submit_plan_form(
        request,
        plan,
        OpenPlanForm(part=part, form=form, action=request.path),
        lambda cleaned: services.update_care_plan(
            plan=plan, expected_version=cleaned["version"], actor=request.user, changes=form.changes()
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def plan_status(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Activate, put on hold, complete or revoke the plan, with a reason for anything but active."""
    plan = get_plan_for_user(request.user, plan_id)
    data = request.POST if request.method == "POST" else None
    initial = {"version": plan.version, "status": plan.status}
    form = PlanStatusForm(data, initial=initial, plan=plan, auto_id="plan-status-%s")
    return submit_plan_form(
        request,
        plan,
        OpenPlanForm(part="status", form=form, action=request.path),
        lambda cleaned: services.change_plan_status(
            plan=plan,
            expected_version=cleaned["version"],
            actor=request.user,
            status=cleaned["status"],
            reason=cleaned["reason"],
        ),
    )
