"""The Celery app. Tasks are discovered from each app's `tasks.py`.

Settings come from `config.settings` (the `CELERY_` names). Without
`CELERY_BROKER_URL` tasks run in-process (eager), so a new developer needs no
Redis; with it, real workers and beat are used.
"""

from __future__ import annotations

import logging
import os

import pghistory
from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class HistoryTask(DjangoTask):
    """Every task's database writes are recorded in history with the task's name and id."""

    def __call__(self, *args, **kwargs):
        with pghistory.context(task=self.name, task_id=self.request.id):
            return super().__call__(*args, **kwargs)


app = Celery("careweave", task_cls=HistoryTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """Send a task once the current transaction commits, without ever failing the caller.

    If the broker is down the error is logged and the work waits: every task sent this way is
    also found again by a state-based sweep (for example `careplans.tasks.sweep_reminders`).
    """
    from django.db import transaction

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # kombu raises several kinds of connection error
            logger.exception("Could not queue %s%r; the next sweep will pick it up.", task.name, args)

    transaction.on_commit(send)


__all__ = ["app", "enqueue"]
