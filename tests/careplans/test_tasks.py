"""Celery tasks call services, record who did it, and run on a real worker when a broker is configured."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from careplans import tasks
from careplans.models import InformationRelease
from config.celery import app as celery_app
from tests import factories
from tests.history import latest_context

ROOT = Path(__file__).resolve().parents[2]


def lapsed_release(plan) -> InformationRelease:
    return factories.InformationReleaseFactory(
        plan=plan, expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )


@pytest.mark.django_db
def test_the_expiry_task_records_itself_in_history(care_plan):
    release = lapsed_release(care_plan)

    assert tasks.expire_information_releases.delay().get() == 1

    release.refresh_from_db()
    assert release.status == "expired"
    context = latest_context(release)
    assert context["task"] == "careplans.tasks.expire_information_releases"
    assert context["reason"] == "The expiry date has passed."


def test_the_beat_schedule_names_real_tasks_and_every_entry_expires():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name
        assert entry["options"]["expires"] > 0, name


def database_url() -> str:
    """A URL for the test database this process uses, for a worker in another process."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    if not host or host.startswith("/"):
        return f"postgresql://{credentials}@/{db['NAME']}?host={host}"
    return f"postgresql://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs CELERY_BROKER_URL (CI sets it)")
def test_a_real_worker_runs_the_task_through_redis(care_plan):
    release = lapsed_release(care_plan)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    celery_app.conf.task_always_eager = False
    try:
        tasks.expire_information_releases.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            release.refresh_from_db()
            if release.status == "expired":
                break
            time.sleep(0.25)
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        output, _ = worker.communicate(timeout=30)

    assert release.status == "expired", output
    context = latest_context(release)
    assert context["task"] == "careplans.tasks.expire_information_releases"
    assert context["task_id"]
