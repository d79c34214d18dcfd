"""Team comments on the plan page: the plan's discussion, each item's thread, adding and retracting in place.

A thread's URL serves its own page, and to HTMX the `comment-thread` partial; errors answer 422 with
what was typed, a retraction from an outdated page 409, and an outsider gets 404 everywhere.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from careplans.comments import add_comment, retract_comment
from careplans.models import CarePlan, Comment, CommentMention
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def plan_url(plan: CarePlan) -> str:
    return reverse("careplans:plan-detail", args=[plan.pk])


def thread_url(plan: CarePlan, item=None, kind: str = "goal") -> str:
    if item is None:
        return reverse("careplans:plan-comments", args=[plan.pk])
    return reverse("careplans:item-comments", args=[plan.pk, kind, item.pk])


def retract_url(comment: Comment) -> str:
    return reverse("careplans:comment-retract", args=[comment.plan_id, comment.pk])


@pytest.fixture
def goal(care_plan):
    return factories.GoalFactory(plan=care_plan, description="Walk to the shop")


def test_the_plan_page_has_a_team_discussion_with_the_plans_comments(client, nurse, physician, care_plan):
    add_comment(plan=care_plan, actor=physician, body="@nina.nurse <b>please</b> book the review\nthanks")
    client.force_login(nurse)

    response = client.get(plan_url(care_plan))

    assertContains(response, '<h2 id="team-discussion-heading">Team discussion</h2>', html=True)
    assertContains(response, '<a href="#team-discussion">Team discussion</a>', html=True)
    assertContains(
        response,
        '<mark class="mention" title="Nina Nurse, RN">@nina.nurse</mark> &lt;b&gt;please&lt;/b&gt; book the review<br>thanks',
    )
    assertContains(response, '<label for="comment-plan-body">Your comment on this plan</label>', html=True)


def test_each_item_shows_how_many_comments_it_has_not_counting_retracted_ones(client, nurse, care_plan, goal):
    problem = factories.ProblemFactory(plan=care_plan)
    for body in ("One", "Two", "Three"):
        add_comment(plan=care_plan, actor=nurse, body=body, item_kind="goal", item_id=goal.pk)
    retract_comment(
        comment=Comment.objects.get(body="Three"), expected_version=1, actor=nurse, reason="Duplicate"
    )
    client.force_login(nurse)

    response = client.get(plan_url(care_plan))

    html = response.content.decode()
    goal_comments = html[html.index(f'id="comments-goal-{goal.pk}"') :]
    assert f'<span class="badge" id="comment-count-goal-{goal.pk}">2</span>' in goal_comments[:600]
    problem_comments = html[html.index(f'id="comments-problem-{problem.pk}"') :]
    assert f'<span class="badge" id="comment-count-problem-{problem.pk}">0</span>' in problem_comments[:600]
    assertContains(response, f'hx-get="{thread_url(care_plan, goal)}" hx-trigger="toggle once"')


def test_an_htmx_request_gets_the_thread_alone_and_a_plain_one_the_threads_page(
    client, nurse, care_plan, goal
):
    add_comment(plan=care_plan, actor=nurse, body="Her daughter helps", item_kind="goal", item_id=goal.pk)
    client.force_login(nurse)

    partial = client.get(thread_url(care_plan, goal), headers=HTMX)
    page = client.get(thread_url(care_plan, goal))

    assert (
        partial.content.decode()
        .strip()
        .startswith(f'<div class="comment-thread" id="thread-goal-{goal.pk}">')
    )
    assertContains(partial, "Her daughter helps")
    assertNotContains(partial, "<html")
    assertContains(page, "<h1>Comments on the goal “Walk to the shop”</h1>", html=True)
    assertContains(page, "Her daughter helps")
    assertContains(page, f'href="{plan_url(care_plan)}#goal-{goal.pk}"')


def test_adding_a_comment_in_place_answers_with_the_thread_and_an_empty_form(
    client, nurse, physician, care_plan, goal
):
    client.force_login(nurse)

    response = client.post(
        thread_url(care_plan, goal), {"body": "@phil.physician can you sign?"}, headers=HTMX
    )

    assert response.status_code == 200
    assertContains(
        response, '<mark class="mention" title="Phil Physician, MD">@phil.physician</mark> can you sign?'
    )
    assertContains(response, '<p class="comment-notice" role="status">Your comment was added.</p>', html=True)
    assertNotContains(response, ">@phil.physician can you sign?</textarea>")
    comment = Comment.objects.get()
    assert (comment.item_kind, comment.item_id, comment.author) == ("goal", goal.pk, nurse)
    assert CommentMention.objects.get().mentioned == physician


def test_without_javascript_adding_a_comment_goes_back_to_the_threads_page(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(thread_url(care_plan), {"body": "Family meeting on Tuesday"})

    assertRedirects(response, thread_url(care_plan))
    assert Comment.objects.get().item_kind == ""


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "This field is required."),
        ("Ask @nobody.here about it", "@nobody.here: no one on this patient&#x27;s team has that username."),
        ("x" * 2001, "Ensure this value has at most 2000 characters (it has 2001)."),
    ],
)
def test_a_refused_comment_answers_422_with_the_error_and_keeps_the_text(
    client, nurse, care_plan, body, error
):
    client.force_login(nurse)

    response = client.post(thread_url(care_plan), {"body": body}, headers=HTMX)

    assert response.status_code == 422
    assertContains(response, error, status_code=422)
    assertContains(response, f">\n{body}</textarea>", status_code=422)
    assert not Comment.objects.exists()


def test_a_refused_comment_without_javascript_shows_the_threads_page_with_422(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(thread_url(care_plan), {"body": "@nobody.here hi"})

    assert response.status_code == 422
    assertContains(response, "<h1>Comments on the care plan</h1>", html=True, status_code=422)


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_not_found_for_every_thread(client, outsider, care_plan, goal, method):
    comment = add_comment(
        plan=care_plan, actor=care_plan.created_by or goal.created_by or _member(care_plan), body="x"
    )
    client.force_login(outsider)

    for url in (thread_url(care_plan), thread_url(care_plan, goal), retract_url(comment)):
        response = getattr(client, method)(url, {"body": "Hi", "reason": "r", "version": 1}, headers=HTMX)
        assert response.status_code == 404, url
    assert Comment.objects.count() == 1


def _member(plan: CarePlan):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, team=plan.patient.team)
    return user


def test_an_item_of_another_plan_or_an_unknown_kind_is_not_found(client, nurse, team, care_plan):
    other_goal = factories.GoalFactory(
        plan=factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    )
    client.force_login(nurse)

    assert client.get(thread_url(care_plan, other_goal), headers=HTMX).status_code == 404
    assert client.get(thread_url(care_plan, other_goal, kind="widget"), headers=HTMX).status_code == 404


def test_the_author_retracts_in_place_and_the_text_is_hidden_for_everyone(
    client, nurse, physician, care_plan, goal
):
    comment = add_comment(
        plan=care_plan, actor=nurse, body="Wrong patient", item_kind="goal", item_id=goal.pk
    )
    client.force_login(nurse)

    form = client.get(retract_url(comment), headers=HTMX)
    assertContains(form, f'<label for="retract-{comment.pk}-reason">Why retract it</label>', html=True)
    assert (
        form.content.decode().strip().startswith(f'<div class="comment-thread" id="thread-goal-{goal.pk}">')
    )

    response = client.post(
        retract_url(comment), {"version": 1, "reason": "Meant for another plan"}, headers=HTMX
    )

    assert response.status_code == 200
    assertContains(response, "Reason: Meant for another plan")
    assertContains(
        response, f'<span class="badge" id="comment-count-goal-{goal.pk}" hx-swap-oob="true">0</span>'
    )
    assertNotContains(response, "Wrong patient")
    client.force_login(physician)
    assertNotContains(client.get(thread_url(care_plan, goal)), "Wrong patient")


def test_only_the_author_is_offered_retract_and_anyone_else_is_refused(client, nurse, physician, care_plan):
    comment = add_comment(plan=care_plan, actor=nurse, body="Mine")
    client.force_login(physician)

    assertNotContains(client.get(thread_url(care_plan), headers=HTMX), "Retract…")
    assert client.get(retract_url(comment), headers=HTMX).status_code == 403
    assert client.post(retract_url(comment), {"version": 1, "reason": "No"}, headers=HTMX).status_code == 403
    assert Comment.objects.get().body == "Mine"


def test_retracting_without_a_reason_answers_422(client, nurse, care_plan):
    comment = add_comment(plan=care_plan, actor=nurse, body="Mine")
    client.force_login(nurse)

    response = client.post(retract_url(comment), {"version": 1, "reason": ""}, headers=HTMX)

    assert response.status_code == 422
    assertContains(response, "This field is required.", status_code=422)


def test_retracting_from_an_outdated_page_answers_409_with_the_comment_as_it_is_now(client, nurse, care_plan):
    comment = add_comment(plan=care_plan, actor=nurse, body="Mine")
    retract_comment(comment=comment, expected_version=1, actor=nurse, reason="In another tab")
    client.force_login(nurse)

    response = client.post(retract_url(comment), {"version": 1, "reason": "Again"}, headers=HTMX)

    assert response.status_code == 409
    assertContains(response, "This comment changed since you opened it", status_code=409)
    assertContains(response, "Reason: In another tab", status_code=409)


def test_opening_the_plan_page_marks_my_mentions_there_read(client, nurse, physician, care_plan):
    add_comment(plan=care_plan, actor=nurse, body="@phil.physician please sign")
    client.force_login(physician)

    client.get(plan_url(care_plan))

    assert CommentMention.objects.get().read_at is not None


def fill_comments(plan: CarePlan, author, count: int) -> None:
    for n in range(count):
        goal = factories.GoalFactory(plan=plan, description=f"Goal {n}")
        for body in ("@phil.physician have a look", "Done"):
            add_comment(plan=plan, actor=author, body=body, item_kind="goal", item_id=goal.pk)
        add_comment(plan=plan, actor=author, body=f"Plan note {n} for @phil.physician")


def test_the_plan_page_costs_the_same_queries_with_2_or_40_commented_items(client, nurse, physician, team):
    small = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    large = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    fill_comments(small, nurse, 2)
    fill_comments(large, nurse, 40)
    client.force_login(physician)
    client.get(plan_url(small))  # The first request after signing in also touches the session.
    client.get(plan_url(large))  # And reads the mentions: later visits find none unread.

    with CaptureQueriesContext(connection) as small_page:
        client.get(plan_url(small))
    with CaptureQueriesContext(connection) as large_page:
        response = client.get(plan_url(large))

    assertContains(response, "Plan note 39 for")
    assert (
        len(
            re.findall(r'<span class="badge" id="comment-count-goal-\d+">2</span>', response.content.decode())
        )
        == 40
    )
    assert len(large_page) == len(small_page), [q["sql"] for q in large_page]
