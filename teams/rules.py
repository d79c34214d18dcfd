"""Who may do what: the action checks every service makes, as django-rules predicates.

A predicate takes `(user, obj)` and answers True or False; predicates combine with `&`, `|` and
`~`. Reads are scoped by the selectors (a record of another team is a 404); these predicates
guard the actions on a record the caller can already see, and `require` refuses with a
`PermissionDenied` that is logged on the `careweave.security` logger. The table of which page
and API operation needs which predicate is `config/policy.py`; `docs/security.md` explains it.
"""

from __future__ import annotations

import logging
from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.http import Http404

from teams import selectors
from teams.models import Team, User

security_log = logging.getLogger("careweave.security")


def team_id_of(obj: Any) -> int | None:
    """The id of the team whose panel `obj` belongs to: a team, a patient, a plan or a plan item."""
    if isinstance(obj, Team):
        return obj.pk
    if isinstance(obj, int):
        return obj
    for path in ("team_id", "patient.team_id", "plan.patient.team_id", "goal.plan.patient.team_id"):
        value: Any = obj
        try:
            for name in path.split("."):
                value = getattr(value, name)
        except AttributeError:
            continue
        return value
    return None


@rules.predicate
def is_on_patients_team(user: User, obj: Any) -> bool:
    """An active member of the team whose panel the patient (or plan, or item, or team) is on."""
    team_id = team_id_of(obj)
    return team_id is not None and selectors.is_member(user, team_id)


@rules.predicate
def is_team_lead(user: User, team: Team) -> bool:
    membership = selectors.membership_in(user, team_id_of(team))
    return membership is not None and membership.is_team_lead


@rules.predicate
def has_sign_off_role(user: User, plan: Any) -> bool:
    """The user's role on the patient's team is one of the team's `sign_off_roles`."""
    team_id = team_id_of(plan)
    membership = selectors.membership_in(user, team_id)
    if membership is None:
        return False
    return membership.role in Team.objects.values_list("sign_off_roles", flat=True).get(pk=team_id)


@rules.predicate
def is_author(user: User, record: Any) -> bool:
    """The user wrote the record (a comment): only they may take it back."""
    return record.author_id == user.pk


is_superuser = rules.is_superuser


@rules.predicate
def is_privacy_officer(user: Any) -> bool:
    """The user's `is_privacy_officer` flag, set in the admin (patients/access_log.py, docs/security.md)."""
    return bool(getattr(user, "is_privacy_officer", False))


# Every write to a plan: the treating team, and no one else (an administrator uses the admin).
can_edit_plan = rules.Predicate(is_on_patients_team, name="can_edit_plan")
can_sign_off = rules.Predicate(is_on_patients_team & has_sign_off_role, name="can_sign_off")
# 42 CFR Part 2 items: the treating team only. Disclosing them to anyone else also needs a release that
# covers them (careplans.part2.may_disclose_part2).
can_see_part2 = rules.Predicate(is_on_patients_team, name="can_see_part2")
can_manage_team = rules.Predicate(is_superuser | is_team_lead, name="can_manage_team")


def require(predicate: rules.Predicate, user: User, obj: Any, message: str) -> None:
    """Refuse (PermissionDenied with `message`, logged) unless `predicate(user, obj)` holds."""
    if not predicate.test(user, obj):
        log_denied(user, action=predicate.name, target=obj, outcome="403")
        raise PermissionDenied(message)


def log_denied(user: Any, *, action: str, target: Any, outcome: str) -> None:
    """One warning per refused request: who, what they tried, on which record (ids only, never PHI)."""
    target_id = getattr(target, "pk", target)
    security_log.warning(
        "access denied: user=%s action=%s target=%s:%s outcome=%s",
        getattr(user, "pk", None),
        action,
        type(target).__name__ if hasattr(target, "pk") else "id",
        target_id,
        outcome,
    )


def not_found(user: Any, message: str, *, target: Any) -> Http404:
    """The 404 a scoped lookup answers for a record that is missing or outside the caller's teams, logged.

    The two cases look the same on purpose: an outsider cannot tell that a record exists.
    """
    log_denied(user, action="lookup", target=target, outcome="404")
    return Http404(message)
