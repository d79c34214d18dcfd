"""What matters most (Patient Priorities Care) and shared decisions (AHRQ SHARE) on the plan page."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains

from careplans import services
from careplans.models import SharedDecision
from careplans.worklist import action_steps_assigned_to
from tests import factories

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
TODAY = datetime.date.today()


def test_the_priorities_are_edited_in_place_and_shown_at_the_top_of_the_plan(client, nurse, care_plan):
    client.force_login(nurse)
    url = reverse("careplans:plan-part-edit", args=[care_plan.pk, "priorities"])
    form = client.get(url, headers=HTMX)
    assertContains(form, "Edit what matters most")
    assertContains(form, 'for="plan-priorities-one_thing"')
    data = {
        "version": care_plan.version,
        "priority_values": "Independence; time with grandchildren",
        "one_thing": "Walk to church without stopping for breath",
        "willing_and_able": "Daily pills; not insulin injections",
        "helpful_care": "Phone check-ins",
        "burdensome_care": "Long bus rides to the clinic",
    }
    saved = client.post(url, data, headers=HTMX)
    assert saved.status_code == 200
    assertContains(saved, 'id="priorities"')
    care_plan.refresh_from_db()
    assert care_plan.one_thing == "Walk to church without stopping for breath"
    page = client.get(reverse("careplans:plan-detail", args=[care_plan.pk])).content.decode()
    assert page.index("Walk to church without stopping") < page.index('id="problems"')


def test_a_goal_says_which_priority_it_serves(client, nurse, care_plan):
    factories.GoalFactory(plan=care_plan, serves="one_thing")
    client.force_login(nurse)
    response = client.get(reverse("careplans:plan-detail", args=[care_plan.pk]))
    assertContains(response, "<dt>Serves</dt><dd>The one thing</dd>", html=False)


def test_a_decision_cannot_be_reached_without_two_options_and_what_the_patient_values(care_plan, nurse):
    with pytest.raises(ValidationError) as error:
        services.add_plan_item(
            plan=care_plan,
            model=SharedDecision,
            actor=nurse,
            values={"question": "Statin?", "options": "Start a statin", "decision": "Start a statin"},
        )
    assert set(error.value.error_dict) == {"options", "patient_values"}


def test_a_decision_with_one_reasonable_option_says_why(care_plan, nurse):
    decision = services.add_plan_item(
        plan=care_plan,
        model=SharedDecision,
        actor=nurse,
        values={
            "question": "Antibiotics for the wound infection?",
            "options": "Oral antibiotics",
            "only_one_option_reason": "Allergic to the alternatives",
            "patient_values": "Wants to stay at home",
            "decision": "Oral antibiotics for 7 days",
        },
    )
    assert decision.status == SharedDecision.Status.ACTIVE


def test_a_decision_can_only_link_to_goals_and_problems_of_its_own_plan(care_plan, nurse):
    other_problem = factories.ProblemFactory()
    with pytest.raises(ValidationError) as error:
        services.add_plan_item(
            plan=care_plan,
            model=SharedDecision,
            actor=nurse,
            values={"question": "Statin?", "options": "Yes\nNo", "problem": other_problem},
        )
    assert "problem" in error.value.error_dict


def test_the_decision_form_offers_only_this_plans_goals_and_problems(client, nurse, care_plan):
    mine = factories.ProblemFactory(plan=care_plan, condition="Hyperlipidemia")
    factories.ProblemFactory(condition="Someone else's gout")
    client.force_login(nurse)
    html = client.get(
        reverse("careplans:item-new", args=[care_plan.pk, "decision"]), headers=HTMX
    ).content.decode()
    assert mine.condition in html and "Someone else" not in html


def test_an_urgent_step_comes_first_on_the_worklist_with_a_badge(client, nurse, care_plan):
    care_plan.status = "active"
    care_plan.save()
    factories.ActionStepFactory(
        plan=care_plan,
        responsible_party="team_member",
        responsible_member=nurse,
        due_date=TODAY - datetime.timedelta(days=5),
    )
    services.record_instrument_response(
        plan=care_plan,
        actor=nurse,
        instrument="phq9",
        answers={**{f"phq{n}": 0 for n in range(1, 9)}, "phq9": 1},
        answered_on=TODAY,
    )
    steps = list(action_steps_assigned_to(nurse))
    assert [step.is_urgent for step in steps] == [True, False]
    client.force_login(nurse)
    assertContains(client.get(reverse("home")), '<span class="badge badge-alert">Urgent</span>')
