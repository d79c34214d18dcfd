"""Is the care plan complete? The CMS care-plan elements, each satisfied by content or marked N/A.

`checklist` reads the plan's sections through `.all()`, so a plan loaded by
`selectors.get_plan_with_sections` costs no query beyond the not-applicable marks.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from careplans.ccm_models import PlanElement, ProgramEnrolment
from careplans.models import CarePlan


def _current(items) -> list:
    return [item for item in items.all() if not item.is_ended]


# What real content satisfies each element.
RULES: dict[str, Callable[[CarePlan], bool]] = {
    PlanElement.PROBLEM_LIST: lambda plan: bool(_current(plan.problems)),
    PlanElement.OUTCOME_PROGNOSIS: lambda plan: any(
        p.expected_outcome.strip() and p.prognosis.strip() for p in _current(plan.problems)
    ),
    PlanElement.MEASURABLE_GOALS: lambda plan: any(g.is_measurable for g in _current(plan.goals)),
    PlanElement.SYMPTOM_MANAGEMENT: lambda plan: bool(_current(plan.symptom_plans)),
    PlanElement.INTERVENTIONS: lambda plan: bool(_current(plan.action_steps)),
    PlanElement.MEDICATIONS: lambda plan: bool(_current(plan.medications)),
    PlanElement.COMMUNITY_SERVICES: lambda plan: bool(_current(plan.community_services)),
    PlanElement.OUTSIDE_COORDINATION: lambda plan: any(m.user_id is None for m in _current(plan.care_team)),
    PlanElement.REVIEW_SCHEDULE: lambda plan: plan.next_review_due is not None,
}
HOW = {
    PlanElement.PROBLEM_LIST: "Add a current problem.",
    PlanElement.OUTCOME_PROGNOSIS: "Give a problem its expected outcome and prognosis.",
    PlanElement.MEASURABLE_GOALS: "Give a goal a measure and a target value.",
    PlanElement.SYMPTOM_MANAGEMENT: "Add a symptom plan.",
    PlanElement.INTERVENTIONS: "Add an action step, with who is responsible.",
    PlanElement.MEDICATIONS: "Add the current medications.",
    PlanElement.COMMUNITY_SERVICES: "Add a community service.",
    PlanElement.OUTSIDE_COORDINATION: "Add an outside specialist or agency to the care team.",
    PlanElement.REVIEW_SCHEDULE: "Set the next review date (activate or review the plan).",
}


@dataclass(frozen=True)
class Element:
    key: str
    label: str
    satisfied: bool
    not_applicable_reason: str = ""

    @property
    def complete(self) -> bool:
        return self.satisfied or bool(self.not_applicable_reason)

    @property
    def how(self) -> str:
        return HOW[self.key]


def checklist(plan: CarePlan) -> list[Element]:
    not_applicable = dict(plan.elements_not_applicable.values_list("element", "reason"))
    return [
        Element(
            key=key,
            label=label,
            satisfied=RULES[key](plan),
            not_applicable_reason=not_applicable.get(key, ""),
        )
        for key, label in PlanElement.choices
    ]


def missing_elements(plan: CarePlan) -> list[Element]:
    return [element for element in checklist(plan) if not element.complete]


def is_enrolled(plan: CarePlan, day: datetime.date | None = None) -> bool:
    """Is the plan's patient in a care-management program on `day` (today)?"""
    day = day or timezone.localdate()
    return (
        ProgramEnrolment.objects.filter(patient_id=plan.patient_id, started_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exists()
    )


def refuse_activation_if_incomplete(plan: CarePlan) -> None:
    """An enrolled patient's plan cannot be made active while a CMS element is missing (CCM-PLAN-23)."""
    if not is_enrolled(plan):
        return
    # Activating schedules the next review itself, so that element cannot be missing here.
    missing = [e for e in missing_elements(plan) if e.key != PlanElement.REVIEW_SCHEDULE]
    if missing:
        names = "; ".join(element.label for element in missing)
        raise ValidationError(
            {
                "status": f"The patient is enrolled in care management, so the plan must be complete first. Missing: {names}."
            }
        )
