"""A goal's form also links the plan's own problems it addresses; the card lists them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from careplans import services
from careplans.models import Goal
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def diabetes(care_plan):
    return factories.ProblemFactory(plan=care_plan, condition="Type 2 diabetes")


@pytest.fixture
def heart_failure(care_plan):
    return factories.ProblemFactory(plan=care_plan, condition="Heart failure", code="I50.9")


def is_checked(html: str, problem) -> bool:
    """Whether the problem's checkbox in the form is ticked."""
    return " checked" in re.search(rf'<input[^>]*value="{problem.pk}"[^>]*>', html).group(0)


def goal_fields(**overrides) -> dict:
    return {
        "description": "Walk to the park and back",
        "kind": "health",
        "term": "short",
        "expressed_by": "patient",
        "status": "active",
        "achievement_status": "in_progress",
        "priority": "medium",
        "responsible_party": "patient",
        **overrides,
    }


def test_the_goal_form_offers_only_this_plans_problems(client, nurse, care_plan, diabetes, team):
    elsewhere = factories.ProblemFactory(
        plan=factories.CarePlanFactory(patient=factories.PatientFactory(team=team)), condition="Gout"
    )
    client.force_login(nurse)
    response = client.get(reverse("careplans:item-new", args=[care_plan.pk, "goal"]), headers=HTMX)
    assertContains(response, "Problems this goal addresses")
    assertContains(response, f'value="{diabetes.pk}"')
    assertNotContains(response, f'value="{elsewhere.pk}"')


def test_adding_a_goal_links_the_chosen_problems_and_the_card_shows_them(
    client, nurse, care_plan, diabetes, heart_failure
):
    client.force_login(nurse)
    response = client.post(
        reverse("careplans:item-new", args=[care_plan.pk, "goal"]),
        goal_fields(problems=[diabetes.pk, heart_failure.pk]),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#goals"
    goal = Goal.objects.get(plan=care_plan)
    assert set(goal.problems.all()) == {diabetes, heart_failure}
    assertContains(response, "Addresses")
    assertContains(response, "Heart failure")


def test_another_plans_problem_is_refused_beside_the_field_and_nothing_typed_is_lost(
    client, nurse, care_plan, team
):
    elsewhere = factories.ProblemFactory(
        plan=factories.CarePlanFactory(patient=factories.PatientFactory(team=team)), condition="Gout"
    )
    client.force_login(nurse)
    response = client.post(
        reverse("careplans:item-new", args=[care_plan.pk, "goal"]),
        goal_fields(problems=[elsewhere.pk]),
        headers=HTMX,
    )
    assertContains(response, "Choose problems from this patient&#x27;s plan.", status_code=422)
    assertContains(response, "Walk to the park and back", status_code=422)
    assert not Goal.objects.filter(plan=care_plan).exists()


def test_editing_a_goal_starts_from_its_linked_problems_and_changes_them(
    client, nurse, care_plan, diabetes, heart_failure
):
    goal = services.add_goal(
        plan=care_plan, actor=nurse, values={"description": "Walk daily"}, problems=[diabetes]
    )
    url = reverse("careplans:item-edit", args=[care_plan.pk, "goal", goal.pk])
    client.force_login(nurse)
    form = client.get(url, headers=HTMX).content.decode()
    assert is_checked(form, diabetes) and not is_checked(form, heart_failure)

    response = client.post(
        url,
        goal_fields(description="Walk daily", problems=[heart_failure.pk], version=goal.version),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert list(goal.problems.all()) == [heart_failure]


def test_a_stale_goal_edit_is_a_conflict_that_keeps_the_chosen_problems(
    client, nurse, physician, care_plan, diabetes, heart_failure
):
    goal = services.add_goal(plan=care_plan, actor=nurse, values={"description": "Walk daily"}, problems=[])
    seen = goal.version
    services.update_plan_item(item=goal, expected_version=seen, actor=physician, changes={"barriers": "Rain"})
    client.force_login(nurse)

    response = client.post(
        reverse("careplans:item-edit", args=[care_plan.pk, "goal", goal.pk]),
        goal_fields(description="Walk daily", problems=[heart_failure.pk], version=seen),
        headers=HTMX,
    )

    assert response.status_code == 409
    assert is_checked(response.content.decode(), heart_failure)
    assert not goal.problems.exists()


def test_an_outsider_cannot_open_or_save_a_goal_form(client, outsider, care_plan, diabetes):
    client.force_login(outsider)
    url = reverse("careplans:item-new", args=[care_plan.pk, "goal"])
    assert client.get(url, headers=HTMX).status_code == 404
    assert client.post(url, goal_fields(problems=[diabetes.pk]), headers=HTMX).status_code == 404
