"""The dates the worklist sorts on, stored on the row by the services (issue 11): a goal's last measurement
and since when a referral has been waiting. Each is right the moment the change is saved, and neither
adds history of its own."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from careplans import services
from careplans.models import CommunityService, Goal, GoalMeasurement
from tests import factories

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def record(goal: Goal, nurse, on: datetime.date) -> GoalMeasurement:
    return services.record_goal_measurement(
        goal=goal, actor=nurse, value=Decimal("7.9"), measured_on=on, source="clinic"
    )


def in_error(measurement: GoalMeasurement, nurse) -> None:
    measurement.refresh_from_db()
    services.mark_measurement_in_error(
        measurement=measurement, expected_version=measurement.version, actor=nurse, reason="Wrong patient"
    )


# Goal.last_measured_on


def test_a_new_goal_has_not_been_measured(care_plan):
    assert factories.GoalFactory(plan=care_plan).last_measured_on is None


def test_recording_a_value_stores_the_date_of_the_latest_one(nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    record(goal, nurse, days(-10))
    record(goal, nurse, days(-20))  # entered late: an older value does not move the date back
    goal.refresh_from_db()
    assert goal.last_measured_on == days(-10)


def test_a_value_marked_in_error_no_longer_counts(nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    earlier = record(goal, nurse, days(-30))
    latest = record(goal, nurse, days(-2))
    in_error(latest, nurse)
    goal.refresh_from_db()
    assert goal.last_measured_on == days(-30)
    in_error(earlier, nurse)
    goal.refresh_from_db()
    assert goal.last_measured_on is None


def test_keeping_the_date_adds_no_goal_history_event(nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    events = Goal.pgh_event_model.objects.filter(pgh_obj_id=goal.pk)
    before = events.count()
    in_error(record(goal, nurse, days(-1)), nurse)
    assert events.count() == before
    assert "last_measured_on" not in {f.name for f in Goal.pgh_event_model._meta.fields}


def test_a_goal_edit_keeps_the_stored_date(nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    record(goal, nurse, days(-5))
    goal.refresh_from_db()
    updated = services.update_plan_item(
        item=goal, expected_version=goal.version, actor=nurse, changes={"barriers": "Night shifts"}
    )
    updated.refresh_from_db()
    assert updated.last_measured_on == days(-5)


# CommunityService.waiting_since


def add_service(nurse, care_plan, **values) -> CommunityService:
    return services.add_plan_item(
        plan=care_plan,
        model=CommunityService,
        actor=nurse,
        values={"category": "food", "organization_name": "Eastside Food Pantry", **values},
    )


def test_a_referral_waits_from_its_referral_date(nurse, care_plan):
    service = add_service(nurse, care_plan, status="referred", referred_on=days(-12))
    service.refresh_from_db()
    assert service.waiting_since == days(-12)


def test_a_recommendation_without_a_date_waits_from_the_day_it_was_added(nurse, care_plan):
    service = add_service(nurse, care_plan)
    service.refresh_from_db()
    assert service.waiting_since == days(0)


def test_changing_the_referral_date_moves_the_stored_date_at_once(nurse, care_plan):
    service = add_service(nurse, care_plan, status="referred", referred_on=days(-12))
    service.refresh_from_db()
    services.update_plan_item(
        item=service, expected_version=service.version, actor=nurse, changes={"referred_on": days(-3)}
    )
    service.refresh_from_db()
    assert service.waiting_since == days(-3)


def test_a_status_change_without_a_referral_date_waits_from_that_day(nurse, care_plan):
    service = add_service(nurse, care_plan)
    CommunityService.objects.filter(pk=service.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=20)
    )
    service.refresh_from_db()
    services.move_plan_item(item=service, expected_version=service.version, actor=nurse, status="referred")
    service.refresh_from_db()
    assert service.waiting_since == days(0)


def test_keeping_the_waiting_date_adds_no_history_of_its_own(nurse, care_plan):
    service = add_service(nurse, care_plan, status="referred", referred_on=days(-12))
    service.refresh_from_db()
    events = CommunityService.pgh_event_model.objects.filter(pgh_obj_id=service.pk)
    before = events.count()
    services.update_plan_item(
        item=service, expected_version=service.version, actor=nurse, changes={"referred_on": days(-3)}
    )
    assert events.count() == before + 1  # the edit itself, once
    assert "waiting_since" not in {f.name for f in CommunityService.pgh_event_model._meta.fields}
