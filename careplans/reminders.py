"""Reminders and notifications: the sweep that finds what is due, and the daily email digest.

The sweep is state-based: it looks at what is due or overdue *now* and creates one notification per
(kind, item, due date, recipient), keyed so that a second run, a second beat process or a catch-up
after a day of downtime creates nothing twice. Each query is bounded by an indexed due date, so
its cost grows with the number of due items, not with the number of patients.

Email: one digest per person per day (`EmailDigest`), holding every notification not yet emailed.
`send_digest` claims the digest in a committed transaction before it talks to the mail server, so
the same email is never sent twice, whatever the broker re-delivers. The one window this cannot
close (the server accepted the message and the worker died before recording it) ends in
"uncertain", not in a second email: the notifications are still in the app, and the sweep logs it.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    CommunityService,
    EmailDigest,
    Goal,
    Notification,
    PlanItem,
    ReminderStage,
    ResponsibleParty,
)
from teams.models import CareRole, Membership, Team, User

logger = logging.getLogger(__name__)

#: How far ahead a reminder is sent, per subject.
DUE_SOON_DAYS = {
    Notification.Subject.PLAN_REVIEW: 14,
    Notification.Subject.GOAL_REVIEW: 7,
    Notification.Subject.SERVICE_REVIEW: 7,
    Notification.Subject.ACTION_STEP: 2,
}
#: A digest still "sending" after this long was interrupted mid-send.
STALE_CLAIM = datetime.timedelta(minutes=30)
MAX_SEND_ATTEMPTS = 5
#: The mail server is unreachable, timed out or answered 4xx: nothing was sent, so it may be tried again.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class Due:
    """One item the sweep must act on: its due date, how far its reminders have gone, who is responsible."""

    subject: str
    model: type
    pk: object
    plan: CarePlan
    due_on: datetime.date
    stage: int
    item_kind: str = ""
    label: str = ""
    responsible_id: int | None = None

    def target_stage(self, today: datetime.date) -> int:
        if self.due_on >= today:
            return ReminderStage.DUE_SOON
        if (today - self.due_on).days > self.plan.patient.team.escalate_after_days:
            return ReminderStage.ESCALATED
        return ReminderStage.OVERDUE


def notification_key(kind: str, subject: str, ref: object, due_or_version: object, recipient_id: int) -> str:
    return f"{kind}:{subject}:{ref}:{due_or_version}:{recipient_id}"


# --- The sweep -------------------------------------------------------------------------------------
# Each subject is read with one query that only matches rows whose reminders must move on:
# not reminded and inside the window, reminded "due soon" and now overdue, or overdue and now past the
# earliest escalation limit. A partial index on the date (open rows, stage < escalated) serves it, so
# an hourly run reads only what changed since the last one, and a run after downtime catches up at once.


def open_statuses(model: type) -> list[str]:
    """Listed, not negated, so PostgreSQL can use the partial indexes on open rows."""
    if model is CarePlan:
        return [CarePlan.Status.ACTIVE]
    return sorted(set(model.Status.values) - model.END_STATUSES)


def _moving_on(date_field: str, *, today: datetime.date, window: int, escalate_after: int) -> Q:
    return (
        Q(
            reminder_stage=ReminderStage.NONE,
            **{f"{date_field}__lte": today + datetime.timedelta(days=window)},
        )
        | Q(reminder_stage=ReminderStage.DUE_SOON, **{f"{date_field}__lt": today})
        | Q(
            reminder_stage=ReminderStage.OVERDUE,
            **{f"{date_field}__lt": today - datetime.timedelta(days=escalate_after)},
        )
    )


SUBJECTS = [
    # subject, model, date field, kind in URLs
    (Notification.Subject.PLAN_REVIEW, CarePlan, "next_review_due", ""),
    (Notification.Subject.GOAL_REVIEW, Goal, "next_review_on", "goal"),
    (Notification.Subject.SERVICE_REVIEW, CommunityService, "next_review_on", "community-service"),
    (Notification.Subject.ACTION_STEP, ActionStep, "due_date", "action-step"),
]


def due_rows(
    model: type, date_field: str, *, today: datetime.date, window: int, escalate_after: int
) -> QuerySet:
    """The rows of one subject whose reminders may have to move on."""
    moving = _moving_on(date_field, today=today, window=window, escalate_after=escalate_after)
    if model is CarePlan:
        return CarePlan.objects.filter(moving, status=CarePlan.Status.ACTIVE).select_related("patient__team")
    return model.objects.filter(
        moving, status__in=open_statuses(model), plan__status=CarePlan.Status.ACTIVE
    ).select_related("plan__patient__team")


def find_due(today: datetime.date) -> list[Due]:
    """Everything whose reminders must move on as of `today`: one indexed query per subject."""
    escalate_after = min(Team.objects.values_list("escalate_after_days", flat=True), default=0)
    found = []
    for subject, model, date_field, item_kind in SUBJECTS:
        window = DUE_SOON_DAYS[subject]
        for row in due_rows(model, date_field, today=today, window=window, escalate_after=escalate_after):
            if model is CarePlan:
                plan, responsible, label = row, row.responsible_member_id, "Plan review"
            else:
                plan, label = row.plan, f"{Notification.Subject(subject).label}: {row}"
                responsible = (
                    row.responsible_member_id
                    if row.responsible_party == ResponsibleParty.TEAM_MEMBER
                    else None
                )
            due = Due(
                subject,
                model,
                row.pk,
                plan,
                getattr(row, date_field),
                row.reminder_stage,
                item_kind,
                label,
                responsible,
            )
            if due.target_stage(today) > due.stage:
                found.append(due)
    return found


@dataclass
class TeamPeople:
    nurse_care_managers: dict[int, list[int]]
    leads: dict[int, list[int]]
    physicians_by_plan: dict[object, list[int]]


def _team_people(team_ids: set[int], plan_ids: set[object]) -> TeamPeople:
    """Who to fall back on and escalate to, for every team and plan in the sweep: two queries."""
    ncms: dict[int, list[int]] = defaultdict(list)
    leads: dict[int, list[int]] = defaultdict(list)
    memberships = Membership.objects.filter(team_id__in=team_ids, ended_on__isnull=True, user__is_active=True)
    for team_id, user_id, role, is_lead in memberships.order_by("id").values_list(
        "team_id", "user_id", "role", "is_team_lead"
    ):
        if role == CareRole.NURSE_CARE_MANAGER:
            ncms[team_id].append(user_id)
        if is_lead:
            leads[team_id].append(user_id)
    physicians: dict[object, list[int]] = defaultdict(list)
    for plan_id, user_id in CareTeamMember.objects.filter(
        plan_id__in=plan_ids,
        status=CareTeamMember.Status.ACTIVE,
        user__isnull=False,
        role__in=[CareRole.PHYSICIAN, CareRole.NP_PA],
    ).values_list("plan_id", "user_id"):
        physicians[plan_id].append(user_id)
    return TeamPeople(ncms, leads, physicians)


def _sweep_text(due: Due, kind: str) -> str:
    patient = due.plan.patient
    name = f"{patient.preferred_name or patient.given_name} {patient.family_name}"
    when = (
        f"due {due.due_on:%d %b %Y}"
        if kind == Notification.Kind.DUE_SOON
        else f"overdue since {due.due_on:%d %b %Y}"
    )
    prefix = "Escalated: " if kind == Notification.Kind.ESCALATION else ""
    return f"{prefix}{due.label} for {name}, {when}"[:300]


def plan_notifications(due_items: list[Due], today: datetime.date) -> list[Notification]:
    """The notifications that moving each item to its target stage calls for."""
    people = _team_people({d.plan.patient.team_id for d in due_items}, {d.plan.pk for d in due_items})
    notifications = []
    for due in due_items:
        team_id = due.plan.patient.team_id
        target = due.target_stage(today)
        recipients = [due.responsible_id] if due.responsible_id else people.nurse_care_managers[team_id]
        targets = []
        if target == ReminderStage.DUE_SOON:
            targets += [(Notification.Kind.DUE_SOON, r) for r in recipients]
        elif due.stage < ReminderStage.OVERDUE:
            targets += [(Notification.Kind.OVERDUE, r) for r in recipients]
        if target == ReminderStage.ESCALATED:
            escalate_to = people.leads[team_id] + people.physicians_by_plan[due.plan.pk]
            targets += [(Notification.Kind.ESCALATION, r) for r in dict.fromkeys(escalate_to)]
        ref = f"{due.item_kind}-{due.pk}" if due.item_kind else f"plan-{due.plan.pk}"
        for kind, recipient_id in targets:
            notifications.append(
                Notification(
                    key=notification_key(kind, due.subject, ref, due.due_on, recipient_id),
                    recipient_id=recipient_id,
                    kind=kind,
                    subject=due.subject,
                    plan=due.plan,
                    item_kind=due.item_kind,
                    item_id=due.pk if due.item_kind else None,
                    due_on=due.due_on,
                    text=_sweep_text(due, kind),
                )
            )
    return notifications


@transaction.atomic
def sweep_reminders(*, today: datetime.date) -> int:
    """Create the reminders and escalations due as of `today`; return how many are new.

    Safe to run any number of times, concurrently, or after missed days: each item's stage
    records how far its reminders went, and each notification's key is unique.
    """
    due_items = find_due(today)
    if not due_items:
        return 0
    notifications = plan_notifications(due_items, today)
    existing = set(
        Notification.objects.filter(key__in=[n.key for n in notifications]).values_list("key", flat=True)
    )
    new = [n for n in notifications if n.key not in existing]
    # A concurrent sweep may insert the same keys between the read and the write: the unique key wins.
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    moves: dict[tuple[type, int], list[object]] = defaultdict(list)
    for due in due_items:
        moves[due.model, due.target_stage(today)].append(due.pk)
    for (model, stage), pks in moves.items():
        # No history event: reminder_stage is bookkeeping, left out of history (HISTORY_EXCLUDE).
        model.objects.filter(pk__in=pks, reminder_stage__lt=stage).update(reminder_stage=stage)
    return len(new)


# --- Notifications from people's actions ----------------------------------------------------------


def notify(
    *,
    recipients: Iterable[User | int],
    kind: str,
    subject: str,
    plan: CarePlan,
    text: str,
    ref: str,
    actor: User | None = None,
    item_kind: str = "",
    item_id: int | None = None,
) -> int:
    """Tell these people about something that happened; idempotent per (kind, ref, recipient)."""
    ids = {r if isinstance(r, int) else r.pk for r in recipients}
    if actor is not None:
        ids.discard(actor.pk)
    rows = [
        Notification(
            key=notification_key(kind, subject, ref, "", recipient_id),
            recipient_id=recipient_id,
            kind=kind,
            subject=subject,
            plan=plan,
            item_kind=item_kind,
            item_id=item_id,
            text=text[:300],
            actor=actor,
        )
        for recipient_id in sorted(ids)
    ]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def notify_responsible_of_change(*, item: PlanItem, actor: User, what: str) -> None:
    """Tell the team member responsible for an item that someone else changed it (if they want to know)."""
    responsible_id = getattr(item, "responsible_member_id", None)
    if not responsible_id or responsible_id == actor.pk:
        return
    if not User.objects.filter(pk=responsible_id, notify_on_changes=True, is_active=True).exists():
        return
    from careplans.models import PLAN_ITEM_MODELS

    kind = next(k for k, m in PLAN_ITEM_MODELS.items() if isinstance(item, m))
    notify(
        recipients=[responsible_id],
        kind=Notification.Kind.ITEM_CHANGED,
        subject=Notification.Subject.PLAN_ITEM,
        plan=item.plan,
        text=f"{actor} {what} {item._meta.verbose_name} “{item}”",
        ref=f"{kind}-{item.pk}-v{item.version}",
        actor=actor,
        item_kind=kind,
        item_id=item.pk,
    )


# --- Reading and marking read ---------------------------------------------------------------------


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("plan__patient", "actor")


def mark_read(*, notification: Notification, actor: User) -> None:
    """Opening a notification marks it read; only its recipient can."""
    if notification.recipient_id == actor.pk and notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


def notification_link(notification: Notification) -> str:
    url = reverse("careplans:plan-detail", args=[notification.plan_id])
    if notification.item_kind and notification.item_id:
        return f"{url}#{notification.item_kind}-{notification.item_id}"
    return url


# --- The daily digest -----------------------------------------------------------------------------


def digests_to_send(*, now: datetime.datetime) -> list[int]:
    """From DIGEST_HOUR on, open today's digest for everyone with notifications not yet emailed;
    return every digest id to send.

    Pending digests of earlier days (the broker was down, a send failed transiently) are returned too;
    digests stuck in "sending" are marked uncertain and logged, never re-sent.
    """
    waiting = (
        Notification.objects.filter(
            digest__isnull=True, recipient__email_digest=True, recipient__is_active=True
        )
        .exclude(recipient__email="")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    local = timezone.localtime(now)
    if local.hour >= settings.DIGEST_HOUR:
        EmailDigest.objects.bulk_create(
            [EmailDigest(recipient_id=r, day=local.date()) for r in waiting], ignore_conflicts=True
        )
    stuck = EmailDigest.objects.filter(
        status=EmailDigest.Status.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM
    )
    for digest in stuck:
        logger.error("Digest %s was interrupted while sending; it is not sent again.", digest.pk)
    stuck.update(status=EmailDigest.Status.UNCERTAIN, last_error="Interrupted while sending.")
    return list(EmailDigest.objects.filter(status=EmailDigest.Status.PENDING).values_list("id", flat=True))


def _claim(digest_id: int) -> tuple[EmailDigest, list[Notification]] | None:
    with transaction.atomic():
        digest = (
            EmailDigest.objects.select_for_update().select_related("recipient").filter(pk=digest_id).first()
        )
        if digest is None or digest.status != EmailDigest.Status.PENDING:
            return None
        if digest.attempts >= MAX_SEND_ATTEMPTS:
            digest.status = EmailDigest.Status.FAILED
            digest.save(update_fields=["status"])
            logger.error(
                "Gave up sending digest %s after %s attempts: %s",
                digest.pk,
                digest.attempts,
                digest.last_error,
            )
            return None
        items = list(
            Notification.objects.filter(recipient_id=digest.recipient_id)
            .filter(Q(digest__isnull=True) | Q(digest=digest))
            .select_related("plan__patient")
            .order_by("kind", "due_on", "id")
        )
        if not items:
            digest.status = EmailDigest.Status.SENT
            digest.last_error = "Nothing to send."
            digest.save(update_fields=["status", "last_error"])
            return None
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(digest=digest)
        digest.status = EmailDigest.Status.SENDING
        digest.claimed_at = timezone.now()
        digest.attempts += 1
        digest.save(update_fields=["status", "claimed_at", "attempts"])
    return digest, items


def digest_message(digest: EmailDigest, items: list[Notification]) -> EmailMultiAlternatives:
    """The email: no patient names or clinical details (email is not a secure channel), only links."""
    base = settings.SITE_URL.rstrip("/")
    context = {
        "recipient": digest.recipient,
        "day": digest.day,
        "items": [(n, base + notification_link(n)) for n in items],
        "site_name": settings.SITE_NAME,
        "preferences_url": base + reverse("careplans:notification-preferences"),
    }
    subject = f"{settings.SITE_NAME}: {len(items)} item{'s' if len(items) != 1 else ''} for you on {digest.day:%d %b}"
    message = EmailMultiAlternatives(
        subject,
        render_to_string("careplans/email/digest.txt", context),
        to=[digest.recipient.email],
        headers={"Message-ID": f"<digest-{digest.pk}@{settings.SITE_DOMAIN}>"},
    )
    message.attach_alternative(render_to_string("careplans/email/digest.html", context), "text/html")
    return message


def send_digest(*, digest_id: int) -> str:
    """Send one digest at most once. Transient mail errors put it back to pending and re-raise."""
    claimed = _claim(digest_id)
    if claimed is None:
        return "skipped"
    digest, items = claimed
    try:
        digest_message(digest, items).send()
    except TRANSIENT_MAIL_ERRORS as error:
        # The server refused or could not be reached: nothing was sent, so it may be tried again.
        EmailDigest.objects.filter(pk=digest.pk).update(
            status=EmailDigest.Status.PENDING, last_error=f"{type(error).__name__}: {error}"[:300]
        )
        raise
    except Exception as error:
        give_up_on_digest(digest_id=digest.pk, error=error, status=EmailDigest.Status.SENDING)
        raise
    EmailDigest.objects.filter(pk=digest.pk).update(status=EmailDigest.Status.SENT, sent_at=timezone.now())
    return "sent"


def give_up_on_digest(
    *, digest_id: int, error: BaseException, status: str = EmailDigest.Status.PENDING
) -> None:
    """After the last retry, or an error that retrying cannot fix: record the failure and say so loudly."""
    EmailDigest.objects.filter(pk=digest_id, status=status).update(
        status=EmailDigest.Status.FAILED, last_error=f"{type(error).__name__}: {error}"[:300]
    )
    logger.error("Gave up sending digest %s: %s", digest_id, error)


@transaction.atomic
def set_notification_preferences(*, user: User, email_digest: bool, notify_on_changes: bool) -> User:
    user.email_digest = email_digest
    user.notify_on_changes = notify_on_changes
    user.save(update_fields=["email_digest", "notify_on_changes"])
    return user
