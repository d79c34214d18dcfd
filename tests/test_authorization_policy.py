"""The authorization policy: its written form, the action predicates, and foreign keys kept in scope."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.test import APIClient

from careplans import forms as plan_forms
from careplans import services
from careplans.models import ActionStep, CommunityService, Goal
from config import policy
from teams import rules
from teams.models import CareRole
from tests import factories

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def test_the_written_policy_is_the_one_in_config_policy():
    text = DOC.read_text()
    written = re.search(r"<!-- policy:start -->\n(.*)<!-- policy:end -->", text, re.S)
    assert written, "docs/security.md lost its <!-- policy:start/end --> markers"
    assert written.group(1) == policy.markdown(), (
        "docs/security.md disagrees with config/policy.py: paste the output of `python -m config.policy`"
    )


def test_every_policy_row_names_who_may_call_it():
    for name, access in policy.POLICY.items():
        assert access.about, f"{name}: say what the route does"
        assert any(access.who(m) != policy.Who.NOBODY for m in ("GET", "POST", "PATCH")), name


# The action predicates.


@pytest.fixture
def team_lead(team):
    user = factories.UserFactory(username="lee.lead")
    factories.MembershipFactory(user=user, team=team, role=CareRole.NURSE_CARE_MANAGER, is_team_lead=True)
    return user


def test_a_member_is_on_the_team_of_the_patient_the_plan_and_the_item(nurse, outsider, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    for obj in (care_plan.patient, care_plan, goal, care_plan.patient.team):
        assert rules.is_on_patients_team(nurse, obj)
        assert not rules.is_on_patients_team(outsider, obj)


def test_an_ended_membership_ends_being_on_the_team(nurse, care_plan):
    nurse.memberships.update(ended_on=timezone.localdate())
    assert not rules.can_edit_plan(nurse, care_plan)


def test_sign_off_follows_the_teams_sign_off_roles(nurse, physician, outsider, care_plan):
    assert rules.can_sign_off(physician, care_plan)
    assert not rules.can_sign_off(nurse, care_plan)
    assert not rules.can_sign_off(outsider, care_plan)

    care_plan.patient.team.sign_off_roles = [CareRole.NURSE_CARE_MANAGER]
    care_plan.patient.team.save()
    assert rules.can_sign_off(nurse, care_plan)
    assert not rules.can_sign_off(physician, care_plan)


def test_signing_off_is_refused_by_the_rule_and_the_refusal_is_logged(nurse, care_plan, caplog):
    with caplog.at_level(logging.WARNING, logger="careweave.security"), pytest.raises(PermissionDenied):
        services.record_plan_review(
            plan=care_plan, actor=nurse, context="visit", patient_present=True, summary="Reviewed."
        )
    [record] = caplog.records
    assert f"user={nurse.pk} action=can_sign_off" in record.getMessage()
    assert f"CarePlan:{care_plan.pk}" in record.getMessage()
    assert "Lovelace" not in record.getMessage()


def test_only_a_team_lead_or_an_administrator_manages_the_team(nurse, team_lead, team):
    assert rules.can_manage_team(team_lead, team)
    assert not rules.can_manage_team(nurse, team)
    admin = factories.UserFactory(username="root", is_superuser=True)
    assert rules.can_manage_team(admin, team)


def test_a_privacy_officer_is_a_user_with_the_privacy_officer_flag(nurse):
    assert not rules.is_privacy_officer(nurse)
    nurse.is_privacy_officer = True
    nurse.save(update_fields=["is_privacy_officer"])
    assert rules.is_privacy_officer(type(nurse).objects.get(pk=nurse.pk))


def test_printing_part2_information_is_for_the_treating_team_only(outsider, care_plan):
    with pytest.raises(PermissionDenied):
        services.request_printout(
            plan=care_plan,
            actor=outsider,
            values={"document": "patient_plan", "language": "en", "include_part2": True, "part2_reason": "x"},
        )
    assert not care_plan.printouts.exists()


# Foreign keys given by id stay inside the caller's scope: a foreign id is a field error, never accepted.


@pytest.fixture
def foreign_plan(outsider):
    team = outsider.memberships.get().team
    return factories.CarePlanFactory(patient=factories.PatientFactory(team=team))


@pytest.fixture
def api(nurse) -> APIClient:
    client = APIClient()
    client.force_authenticate(nurse)
    return client


def test_the_api_refuses_another_teams_plan_like_an_unknown_one(api, foreign_plan):
    response = api.post(
        "/api/v1/problems/", {"plan": str(foreign_plan.pk), "condition": "Gout"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["plan"] == [f'Invalid pk "{foreign_plan.pk}" - object does not exist.']
    assert not foreign_plan.problems.exists()


def test_the_api_refuses_a_step_for_another_teams_goal(api, care_plan, foreign_plan):
    foreign_goal = factories.GoalFactory(plan=foreign_plan)
    response = api.post(
        "/api/v1/action-steps/",
        {
            "plan": str(care_plan.pk),
            "description": "Walk",
            "goal": foreign_goal.pk,
            "responsible_party": "patient",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "goal" in response.json()["errors"]
    assert not ActionStep.objects.filter(goal=foreign_goal).exists()


def test_the_api_refuses_a_service_under_another_teams_release(api, care_plan, foreign_plan):
    foreign_release = factories.InformationReleaseFactory(plan=foreign_plan)
    response = api.post(
        "/api/v1/community-services/",
        {
            "plan": str(care_plan.pk),
            "category": "food",
            "organization_name": "Pantry",
            "release": foreign_release.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "release" in response.json()["errors"]
    assert not CommunityService.objects.filter(release=foreign_release).exists()


def test_the_api_refuses_a_responsible_member_from_another_team(api, care_plan, outsider):
    response = api.post(
        "/api/v1/goals/",
        {"plan": str(care_plan.pk), "description": "Walk more", "responsible_member": outsider.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["responsible_member"] == [
        f'Invalid pk "{outsider.pk}" - object does not exist.'
    ]
    assert not Goal.objects.filter(responsible_member=outsider).exists()


def test_the_step_form_refuses_another_teams_goal(care_plan, foreign_plan, nurse):
    foreign_goal = factories.GoalFactory(plan=foreign_plan)
    form = plan_forms.item_form_class(ActionStep)(
        {"description": "Walk", "goal": foreign_goal.pk, "responsible_party": "patient"},
        plan=care_plan,
        actor=nurse,
    )
    assert not form.is_valid()
    assert "goal" in form.errors


def test_the_goal_form_refuses_another_teams_problem(care_plan, foreign_plan, nurse):
    foreign_problem = factories.ProblemFactory(plan=foreign_plan)
    form = plan_forms.GoalForm(
        {"description": "Walk", "problems": [foreign_problem.pk]}, plan=care_plan, actor=nurse
    )
    assert not form.is_valid()
    assert "problems" in form.errors
