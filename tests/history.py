"""Reading recorded history in tests."""

from __future__ import annotations

from typing import Any

from django.db import models


def latest_event(record: models.Model) -> Any:
    """The newest pghistory event of `record` (insert or update)."""
    return record.events.order_by("-pgh_id").first()


def latest_context(record: models.Model) -> dict[str, Any]:
    event = latest_event(record)
    return event.pgh_context.metadata if event and event.pgh_context else {}
