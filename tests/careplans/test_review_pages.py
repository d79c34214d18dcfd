"""Review mode, sign-off, and the signed versions pages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans import services
from careplans.models import PLAN_ITEM_MODELS, CarePlan, PlanVersion
from tests import factories

pytestmark = pytest.mark.django_db

SIGN = {"context": "visit", "patient_present": "yes", "summary": "Sugars better.", "decisions": "Keep going."}


def review_url(plan):
    return reverse("careplans:plan-review", args=[plan.pk])


def sign(plan, physician):
    return services.record_plan_review(
        plan=plan, actor=physician, context="visit", patient_present=True, summary="Seen."
    )


def test_review_mode_shows_what_a_nurse_changed_since_the_last_sign_off(client, care_plan, nurse, physician):
    problem = factories.ProblemFactory(plan=care_plan, condition="Diabetes", prognosis="Good")
    sign(care_plan, physician)
    services.update_plan_item(item=problem, expected_version=1, actor=nurse, changes={"prognosis": "Fair"})
    client.force_login(physician)

    page = client.get(review_url(care_plan)).content.decode()

    assert "Changed since the last sign-off" in page
    assert "Diabetes" in page
    assert "<del>Good</del> → <ins>Fair</ins>" in page
    assert f"by {nurse}" in page


def test_a_physician_signs_off_and_a_version_is_frozen(client, care_plan, physician):
    client.force_login(physician)

    response = client.post(review_url(care_plan), SIGN)

    assert response.status_code == 302
    version = PlanVersion.objects.get(plan=care_plan)
    assert (version.review.summary, version.review.decisions) == ("Sugars better.", "Keep going.")
    assert version.review.patient_present is True
    assert "Signed off" in client.get(response["Location"]).content.decode()


def test_a_sign_off_without_a_summary_answers_422_and_keeps_what_was_typed(client, care_plan, physician):
    client.force_login(physician)

    response = client.post(review_url(care_plan), {**SIGN, "summary": ""})

    assert response.status_code == 422
    assert "Keep going." in response.content.decode()
    assert not PlanVersion.objects.exists()


def test_a_nurse_care_manager_is_told_who_may_sign(client, care_plan, nurse):
    client.force_login(nurse)

    response = client.post(review_url(care_plan), SIGN)

    assert response.status_code == 422
    assert "signed off by: physician" in response.content.decode()
    assert "Sugars better." in response.content.decode()
    assert not PlanVersion.objects.exists()


@pytest.mark.parametrize("name", ["plan-review", "plan-versions"])
def test_an_outsider_gets_404(client, care_plan, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(f"careplans:{name}", args=[care_plan.pk])).status_code == 404


def test_an_outsider_cannot_open_a_version(client, care_plan, physician, outsider):
    sign(care_plan, physician)
    client.force_login(outsider)
    assert client.get(reverse("careplans:plan-version", args=[care_plan.pk, 1])).status_code == 404


def test_a_version_opens_read_only_and_compares_with_another_and_with_today(
    client, care_plan, nurse, physician
):
    factories.ProblemFactory(plan=care_plan, condition="Diabetes")
    sign(care_plan, physician)
    services.add_plan_item(
        plan=care_plan,
        model=type(factories.ProblemFactory.build()),
        actor=nurse,
        values={"condition": "Gout"},
    )
    sign(care_plan, physician)
    services.add_plan_item(
        plan=care_plan,
        model=type(factories.ProblemFactory.build()),
        actor=nurse,
        values={"condition": "COPD"},
    )
    client.force_login(physician)

    version_one = client.get(reverse("careplans:plan-version", args=[care_plan.pk, 1])).content.decode()
    one_with_two = client.get(reverse("careplans:plan-versions", args=[care_plan.pk]), {"old": 1, "new": 2})
    two_with_today = client.get(
        reverse("careplans:plan-versions", args=[care_plan.pk]), {"old": 2, "new": "today"}
    )

    assert "Diabetes" in version_one and "Gout" not in version_one
    assert "Gout" in one_with_two.content.decode() and "COPD" not in one_with_two.content.decode()
    assert "COPD" in two_with_today.content.decode()
    assert client.get(reverse("careplans:plan-version", args=[care_plan.pk, 9])).status_code == 404


@pytest.mark.parametrize("size", [2, 20])
def test_review_mode_takes_the_same_number_of_queries_however_large_the_plan(
    client, care_plan, physician, django_assert_num_queries, size
):
    for _ in range(size):
        factories.ProblemFactory(plan=care_plan)
        factories.GoalFactory(plan=care_plan)
        factories.ActionStepFactory(plan=care_plan)
    sign(care_plan, physician)
    client.force_login(physician)
    client.get(review_url(care_plan))  # warm the session

    with django_assert_num_queries(QUERIES):
        client.get(review_url(care_plan))


# A fixed number, plus one read per section of the plan (the snapshot reads each section once).
# The fixed part includes the access log's one INSERT (patients/access_log.py), and not the session's
# UPDATE in a transaction (3 queries): activity is written once a minute (teams/sessions.py).
QUERIES = 10 + len(PLAN_ITEM_MODELS)


def team_reviews_url(team):
    return reverse("careplans:team-reviews", args=[team.pk])


def test_the_team_view_lists_overdue_and_due_soon_reviews_of_plans_goals_and_services(client, team, nurse):
    today = timezone.localdate()
    overdue = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), status="active")
    later = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), status="active")
    CarePlan.objects.filter(pk=overdue.pk).update(next_review_due=today - datetime.timedelta(days=3))
    CarePlan.objects.filter(pk=later.pk).update(next_review_due=today + datetime.timedelta(days=60))
    goal = factories.GoalFactory(plan=overdue, next_review_on=today + datetime.timedelta(days=2))
    client.force_login(nurse)

    page = client.get(team_reviews_url(team)).content.decode()

    assert overdue.patient.display_name in page and "Overdue" in page
    assert later.patient.display_name not in page
    assert goal.description in page


def test_an_outsider_cannot_see_a_teams_reviews(client, team, outsider):
    client.force_login(outsider)
    assert client.get(team_reviews_url(team)).status_code == 404


@pytest.mark.parametrize("size", [2, 20])
def test_the_team_view_takes_the_same_number_of_queries_however_many_reviews_are_due(
    client, team, nurse, django_assert_num_queries, size
):
    today = timezone.localdate()
    for _ in range(size):
        plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), status="active")
        CarePlan.objects.filter(pk=plan.pk).update(next_review_due=today)
        factories.GoalFactory(plan=plan, next_review_on=today)
    client.force_login(nurse)
    client.get(team_reviews_url(team))

    with django_assert_num_queries(TEAM_QUERIES):
        client.get(team_reviews_url(team))


TEAM_QUERIES = 6  # no session write either, as above


def next_review_url(plan):
    return reverse("careplans:plan-next-review", args=[plan.pk])


def test_the_next_review_date_is_set_by_hand_with_a_reason(client, care_plan, nurse):
    client.force_login(nurse)
    soon = timezone.localdate() + datetime.timedelta(days=10)

    response = client.post(
        next_review_url(care_plan),
        {
            "version": care_plan.version,
            "next_review_due": soon.isoformat(),
            "reason": "Discharged from hospital",
        },
        follow=True,
    )

    assert f"The next review is now due {soon:%-d %b %Y}." in response.content.decode()
    care_plan.refresh_from_db()
    assert (care_plan.next_review_due, care_plan.next_review_reason) == (soon, "Discharged from hospital")


def test_a_date_without_a_reason_or_in_the_past_answers_422_and_keeps_what_was_typed(
    client, care_plan, nurse
):
    client.force_login(nurse)
    past = timezone.localdate() - datetime.timedelta(days=1)

    no_reason = client.post(
        next_review_url(care_plan), {"version": care_plan.version, "next_review_due": past}
    )
    in_past = client.post(
        next_review_url(care_plan), {"version": care_plan.version, "next_review_due": past, "reason": "Oops"}
    )

    assert no_reason.status_code == in_past.status_code == 422
    assert "This field is required." in no_reason.content.decode()
    assert "Choose today or a later date." in in_past.content.decode()
    assert 'value="Oops"' in in_past.content.decode()
    care_plan.refresh_from_db()
    assert care_plan.next_review_reason == ""


def test_a_stale_date_change_is_refused_and_changes_nothing(client, care_plan, nurse):
    client.force_login(nurse)
    soon = timezone.localdate() + datetime.timedelta(days=10)

    response = client.post(
        next_review_url(care_plan),
        {"version": care_plan.version - 1 or 99, "next_review_due": soon.isoformat(), "reason": "Later"},
    )

    assert response.status_code == 422
    assert "Someone changed this plan meanwhile" in response.content.decode()
    care_plan.refresh_from_db()
    assert care_plan.next_review_due != soon


def test_a_signed_version_takes_a_correcting_note_and_stays_as_signed(client, care_plan, physician, nurse):
    sign(care_plan, physician)
    version = PlanVersion.objects.get(plan=care_plan)
    url = reverse("careplans:review-correction", args=[care_plan.pk, 1])
    client.force_login(nurse)

    empty = client.post(url, {"note": ""})
    response = client.post(url, {"note": "The visit was by video."}, follow=True)

    assert empty.status_code == 422
    page = response.content.decode()
    assert "The visit was by video." in page and "Correction" in page and "Nina Nurse" in page
    assert PlanVersion.objects.get(pk=version.pk).snapshot == version.snapshot


@pytest.mark.parametrize("name", ["plan-next-review"])
def test_an_outsider_cannot_set_the_date(client, care_plan, outsider, name):
    client.force_login(outsider)
    assert client.post(reverse(f"careplans:{name}", args=[care_plan.pk]), {}).status_code == 404
