"""Reminders through a real broker and worker: end to end, a worker killed mid-task, and Redis down."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from careplans import reminders, tasks
from careplans.models import EmailDigest, Notification
from config.celery import app as celery_app
from config.celery import enqueue
from tests.careplans.test_tasks import database_url

ROOT = Path(__file__).resolve().parents[2]
needs_broker = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"), reason="needs CELERY_BROKER_URL (CI sets it)"
)


def NOON() -> datetime.datetime:  # noqa: N802
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))


def sent_digests(mail_dir: Path) -> int:
    return sum(path.read_text().count("Message-ID: <digest-") for path in mail_dir.glob("*.log"))


class Worker:
    """A Celery worker in its own process, on its own queue, mailing into files."""

    def __init__(self, queue: str, mail_dir: Path):
        self.queue, self.mail_dir = queue, mail_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_QUEUE": self.queue,
            "CELERY_VISIBILITY_TIMEOUT": "2",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "DIGEST_HOUR": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", self.queue,
             "-l", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        output, _ = self.process.communicate(timeout=30)
        return output


def wait_until(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def due_today(care_plan, nurse):
    care_plan.next_review_due = timezone.localdate()
    care_plan.save()
    return care_plan


@pytest.fixture
def queue():
    name = f"test-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
    yield name
    celery_app.conf.task_always_eager = True


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
@needs_broker
def test_a_real_worker_runs_the_sweep_and_sends_the_digest_through_redis(due_today, queue, tmp_path):
    worker = Worker(queue, tmp_path).start()
    try:
        tasks.sweep_reminders.apply_async(queue=queue)
        delivered = wait_until(lambda: EmailDigest.objects.filter(status="sent").exists())
    finally:
        output = worker.stop()

    assert delivered, output
    assert Notification.objects.get().kind == "due_soon"
    assert sent_digests(tmp_path) == 1


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
@needs_broker
def test_a_worker_killed_mid_task_has_the_task_delivered_again_and_it_still_sends_once(
    due_today, queue, tmp_path
):
    reminders.sweep_reminders(today=timezone.localdate())
    [digest_id] = reminders.digests_to_send(now=NOON())
    first = Worker(queue, tmp_path).start()
    second = None
    # Hold the digest's row lock, so the first worker is stuck inside the task when it is killed.
    with psycopg.connect(database_url(), autocommit=False) as blocker:
        blocker.execute("select id from careplans_emaildigest where id = %s for update", [digest_id])
        tasks.send_digest.apply_async(args=[digest_id], queue=queue)
        assert wait_until(lambda: _someone_waits_for_a_lock(), 60), first.stop()
        first.kill()
        blocker.rollback()
    try:
        second = Worker(queue, tmp_path).start()
        delivered = wait_until(lambda: EmailDigest.objects.filter(pk=digest_id, status="sent").exists(), 90)
        time.sleep(3)  # long enough for a duplicate delivery, were there one
    finally:
        output = second.stop() if second else ""

    assert delivered, output
    assert sent_digests(tmp_path) == 1
    assert EmailDigest.objects.get().attempts == 1


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def broker_down(monkeypatch):
    """Point the app at a port where no Redis listens, as if Redis had stopped."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    celery_app.conf.task_always_eager = False
    _drop_connections()
    yield
    monkeypatch.undo()
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    _drop_connections()


def _drop_connections() -> None:
    """Forget pooled broker connections, so the next message goes to the broker_url now set."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_with_redis_down_queuing_work_fails_quietly_and_fast(
    due_today, broker_down, caplog, django_capture_on_commit_callbacks
):
    reminders.sweep_reminders(today=timezone.localdate())
    [digest_id] = reminders.digests_to_send(now=NOON())

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(tasks.send_digest, digest_id)

    assert time.monotonic() - started < 5
    assert "Could not queue careplans.tasks.send_digest" in caplog.text
    assert EmailDigest.objects.get().status == "pending"


@pytest.mark.django_db
def test_with_redis_down_the_pages_still_work_and_the_missed_work_is_done_when_it_returns(
    client, due_today, nurse, broker_down, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.sweep_reminders(today=timezone.localdate())
        [digest_id] = reminders.digests_to_send(now=NOON())
        enqueue(tasks.send_digest, digest_id)

    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("careplans:plan-detail", args=[due_today.pk])).status_code == 200
    assert client.get(reverse("careplans:notifications")).status_code == 200
    assert mailoutbox == []

    # Redis is back: the next hourly sweep finds the digest still pending and sends it.
    celery_app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_reminders.delay()

    assert len(mailoutbox) == 1
    assert EmailDigest.objects.get(pk=digest_id).status == "sent"
