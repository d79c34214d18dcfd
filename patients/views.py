from __future__ import annotations

import csv
import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from careplans import page_cache
from careplans.forms import add_service_errors
from careplans.models import CarePlan
from careplans.worklist import worklist_section
from patients import services
from patients.access_log import record_access
from patients.forms import AccessReportForm, EmergencyAccessForm
from patients.models import AccessEvent, Patient
from patients.selectors import (
    AccessReport,
    access_report,
    emergency_grants_for_lead,
    find_patient_by_exact_mrn,
    get_patient_for_privacy_officer,
    panel_rows,
)
from teams.models import Team, User
from teams.selectors import is_member, teams_of

ACCESS_REPORT = "patients/access_report.html"
# The page shows the newest reads; the CSV has them all.
ACCESS_ROWS = 500

PANEL = "panel"
# The worklist's sections by the partial that renders each. All are kept in the cache until what they
# show changes (careplans.page_cache.home_keys): those on the teams' plans, with the first page of the
# patient list, for everyone on the same teams; the user's own, for them alone.
HOME = "patients/patient_list.html"
ACTIVITY = "careplans/partials/worklist_activity.html"
TEAM_SECTIONS = {
    "reviews_due": f"{HOME}#reviews-due",
    "goals_off_track": f"{HOME}#goals-off-track",
    "referrals_waiting": f"{HOME}#referrals-waiting",
}
OWN_SECTIONS = {
    "action_steps": f"{HOME}#my-action-steps",
    "mentions": f"{ACTIVITY}#my-mentions",
    "changed_plans": f"{ACTIVITY}#changed-plans",
}
SECTION_TEMPLATES = {**TEAM_SECTIONS, **OWN_SECTIONS}
PATIENT_ROWS = f"{HOME}#patient-rows"

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
    context: dict[str, Any] = {"query": query, "row_limit": ROW_LIMIT}
    if request.htmx and not request.htmx.history_restore_request:
        context.update(_panel(request.user, query), oob_count=True)
        _record_list(request, query, context["shown"])
        return render(request, PATIENT_ROWS, context)
    teams = context["teams"] = list(teams_of(request.user))
    today = timezone.localdate()
    cached = page_cache.cached_values(
        home_cache_keys(request.user, [team.pk for team in teams], searched=bool(query)),
        lambda name: _render_home_fragment(request, name, teams, today),
    )
    panel = cached.pop(PANEL, None) or _rendered_panel(request, query, teams)
    context.update(shown=panel.shown, capped=panel.capped, patient_rows=panel, worklist=cached)
    _record_list(request, query, panel.shown)
    context["emergency_grants"] = list(emergency_grants_for_lead(request.user)[:50])
    return render(request, HOME, context)


def home_cache_keys(user: User, team_ids: list[int], *, searched: bool = False) -> dict[str, str]:
    """The cache keys of the home page's parts: sections by name, and the patient list's first page."""
    # The first page of the list, unsearched, is the same for the whole team; a search is not kept.
    shared = [*TEAM_SECTIONS] if searched else [*TEAM_SECTIONS, PANEL]
    return page_cache.home_keys(user, team_ids, shared=shared, own=OWN_SECTIONS)


def _panel(user: User, query: str) -> dict[str, Any]:
    rows = panel_rows(user, query=query, limit=ROW_LIMIT + 1)
    return {
        "rows": rows[:ROW_LIMIT],
        "shown": min(len(rows), ROW_LIMIT),
        "capped": len(rows) > ROW_LIMIT,
    }


def _record_list(request: HttpRequest, query: str, shown: int) -> None:
    record_access(request, None, subtype=AccessEvent.Subtype.SEARCH, query=query, result_count=shown)


@dataclass(frozen=True)
class Rendered:
    """A fragment of the home page as kept in the cache: its HTML and what the page's head shows of it."""

    html: str
    count_label: str = ""  # a worklist section's: "3", "20+"
    shown: int = 0  # the patient list's rows
    capped: bool = False

    def __str__(self) -> SafeString:  # {{ worklist.goals_off_track }} puts the section in the page
        return mark_safe(self.html)  # noqa: S308 - our own template's output, kept as rendered


def _render_home_fragment(
    request: HttpRequest, name: str, teams: list[Team], today: datetime.date
) -> Rendered:
    if name == PANEL:
        return _rendered_panel(request, "", teams)
    section = worklist_section(name, request.user, today=today)
    html = render_to_string(
        SECTION_TEMPLATES[name],
        {"worklist": {name: section, "today": today}, "teams": teams},
        request,
    )
    return Rendered(html=html, count_label=section.count_label)


def _rendered_panel(request: HttpRequest, query: str, teams: list[Team]) -> Rendered:
    context = {"query": query, "row_limit": ROW_LIMIT, "teams": teams, **_panel(request.user, query)}
    html = render_to_string(PATIENT_ROWS, context, request)
    return Rendered(html=html, shown=context["shown"], capped=context["capped"])


@never_cache
@require_GET
def patient_access_report(request: HtmxHttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Accounting of disclosures: who has seen or received the patient's record. Privacy officers only."""
    patient = get_patient_for_privacy_officer(request.user, patient_id)
    form = AccessReportForm(request.GET or None)
    context: dict[str, object] = {"patient": patient, "form": form}
    if form.is_bound and not form.is_valid():
        return render(request, ACCESS_REPORT, context, status=422)
    since, until = form.period()
    if request.GET.get("format") == "csv":
        record_access(request, patient, subtype=AccessEvent.Subtype.EXPORT, what="access-report.csv")
        return _access_report_csv(patient, access_report(patient, since=since, until=until))
    context["report"] = access_report(patient, since=since, until=until, limit=ACCESS_ROWS)
    context["csv_query"] = request.GET.copy()
    context["csv_query"]["format"] = "csv"
    return render(request, ACCESS_REPORT, context)


def _access_report_csv(patient: Patient, report: AccessReport) -> HttpResponse:
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="access-report-{patient.pk}.csv"'},
    )
    writer = csv.writer(response)
    writer.writerow(
        ["Section", "When (UTC)", "Who", "Role", "Action", "Outcome", "Purpose", "What", "Recipient", "From"]
    )
    for row in report.disclosures:
        writer.writerow(
            _cells(
                [
                    "Disclosure",
                    row.when.isoformat(),
                    row.by or "",
                    "",
                    row.how,
                    "",
                    "",
                    row.what,
                    row.recipient,
                    "",
                ]
            )
        )
    for event in report.reads:
        writer.writerow(
            _cells(
                [
                    "Access",
                    event.recorded.isoformat(),
                    event.agent or "anonymous",
                    event.agent_role,
                    event.get_subtype_display(),
                    event.get_outcome_display(),
                    event.get_purpose_display(),
                    event.what,
                    event.recipient,
                    event.source_address or "",
                ]
            )
        )
    return response


def _cells(values: list[object]) -> list[str]:
    """Text a spreadsheet will not run as a formula (CSV injection): a leading =, +, - or @ is quoted."""
    cells = [str(value) for value in values]
    return ["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in cells]


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
