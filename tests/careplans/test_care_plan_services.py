"""The plan's own fields, its status, reviews, goal links and measurements."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from careplans import services
from careplans.models import CarePlan, GoalMeasurement, PlanReview, RiskTier
from teams.records import StaleVersionError
from tests import factories
from tests.history import latest_context

pytestmark = pytest.mark.django_db


def test_what_matters_most_is_edited_with_history(care_plan, nurse):
    plan = services.update_care_plan(
        plan=care_plan,
        expected_version=1,
        actor=nurse,
        changes={"what_matters_most": "Dancing at my daughter's wedding in June."},
        reason="Patient told us at the visit",
    )

    assert plan.version == 2
    assert plan.what_matters_most == "Dancing at my daughter's wedding in June."
    assert latest_context(plan) == {"user": nurse.pk, "reason": "Patient told us at the visit"}


def test_a_stale_plan_edit_is_refused(care_plan, nurse, physician):
    services.update_care_plan(
        plan=care_plan, expected_version=1, actor=physician, changes={"strengths": "Walks daily"}
    )

    with pytest.raises(StaleVersionError):
        services.update_care_plan(
            plan=care_plan, expected_version=1, actor=nurse, changes={"strengths": "Cooks"}
        )

    care_plan.refresh_from_db()
    assert care_plan.strengths == "Walks daily"


def test_an_outsider_cannot_edit_the_plan(care_plan, outsider):
    with pytest.raises(PermissionDenied):
        services.update_care_plan(
            plan=care_plan, expected_version=1, actor=outsider, changes={"strengths": "x"}
        )
    care_plan.refresh_from_db()
    assert care_plan.version == 1


def test_putting_a_plan_on_hold_needs_a_reason(care_plan, nurse):
    with pytest.raises(ValidationError):
        services.change_plan_status(plan=care_plan, expected_version=1, actor=nurse, status="on_hold")

    plan = services.change_plan_status(
        plan=care_plan, expected_version=1, actor=nurse, status="on_hold", reason="In hospital"
    )
    assert plan.status == CarePlan.Status.ON_HOLD
    assert plan.status_reason == "In hospital"


def test_activating_a_draft_plan_schedules_its_first_review(team, nurse):
    plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), status="draft")

    plan = services.change_plan_status(plan=plan, expected_version=1, actor=nurse, status="active")

    assert plan.next_review_due == timezone.localdate() + datetime.timedelta(days=team.review_interval_days)


def test_a_review_is_recorded_with_the_reviewers_role_and_sets_the_next_review(care_plan, physician):
    review = services.record_plan_review(
        plan=care_plan,
        actor=physician,
        context=PlanReview.Context.VISIT,
        patient_present=True,
        summary="Sugars better; keep the plan.",
    )

    care_plan.refresh_from_db()
    expected = timezone.localdate() + datetime.timedelta(days=90)
    assert review.reviewer_role == "physician"
    assert review.next_review_due == expected
    assert care_plan.next_review_due == expected
    assert care_plan.last_reviewed_at == review.reviewed_at
    assert latest_context(care_plan)["user"] == physician.pk


def test_high_risk_plans_are_reviewed_sooner(care_plan, physician):
    CarePlan.objects.filter(pk=care_plan.pk).update(risk_tier=RiskTier.HIGH)

    review = services.record_plan_review(
        plan=care_plan, actor=physician, context="phone", patient_present=False, summary="Checked in."
    )

    assert review.next_review_due == timezone.localdate() + datetime.timedelta(days=30)


def test_a_review_can_never_be_changed(care_plan, physician):
    from django.db import ProgrammingError, transaction

    review = services.record_plan_review(
        plan=care_plan, actor=physician, context="visit", patient_present=True, summary="Fine."
    )
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        PlanReview.objects.filter(pk=review.pk).update(summary="Rewritten")


def test_an_outsider_cannot_record_a_review(care_plan, outsider):
    with pytest.raises(PermissionDenied):
        services.record_plan_review(
            plan=care_plan, actor=outsider, context="visit", patient_present=True, summary="x"
        )
    assert not PlanReview.objects.exists()


def test_goals_link_only_to_problems_of_the_same_plan(care_plan, nurse):
    goal = factories.GoalFactory(plan=care_plan)
    own = factories.ProblemFactory(plan=care_plan)
    foreign = factories.ProblemFactory()

    services.set_goal_problems(goal=goal, problems=[own], actor=nurse)
    assert list(goal.problems.all()) == [own]

    with pytest.raises(ValidationError):
        services.set_goal_problems(goal=goal, problems=[own, foreign], actor=nurse)
    services.set_goal_problems(goal=goal, problems=[], actor=nurse)
    assert not goal.problems.exists()


def test_a_measurement_is_recorded_and_can_be_marked_entered_in_error(care_plan, nurse):
    goal = factories.GoalFactory(plan=care_plan)

    measurement = services.record_goal_measurement(
        goal=goal, actor=nurse, value=Decimal("7.6"), measured_on=timezone.localdate(), source="lab"
    )
    assert measurement.created_by == nurse
    assert goal.meets_target(measurement.value)

    corrected = services.mark_measurement_in_error(
        measurement=measurement, expected_version=1, actor=nurse, reason="Another patient's result"
    )
    assert corrected.status == GoalMeasurement.Status.ENTERED_IN_ERROR
    assert latest_context(corrected)["reason"] == "Another patient's result"


def test_a_measurement_in_the_future_is_refused_with_a_clear_message(care_plan, nurse):
    goal = factories.GoalFactory(plan=care_plan)
    with pytest.raises(ValidationError) as error:
        services.record_goal_measurement(
            goal=goal,
            actor=nurse,
            value=Decimal("7"),
            measured_on=timezone.localdate() + datetime.timedelta(days=3),
            source="lab",
        )
    assert error.value.message_dict["measured_on"] == ["A measurement cannot be dated in the future."]


def test_expired_releases_are_marked_expired_once(care_plan):
    today = timezone.localdate()
    lapsed = factories.InformationReleaseFactory(
        plan=care_plan, expires_on=today - datetime.timedelta(days=1)
    )
    current = factories.InformationReleaseFactory(
        plan=care_plan, expires_on=today + datetime.timedelta(days=1)
    )

    assert services.expire_information_releases(today=today) == 1
    assert services.expire_information_releases(today=today) == 0

    lapsed.refresh_from_db()
    current.refresh_from_db()
    assert lapsed.status == "expired"
    assert lapsed.version == 2
    assert current.status == "active"
    assert latest_context(lapsed)["reason"] == "The expiry date has passed."
