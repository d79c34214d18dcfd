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
from collections.abc import Iterable, Iterator
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
    ResponsibleParty,
)
from teams.models import CareRole, Membership, User

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
    """One due thing found by the sweep, before its recipients are known."""

    subject: str
    plan: CarePlan
    due_on: datetime.date
    item_kind: str = ""
    item_id: int | None = None
    label: str = ""
    responsible_id: int | None = None


def notification_key(kind: str, subject: str, ref: object, due_or_version: object, recipient_id: int) -> str:
    return f"{kind}:{subject}:{ref}:{due_or_version}:{recipient_id}"


# --- The sweep -------------------------------------------------------------------------------------


def _due_plan_reviews(horizon: datetime.date) -> Iterator[Due]:
    plans = CarePlan.objects.filter(
        status=CarePlan.Status.ACTIVE, next_review_due__lte=horizon
    ).select_related("patient__team")
    for plan in plans:
        yield Due(
            Notification.Subject.PLAN_REVIEW,
            plan,
            plan.next_review_due,
            label="Plan review",
            responsible_id=plan.responsible_member_id,
        )


def open_statuses(model: type[PlanItem]) -> list[str]:
    """Listed, not negated, so PostgreSQL can use the partial indexes on open items."""
    return sorted(set(model.Status.values) - model.END_STATUSES)


def _due_items(
    model: type[PlanItem], date_field: str, subject: str, kind: str, horizon: datetime.date
) -> Iterator[Due]:
    items = model.objects.filter(
        status__in=open_statuses(model),
        plan__status=CarePlan.Status.ACTIVE,
        **{f"{date_field}__lte": horizon},
    ).select_related("plan__patient__team")
    for item in items:
        responsible = (
            item.responsible_member_id if item.responsible_party == ResponsibleParty.TEAM_MEMBER else None
        )
        yield Due(subject, item.plan, getattr(item, date_field), kind, item.pk, str(item), responsible)


def find_due(today: datetime.date) -> list[Due]:
    """Everything due within its reminder window or overdue, as of `today`: four indexed queries."""
    horizon = lambda subject: today + datetime.timedelta(days=DUE_SOON_DAYS[subject])  # noqa: E731
    S = Notification.Subject
    return [
        *_due_plan_reviews(horizon(S.PLAN_REVIEW)),
        *_due_items(Goal, "next_review_on", S.GOAL_REVIEW, "goal", horizon(S.GOAL_REVIEW)),
        *_due_items(
            CommunityService,
            "next_review_on",
            S.SERVICE_REVIEW,
            "community-service",
            horizon(S.SERVICE_REVIEW),
        ),
        *_due_items(ActionStep, "due_date", S.ACTION_STEP, "action-step", horizon(S.ACTION_STEP)),
    ]


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


def _sweep_text(due: Due, kind: str, today: datetime.date) -> str:
    patient = due.plan.patient
    name = f"{patient.preferred_name or patient.given_name} {patient.family_name}"
    what = (
        due.label
        if due.subject == Notification.Subject.PLAN_REVIEW
        else f"{Notification.Subject(due.subject).label}: {due.label}"
    )
    when = (
        f"due {due.due_on:%d %b %Y}"
        if kind == Notification.Kind.DUE_SOON
        else f"overdue since {due.due_on:%d %b %Y}"
    )
    prefix = "Escalated: " if kind == Notification.Kind.ESCALATION else ""
    return f"{prefix}{what} for {name}, {when}"[:300]


def plan_notifications(due_items: Iterable[Due], today: datetime.date) -> list[Notification]:
    """The notifications the due items call for: reminders, and escalations for long-overdue ones."""
    due_items = list(due_items)
    people = _team_people({d.plan.patient.team_id for d in due_items}, {d.plan.pk for d in due_items})
    notifications = []
    for due in due_items:
        team = due.plan.patient.team
        kind = Notification.Kind.OVERDUE if due.due_on < today else Notification.Kind.DUE_SOON
        recipients = [due.responsible_id] if due.responsible_id else people.nurse_care_managers[team.pk]
        targets = [(kind, r) for r in recipients]
        if (today - due.due_on).days > team.escalate_after_days:
            escalate_to = people.leads[team.pk] + people.physicians_by_plan[due.plan.pk]
            targets += [(Notification.Kind.ESCALATION, r) for r in dict.fromkeys(escalate_to)]
        ref = f"{due.item_kind}-{due.item_id}" if due.item_id else f"plan-{due.plan.pk}"
        for target_kind, recipient_id in targets:
            notifications.append(
                Notification(
                    key=notification_key(target_kind, due.subject, ref, due.due_on, recipient_id),
                    recipient_id=recipient_id,
                    kind=target_kind,
                    subject=due.subject,
                    plan=due.plan,
                    item_kind=due.item_kind,
                    item_id=due.item_id,
                    due_on=due.due_on,
                    text=_sweep_text(due, target_kind, today),
                )
            )
    return notifications


@transaction.atomic
def sweep_reminders(*, today: datetime.date) -> int:
    """Create the reminders and escalations due as of `today`; returns how many are new.

    Safe to run any number of times, concurrently, or after missed days: keys are unique.
    """
    notifications = plan_notifications(find_due(today), today)
    existing = set(
        Notification.objects.filter(key__in=[n.key for n in notifications]).values_list("key", flat=True)
    )
    new = [n for n in notifications if n.key not in existing]
    # A concurrent sweep may insert the same keys between the read and the write: the unique key wins.
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
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
