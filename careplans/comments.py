"""Team comments on a plan and its items, with @mentions of team members.

Every change goes through these functions, which keep the promises of `careplans.services`:
one transaction, team membership checked, history context owned, and nothing deleted.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from careplans import reminders
from careplans.activity import note_plan_activity, note_plan_visit
from careplans.models import PLAN_ITEM_MODELS, CarePlan, Comment, CommentMention, Notification
from careplans.services import _require_member, _require_reason
from teams import selectors as teams
from teams.models import User
from teams.records import apply_changes, create_record, history_context, lock_at_version
from teams.rules import is_author, require

# "@" then a username (Django allows letters, digits and @.+-_), not inside a word or an e-mail address.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")


def mentioned_usernames(body: str) -> list[str]:
    """The usernames written as @username in `body`, in order, each once (a sentence's full stop is not one)."""
    return list(dict.fromkeys(MENTION.findall(body)))


def _resolve_mentions(plan: CarePlan, body: str) -> list[User]:
    """The active members of the patient's team that `body` mentions; anyone else is a field error."""
    names = mentioned_usernames(body)
    if not names:
        return []
    members = {
        user.username: user for user in teams.team_members(plan.patient.team_id).filter(username__in=names)
    }
    unknown = [name for name in names if name not in members]
    if unknown:
        listed = ", ".join(f"@{name}" for name in unknown)
        raise ValidationError({"body": f"{listed}: no one on this patient's team has that username."})
    return [members[name] for name in names]


@transaction.atomic
def add_comment(
    *, plan: CarePlan, actor: User, body: str, item_kind: str = "", item_id: int | None = None
) -> Comment:
    """Comment on `plan`, or on one of its items; each @mention of a team member becomes a `CommentMention`."""
    _require_member(actor, plan)
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a comment."})
    if len(body) > Comment.BODY_MAX_LENGTH:
        raise ValidationError(
            {"body": f"Keep a comment to {Comment.BODY_MAX_LENGTH} characters (it has {len(body)})."}
        )
    if item_kind:
        model = PLAN_ITEM_MODELS.get(item_kind)
        if model is None or not model.objects.filter(pk=item_id, plan=plan).exists():
            raise ValidationError({"body": "That item is not on this plan."})
    elif item_id is not None:
        raise ValueError("item_id without item_kind")
    mentioned = _resolve_mentions(plan, body)
    with history_context(actor=actor):
        comment = create_record(
            Comment,
            actor=actor,
            values={"plan": plan, "item_kind": item_kind, "item_id": item_id, "author": actor, "body": body},
        )
        mentions = CommentMention.objects.bulk_create(
            [CommentMention(comment=comment, mentioned=user) for user in mentioned if user != actor]
        )
        note_plan_activity(plan=plan, actor=actor, summary="commented")
    if mentions:
        # The notification does not quote the comment: a retracted comment's text must not live on in it.
        where = f"a {PLAN_ITEM_MODELS[item_kind]._meta.verbose_name}" if item_kind else "the plan"
        reminders.notify(
            recipients=[mention.mentioned for mention in mentions],
            kind=Notification.Kind.MENTION,
            subject=Notification.Subject.COMMENT,
            plan=plan,
            text=f"{actor} mentioned you in a comment on {where} for {plan.patient.display_name}",
            ref=f"comment-{comment.pk}",
            actor=actor,
            item_kind=item_kind,
            item_id=item_id,
        )
    return comment


@transaction.atomic
def retract_comment(*, comment: Comment, expected_version: int, actor: User, reason: str) -> Comment:
    """Take back one's own comment: its text is hidden from everyone and kept only in its history."""
    _require_member(actor, comment.plan)
    require(is_author, actor, comment, "Only the author can retract a comment.")
    reason = _require_reason(reason)
    locked = lock_at_version(comment, expected_version=expected_version)
    if locked.is_retracted:
        raise ValidationError({"status_reason": "This comment has already been retracted."})
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked,
            actor=actor,
            changes={"body": "", "retracted_at": timezone.now(), "retraction_reason": reason},
            editable=("body", "retracted_at", "retraction_reason"),
            exclude_from_clean=("body",),
        )
        note_plan_activity(plan=comment.plan_id, actor=actor, summary="retracted a comment")
    return locked


@transaction.atomic
def record_plan_visit(*, plan: CarePlan, actor: User) -> int:
    """Note that `actor` opened the plan now and mark their mentions in it read; returns how many were unread."""
    _require_member(actor, plan)
    now = timezone.now()
    note_plan_visit(plan=plan, user=actor, at=now)
    unread = CommentMention.objects.filter(mentioned=actor, comment__plan=plan, read_at__isnull=True)
    if not unread.exists():  # Most visits: no history context row for nothing.
        return 0
    with history_context(actor=actor):
        return unread.update(read_at=now)
