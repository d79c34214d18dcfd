"""The care-plan page, and editing its section items in place.

One URL and one template: HTMX requests get named partials of careplans/plan_detail.html,
other requests the whole page. Validation errors answer 422 and edit conflicts 409, which
base.html tells htmx to swap like a success.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails

from careplans import page_cache, services
from careplans.comments import record_plan_visit
from careplans.forms import (
    Conflict,
    EndForm,
    ReopenForm,
    add_service_errors,
    conflict_between,
    initial_for,
    item_form_class,
)
from careplans.models import PLAN_ITEM_MODELS, CarePlan, Goal, PlanItem
from careplans.selectors import (
    get_item_for_user,
    get_plan_for_user,
    get_plan_with_sections,
    item_as_of_version,
    with_sections,
)
from patients.models import AccessEvent, RelatedPerson
from patients.selectors import current_emergency_access, get_related_person_for_user
from teams.records import StaleVersionError

security_log = logging.getLogger("careweave.security")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Section:
    """A section's items: the current ones, and the ended ones the page shows collapsed."""

    current: list[Any]
    ended: list[Any]


def _split(items: Iterable[Any], *, is_ended: Callable[[Any], bool] = lambda item: item.is_ended) -> Section:
    current: list[Any] = []
    ended: list[Any] = []
    for item in items:
        (ended if is_ended(item) else current).append(item)
    return Section(current=current, ended=ended)


def _with_latest_measurement(goals: Iterable[Goal]) -> list[Goal]:
    """Set `latest_measurement` and `latest_meets_target` on each goal from its prefetched measurements.

    Computed here rather than with `.latest()` in the template, which would query once per goal.
    """
    goals = list(goals)
    for goal in goals:
        latest = max(goal.measurements.all(), key=lambda m: (m.measured_on, m.pk), default=None)
        goal.latest_measurement = latest
        goal.latest_meets_target = latest is not None and goal.meets_target(latest.value)
    return goals


def plan_sections(plan: CarePlan) -> dict[str, Section]:
    """Every list section of a plan loaded by `get_plan_with_sections`, without further queries."""
    return {
        "problems": _split(plan.problems.all()),
        "goals": _split(_with_latest_measurement(plan.goals.all())),
        "action_steps": _split(plan.action_steps.all()),
        "medications": _split(plan.medications.all()),
        "symptom_plans": _split(plan.symptom_plans.all()),
        "community_services": _split(plan.community_services.all()),
        "care_team": _split(plan.care_team.all()),
        "information_releases": _split(plan.information_releases.all()),
        "education": _split(plan.education.all()),
        "decisions": _split(plan.decisions.all()),
        "related_people": _split(
            plan.patient.related_people.all(),
            is_ended=lambda person: person.status == RelatedPerson.Status.ENDED,
        ),
    }


def sections_context(plan: CarePlan) -> dict[str, Any]:
    """What the page's sections are rendered from: the plan loaded by `with_sections`, split by section."""
    return {"plan": plan, "patient": plan.patient, "sections": plan_sections(plan)}


@never_cache
@require_GET
def plan_detail(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The whole care plan, in a fixed number of queries however large it grows.

    Opening it counts as looking at it: the worklist's "changed since you last looked" starts
    from now, and the user's mentions in it are read.
    """
    plan = get_plan_for_user(request.user, plan_id, emergency=True)
    if plan.on_team:
        record_plan_visit(plan=plan, actor=request.user)
    else:  # Emergency access: a look, not a visit to one's own plan; the access log marks it ETREAT.
        request.access_purpose = AccessEvent.Purpose.EMERGENCY
        security_log.info(
            "emergency access view",
            extra={"user_id": request.user.pk, "patient_id": str(plan.patient_id), "purpose": "ETREAT"},
        )
    return whole_page(request, plan_id, plan=plan)


# Editing items: each view checks access first, then binds its form and hands `submit_form` one service call.
PAGE = "careplans/plan_detail.html"
# Partials of the plan page defined in a file of their own, included by the page.
PARTNERING = "careplans/plan_partnering.html"
PARTIAL_TEMPLATES = {"priorities": PARTNERING, "decisions": PARTNERING, "decision-item": PARTNERING}
DISCUSSION = "careplans/partials/comments.html#plan-discussion"


def page_partial(name: str) -> str:
    """The template name that renders one named partial of the plan page on its own."""
    return f"{PARTIAL_TEMPLATES.get(name, PAGE)}#{name}"


# What a form on the page can edit: the section items, and the patient's related people
# (careplans.views.related_people), which the page shows and edits the same way.
RELATED_PERSON = "related-person"
FORM_KINDS: dict[str, Any] = {**PLAN_ITEM_MODELS, RELATED_PERSON: RelatedPerson}


@dataclass
class OpenForm:
    """A form open on the plan page: adding to a section, or editing, ending or reopening one item."""

    plan: CarePlan
    kind: str
    mode: str  # "add", "edit", "end" or "reopen"
    form: forms.Form
    action: str
    item: PlanItem | None = None
    conflict: Conflict | None = None

    @property
    def model(self) -> type[PlanItem]:
        return FORM_KINDS[self.kind]

    @property
    def dom_id(self) -> str:
        return f"{self.kind}-{self.item.pk if self.item else 'new'}"

    @property
    def wrapper(self) -> str:
        """The partial the form sits in: the add slot, the item's row or card, or its line among the ended."""
        if self.item is None:
            return "item-add"
        return "ended-item" if self.item.is_ended else f"{self.kind}-item"


def _item_model(kind: str) -> type[PlanItem]:
    try:
        return PLAN_ITEM_MODELS[kind]
    except KeyError:
        raise Http404("No such kind of plan item") from None


def _section(model: type[PlanItem]) -> str:
    """The key of an item type's section in `plan_sections`; with hyphens, its DOM id and partial name."""
    if model is RelatedPerson:
        return "related_people"
    return model._meta.get_field("plan").remote_field.related_name


def plan_and_item(
    request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int
) -> tuple[CarePlan, PlanItem]:
    """The plan and one of its items, or 404: for outsiders, and for an item of another plan."""
    model = _item_model(kind)
    plan = get_plan_for_user(request.user, plan_id)
    return plan, get_item_for_user(request.user, model, item_id, plan_id=plan.pk)


def plan_and_person(
    request: HtmxHttpRequest, plan_id: uuid.UUID, person_id: int
) -> tuple[CarePlan, RelatedPerson]:
    """The plan and one of its patient's related people, or 404 as for items."""
    plan = get_plan_for_user(request.user, plan_id)
    return plan, get_related_person_for_user(request.user, person_id, patient_id=plan.patient_id)


def field_ids(kind: str, item: PlanItem | None = None) -> str:
    """Field ids unique on the page, where several forms may be open at once."""
    return f"{kind}-{item.pk if item else 'new'}-%s"


def form_data(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def whole_page(
    request: HtmxHttpRequest,
    plan_id: uuid.UUID,
    open_form: Any = None,
    status: int = 200,
    *,
    plan: CarePlan | None = None,
) -> HttpResponse:
    """The whole page; `open_form` is a form open on it (an `OpenForm`, or `plan_details.OpenPlanForm`).

    `plan` is the plan as `get_plan_for_user(..., emergency=True)` returned it, when the caller has it.
    """
    plan = plan or get_plan_for_user(request.user, plan_id, emergency=True)
    if not plan.on_team or open_form is not None:  # Emergency access, or a form open: all afresh.
        plan = with_sections(plan)
        context = sections_context(plan)
        if not plan.on_team:
            context["emergency_access"] = current_emergency_access(request.user, plan.patient)
        context["plan_form" if hasattr(open_form, "part") else "open_form"] = open_form
        return render(request, PAGE, context, status=status)

    def render_sections(extra: dict[str, Any]) -> str:
        context = {**sections_context(with_sections(plan)), **extra}
        return render_to_string(page_partial("plan-sections"), context, request)

    def render_discussion(extra: dict[str, Any]) -> str:
        return render_to_string(DISCUSSION, {"plan": plan, **extra}, request)

    fragments = page_cache.cached_fragments(
        request, plan, {page_cache.SECTIONS: render_sections, page_cache.DISCUSSION: render_discussion}
    )
    context = {
        "plan": plan,
        "patient": plan.patient,
        "sections_html": fragments[page_cache.SECTIONS],
        "discussion_html": fragments[page_cache.DISCUSSION],
    }
    return render(request, PAGE, context, status=status)


def submit_form(
    request: HtmxHttpRequest, open_form: OpenForm, save: Callable[[dict[str, Any]], PlanItem]
) -> HttpResponse:
    """Run `save` (one service call) on a valid POST; answer with the section, or the form again.

    The form comes back with 422 when the input or the service refused it, and with 409 and
    both versions side by side when someone else saved the item first.
    """
    form = open_form.form
    if form.is_bound and form.is_valid():
        try:
            item = save(form.cleaned_data)
        except StaleVersionError as error:
            seen = item_as_of_version(error.current, form.cleaned_data["version"])
            open_form.conflict = conflict_between(seen=seen, current=error.current, form=form)
            open_form.form = form.rebased(seen=seen, current=error.current)
            open_form.item = error.current
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(request, open_form.plan.pk, item)
    status = 409 if open_form.conflict else 422 if open_form.form.errors else 200
    if not request.htmx:
        return whole_page(request, open_form.plan.pk, open_form, status=status)
    partial = "item-form" if request.method == "POST" else open_form.wrapper
    context = {
        "plan": open_form.plan,
        "kind": open_form.kind,
        "noun": open_form.model._meta.verbose_name,
        "item": open_form.item,
        "open_form": open_form,
    }
    return render(request, page_partial(partial), context, status=status)


def _saved(request: HtmxHttpRequest, plan_id: uuid.UUID, item: PlanItem) -> HttpResponse:
    """After a change: the item's whole section again, so an ended item moves to its Ended list.

    Without JavaScript, back to the section on the plan page.
    """
    section = _section(type(item)).replace("_", "-")
    if not request.htmx:
        return redirect(f"{reverse('careplans:plan-detail', args=[plan_id])}#{section}")
    plan = get_plan_with_sections(request.user, plan_id)
    context = {**sections_context(plan), "focus": item}
    response = render(request, page_partial(section), context)
    return retarget(reswap(response, "outerHTML"), f"#{section}")


@never_cache
@require_http_methods(["GET", "POST"])
def item_new(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str) -> HttpResponse:
    """Add an item to a section."""
    model = _item_model(kind)
    plan = get_plan_for_user(request.user, plan_id)
    form = item_form_class(model)(form_data(request), plan=plan, actor=request.user, auto_id=field_ids(kind))
    open_form = OpenForm(plan=plan, kind=kind, mode="add", form=form, action=request.path)
    return submit_form(
        request,
        open_form,
        lambda data: services.add_plan_item(plan=plan, model=model, actor=request.user, values=form.values()),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def item_edit(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int) -> HttpResponse:
    """Change an item's fields, refusing to overwrite a version saved since the form was opened."""
    plan, item = plan_and_item(request, plan_id, kind, item_id)
    form = item_form_class(type(item))(
        form_data(request), initial=initial_for(item), plan=plan, item=item, auto_id=field_ids(kind, item)
    )
    open_form = OpenForm(plan=plan, kind=kind, mode="edit", form=form, action=request.path, item=item)
    return submit_form(
        request,
        open_form,
        lambda data: services.update_plan_item(
            item=item, expected_version=data["version"], actor=request.user, changes=form.changes()
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def item_end(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int) -> HttpResponse:
    """End, resolve or retire an item, with a reason; it stays on record in the section's Ended list."""
    plan, item = plan_and_item(request, plan_id, kind, item_id)
    form = EndForm(
        form_data(request), initial={"version": item.version}, item=item, auto_id=field_ids(kind, item)
    )
    open_form = OpenForm(plan=plan, kind=kind, mode="end", form=form, action=request.path, item=item)
    return submit_form(
        request,
        open_form,
        lambda data: services.end_plan_item(
            item=item,
            expected_version=data["version"],
            actor=request.user,
            status=data["status"],
            reason=data["reason"],
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def item_reopen(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int) -> HttpResponse:
    """Bring an ended item back into the living plan, with a reason."""
    plan, item = plan_and_item(request, plan_id, kind, item_id)
    form = ReopenForm(
        form_data(request), initial={"version": item.version}, item=item, auto_id=field_ids(kind, item)
    )
    open_form = OpenForm(plan=plan, kind=kind, mode="reopen", form=form, action=request.path, item=item)
    return submit_form(
        request,
        open_form,
        lambda data: services.reopen_plan_item(
            item=item, expected_version=data["version"], actor=request.user, reason=data["reason"]
        ),
    )


@never_cache
@require_GET
def item_detail(request: HtmxHttpRequest, plan_id: uuid.UUID, kind: str, item_id: int) -> HttpResponse:
    """One item's row or card as the page shows it: what "Cancel" puts back in place of a form."""
    if kind == RELATED_PERSON:
        plan, item = plan_and_person(request, plan_id, item_id)
    else:
        plan, item = plan_and_item(request, plan_id, kind, item_id)
    if not request.htmx:
        return redirect(f"{reverse('careplans:plan-detail', args=[plan.pk])}#{kind}-{item.pk}")
    plan = get_plan_with_sections(request.user, plan_id)
    section = plan_sections(plan)[_section(type(item))]
    item = next(shown for shown in [*section.current, *section.ended] if shown.pk == item.pk)
    partial = "ended-item" if item.is_ended else f"{kind}-item"
    context = {"plan": plan, "kind": kind, "noun": type(item)._meta.verbose_name, "item": item, "focus": item}
    return render(request, page_partial(partial), context)
