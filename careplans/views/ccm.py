"""The care-management program's pages: the eligibility panel, the billing office's monthly CSV,
a plan's enrolment (consent) page, its time log with a timer, and the plan page's completeness checklist.

Each view checks access first (outsiders get 404), binds its form, calls one service of
careplans.ccm and renders its page or a named partial; 422 for invalid input, 409 for a stale edit.
"""

from __future__ import annotations

import csv
import datetime
import math
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import ccm, ccm_selectors
from careplans.ccm_forms import (
    CopyGivenForm,
    EndEnrolmentForm,
    EnrolForm,
    MonthField,
    NotApplicableForm,
    PanelFilterForm,
    ReportForm,
    TimeCorrectionForm,
    TimeEntryForm,
    TimeInErrorForm,
)
from careplans.ccm_models import ProgramEnrolment
from careplans.forms import add_service_errors
from careplans.models import CarePlan
from careplans.selectors import get_plan_for_user, get_plan_with_sections
from careplans.templatetags.ccm import checklist_context
from careplans.views.plan import HtmxHttpRequest
from teams.records import StaleVersionError
from teams.selectors import teams_of

PANEL = "careplans/ccm_panel.html"
PROGRAM = "careplans/plan_program.html"
TIME = "careplans/plan_time.html"
CHECKLIST = "careplans/partials/ccm_checklist.html"
REPORT_HEADER = [
    "month",
    "team",
    "mrn",
    "patient",
    "programs",
    "billing_practitioner",
    "clinical_staff_minutes",
    "billing_practitioner_minutes",
    "counted_minutes",
    "non_clinical_minutes_not_counted",
    "face_to_face_minutes_not_counted",
    "suggested_codes",
    "flags",
]


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@never_cache
@require_GET
def ccm_panel(request: HtmxHttpRequest) -> HttpResponse:
    """Patients with two or more chronic problems, their risk, enrolment, minutes and codes this month."""
    teams = list(teams_of(request.user))
    form = PanelFilterForm(request.GET or None, teams=teams)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    today = timezone.localdate()
    rows = ccm_selectors.panel(
        request.user,
        today=today,
        team_id=filters.get("team", ""),
        enrolled=filters.get("enrolled", ""),
        eligible_only=filters.get("show") != "all",
    )
    context = {"form": form, "rows": rows, "teams": teams, "today": today}
    return render(request, f"{PANEL}#panel-rows" if request.htmx else PANEL, context)


@never_cache
@require_GET
def ccm_report(request: HtmxHttpRequest) -> HttpResponse:
    """The month's CSV for the billing office: one row per enrolled patient of the team. Suggestions only."""
    form = ReportForm(request.GET)
    if not form.is_valid():
        return HttpResponse("Give a team and a month as YYYY-MM.", status=422, content_type="text/plain")
    team = ccm_selectors.team_for_user(request.user, form.cleaned_data["team"])
    month = form.cleaned_data["month"]
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ccm-{team.pk}-{month:%Y-%m}.csv"'},
    )
    writer = csv.writer(response)
    writer.writerow(REPORT_HEADER)
    for patient, month_row in ccm_selectors.month_report(team, month):
        row = [
            f"{month:%Y-%m}",
            team.name,
            patient.mrn,
            patient.display_name,
            " ".join(sorted(month_row.programs)).upper(),
            "; ".join(sorted(month_row.practitioners)),
            month_row.clinical_staff,
            month_row.practitioner,
            month_row.counted,
            month_row.non_clinical,
            month_row.face_to_face,
            month_row.suggestion.summary,
            " | ".join(month_row.suggestion.flags),
        ]
        writer.writerow([_cell(value) for value in row])
    return response


def _program_page(request, plan, *, enrol_form=None, end_form=None, status=200, conflict=""):
    enrolments = ProgramEnrolment.objects.filter(patient=plan.patient).select_related(
        "consent_obtained_by", "billing_practitioner"
    )
    open_enrolment = next((e for e in enrolments if e.status == ProgramEnrolment.Status.ENROLLED), None)
    if enrol_form is None:
        enrol_form = EnrolForm(
            team_id=plan.patient.team_id,
            initial={"consent_obtained_by": request.user.pk, "consent_obtained_at": timezone.localtime()},
            auto_id="enrol-%s",
        )
    if end_form is None and open_enrolment:
        end_form = EndEnrolmentForm(initial={"version": open_enrolment.version}, auto_id="end-%s")
    context = {
        "plan": plan,
        "patient": plan.patient,
        "enrolments": enrolments,
        "open_enrolment": open_enrolment,
        "enrol_form": enrol_form,
        "end_form": end_form,
        "conflict": conflict,
    }
    return render(request, PROGRAM, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def plan_program(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The patient's care-management enrolments, and enrolling them on recorded consent."""
    plan = get_plan_for_user(request.user, plan_id)
    if request.method == "GET":
        return _program_page(request, plan)
    form = EnrolForm(request.POST, team_id=plan.patient.team_id, auto_id="enrol-%s")
    if form.is_valid():
        try:
            ccm.enrol_patient(patient=plan.patient, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(request.path)
    return _program_page(request, plan, enrol_form=form, status=422)


@never_cache
@require_POST
def enrolment_end(request: HtmxHttpRequest, plan_id: uuid.UUID, enrolment_id: int) -> HttpResponse:
    """End an enrolment: it stays in force to the end of this month."""
    plan = get_plan_for_user(request.user, plan_id)
    enrolment = get_object_or_404(ProgramEnrolment, pk=enrolment_id, patient=plan.patient)
    form = EndEnrolmentForm(request.POST, auto_id="end-%s")
    if form.is_valid():
        try:
            ccm.end_enrolment(
                enrolment=enrolment,
                expected_version=form.cleaned_data["version"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except StaleVersionError:
            message = "Someone changed this enrolment after you opened it. Check it and try again."
            return _program_page(request, plan, status=409, conflict=message)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("careplans:plan-program", plan.pk)
    return _program_page(request, plan, end_form=form, status=422)


# The timer's start lives in the server-side session, so closing the tab or the clock on the
# user's computer cannot change the minutes.
def _timer_key(plan: CarePlan) -> str:
    return f"ccm-timer-{plan.pk}"


def _timer_started(request, plan: CarePlan) -> datetime.datetime | None:
    value = request.session.get(_timer_key(plan))
    return parse_datetime(value) if value else None


def _minutes(count: int) -> str:
    return f"{count} minute{'' if count == 1 else 's'}"


def _month(request) -> datetime.date:
    field = MonthField(required=False)
    try:
        return field.clean(request.GET.get("month")) or timezone.localdate().replace(day=1)
    except ValidationError:
        return timezone.localdate().replace(day=1)


def _time_page(
    request, plan, *, form=None, error_form=None, correct_form=None, status=200, notice="", month=None
):
    month = month or _month(request)
    months = ccm_selectors.patient_months([plan.patient_id], month)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "month": month,
        "month_row": months.get(plan.patient_id, ccm_selectors.PatientMonth()),
        "entries": ccm_selectors.time_entries(plan.patient, month),
        "form": form
        or TimeEntryForm(initial={"activity": request.GET.get("activity", "")}, auto_id="time-%s"),
        "error_form": error_form,
        "correct_form": correct_form,
        "timer_started": _timer_started(request, plan),
        "notice": notice,
    }
    return render(request, f"{TIME}#time-log" if request.htmx else TIME, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def plan_time(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The month's time log for the patient, and logging minutes by hand (or from the stopped timer)."""
    plan = get_plan_for_user(request.user, plan_id)
    if request.method == "GET":
        return _time_page(request, plan)
    form = TimeEntryForm(request.POST, auto_id="time-%s")
    if form.is_valid():
        try:
            entry = ccm.log_care_time(patient=plan.patient, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            notice = f"Logged {_minutes(entry.minutes)} on {entry.performed_on:%d %b %Y}."
            if not request.htmx:
                return redirect(f"{request.path}?month={entry.performed_on:%Y-%m}")
            return _time_page(request, plan, notice=notice, month=entry.performed_on.replace(day=1))
    return _time_page(request, plan, form=form, status=422)


@never_cache
@require_POST
def plan_timer(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Start the timer, or stop it and open the time form with its minutes and its local date."""
    plan = get_plan_for_user(request.user, plan_id)
    started = _timer_started(request, plan)
    if request.POST.get("action") == "start":
        if started is None:
            request.session[_timer_key(plan)] = timezone.now().isoformat()
        return _time_page(request, plan)
    if started is None:
        return _time_page(request, plan, notice="The timer was not running.")
    del request.session[_timer_key(plan)]
    minutes = max(1, math.ceil((timezone.now() - started).total_seconds() / 60))
    form = TimeEntryForm(
        initial={"minutes": minutes, "performed_on": timezone.localdate(started)}, auto_id="time-%s"
    )
    notice = f"Timer stopped at {_minutes(minutes)}. Choose the activity and save."
    return _time_page(request, plan, form=form, notice=notice)


@never_cache
@require_POST
def time_entry_error(request: HtmxHttpRequest, plan_id: uuid.UUID, entry_id: int) -> HttpResponse:
    """Mark a time entry entered in error, with the reason; it leaves the month's totals."""
    plan = get_plan_for_user(request.user, plan_id)
    entry = ccm_selectors.get_time_entry_for_user(request.user, entry_id, patient=plan.patient)
    form = TimeInErrorForm(request.POST, auto_id=f"error-{entry.pk}-%s")
    return _change_time_entry(
        request,
        plan,
        entry,
        form,
        lambda data: ccm.mark_time_entry_in_error(
            entry=entry, expected_version=data["version"], actor=request.user, reason=data["reason"]
        ),
        done="Marked entered in error.",
        form_name="error_form",
    )


@never_cache
@require_POST
def time_entry_correct(request: HtmxHttpRequest, plan_id: uuid.UUID, entry_id: int) -> HttpResponse:
    """Correct an entry's minutes with a reason; history keeps the minutes before, who and why."""
    plan = get_plan_for_user(request.user, plan_id)
    entry = ccm_selectors.get_time_entry_for_user(request.user, entry_id, patient=plan.patient)
    return _change_time_entry(
        request,
        plan,
        entry,
        TimeCorrectionForm(request.POST),
        lambda data: ccm.correct_care_time(
            entry=entry,
            expected_version=data["version"],
            actor=request.user,
            changes={"minutes": data["minutes"]},
            reason=data["reason"],
        ),
        done="Corrected.",
        form_name="correct_form",
    )


def _change_time_entry(
    request: HtmxHttpRequest,
    plan: CarePlan,
    entry: Any,
    form: forms.Form,
    change: Callable[[dict[str, Any]], Any],
    *,
    done: str,
    form_name: str,
) -> HttpResponse:
    """Run one change to a time entry: the month's page again, with a notice, a 409 or the form's 422."""
    month = entry.performed_on.replace(day=1)
    if form.is_valid():
        try:
            change(form.cleaned_data)
        except StaleVersionError:
            return _time_page(
                request, plan, status=409, month=month, notice="Someone changed this entry first."
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                return redirect(f"{reverse('careplans:plan-time', args=[plan.pk])}?month={month:%Y-%m}")
            return _time_page(request, plan, month=month, notice=done)
    form.entry_id = entry.pk
    return _time_page(request, plan, **{form_name: form}, status=422, month=month)


def plan_url(plan: CarePlan) -> str:
    return reverse("careplans:plan-detail", args=[plan.pk])


def _checklist(request, plan_id, form_name: str, form: forms.Form, status: int) -> HttpResponse:
    plan = get_plan_with_sections(request.user, plan_id)
    context = checklist_context(plan)
    context[form_name] = form
    return render(request, CHECKLIST, context, status=status)


@never_cache
@require_POST
def element_not_applicable(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Mark a care-plan element not applicable, with the reason."""
    plan = get_plan_for_user(request.user, plan_id)
    form = NotApplicableForm(request.POST, auto_id="na-%s")
    if form.is_valid():
        try:
            ccm.mark_element_not_applicable(plan=plan, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                return redirect(f"{plan_url(plan)}#completeness")
            return _checklist(request, plan.pk, "na_form", NotApplicableForm(auto_id="na-%s"), 200)
    return _checklist(request, plan.pk, "na_form", form, 422)


@never_cache
@require_POST
def copy_given(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Record that a copy of the plan was given to the patient or a caregiver."""
    plan = get_plan_for_user(request.user, plan_id)
    form = CopyGivenForm(request.POST, auto_id="copy-%s")
    if form.is_valid():
        ccm.record_plan_copy_given(plan=plan, actor=request.user, **form.cleaned_data)
        if not request.htmx:
            return redirect(f"{plan_url(plan)}#completeness")
        return _checklist(request, plan.pk, "copy_form", CopyGivenForm(auto_id="copy-%s"), 200)
    return _checklist(request, plan.pk, "copy_form", form, 422)
