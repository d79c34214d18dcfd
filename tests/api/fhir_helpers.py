"""A full synthetic plan for the FHIR tests, and the checks every exported Bundle must pass."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from careplans.models import CarePlan, GoalMeasurement, GoalProblem
from tests import factories


def full_plan(plan: CarePlan, *, nurse, physician) -> CarePlan:
    """Every exported section, with links between them, ended items, and one Part 2 problem and release."""
    today = timezone.localdate()
    plan.strengths = "Loves to cook; daughter nearby."
    plan.responsible_member = nurse
    plan.save()
    release = factories.InformationReleaseFactory(plan=plan, recipient_organization="Riverside")
    part2_release = factories.InformationReleaseFactory(
        plan=plan, recipient_name="Harbor Recovery Clinic", covers_part2=True, part2_protected=True
    )
    diabetes = factories.ProblemFactory(plan=plan, onset_date=today - datetime.timedelta(days=900))
    factories.ProblemFactory(
        plan=plan,
        condition="Heart failure",
        code="84114007",
        status="resolved",
        status_reason="Echo normal after treatment.",
    )
    oud = factories.ProblemFactory(
        plan=plan, condition="Opioid use disorder", code="F11.20", part2_protected=True
    )
    goal = factories.GoalFactory(
        plan=plan, responsible_party="team_member", responsible_member=nurse, barriers="Night shifts."
    )
    GoalProblem.objects.create(goal=goal, problem=diabetes)
    GoalProblem.objects.create(goal=goal, problem=oud)
    factories.GoalFactory(
        plan=plan,
        description="Dance at my niece's wedding.",
        measure="",
        unit="",
        baseline_value=None,
        baseline_date=None,
        target_comparator="",
        target_value=None,
        kind="life",
        expressed_by="patient",
    )
    part2_goal = factories.GoalFactory(
        plan=plan,
        description="Stay in recovery.",
        measure="",
        unit="",
        baseline_value=None,
        baseline_date=None,
        target_comparator="",
        target_value=None,
        part2_protected=True,
    )
    GoalMeasurement.objects.create(
        goal=goal, value=Decimal("8.70"), measured_on=today - datetime.timedelta(days=5)
    )
    factories.ActionStepFactory(plan=plan, goal=goal)
    factories.ActionStepFactory(
        plan=plan,
        description="Call to check sugars.",
        responsible_party="team_member",
        responsible_member=physician,
        is_urgent=True,
    )
    factories.ActionStepFactory(plan=plan, goal=part2_goal, description="Attend group on Tuesdays.")
    factories.MedicationFactory(plan=plan, start_date=today - datetime.timedelta(days=100))
    factories.MedicationFactory(
        plan=plan,
        name="Buprenorphine/naloxone",
        dose="8 mg",
        formulation="film",
        route="under the tongue",
        frequency="once a day",
        indication="Opioid use disorder",
        part2_protected=True,
    )
    factories.CommunityServiceFactory(
        plan=plan, status="referred", permission_to_exchange=True, release=release, barrier_addressed="Food"
    )
    factories.CommunityServiceFactory(
        plan=plan,
        category="recovery_support",
        organization_name="Harbor Peers",
        permission_to_exchange=True,
        release=part2_release,
    )
    factories.CareTeamMemberFactory(plan=plan, is_primary_contact=True, phone="555-0199")
    factories.CareTeamMemberFactory(
        plan=plan,
        name="",
        organization="",
        user=physician,
        role="physician",
        responsibilities="Reviews the plan at each visit.",
    )
    factories.CareTeamMemberFactory(
        plan=plan,
        name="Sam Sponsor",
        role="counselor",
        part2_protected=True,
        responsibilities="Recovery counselling.",
    )
    return plan


def validate(bundle: dict[str, Any]) -> Bundle:
    """Parse the Bundle and each entry's resource with the fhir.resources R4B models (a failure raises)."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return Bundle.model_validate(bundle)


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def all_text(bundle: dict[str, Any]) -> str:
    import json

    return json.dumps(bundle)
