from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from careplans.worklist import worklist_for
from patients.selectors import panel_for
from teams.selectors import teams_of

# Past this many rows, searching beats scrolling; a page of 50 is what people expect from a search, and
# it keeps the page within its speed budget for a user on every team (docs/benchmarks.md, run 6).
ROW_LIMIT = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
def patient_list(request: HtmxHttpRequest) -> HttpResponse:
    """The home page: the signed-in user's worklist and patients; an HTMX search gets only the table rows."""
    # PostgreSQL refuses NUL in text, and no name contains one: dropped rather than failing the search.
    query = request.GET.get("q", "").replace("\x00", "").strip()
    patients = list(panel_for(request.user, query=query, limit=ROW_LIMIT + 1))
    context = {
        "query": query,
        "patients": patients[:ROW_LIMIT],
        "capped": len(patients) > ROW_LIMIT,
        "row_limit": ROW_LIMIT,
        "teams": teams_of(request.user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "patients/patient_list.html#patient-rows", context)
    context["worklist"] = worklist_for(request.user)
    return render(request, "patients/patient_list.html", context)
