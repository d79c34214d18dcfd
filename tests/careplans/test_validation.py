"""Bad input gets a clear message on the field it concerns."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from careplans import services
from careplans.models import ActionStep, CareTeamMember, Goal, InformationRelease, Medication

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def errors_for(plan, actor, model, values):
    with pytest.raises(ValidationError) as error:
        services.add_plan_item(plan=plan, model=model, actor=actor, values=values)
    return error.value.message_dict


def test_a_goal_target_date_before_its_baseline_date_is_refused(care_plan, nurse):
    errors = errors_for(
        care_plan,
        nurse,
        Goal,
        {
            "description": "Lower my blood pressure",
            "measure": "Systolic blood pressure",
            "baseline_value": Decimal("150"),
            "baseline_date": TODAY,
            "target_comparator": "<",
            "target_value": Decimal("130"),
            "target_date": TODAY - datetime.timedelta(days=1),
        },
    )
    assert errors["target_date"] == ["The target date cannot be before the baseline date."]


def test_a_goal_with_a_target_value_needs_a_measure(care_plan, nurse):
    errors = errors_for(
        care_plan,
        nurse,
        Goal,
        {"description": "Feel better", "target_comparator": "<", "target_value": Decimal("5")},
    )
    assert errors["measure"] == ["Say what is measured when you give a target value."]


def test_a_goal_target_needs_a_comparator(care_plan, nurse):
    errors = errors_for(
        care_plan,
        nurse,
        Goal,
        {"description": "Walk more", "measure": "Steps a day", "target_value": Decimal("6000")},
    )
    assert "target_comparator" in errors


def test_an_action_step_for_a_team_member_must_name_them(care_plan, nurse):
    errors = errors_for(
        care_plan,
        nurse,
        ActionStep,
        {"description": "Call about the referral", "due_date": TODAY, "responsible_party": "team_member"},
    )
    assert errors["responsible_member"] == ["Choose the team member who is responsible."]


def test_an_action_step_needs_a_due_date(care_plan, nurse):
    errors = errors_for(care_plan, nurse, ActionStep, {"description": "Call about the referral"})
    assert "due_date" in errors


def test_a_release_needs_an_expiry_date_or_event(care_plan, nurse):
    errors = errors_for(
        care_plan,
        nurse,
        InformationRelease,
        {
            "recipient_name": "Hope Recovery Center",
            "purpose": "Coordinate treatment",
            "information_scope": "Medications and attendance",
            "covers_part2": True,
            "signed_by": "The patient",
            "signed_on": TODAY,
        },
    )
    assert errors["expires_on"] == ["Give an expiry date or the event that ends the release."]


def test_a_medication_cannot_stop_before_it_starts(care_plan, nurse):
    errors = errors_for(
        care_plan,
        nurse,
        Medication,
        {
            "name": "Lisinopril",
            "dose": "10 mg",
            "frequency": "once a day",
            "indication": "Blood pressure",
            "start_date": TODAY,
            "stop_date": TODAY - datetime.timedelta(days=7),
        },
    )
    assert errors["stop_date"] == ["The stop date cannot be before the start date."]


def test_a_care_team_member_is_a_user_or_a_named_outside_person(care_plan, nurse):
    errors = errors_for(
        care_plan, nurse, CareTeamMember, {"role": "specialist", "responsibilities": "Kidneys"}
    )
    assert "name" in errors
