"""Adding and editing a goal in place, with the plan's problems it addresses.

Like every other item (careplans.views.plan), plus the problems: one service call saves both.
"""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans import services
from careplans.forms import GoalForm, initial_for
from careplans.selectors import get_plan_for_user
from careplans.views.plan import HtmxHttpRequest, OpenForm, field_ids, form_data, plan_and_item, submit_form

GOAL = "goal"


@never_cache
@require_http_methods(["GET", "POST"])
def goal_new(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan_for_user(request.user, plan_id)
    form = GoalForm(form_data(request), plan=plan, actor=request.user, auto_id=field_ids(GOAL))
    open_form = OpenForm(plan=plan, kind=GOAL, mode="add", form=form, action=request.path)
    return submit_form(
        request,
        open_form,
        lambda data: services.add_goal(
            plan=plan, actor=request.user, values=form.values(), problems=data["problems"]
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def goal_edit(request: HtmxHttpRequest, plan_id: uuid.UUID, item_id: int) -> HttpResponse:
    plan, goal = plan_and_item(request, plan_id, GOAL, item_id)
    form = GoalForm(
        form_data(request), initial=initial_for(goal), plan=plan, item=goal, auto_id=field_ids(GOAL, goal)
    )
    open_form = OpenForm(plan=plan, kind=GOAL, mode="edit", form=form, action=request.path, item=goal)
    return submit_form(
        request,
        open_form,
        lambda data: services.update_goal(
            goal=goal,
            expected_version=data["version"],
            actor=request.user,
            changes=form.changes(),
            problems=data["problems"],
        ),
    )
