"""Visit review mode and sign-off, and the signed plan versions compared with each other or with today.

Review mode (`/plans/<id>/review/`) is what a physician reads in the minutes of a visit:
what changed since the last sign-off, goals against their targets, overdue steps, and the
sign-off form (422 with what was typed when it is refused).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import services
from careplans.forms import add_service_errors
from careplans.models import (
    PLAN_ITEM_MODELS,
    ActionStep,
    CarePlan,
    Goal,
    GoalMeasurement,
    PlanReview,
    PlanVersion,
)
from careplans.selectors import get_plan_for_user
from careplans.snapshots import build_snapshot, diff_snapshots
from careplans.views.plan import HtmxHttpRequest
from teams.records import StaleVersionError

TODAY = "today"
SECTION_TITLES = {kind: model.SECTION for kind, model in PLAN_ITEM_MODELS.items()}


class SignOffForm(forms.Form):
    context = forms.ChoiceField(label="Kind of review", choices=PlanReview.Context.choices)
    patient_present = forms.TypedChoiceField(
        label="Was the patient present?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(label="Summary", widget=forms.Textarea(attrs={"rows": 3}))
    decisions = forms.CharField(label="Decisions", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NextReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    next_review_due = forms.DateField(label="Next review on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Why this date", max_length=200)


class CorrectionForm(forms.Form):
    note = forms.CharField(
        label="Correcting note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The sign-off stays as it was; this note is shown with it.",
    )


def _goals(plan: CarePlan) -> list[Goal]:
    """Open goals, each with `latest` set to its latest final measurement (two queries)."""
    final = GoalMeasurement.objects.filter(status=GoalMeasurement.Status.FINAL)
    goals = list(
        Goal.objects.filter(plan=plan)
        .exclude(status__in=Goal.END_STATUSES)
        .prefetch_related(Prefetch("measurements", final))
        .order_by("pk")
    )
    for goal in goals:
        goal.latest = max(goal.measurements.all(), key=lambda m: (m.measured_on, m.pk), default=None)
        goal.latest_meets_target = goal.latest is not None and goal.meets_target(goal.latest.value)
    return goals


def _sections(diff: Any) -> list[tuple[str, Any]]:
    return [(SECTION_TITLES[kind], section) for kind, section in diff.sections.items() if section]


@never_cache
@require_http_methods(["GET", "POST"])
def plan_review(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Review mode: the visit summary, the changes since the last sign-off, and signing off."""
    plan = get_plan_for_user(request.user, plan_id)
    form = SignOffForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.record_plan_review(plan=plan, actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                form.add_error(None, str(error))
            else:
                add_service_errors(form, error)
        else:
            return redirect(reverse("careplans:plan-review", args=[plan.pk]) + "?signed=1")
    return _review_page(request, plan, form=form)


@never_cache
@require_POST
def plan_next_review(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Set the next review date by hand, with a reason; a refused date comes back on the review page (422)."""
    plan = get_plan_for_user(request.user, plan_id)
    next_form = NextReviewForm(request.POST)
    if next_form.is_valid():
        try:
            services.set_next_review_date(
                plan=plan,
                expected_version=next_form.cleaned_data["version"],
                actor=request.user,
                next_review_due=next_form.cleaned_data["next_review_due"],
                reason=next_form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(next_form, error)
        except StaleVersionError:
            plan.refresh_from_db()
            next_form.add_error(
                None, "Someone changed this plan meanwhile: check the date shown and try again."
            )
            next_form.data = {**next_form.data.dict(), "version": str(plan.version)}
        else:
            return redirect(reverse("careplans:plan-review", args=[plan.pk]) + "?rescheduled=1")
    return _review_page(request, plan, form=SignOffForm(), next_form=next_form)


def _review_page(
    request: HtmxHttpRequest, plan: CarePlan, *, form: SignOffForm, next_form: NextReviewForm | None = None
) -> HttpResponse:
    last = PlanVersion.objects.filter(plan=plan).select_related("signed_by").first()
    today = timezone.localdate()
    diff = diff_snapshots(last.snapshot if last else None, build_snapshot(plan))
    context = {
        "plan": plan,
        "patient": plan.patient,
        "last_version": last,
        "changes": _sections(diff),
        "plan_changes": diff.plan_fields,
        "goals": _goals(plan),
        "overdue_steps": ActionStep.objects.filter(plan=plan, due_date__lt=today)
        .exclude(status__in=ActionStep.END_STATUSES)
        .order_by("due_date", "pk"),
        "form": form,
        "next_form": next_form or NextReviewForm(initial={"version": plan.version}),
        "signed": request.GET.get("signed") == "1",
        "rescheduled": request.GET.get("rescheduled") == "1",
    }
    failed = form.errors or (next_form is not None and next_form.errors)
    return render(request, "careplans/plan_review.html", context, status=422 if failed else 200)


def _snapshot(plan: CarePlan, which: str) -> tuple[str, dict[str, Any]]:
    if which == TODAY:
        return "Today", build_snapshot(plan)
    try:
        version = PlanVersion.objects.get(plan=plan, number=int(which))
    except (PlanVersion.DoesNotExist, ValueError):
        raise Http404("No such version") from None
    return f"Version {version.number}", version.snapshot


@never_cache
@require_GET
def plan_versions(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The signed versions; with `?old=<n>&new=<n or today>`, the difference between two of them."""
    plan = get_plan_for_user(request.user, plan_id)
    versions = PlanVersion.objects.filter(plan=plan).select_related("signed_by", "review").defer("snapshot")
    context: dict[str, Any] = {"plan": plan, "patient": plan.patient, "versions": versions}
    if "old" in request.GET and "new" in request.GET:
        old_label, old = _snapshot(plan, request.GET["old"])
        new_label, new = _snapshot(plan, request.GET["new"])
        diff = diff_snapshots(old, new)
        context |= {
            "compared": (old_label, new_label),
            "changes": _sections(diff),
            "plan_changes": diff.plan_fields,
        }
    return render(request, "careplans/plan_versions.html", context)


@never_cache
@require_GET
def plan_version(request: HtmxHttpRequest, plan_id: uuid.UUID, number: int) -> HttpResponse:
    """One signed version, read-only: every section as it stood at sign-off, and its correcting notes."""
    plan = get_plan_for_user(request.user, plan_id)
    return _version_page(request, plan, _version_of(plan, number), CorrectionForm())


@never_cache
@require_POST
def review_correction(request: HtmxHttpRequest, plan_id: uuid.UUID, number: int) -> HttpResponse:
    """Append a correcting note to a signed version's review; the sign-off itself never changes."""
    plan = get_plan_for_user(request.user, plan_id)
    version = _version_of(plan, number)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.add_review_correction(
                review=version.review, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("careplans:plan-version", plan.pk, number)
    return _version_page(request, plan, version, form)


def _version_of(plan: CarePlan, number: int) -> PlanVersion:
    try:
        return PlanVersion.objects.select_related("signed_by", "review").get(plan=plan, number=number)
    except PlanVersion.DoesNotExist:
        raise Http404("No such version") from None


def _version_page(
    request: HtmxHttpRequest, plan: CarePlan, version: PlanVersion, correction_form: CorrectionForm
) -> HttpResponse:
    sections = [
        (
            SECTION_TITLES[kind],
            [
                (item["_label"], item["status"])
                for item in version.snapshot["sections"].get(kind, {}).values()
            ],
        )
        for kind in PLAN_ITEM_MODELS
    ]
    context = {
        "plan": plan,
        "patient": plan.patient,
        "version": version,
        "sections": sections,
        "corrections": version.review.corrections.select_related("author").order_by("created_at"),
        "correction_form": correction_form,
    }
    return render(
        request, "careplans/plan_version.html", context, status=422 if correction_form.errors else 200
    )
