"""A goal's progress on the plan page: values recorded in place, a chart, values marked entered in error."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from careplans import services
from careplans.models import Goal, GoalMeasurement
from tests import factories
from tests.history import latest_context

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TODAY = datetime.date.today()


@pytest.fixture
def goal(care_plan) -> Goal:
    """An A1c goal going down: from 9.1 a month ago to less than 8 in five months."""
    return factories.GoalFactory(plan=care_plan)


def record(goal: Goal, actor, value: str, days_ago: int = 0) -> GoalMeasurement:
    return services.record_goal_measurement(
        goal=goal,
        actor=actor,
        value=Decimal(value),
        measured_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        source="lab",
    )


def new_url(goal: Goal) -> str:
    return reverse("careplans:measurement-new", args=[goal.plan_id, goal.pk])


def in_error_url(measurement: GoalMeasurement) -> str:
    return reverse(
        "careplans:measurement-in-error", args=[measurement.goal.plan_id, measurement.goal_id, measurement.pk]
    )


def values(**overrides: str) -> dict[str, str]:
    return {
        "value": "7.4",
        "measured_on": timezone.localdate().isoformat(),
        "source": "lab",
        "note": "",
        **overrides,
    }


def test_the_form_opens_in_the_goal_card_in_place_of_its_button(client, nurse, goal):
    client.force_login(nurse)
    response = client.get(new_url(goal), headers=HTMX)
    assert response.status_code == 200
    assertContains(response, f'id="goal-{goal.pk}-record"')
    assertContains(response, f'<label for="goal-{goal.pk}-measurement-value">HbA1c (%)</label>')
    assertContains(response, f'value="{timezone.localdate().isoformat()}"')
    assertNotContains(response, "<html")


def test_without_javascript_the_form_opens_on_the_whole_page(client, nurse, goal):
    client.force_login(nurse)
    response = client.get(new_url(goal))
    assertContains(response, "<html")
    assertContains(response, f'id="goal-{goal.pk}-measurement-form"')


def test_recording_a_value_shows_the_goal_card_again_with_the_latest_value_and_the_chart(client, nurse, goal):
    record(goal, nurse, "8.6", days_ago=20)
    client.force_login(nurse)

    response = client.post(new_url(goal), values(value="7.4", note="Fasting"), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#goal-{goal.pk}"
    assertContains(response, f"7.40 % on {timezone.localdate():%-d %b %Y}")
    assertContains(response, "Meets target")
    assertContains(response, 'role="img"')
    assertContains(response, "2 measurements, latest 7.4 %")
    assert response.content.decode().count('class="measurement"') == 2
    measurement = goal.measurements.latest("measured_on")
    assert (measurement.value, measurement.note, measurement.created_by) == (Decimal("7.4"), "Fasting", nurse)
    assert latest_context(measurement)["user"] == nurse.pk


def test_without_javascript_recording_a_value_goes_back_to_the_goal_on_the_page(client, nurse, goal):
    client.force_login(nurse)
    response = client.post(new_url(goal), values())
    assertRedirects(response, f"{reverse('careplans:plan-detail', args=[goal.plan_id])}#goal-{goal.pk}")
    assert goal.measurements.count() == 1


def test_a_value_that_is_not_a_number_is_refused_beside_the_field_and_what_was_typed_stays(
    client, nurse, goal
):
    client.force_login(nurse)
    response = client.post(new_url(goal), values(value="seven point four", note="Fasting"), headers=HTMX)
    assert response.status_code == 422
    assertContains(response, "Enter the HbA1c as a number.", status_code=422)
    assertContains(response, 'value="seven point four"', status_code=422)
    assertContains(response, 'value="Fasting"', status_code=422)
    assertContains(response, 'aria-invalid="true"', status_code=422)
    assert not goal.measurements.exists()


def test_a_value_dated_in_the_future_is_refused_beside_the_date(client, nurse, goal):
    client.force_login(nurse)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(new_url(goal), values(measured_on=tomorrow.isoformat()), headers=HTMX)
    assertContains(response, "cannot be dated in the future", status_code=422)
    assertContains(response, f'id="goal-{goal.pk}-measurement-measured_on_error"', status_code=422)
    assert not goal.measurements.exists()


def test_a_value_dated_before_the_baseline_is_refused_beside_the_date(client, nurse, goal):
    client.force_login(nurse)
    before = goal.baseline_date - datetime.timedelta(days=1)
    response = client.post(new_url(goal), values(measured_on=before.isoformat()), headers=HTMX)
    assertContains(response, "cannot be dated before the baseline", status_code=422)
    assert not goal.measurements.exists()


def test_without_javascript_a_refused_value_comes_back_on_the_whole_page_with_422(client, nurse, goal):
    client.force_login(nurse)
    response = client.post(new_url(goal), values(value="abc"))
    assert response.status_code == 422
    assertContains(response, "<html", status_code=422)
    assertContains(response, 'value="abc"', status_code=422)


def test_an_outsider_gets_404_and_nothing_is_recorded(client, outsider, goal):
    client.force_login(outsider)
    assert client.get(new_url(goal), headers=HTMX).status_code == 404
    assert client.post(new_url(goal), values(), headers=HTMX).status_code == 404
    assert not goal.measurements.exists()


def test_a_goal_of_another_plan_is_404(client, nurse, goal, team):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    client.force_login(nurse)
    url = reverse("careplans:measurement-new", args=[other_plan.pk, goal.pk])
    assert client.post(url, values(), headers=HTMX).status_code == 404


def test_marking_a_value_in_error_opens_a_form_in_its_row(client, nurse, goal):
    measurement = record(goal, nurse, "8.4")
    client.force_login(nurse)
    response = client.get(in_error_url(measurement), headers=HTMX)
    assert response.status_code == 200
    assertContains(response, f'<tr id="measurement-{measurement.pk}" class="item-editing">')
    assertContains(response, "Mark entered in error: 8.40 %")
    assertContains(response, f'name="version" value="{measurement.version}"')


def test_a_value_marked_in_error_leaves_the_chart_and_stays_on_record_with_the_reason(client, nurse, goal):
    kept = record(goal, nurse, "8.6", days_ago=10)
    wrong = record(goal, nurse, "5.1")
    client.force_login(nurse)

    response = client.post(
        in_error_url(wrong), {"version": wrong.version, "reason": "Another patient's result"}, headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#goal-{goal.pk}"
    assertContains(response, "1 measurement, latest 8.6 %")
    assertNotContains(response, "5.10")
    wrong.refresh_from_db()
    assert (wrong.status, wrong.status_reason) == ("entered_in_error", "Another patient's result")
    assert GoalMeasurement.objects.filter(pk__in=[kept.pk, wrong.pk]).count() == 2
    assert latest_context(wrong)["reason"] == "Another patient's result"


def test_marking_in_error_without_a_reason_is_refused_beside_the_field(client, nurse, goal):
    measurement = record(goal, nurse, "8.4")
    client.force_login(nurse)
    response = client.post(
        in_error_url(measurement), {"version": measurement.version, "reason": ""}, headers=HTMX
    )
    assertContains(response, f'id="measurement-{measurement.pk}-reason_error"', status_code=422)
    measurement.refresh_from_db()
    assert measurement.status == "final"


def test_marking_in_error_a_value_someone_changed_meanwhile_is_a_conflict(client, nurse, physician, goal):
    measurement = record(goal, nurse, "8.4")
    seen_version = measurement.version
    services.mark_measurement_in_error(
        measurement=measurement, expected_version=seen_version, actor=physician, reason="Duplicate"
    )
    client.force_login(nurse)

    response = client.post(
        in_error_url(measurement), {"version": seen_version, "reason": "Typo"}, headers=HTMX
    )

    assertContains(response, "Someone changed this measurement", status_code=409)
    assertContains(response, "already marked entered in error (Duplicate)", status_code=409)
    assertContains(response, 'value="Typo"', status_code=409)
    measurement.refresh_from_db()
    assert measurement.status_reason == "Duplicate"


def test_an_outsider_cannot_mark_a_value_in_error(client, nurse, outsider, goal):
    measurement = record(goal, nurse, "8.4")
    client.force_login(outsider)
    response = client.post(
        in_error_url(measurement), {"version": measurement.version, "reason": "x"}, headers=HTMX
    )
    assert response.status_code == 404
    measurement.refresh_from_db()
    assert measurement.status == "final"


def test_a_value_of_another_goal_is_404(client, nurse, goal, care_plan):
    other = factories.GoalFactory(plan=care_plan)
    measurement = record(other, nurse, "8.4")
    client.force_login(nurse)
    url = reverse("careplans:measurement-in-error", args=[care_plan.pk, goal.pk, measurement.pk])
    assert client.get(url, headers=HTMX).status_code == 404


def test_a_goal_without_a_measure_has_no_chart_and_no_record_button(client, nurse, care_plan):
    factories.GoalFactory(
        plan=care_plan, measure="", unit="", baseline_value=None, target_comparator="", target_value=None
    )
    client.force_login(nurse)
    response = client.get(reverse("careplans:plan-detail", args=[care_plan.pk]))
    assertNotContains(response, "goal-chart")
    assertNotContains(response, "Record a value")


def fill_goals(plan, actor, count: int) -> None:
    today = timezone.localdate()
    goals = factories.GoalFactory.create_batch(count, plan=plan)
    GoalMeasurement.objects.bulk_create(
        GoalMeasurement(
            goal=goal,
            value=Decimal(9) - Decimal(days) / 10,
            measured_on=today - datetime.timedelta(days=days),
        )
        for goal in goals
        for days in range(4)
    )
    first = goals[0].measurements.first()
    first.status, first.status_reason = "entered_in_error", "Typo"
    first.save()


def test_the_page_and_a_recorded_value_take_the_same_queries_with_5_or_200_goals(client, nurse, team):
    small = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    large = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    fill_goals(small, nurse, 5)
    fill_goals(large, nurse, 200)
    client.force_login(nurse)
    client.get(reverse("careplans:plan-detail", args=[small.pk]))
    cache.clear()  # Both looks render every section (test_page_cache.py counts the cached looks).
    counts = []
    for plan in (small, large):
        goal = plan.goals.first()
        with CaptureQueriesContext(connection) as page:
            response = client.get(reverse("careplans:plan-detail", args=[plan.pk]))
        assert response.content.decode().count('role="img"') == plan.goals.count()
        with CaptureQueriesContext(connection) as recorded:
            assert client.post(new_url(goal), values(), headers=HTMX).status_code == 200
        counts.append((len(page), len(recorded)))
    assert counts[0] == counts[1]


def test_without_javascript_marking_in_error_opens_and_refuses_on_the_whole_page(client, nurse, goal):
    measurement = record(goal, nurse, "8.4")
    client.force_login(nurse)
    opened = client.get(in_error_url(measurement))
    assertContains(opened, "<html")
    assertContains(opened, f'id="measurement-{measurement.pk}-form"')

    refused = client.post(in_error_url(measurement), {"version": measurement.version, "reason": " "})
    assertContains(refused, "<html", status_code=422)
    assertContains(refused, f'id="measurement-{measurement.pk}-reason_error"', status_code=422)

    saved = client.post(in_error_url(measurement), {"version": measurement.version, "reason": "Typo"})
    assertRedirects(saved, f"{reverse('careplans:plan-detail', args=[goal.plan_id])}#goal-{goal.pk}")
