"""Adding, editing and ending the patient's caregivers and related people on the plan page.

They belong to the patient (patients.services), not to the plan, but the page shows them as a
section and edits them exactly like its items: the same partials, the same 422 and 409.
"""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans.forms import EndForm, RelatedPersonForm, initial_for
from careplans.selectors import get_plan_for_user
from careplans.views.plan import (
    RELATED_PERSON,
    HtmxHttpRequest,
    OpenForm,
    field_ids,
    form_data,
    plan_and_person,
    submit_form,
)
from patients import services
from patients.services import RELATED_PERSON_EDITABLE


@never_cache
@require_http_methods(["GET", "POST"])
def person_new(request: HtmxHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan_for_user(request.user, plan_id)
    form = RelatedPersonForm(form_data(request), plan=plan, auto_id=field_ids(RELATED_PERSON))
    open_form = OpenForm(plan=plan, kind=RELATED_PERSON, mode="add", form=form, action=request.path)
    return submit_form(
        request,
        open_form,
        lambda data: services.add_related_person(
            patient=plan.patient, actor=request.user, values=form.values()
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def person_edit(request: HtmxHttpRequest, plan_id: uuid.UUID, item_id: int) -> HttpResponse:
    plan, person = plan_and_person(request, plan_id, item_id)
    initial = initial_for(person, fields=RELATED_PERSON_EDITABLE)
    form = RelatedPersonForm(
        form_data(request), initial=initial, plan=plan, item=person, auto_id=field_ids(RELATED_PERSON, person)
    )
    open_form = OpenForm(
        plan=plan, kind=RELATED_PERSON, mode="edit", form=form, action=request.path, item=person
    )
    return submit_form(
        request,
        open_form,
        lambda data: services.update_related_person(
            person=person, expected_version=data["version"], actor=request.user, changes=form.changes()
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def person_end(request: HtmxHttpRequest, plan_id: uuid.UUID, item_id: int) -> HttpResponse:
    """Record that someone is no longer part of the patient's life or care; they stay listed as ended."""
    plan, person = plan_and_person(request, plan_id, item_id)
    form = EndForm(
        form_data(request),
        initial={"version": person.version},
        item=person,
        auto_id=field_ids(RELATED_PERSON, person),
    )
    open_form = OpenForm(
        plan=plan, kind=RELATED_PERSON, mode="end", form=form, action=request.path, item=person
    )
    return submit_form(
        request,
        open_form,
        lambda data: services.end_related_person(
            person=person, expected_version=data["version"], actor=request.user, reason=data["reason"]
        ),
    )
