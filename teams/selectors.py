"""Who belongs to which team: the membership checks every patient-scoped read is built on."""

from __future__ import annotations

from django.db.models import QuerySet

from teams.models import Membership, Team, User


def active_memberships(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, ended_on__isnull=True)


def team_ids_of(user: User) -> QuerySet:
    """The ids of the teams whose patients `user` may see, as a subquery."""
    return active_memberships(user).values("team_id")


def teams_of(user: User) -> QuerySet[Team]:
    return Team.objects.filter(pk__in=team_ids_of(user)).select_related("organization").order_by("name")


def is_member(user: User, team_id: int) -> bool:
    return active_memberships(user).filter(team_id=team_id).exists()


def membership_in(user: User, team_id: int) -> Membership | None:
    return active_memberships(user).filter(team_id=team_id).first()


def team_members(team_id: int) -> QuerySet[User]:
    """The users currently on a team: the people a plan item can be assigned to."""
    return (
        User.objects.filter(memberships__team_id=team_id, memberships__ended_on__isnull=True, is_active=True)
        .distinct()
        .order_by("last_name", "first_name")
    )


def team_leads(team_id: int) -> QuerySet[User]:
    """The users who currently lead the team."""
    return User.objects.filter(
        memberships__team_id=team_id,
        memberships__ended_on__isnull=True,
        memberships__is_team_lead=True,
        is_active=True,
    ).distinct()
