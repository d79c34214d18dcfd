"""Printing the plan: choose the options, wait for the PDF (HTMX polls), download it.

One page, careplans/plan_print.html; its `printout-status` partial answers the polling.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from careplans import services
from careplans.forms import PrintoutForm, add_service_errors
from careplans.models import CarePlan, PlanPrintout
from careplans.selectors import get_plan_for_user, get_printout_for_user, printouts_of
from careplans.views.plan import HtmxHttpRequest
from patients.access_log import record_access
from patients.models import AccessEvent

PAGE = "careplans/plan_print.html"
PRINTED_LANGUAGES = {code for code, _ in PlanPrintout._meta.get_field("language").choices}


def _initial(plan: CarePlan) -> dict[str, object]:
    patient = plan.patient
    language = patient.preferred_language if patient.preferred_language in PRINTED_LANGUAGES else "en"
    return {
        "document": PlanPrintout.Document.PATIENT_PLAN,
        "language": language,
        "large_print": patient.large_print,
        "recipient": PlanPrintout.Recipient.PATIENT,
        "delivery": PlanPrintout.Delivery.PRINTED,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def plan_print(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The print options, the printout just asked for (polling until ready) and every earlier print."""
    plan = get_plan_for_user(request.user, plan_id)
    form = PrintoutForm(request.POST or None, initial=_initial(plan), auto_id="print-%s", plan=plan)
    printout, status = None, 200
    if form.is_bound:
        if form.is_valid():
            try:
                printout = services.request_printout(plan=plan, actor=request.user, values=form.values())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                record_access(
                    request,
                    plan.patient,
                    subtype=AccessEvent.Subtype.PRINT,
                    what=f"PlanPrintout/{printout.pk}",
                    recipient=printout.recipient_name,
                )
        if printout is None:
            status = 422
        elif not request.htmx:
            return redirect(reverse("careplans:plan-print", args=[plan.pk]) + f"?printout={printout.pk}")
    elif request.GET.get("printout"):
        printout = get_printout_for_user(request.user, request.GET["printout"], plan_id=plan.pk)
    context = {"plan": plan, "patient": plan.patient, "form": form, "printout": printout}
    if request.htmx:
        return render(request, f"{PAGE}#print-panel", context, status=status)
    context["printouts"] = printouts_of(plan)
    return render(request, PAGE, context, status=status)


@never_cache
@require_GET
def printout_status(request: HtmxHttpRequest, plan_id: uuid.UUID, printout_id: int) -> HttpResponse:
    """The printout's status: polled every second until it is ready or failed."""
    printout = get_printout_for_user(request.user, printout_id, plan_id=plan_id)
    return render(request, f"{PAGE}#printout-status", {"plan": printout.plan, "printout": printout})


@never_cache
@require_GET
def printout_download(request: HtmxHttpRequest, plan_id: uuid.UUID, printout_id: int) -> FileResponse:
    """The PDF, streamed from storage, to someone on the patient's team."""
    printout = get_printout_for_user(request.user, printout_id, plan_id=plan_id)
    if not printout.is_ready:
        raise Http404("This printout is not ready")
    name = f"care-plan-{printout.plan.patient.family_name.lower()}-v{printout.plan_version}.pdf"
    return FileResponse(
        printout.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=name
    )
