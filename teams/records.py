"""The base every patient-data record shares, and the one way to change one.

Every editable record carries a `version` for optimistic concurrency, who and
when created and last updated it, and is never hard-deleted: PostgreSQL itself
refuses a DELETE (a `pgtrigger.Protect` trigger), so records are ended,
resolved or retired with a reason instead. django-pghistory triggers record
every insert and update with the context (acting user, request or task, reason).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone


class StaleVersionError(Exception):
    """The record changed since the caller read it: their edit would overwrite someone else's."""

    def __init__(self, current: VersionedRecord) -> None:
        super().__init__(
            f"{current._meta.verbose_name} was changed by someone else (now version {current.version})"
        )
        self.current = current


class RecordNotDeletable(Exception):
    """Patient data is ended, resolved or retired with a reason, never deleted."""


class VersionedRecord(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RecordNotDeletable(f"{self._meta.verbose_name} records are ended with a reason, never deleted")


R = TypeVar("R", bound=VersionedRecord)
M = TypeVar("M", bound=type[models.Model])


def tracked(model: M | None = None, *, derived: Iterable[str] = ()) -> Any:
    """Class decorator for every patient-data model: history of every change, and no DELETE.

    The database enforces both, so bulk `.update()` calls, raw SQL and the
    admin are covered as well as the services.

    `@tracked(derived=("last_measured_on",))` leaves columns out of the history that only repeat
    other records (a goal's latest measurement date, kept for the worklist's index): they are not
    stored in the events, and a change to them alone records no event.
    """

    def track(model: M) -> M:
        pgtrigger.register(pgtrigger.Protect(name="protect_deletes", operation=pgtrigger.Delete))(model)
        if derived:
            return pghistory.track(exclude=list(derived))(model)
        return pghistory.track()(model)

    return track(model) if model is not None else track


def lock_at_version(record: R, *, expected_version: int) -> R:
    """Return `record` re-read under a row lock, or raise StaleVersionError.

    Call inside `transaction.atomic()`: the lock holds until the transaction ends,
    so the version check and the write that follows cannot interleave with
    another writer's.
    """
    locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
    if locked.version != expected_version:
        raise StaleVersionError(locked)
    return locked


def apply_changes(
    record: R,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    editable: Iterable[str],
    exclude_from_clean: Iterable[str] = (),
) -> list[str]:
    """Validate and save `changes` on a locked `record`; return the names of the fields that changed.

    Raises django's ValidationError (per field) when the result is invalid, and
    ValueError for a field the caller may not change (a programming error).
    """
    allowed = set(editable)
    refused = set(changes) - allowed
    if refused:
        raise ValueError(f"Not editable here: {', '.join(sorted(refused))}")
    changed = [name for name, value in changes.items() if getattr(record, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(record, name, changes[name])
    record.full_clean(exclude=list(exclude_from_clean))
    record.version += 1
    record.updated_by = actor
    record.updated_at = timezone.now()
    record.save(update_fields=[*changed, "version", "updated_by", "updated_at"])
    return changed


def create_record(
    model: type[R], *, actor: Any, values: Mapping[str, Any], exclude_from_clean: Iterable[str] = ()
) -> R:
    """Validate and insert a new record created by `actor`."""
    for name in values:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(f"{model.__name__} has no field {name!r}") from None
        if not field.editable:
            raise ValueError(f"Not editable here: {name}")
    record = model(**values, created_by=actor, updated_by=actor)
    record.full_clean(exclude=list(exclude_from_clean))
    record.save()
    return record


@contextlib.contextmanager
def history_context(*, actor: Any, reason: str = "", **extra: Any) -> Iterator[None]:
    """The history context of one state change: who did it, and why.

    Services set it themselves so the actor is recorded the same way whether the
    change came from a page, the API, a Celery task or a management command.

    Each state change gets its own context row. pghistory groups every nested
    `pghistory.context` under the outermost one and overwrites its metadata, so
    two changes in one request (or one command) would otherwise share, and
    misreport, each other's actor and reason. Inside an outer context (the
    request's user and URL, a task's name and id) the new row inherits that
    metadata and adds its own; the outer context is restored afterwards.
    """
    from pghistory import runtime

    parent = getattr(runtime._tracker, "value", None)
    metadata = {key: value for key, value in (parent.metadata if parent else {}).items() if key != "reason"}
    metadata.update(extra)
    if actor is not None:
        metadata["user"] = actor.pk
    metadata.setdefault("user", None)
    if reason:
        metadata["reason"] = reason
    if parent is None:
        with pghistory.context(**metadata):
            yield
        return
    # pghistory's hook reads the current context on every statement; swap it for this change only.
    runtime._tracker.value = runtime.Context(id=uuid.uuid4(), metadata=metadata)
    try:
        yield
    finally:
        runtime._tracker.value = parent
