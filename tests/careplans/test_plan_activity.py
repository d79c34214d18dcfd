"""The worklist's "Mentions of you" and "Plans changed since you last looked".

Opening a plan records the visit (and reads the mentions in it); every service that changes a plan,
one of its items or its comments records who changed it and what.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from careplans import services
from careplans.comments import add_comment, record_plan_visit, retract_comment
from careplans.models import CarePlan, Goal, PlanActivity, Problem
from careplans.worklist import plans_changed_since_seen, unread_mentions, worklist_for
from teams import services as team_services
from teams.models import Membership, Team, User
from tests import factories

pytestmark = pytest.mark.django_db


def plan_for(team: Team, family_name: str, **fields) -> CarePlan:
    patient = factories.PatientFactory(team=team, family_name=family_name, given_name="Pat")
    return factories.CarePlanFactory(patient=patient, **fields)


def test_a_plan_i_opened_that_someone_else_changed_since_is_listed_with_who_and_what(
    nurse, physician, care_plan
):
    record_plan_visit(plan=care_plan, actor=nurse)
    goal = services.add_plan_item(
        plan=care_plan, model=Goal, actor=physician, values={"description": "Walk daily"}
    )

    [plan] = plans_changed_since_seen(nurse)

    assert plan == care_plan
    assert (plan.activity.changed_by, plan.activity.summary) == (physician, "added a goal")
    assert plan.last_seen_at < plan.activity.changed_at
    services.update_plan_item(item=goal, expected_version=1, actor=physician, changes={"barriers": "Knees"})
    assert plans_changed_since_seen(nurse).get().activity.summary == "changed a goal"


def test_opening_the_plan_again_takes_it_off_the_list(nurse, physician, care_plan):
    record_plan_visit(plan=care_plan, actor=nurse)
    add_comment(plan=care_plan, actor=physician, body="Looks good")

    record_plan_visit(plan=care_plan, actor=nurse)

    assert not plans_changed_since_seen(nurse).exists()


def test_my_own_changes_are_not_news_to_me(nurse, care_plan):
    record_plan_visit(plan=care_plan, actor=nurse)
    services.add_plan_item(plan=care_plan, model=Problem, actor=nurse, values={"condition": "Gout"})

    assert not plans_changed_since_seen(nurse).exists()


def test_a_plan_i_never_opened_is_not_listed(nurse, physician, care_plan):
    services.add_plan_item(plan=care_plan, model=Problem, actor=physician, values={"condition": "Gout"})

    assert not plans_changed_since_seen(nurse).exists()


def test_a_closed_plan_or_one_of_a_team_i_left_is_not_listed(nurse, physician, care_plan, team):
    record_plan_visit(plan=care_plan, actor=nurse)
    services.change_plan_status(
        plan=care_plan, expected_version=1, actor=physician, status="completed", reason="Met"
    )
    assert not plans_changed_since_seen(nurse).exists()

    other = plan_for(team, "Other")
    record_plan_visit(plan=other, actor=nurse)
    add_comment(plan=other, actor=physician, body="@nina.nurse see this")
    assert plans_changed_since_seen(nurse).get() == other
    lead = factories.UserFactory()
    factories.MembershipFactory(user=lead, team=team, is_team_lead=True)
    membership = Membership.objects.get(user=nurse)
    team_services.end_membership(membership=membership, expected_version=1, actor=lead, reason="Moved")
    assert not plans_changed_since_seen(nurse).exists()
    assert not unread_mentions(nurse).exists()


def changes(plan: CarePlan, actor: User) -> dict:
    goal = factories.GoalFactory(plan=plan, measure="HbA1c")
    problem = factories.ProblemFactory(plan=plan)
    measurement = services.record_goal_measurement(
        goal=goal, actor=actor, value=Decimal("8"), measured_on=timezone.localdate(), source="lab"
    )
    return {
        "added a problem": lambda: services.add_plan_item(
            plan=plan, model=Problem, actor=actor, values={"condition": "Gout"}
        ),
        "changed a problem": lambda: services.update_plan_item(
            item=problem, expected_version=1, actor=actor, changes={"prognosis": "Fair"}
        ),
        "set a problem to resolved": lambda: services.end_plan_item(
            item=problem, expected_version=1, actor=actor, status="resolved", reason="Better"
        ),
        "linked a goal to problems": lambda: services.set_goal_problems(
            goal=goal, problems=[problem], actor=actor
        ),
        "recorded a measurement": lambda: services.record_goal_measurement(
            goal=goal, actor=actor, value=Decimal("7"), measured_on=timezone.localdate(), source="lab"
        ),
        "marked a measurement in error": lambda: services.mark_measurement_in_error(
            measurement=measurement, expected_version=1, actor=actor, reason="Wrong patient"
        ),
        "changed the plan": lambda: services.update_care_plan(
            plan=plan, expected_version=1, actor=actor, changes={"strengths": "Grit"}
        ),
        "set the plan to on hold": lambda: services.change_plan_status(
            plan=plan, expected_version=1, actor=actor, status="on_hold", reason="Away"
        ),
        "reviewed the plan": lambda: services.record_plan_review(
            plan=plan, actor=actor, context="visit", patient_present=True, summary="Fine"
        ),
        "commented": lambda: add_comment(plan=plan, actor=actor, body="Hello"),
    }


@pytest.mark.parametrize(
    "summary",
    [
        "added a problem",
        "changed a problem",
        "set a problem to resolved",
        "linked a goal to problems",
        "recorded a measurement",
        "marked a measurement in error",
        "changed the plan",
        "set the plan to on hold",
        "reviewed the plan",
        "commented",
    ],
)
def test_every_change_to_a_plan_is_recorded_as_its_latest_activity(physician, care_plan, summary):
    change = changes(care_plan, physician)[summary]
    PlanActivity.objects.all().delete()  # Not patient data: only the latest change is kept.

    change()

    activity = PlanActivity.objects.get(plan=care_plan)
    assert (activity.changed_by, activity.summary) == (physician, summary)


def test_an_edit_that_changes_nothing_is_not_activity(physician, care_plan):
    problem = factories.ProblemFactory(plan=care_plan, prognosis="Fair")

    services.update_plan_item(
        item=problem, expected_version=1, actor=physician, changes={"prognosis": "Fair"}
    )

    assert not PlanActivity.objects.exists()


def test_my_unread_mentions_are_listed_newest_first(nurse, physician, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    first = add_comment(plan=care_plan, actor=nurse, body="@phil.physician sign the plan?")
    second = add_comment(
        plan=care_plan, actor=nurse, body="@phil.physician and this goal", item_kind="goal", item_id=goal.pk
    )
    add_comment(plan=care_plan, actor=physician, body="@nina.nurse not for Phil")

    assert [m.comment for m in unread_mentions(physician)] == [second, first]


def test_read_and_retracted_mentions_are_not_listed(nurse, physician, care_plan, team):
    retracted = add_comment(plan=care_plan, actor=nurse, body="@phil.physician oops")
    retract_comment(comment=retracted, expected_version=1, actor=nurse, reason="Wrong person")
    other = plan_for(team, "Other")
    add_comment(plan=other, actor=nurse, body="@phil.physician here")
    record_plan_visit(plan=other, actor=physician)

    assert not unread_mentions(physician).exists()


# The page


def test_the_home_page_lists_my_mentions_with_a_link_to_the_item(client, nurse, physician, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    add_comment(
        plan=care_plan,
        actor=nurse,
        body="@phil.physician <i>sign</i> please",
        item_kind="goal",
        item_id=goal.pk,
    )
    client.force_login(physician)

    response = client.get(reverse("home"))

    plan_url = reverse("careplans:plan-detail", args=[care_plan.pk])
    assertContains(
        response, '<h2 id="my-mentions-heading">Mentions of you <span class="badge">1</span></h2>', html=True
    )
    assertContains(
        response,
        f'<a href="{plan_url}#comments-goal-{goal.pk}">@phil.physician &lt;i&gt;sign&lt;/i&gt; please</a>',
    )
    assertContains(response, "On a goal")
    assertContains(response, "Nina Nurse, RN")


def test_the_home_page_lists_plans_changed_since_i_looked(client, nurse, physician, care_plan):
    client.force_login(nurse)
    client.get(reverse("careplans:plan-detail", args=[care_plan.pk]))
    services.add_plan_item(plan=care_plan, model=Problem, actor=physician, values={"condition": "Gout"})

    response = client.get(reverse("home"))

    assertContains(response, 'Plans changed since you last looked <span class="badge">1</span>')
    assertContains(response, "<td>Phil Physician, MD added a problem</td>", html=True)
    assertNotContains(response, "No plan has changed since you last looked.")


def test_empty_activity_sections_say_so(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.get(reverse("home"))

    assertContains(response, "No new mentions of you.")
    assertContains(response, "No plan has changed since you last looked.")


def test_the_home_page_costs_the_same_queries_for_2_changed_plans_with_mentions_as_for_25(
    client, nurse, physician, team
):
    def changed_plans(count: int, prefix: str) -> None:
        for n in range(count):
            plan = plan_for(team, f"{prefix}{n}")
            record_plan_visit(plan=plan, actor=physician)
            add_comment(plan=plan, actor=nurse, body="@phil.physician please look")

    client.force_login(physician)
    client.get(reverse("home"))  # the first request after signing in also touches the session
    changed_plans(2, "Small")
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse("home"))
    worklist = response.context["worklist"]
    assert (worklist["mentions"].count_label, worklist["changed_plans"].count_label) == ("2", "2")

    changed_plans(23, "Large")
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("home"))
    worklist = response.context["worklist"]
    assert (worklist["mentions"].count_label, worklist["changed_plans"].count_label) == ("20+", "20+")
    assert str(worklist["mentions"]).count('<th scope="row">') == 20

    assert len(large) == len(small), [query["sql"] for query in large.captured_queries]


def test_worklist_for_an_outsider_has_none_of_our_activity(nurse, physician, outsider, care_plan):
    add_comment(plan=care_plan, actor=nurse, body="@phil.physician hi")

    worklist = worklist_for(outsider)

    assert worklist.mentions.rows == worklist.changed_plans.rows == []
