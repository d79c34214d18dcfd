"""The history pages: a plan's timeline, and one item's.

One template, careplans/plan_history.html: HTMX gets the `timeline` partial when the filter
changes and the `timeline-entries` partial for "Show older changes"; other requests the whole page.
"""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from careplans.forms import HistoryFilterForm
from careplans.history import KINDS, Page, item_timeline, plan_timeline
from careplans.selectors import get_plan_for_user
from careplans.views.plan import RELATED_PERSON, HtmxHttpRequest, plan_and_item, plan_and_person
from teams.selectors import team_members

TEMPLATE = "careplans/plan_history.html"


def _page_number(request: HtmxHttpRequest) -> int:
    page = request.GET.get("page", "1")
    return int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1


def _render(request: HtmxHttpRequest, context: dict, timeline: Page) -> HttpResponse:
    context["timeline"] = timeline
    query = request.GET.copy()
    query["page"] = timeline.number + 1
    context["next_query"] = query.urlencode()
    if not request.htmx or request.htmx.boosted:
        return render(request, TEMPLATE, context)
    partial = "timeline-entries" if timeline.number > 1 else "timeline"
    return render(request, f"{TEMPLATE}#{partial}", context)


@never_cache
@require_GET
def plan_history(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Everything that happened to the plan, newest first, filtered by kind of record or by person."""
    plan = get_plan_for_user(request.user, plan_id)
    form = HistoryFilterForm(
        request.GET if request.GET.keys() - {"page"} else None,
        kinds=KINDS,
        people=team_members(plan.patient.team_id),
        auto_id="history-%s",
    )
    kind, person = form.filters()
    timeline = plan_timeline(plan, kind=kind, user_id=person, page=_page_number(request))
    return _render(request, {"plan": plan, "patient": plan.patient, "form": form}, timeline)


@never_cache
@require_GET
def item_history(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int) -> HttpResponse:
    """Everything that happened to one item, newest first."""
    if kind == RELATED_PERSON:
        plan, item = plan_and_person(request, plan_id, item_id)
    else:
        plan, item = plan_and_item(request, plan_id, kind, item_id)
    timeline = item_timeline(plan, item, page=_page_number(request))
    context = {"plan": plan, "patient": plan.patient, "item": item, "kind": kind}
    context["noun"] = type(item)._meta.verbose_name
    return _render(request, context, timeline)
