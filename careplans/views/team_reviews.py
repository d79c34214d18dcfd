"""A team's review schedule: plans, goals and community services whose review is overdue or due soon."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from careplans.models import CommunityService, Goal
from careplans.views.plan import HtmxHttpRequest
from careplans.worklist import REVIEW_HORIZON_DAYS, reviews_due
from teams.rules import not_found
from teams.selectors import teams_of


@never_cache
@require_GET
def team_reviews(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    """Overdue first, then due within the worklist's horizon; one query per list however large the panel."""
    team = teams_of(request.user).filter(pk=team_id).first()
    if team is None:
        raise not_found(request.user, "No such team", target=team_id)
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=REVIEW_HORIZON_DAYS)
    item_filter = {
        "plan__patient__team": team,
        "plan__status": "active",
        "next_review_on__isnull": False,
        "next_review_on__lte": horizon,
    }
    context = {
        "team": team,
        "today": today,
        "plans": list(reviews_due(request.user, today=today).filter(patient__team=team)),
        "goals": Goal.objects.filter(**item_filter)
        .exclude(status__in=Goal.END_STATUSES)
        .select_related("plan__patient")
        .order_by("next_review_on", "pk"),
        "services": CommunityService.objects.filter(**item_filter)
        .exclude(status__in=CommunityService.END_STATUSES)
        .select_related("plan__patient")
        .order_by("next_review_on", "pk"),
    }
    return render(request, "careplans/team_reviews.html", context)
