"""Outcome measures on a plan: record a PHQ-9, GAD-7 or AHC social needs screen, and see each one's trend.

One page per plan (careplans/measures.html). The form for one instrument opens on the same page
(`?instrument=phq9`); a valid POST calls `services.record_instrument_response` and returns to the
page, an invalid one answers 422 with what was typed.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans import measures, services, trend_charts
from careplans.forms import add_service_errors, instrument_form_class
from careplans.models import CarePlan, InstrumentResponse
from careplans.selectors import get_plan_for_user
from careplans.views.plan import HtmxHttpRequest


@never_cache
@require_http_methods(["GET", "POST"])
def plan_measures(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Every measure's trend, and the form for one instrument when one is chosen."""
    plan = get_plan_for_user(request.user, plan_id)
    slug = request.POST.get("instrument") or request.GET.get("instrument")
    form = None
    if slug:
        if slug not in measures.INSTRUMENTS:
            raise Http404("No such measure")
        data = request.POST if request.method == "POST" else None
        form = instrument_form_class(slug)(data, plan=plan, auto_id=f"{slug}-%s")
        if form.is_valid():
            try:
                response = services.record_instrument_response(
                    plan=plan, actor=request.user, instrument=slug, **form.values()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                url = reverse("careplans:measures", args=[plan.pk])
                return redirect(f"{url}?recorded={response.pk}#{slug}-trend")
    status = 422 if form is not None and form.errors else 200
    return render(request, "careplans/measures.html", _context(plan, form, slug, request), status=status)


def _context(plan: CarePlan, form, slug: str | None, request: HtmxHttpRequest) -> dict:
    responses = list(
        InstrumentResponse.objects.filter(plan=plan, status=InstrumentResponse.Status.FINAL).order_by(
            "answered_on", "id"
        )
    )
    trends = []
    for instrument in measures.INSTRUMENTS.values():
        rows = [r for r in responses if r.instrument == instrument.slug]
        points = [
            trend_charts.Point(trend_charts.month_label(r.answered_on), r.total)
            for r in rows
            if r.total is not None
        ]
        chart = trend_charts.line_chart(
            title=f"{instrument.name}: total score over time",
            points=points,
            maximum=instrument.maximum,
            bands=[lowest for lowest, _band in instrument.bands if lowest],
        )
        trends.append({"instrument": instrument, "rows": rows, "chart": chart})
    recorded = next((r for r in responses if str(r.pk) == request.GET.get("recorded")), None)
    return {
        "plan": plan,
        "patient": plan.patient,
        "form": form,
        "slug": slug,
        "instruments": measures.INSTRUMENTS.values(),
        "trends": trends,
        "recorded": recorded,
    }
