from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from careplans.forms import add_service_errors
from careplans.models import CarePlan
from careplans.worklist import worklist_for
from patients import services
from patients.forms import EmergencyAccessForm
from patients.selectors import emergency_grants_for_lead, find_patient_by_exact_mrn, panel_for
from teams.selectors import is_member, teams_of

# A panel is a few hundred patients at most; past this many rows, searching beats scrolling.
ROW_LIMIT = 100


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def patient_list(request: HtmxHttpRequest) -> HttpResponse:
    """The home page: the signed-in user's worklist and patients; an HTMX search gets only the table rows."""
    query = request.GET.get("q", "").strip()
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
    context["emergency_grants"] = list(emergency_grants_for_lead(request.user)[:50])
    return render(request, "patients/patient_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def emergency_access(request: HtmxHttpRequest) -> HttpResponse:
    """Break-the-glass: find a patient outside one's teams by exact MRN, state why, and get access for a while."""
    form = EmergencyAccessForm(request.POST or None, initial={"mrn": request.GET.get("mrn", "")})
    mrn = request.POST.get("mrn") or request.GET.get("mrn", "")
    patient = find_patient_by_exact_mrn(request.user, mrn)
    status = 200
    if form.is_bound:
        if patient is None:
            form.add_error("mrn", "No patient with exactly this MRN in your practice.")
        elif form.is_valid():
            try:
                services.grant_emergency_access(
                    user=request.user, patient=patient, reason=form.cleaned_data["reason"]
                )
            except (ValidationError, PermissionDenied) as error:
                add_service_errors(
                    form, error if isinstance(error, ValidationError) else ValidationError(error)
                )
            else:
                plan = CarePlan.objects.filter(patient=patient).first()
                return redirect(reverse("careplans:plan-detail", args=[plan.pk]) if plan else "home")
        status = 422
    context = {
        "form": form,
        "patient": patient,
        "mrn": mrn.strip(),
        "on_team": patient is not None and is_member(request.user, patient.team_id),
    }
    return render(request, "patients/emergency_access.html", context, status=status)
