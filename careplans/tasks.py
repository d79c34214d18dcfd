"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from careplans import reminders, services
from config.celery import enqueue


@shared_task
def expire_information_releases() -> int:
    return services.expire_information_releases(today=timezone.localdate())


@shared_task
def sweep_reminders() -> int:
    """Reminders and escalations for what is due now, then the digests due to go out."""
    created = reminders.sweep_reminders(today=timezone.localdate())
    for digest_id in reminders.digests_to_send(now=timezone.now()):
        enqueue(send_digest, digest_id)
    return created


# Sending is idempotent (the digest is claimed before the mail server is contacted), so late
# acknowledgement is safe: a worker killed mid-task has its message re-delivered.
@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=reminders.MAX_SEND_ATTEMPTS - 1
)
def send_digest(self, digest_id: int) -> str:
    try:
        return reminders.send_digest(digest_id=digest_id)
    except reminders.TRANSIENT_MAIL_ERRORS as error:
        if self.request.retries >= self.max_retries:
            reminders.give_up_on_digest(digest_id=digest_id, error=error)
            raise
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_printout(printout_id: int) -> str | None:
    """Make a printout's PDF. Safe to run twice: a ready printout is left alone."""
    try:
        printout = services.store_printout(printout_id=printout_id)
    except Exception as exc:
        services.fail_printout(printout_id=printout_id, failure=f"{type(exc).__name__}: {exc}")
        raise
    return printout.status if printout else None
