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
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from careplans.models import (
    ActionStep,
    CarePlan,
    CommunityService,
    EmailDigest,
    Goal,
    Notification,
    PlanItem,
    ReminderSweep,
)
from teams.models import Team, User

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


def notification_key(kind: str, subject: str, ref: object, due_or_version: object, recipient_id: int) -> str:
    return f"{kind}:{subject}:{ref}:{due_or_version}:{recipient_id}"


# --- The sweep -------------------------------------------------------------------------------------
# The sweep remembers the day of its last run (ReminderSweep). Each run reads, per subject, only the
# open rows whose due date crossed a reminder boundary since then (partial indexes on the dates), and
# the rows that were added or had their date moved since (queued by a trigger in ReminderRecheck and
# taken off the queue by the same statement). Nothing is written to the items. Each person gets one
# notification per subject and kind per run, listing the items: a day of downtime is caught up in
# one run, as one notification per kind, not a flood.


@dataclass(frozen=True)
class Subject:
    name: str
    table: str
    date: str
    item_kind: str  # "" for the plan itself
    responsible: str  # SQL: the team member responsible for the row, or NULL
    open: str  # SQL: the row is open
    id_type: str = "bigint"


_ITEM_RESPONSIBLE = "CASE WHEN x.responsible_party = 'team_member' THEN x.responsible_member_id END"
SUBJECTS = [
    Subject(Notification.Subject.PLAN_REVIEW, "careplans_careplan", "next_review_due", "", "NULL",
            "x.status = 'active'", "uuid"),
    Subject(Notification.Subject.GOAL_REVIEW, "careplans_goal", "next_review_on", "goal", _ITEM_RESPONSIBLE,
            "x.status IN ('active', 'on_hold', 'proposed')"),
    Subject(Notification.Subject.SERVICE_REVIEW, "careplans_communityservice", "next_review_on",
            "community-service", _ITEM_RESPONSIBLE, "x.status IN ('active', 'recommended', 'referred')"),
    Subject(Notification.Subject.ACTION_STEP, "careplans_actionstep", "due_date", "action-step", _ITEM_RESPONSIBLE,
            "x.status IN ('in_progress', 'planned')"),
]  # fmt: skip


def crossing_filter_sql(subject: Subject) -> str:
    """Open rows whose date crossed a boundary since the last run: served by the partial index on the date."""
    date = f"x.{subject.date}"
    return f"""{subject.open} AND (
                   ({date} > %(last)s + %(window)s::int AND {date} <= %(today)s + %(window)s::int)
                OR ({date} >= %(last)s AND {date} < %(today)s)
                OR ({date} >= %(last)s - %(max_escalation)s::int AND {date} < %(today)s - %(min_escalation)s::int))"""


def crossing_rows_sql(subject: Subject) -> str:
    """The rows to remind of, with their owner and the reminder kinds each is due.

    Owner: the member responsible, else whoever keeps the plan, else the member in the role the
    team's approach gives the section, else the team's first nurse care manager. Kinds: due soon on entering the window, overdue on passing the date, escalation on
    passing the team's limit; a new or moved date ("fresh") gets the kinds it is in now.
    Needs the CTEs `queued` (the rechecks taken off the queue) and `nurse` (each team's first nurse care manager).
    """
    plan = "x" if not subject.item_kind else "cp"
    join_plan = "" if not subject.item_kind else "JOIN careplans_careplan cp ON cp.id = x.plan_id"
    date = f"x.{subject.date}"
    in_window = f"{subject.open} AND {date} <= %(today)s + %(window)s::int"
    return f"""
        SELECT x.id::text AS ref, {plan}.id AS plan_id, pt.team_id,
               coalesce({subject.responsible}, {plan}.responsible_member_id, by_approach.user_id, nurse.user_id)
                   AS owner,
               {date} >= %(today)s AND ({date} > %(last)s + %(window)s::int OR fresh) AS due_soon,
               {date} < %(today)s AND ({date} >= %(last)s OR fresh) AS overdue,
               %(today)s - {date} > t.escalate_after_days
                   AND (%(last)s - {date} <= t.escalate_after_days OR fresh) AS escalation
        FROM (
            SELECT x.*, false AS fresh FROM {subject.table} x WHERE {crossing_filter_sql(subject)}
            UNION ALL
            SELECT x.*, true FROM {subject.table} x
            JOIN (SELECT DISTINCT ref::{subject.id_type} AS id FROM queued) q ON q.id = x.id
            WHERE {in_window}
            UNION ALL
            SELECT x.*, true FROM {subject.table} x WHERE %(first)s AND {in_window}
        ) x {join_plan}
        JOIN patients_patient pt ON pt.id = {plan}.patient_id
        JOIN teams_team t ON t.id = pt.team_id
        LEFT JOIN nurse ON nurse.team_id = pt.team_id
        LEFT JOIN by_approach ON by_approach.team_id = pt.team_id
        WHERE {plan}.status = 'active'"""


def _approach_roles(subject: Subject) -> str:
    """SQL VALUES rows (approach, role) from careplans.team_approach: fixed choices, never user input."""
    from careplans import team_approach

    return ", ".join(
        f"('{approach}', '{role}')" for approach, role in team_approach.sweep_roles(subject.name).items()
    )


def _sweep_sql(subject: Subject) -> str:
    return f"""
        WITH queued AS (
            DELETE FROM careplans_reminderrecheck WHERE subject = '{subject.name}' RETURNING ref
        ),
        nurse AS (
            SELECT DISTINCT ON (m.team_id) m.team_id, m.user_id
            FROM teams_membership m JOIN teams_user u ON u.id = m.user_id
            WHERE m.role = 'nurse_care_manager' AND m.ended_on IS NULL AND u.is_active
            ORDER BY m.team_id, m.id
        ),
        by_approach AS (
            -- The first active member (by name) in the role the team's approach gives this section.
            SELECT DISTINCT ON (t.id) t.id AS team_id, m.user_id
            FROM teams_team t
            JOIN (VALUES {_approach_roles(subject)}) AS r(approach, role) ON r.approach = t.approach
            JOIN teams_membership m ON m.team_id = t.id AND m.role = r.role AND m.ended_on IS NULL
            JOIN teams_user u ON u.id = m.user_id AND u.is_active
            ORDER BY t.id, u.last_name, u.first_name, m.user_id
        ),
        crossing AS ({crossing_rows_sql(subject)}),
        notes AS (
            SELECT 'due_soon' AS kind, owner AS recipient, ref FROM crossing WHERE due_soon AND owner IS NOT NULL
            UNION ALL
            SELECT 'overdue', owner, ref FROM crossing WHERE overdue AND owner IS NOT NULL
            UNION ALL
            SELECT 'escalation', m.user_id, c.ref FROM crossing c
            JOIN teams_membership m ON m.team_id = c.team_id AND m.is_team_lead AND m.ended_on IS NULL
            WHERE c.escalation
            UNION ALL
            SELECT 'escalation', member.user_id, c.ref FROM crossing c
            JOIN careplans_careteammember member ON member.plan_id = c.plan_id AND member.status = 'active'
                 AND member.user_id IS NOT NULL AND member.role IN ('physician', 'np_pa')
            WHERE c.escalation
        )
        INSERT INTO careplans_notification (key, recipient_id, kind, subject, item_kind, item_refs, text, created_at)
        SELECT kind || ':{subject.name}:' || recipient || ':' || %(run)s, recipient, kind, '{subject.name}',
               '{subject.item_kind}', array_agg(DISTINCT ref ORDER BY ref), '', now()
        FROM notes GROUP BY kind, recipient
        ON CONFLICT (key) DO NOTHING"""


def sweep_params(subject: Subject, *, today: datetime.date, last: datetime.date, first: bool,
                 run: str) -> dict[str, object]:  # fmt: skip
    escalations = list(Team.objects.values_list("escalate_after_days", flat=True)) or [0]
    return {
        "today": today,
        "last": last,
        "first": first,
        "window": DUE_SOON_DAYS[subject.name],
        "min_escalation": min(escalations),
        "max_escalation": max(escalations) + 1,
        "run": run,
    }


@transaction.atomic
def sweep_reminders(*, today: datetime.date) -> int:
    """Create the reminders and escalations that fell due since the last run, up to `today`.

    Returns how many notifications were created. Safe to run any number of times and concurrently:
    runs take turns on the ReminderSweep row, and each starts where the last one stopped.
    """
    now = timezone.now()
    sweep = ReminderSweep.objects.select_for_update().filter(pk=1).first()
    if sweep is None:
        # The very first run treats every date as new: it reminds of everything due or late now.
        ReminderSweep.objects.bulk_create(
            [ReminderSweep(pk=1, swept_on=today - datetime.timedelta(days=1), swept_at=now)],
            ignore_conflicts=True,
        )
        sweep = ReminderSweep.objects.select_for_update().get(pk=1)
    if today < sweep.swept_on:
        return 0
    created = 0
    with connection.cursor() as cursor:
        for subject in SUBJECTS:
            params = sweep_params(
                subject, today=today, last=sweep.swept_on, first=sweep.runs == 0, run=str(sweep.runs + 1)
            )
            cursor.execute(_sweep_sql(subject), params)
            created += cursor.rowcount
    sweep.swept_on, sweep.swept_at, sweep.runs = today, now, sweep.runs + 1
    sweep.save()
    return created


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


SUBJECT_MODELS = {
    Notification.Subject.PLAN_REVIEW: CarePlan,
    Notification.Subject.GOAL_REVIEW: Goal,
    Notification.Subject.SERVICE_REVIEW: CommunityService,
    Notification.Subject.ACTION_STEP: ActionStep,
}


@dataclass(frozen=True)
class RemindedItem:
    label: str
    patient: str
    due_on: datetime.date | None
    url: str


def reminded_items(notification: Notification, user: User) -> list[RemindedItem]:
    """The items a sweep reminder lists, as `user` may see them now (one query; unseeable ones are left out)."""
    from careplans.selectors import plans_visible_to

    model = SUBJECT_MODELS.get(notification.subject)
    if model is None or not notification.item_refs:
        return []
    visible = plans_visible_to(user)
    if model is CarePlan:
        plans = visible.filter(pk__in=notification.item_refs).select_related("patient")
        return [
            RemindedItem(
                "Plan review",
                str(p.patient),
                p.next_review_due,
                reverse("careplans:plan-detail", args=[p.pk]),
            )
            for p in plans.order_by("next_review_due")
        ]
    date_field = {Goal: "next_review_on", CommunityService: "next_review_on", ActionStep: "due_date"}[model]
    rows = model.objects.filter(pk__in=notification.item_refs, plan__in=visible).select_related(
        "plan__patient"
    )
    return [
        RemindedItem(
            str(row),
            str(row.plan.patient),
            getattr(row, date_field),
            f"{reverse('careplans:plan-detail', args=[row.plan_id])}#{notification.item_kind}-{row.pk}",
        )
        for row in rows.order_by(date_field, "pk")
    ]


def notification_link(notification: Notification, user: User) -> str:
    """Where opening a notification goes: its plan or item, or the list of the items it reminds of."""
    if notification.item_refs:
        items = reminded_items(notification, user) if len(notification.item_refs) == 1 else []
        if len(items) == 1:
            return items[0].url
        return reverse("careplans:notification-detail", args=[notification.pk])
    if notification.plan_id is None:  # Emergency access to a patient without a plan yet.
        return reverse("home") + "#emergency-grants"
    url = reverse("careplans:plan-detail", args=[notification.plan_id])
    if notification.subject == Notification.Subject.COMMENT:
        # To the comments themselves: the item's collapsed thread opens when linked to.
        if notification.item_kind:
            return f"{url}#comments-{notification.item_kind}-{notification.item_id}"
        return f"{url}#team-discussion"
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
        "items": [(n, base + reverse("careplans:notification-open", args=[n.pk])) for n in items],
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
