"""Team leads decide who is on the team; leaving the team ends access to its patients."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from patients.selectors import patients_visible_to
from teams import services
from teams.models import Membership
from teams.records import StaleVersionError
from tests import factories
from tests.history import latest_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = factories.UserFactory(username="lee.lead")
    factories.MembershipFactory(user=user, team=team, role="nurse_care_manager", is_team_lead=True)
    return user


def test_a_team_lead_adds_a_member_who_then_sees_the_teams_patients(team, lead, care_plan):
    newcomer = factories.UserFactory(username="new.coach")
    assert not patients_visible_to(newcomer).exists()

    membership = services.add_team_member(team=team, user=newcomer, role="health_coach", actor=lead)

    assert membership.created_by == lead
    assert list(patients_visible_to(newcomer)) == [care_plan.patient]
    assert latest_context(membership)["user"] == lead.pk


def test_a_member_who_is_not_lead_cannot_change_the_team(team, nurse):
    with pytest.raises(PermissionDenied):
        services.add_team_member(team=team, user=factories.UserFactory(), role="other", actor=nurse)


def test_an_outsider_cannot_change_the_team(team, outsider):
    with pytest.raises(PermissionDenied):
        services.add_team_member(team=team, user=outsider, role="other", actor=outsider)
    assert not Membership.objects.filter(team=team, user=outsider).exists()


def test_ending_a_membership_ends_access_and_keeps_the_record(team, lead, nurse, care_plan):
    membership = Membership.objects.get(team=team, user=nurse)

    with pytest.raises(ValidationError):
        services.end_membership(membership=membership, expected_version=1, actor=lead, reason="")
    services.end_membership(membership=membership, expected_version=1, actor=lead, reason="Left the practice")

    assert not patients_visible_to(nurse).exists()
    membership.refresh_from_db()
    assert membership.ended_on is not None
    assert latest_context(membership)["reason"] == "Left the practice"
    with pytest.raises(StaleVersionError):
        services.end_membership(membership=membership, expected_version=1, actor=lead, reason="again")
