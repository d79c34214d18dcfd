"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from careplans import services


@shared_task
def expire_information_releases() -> int:
    return services.expire_information_releases(today=timezone.localdate())
