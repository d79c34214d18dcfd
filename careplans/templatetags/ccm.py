"""`{% ccm_checklist plan %}`: the plan page's care-management part (completeness, enrolment, copies given)."""

from __future__ import annotations

from typing import Any

from django import template

from careplans.ccm_forms import CopyGivenForm, NotApplicableForm
from careplans.ccm_models import PlanCopyGiven
from careplans.completeness import checklist, is_enrolled
from careplans.models import CarePlan

register = template.Library()


def checklist_context(plan: CarePlan) -> dict[str, Any]:
    """Three queries beyond the plan's loaded sections: the N/A marks, the enrolment, the last copy given."""
    elements = checklist(plan)
    return {
        "plan": plan,
        "elements": elements,
        "missing": [e for e in elements if not e.complete],
        "not_applicable_choices": [e for e in elements if not e.satisfied and not e.not_applicable_reason],
        "enrolled": is_enrolled(plan),
        "last_copy": PlanCopyGiven.objects.filter(plan=plan).select_related("given_by").first(),
        "na_form": NotApplicableForm(auto_id="na-%s"),
        "copy_form": CopyGivenForm(auto_id="copy-%s"),
    }


@register.inclusion_tag("careplans/partials/ccm_checklist.html")
def ccm_checklist(plan: CarePlan) -> dict[str, Any]:
    return checklist_context(plan)
