"""State changes of teams and memberships."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from teams.models import ApiToken, Membership, Team, User
from teams.records import apply_changes, create_record, history_context, lock_at_version
from teams.rules import can_manage_team, require


def _require_team_lead(actor: User, team: Team) -> None:
    require(can_manage_team, actor, team, "Only a team lead can change who is on the team.")


@transaction.atomic
def add_team_member(
    *, team: Team, user: User, role: str, actor: User, is_team_lead: bool = False
) -> Membership:
    """Put `user` on `team` in `role`. The actor must lead the team (or be an administrator)."""
    _require_team_lead(actor, team)
    with history_context(actor=actor):
        return create_record(
            Membership,
            actor=actor,
            values={
                "team": team,
                "user": user,
                "role": role,
                "is_team_lead": is_team_lead,
                "started_on": timezone.localdate(),
            },
        )


@transaction.atomic
def end_membership(*, membership: Membership, expected_version: int, actor: User, reason: str) -> Membership:
    """Take a user off a team; from then on they no longer see the team's patients."""
    _require_team_lead(actor, membership.team)
    if not reason.strip():
        raise ValidationError({"end_reason": "Say why the membership ends."})
    locked = lock_at_version(membership, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked,
            actor=actor,
            changes={"ended_on": timezone.localdate(), "end_reason": reason},
            editable=("ended_on", "end_reason"),
        )
    return locked


def hash_api_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw value is returned once and never stored."""
    if not name.strip():
        raise ValidationError({"name": "Name the system or script that will use the token."})
    raw = "cw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), key_hash=hash_api_token(raw), prefix=raw[:8]
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    """From now on the token is refused (401). Only its owner revokes it."""
    if token.user_id != actor.pk:
        raise PermissionDenied("Only the token's owner can revoke it.")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked
