"""A team's approach sets who, by default, owns each section and receives each reminder."""

from __future__ import annotations

import pytest

from careplans import team_approach
from teams.models import CareRole, Team
from tests import factories


@pytest.mark.parametrize("approach", Team.Approach.values)
def test_every_approach_names_a_role_for_every_section_and_reminder(approach):
    assert set(team_approach.SECTION_DEFAULTS[approach]) == set(team_approach.SECTIONS)
    assert set(team_approach.REMINDER_DEFAULTS[approach]) == set(team_approach.REMINDERS)


def test_a_health_coaching_team_gives_the_plan_and_goals_to_the_coach():
    team = Team(approach=Team.Approach.HEALTH_COACHING)
    assert team_approach.section_role(team, "plan") == CareRole.HEALTH_COACH
    assert team_approach.section_role(team, "goal") == CareRole.HEALTH_COACH


def test_a_village_gives_community_referrals_to_the_community_health_worker():
    team = Team(approach=Team.Approach.LEVERAGING_A_VILLAGE)
    assert team_approach.section_role(team, "service") == CareRole.CHW_PEER
    assert team_approach.reminder_role(team, "referral_waiting") == CareRole.CHW_PEER


def test_an_urgent_measure_always_reaches_a_clinician():
    clinicians = {CareRole.PHYSICIAN, CareRole.NURSE_CARE_MANAGER}
    assert all(r["urgent_measure"] in clinicians for r in team_approach.REMINDER_DEFAULTS.values())


@pytest.mark.django_db
def test_the_default_member_is_an_active_member_in_the_role(team, nurse):
    assert team_approach.default_member(team, CareRole.PHARMACIST) is None
    role = nurse.memberships.get(team=team).role
    assert team_approach.default_member(team, role) == nurse
    factories.MembershipFactory(team=team, role=CareRole.PHARMACIST, ended_on="2020-01-01")
    assert team_approach.default_member(team, CareRole.PHARMACIST) is None


@pytest.mark.django_db
def test_a_new_step_or_service_starts_with_the_member_the_teams_approach_puts_in_charge(
    client, care_plan, nurse, team
):
    from django.urls import reverse

    team.approach = "leveraging_a_village"
    team.save()
    chw = factories.UserFactory(username="cam.chw", first_name="Cam", last_name="Worker")
    factories.MembershipFactory(user=chw, team=team, role=CareRole.CHW_PEER)
    client.force_login(nurse)

    for kind in ("action-step", "community-service"):
        form = client.get(
            reverse("careplans:item-new", args=[care_plan.pk, kind]), headers={"HX-Request": "true"}
        )
        page = form.content.decode()
        assert f'<option value="{chw.pk}" selected>' in page, kind
        assert '<option value="team_member" selected>' in page, kind
