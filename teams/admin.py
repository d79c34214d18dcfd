"""Admin for people, practices and teams, and the admin bases every patient-data model uses.

Records are never deleted from the admin: the database refuses DELETE on every
`VersionedRecord` anyway, so the admin neither offers the button nor the bulk
action. History events are registered read-only, one admin per event model.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from pghistory.admin import EventModelAdmin
from pghistory.models import Event

from teams.models import ApiToken, Membership, Organization, Team, User, UserSession
from teams.records import history_context

RECORD_FIELDS = ("version", "created_at", "created_by", "updated_at", "updated_by")

admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"


class NeverDeleteAdmin(admin.ModelAdmin):
    """Patient data is ended with a reason, never deleted; each change form links to the record's history."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "change_history")

    @admin.display(description="history")
    def change_history(self, obj: models.Model | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        query = urlencode({"method": "tracks", "obj": f"{obj._meta.label}:{obj.pk}"})
        return format_html(
            '<a href="{}?{}">Every change to this record</a>',
            reverse("admin:pghistory_events_changelist"),
            query,
        )


class RecordAdmin(NeverDeleteAdmin):
    """Admin for a `VersionedRecord`: attribution is read-only, and an edit is attributed and bumps the version.

    Edits here bypass the services' rules (for example, a reason when an item
    ends), so the admin is for fixing data, not for everyday care planning.
    """

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *RECORD_FIELDS)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        elif form.has_changed():
            # Forms opened on the old version will be refused as stale, as after any other edit.
            obj.version += 1
        obj.updated_by = request.user
        obj.updated_at = timezone.now()
        with history_context(actor=request.user, reason="Edited in the Django admin"):
            super().save_model(request, obj, form, change)


class PatientDataAdmin(RecordAdmin):
    """Patient data is read-only here: every change goes through the services.

    The services enforce what the admin cannot (team membership, a reason for
    ending, the rules of each section), so the admin shows records and their
    history but never edits them.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventAdmin(EventModelAdmin):
    """A history event model: read-only, newest first."""

    list_display = ("pgh_created_at", "pgh_label", "pgh_obj", "who_and_why")
    list_select_related = ("pgh_context",)
    ordering = ("-pgh_created_at", "-pgh_id")

    @admin.display(description="who and why")
    def who_and_why(self, event: Event) -> str:
        context = event.pgh_context
        if context is None:
            return "—"
        metadata = context.metadata
        parts = [f"user {metadata['user']}" if metadata.get("user") else "no user"]
        if metadata.get("reason"):
            parts.append(metadata["reason"])
        if metadata.get("url"):
            parts.append(metadata["url"])
        return " · ".join(parts)


def register_history_admins(app_label: str) -> None:
    """Register every history event model of `app_label` read-only."""
    for model in apps.get_app_config(app_label).get_models():
        if issubclass(model, Event):
            admin.site.register(model, EventAdmin)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """People are deactivated, never deleted: their name stays on the records they wrote."""

    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Care team", {"fields": ("credentials", "phone", "is_privacy_officer")}),
    )
    list_display = ("username", "first_name", "last_name", "credentials", "email", "is_active", "is_staff")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Organization)
class OrganizationAdmin(RecordAdmin):
    list_display = ("name", "slug", "phone", "after_hours_phone")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Team)
class TeamAdmin(RecordAdmin):
    list_display = (
        "name",
        "organization",
        "approach",
        "review_interval_days",
        "high_risk_review_interval_days",
    )
    list_filter = ("approach", "organization")
    list_select_related = ("organization",)
    search_fields = ("name", "organization__name")
    autocomplete_fields = ("organization",)


@admin.register(Membership)
class MembershipAdmin(RecordAdmin):
    list_display = ("user", "team", "role", "is_team_lead", "started_on", "ended_on")
    list_filter = ("role", "is_team_lead", ("ended_on", admin.EmptyFieldListFilter), "team")
    list_select_related = ("user", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    autocomplete_fields = ("user", "team")


register_history_admins("teams")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are created and revoked by their owner at /account/api-tokens/."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Who is signed in, read-only. To end someone's sessions, deactivate the account (teams.signals)."""

    list_display = ("user", "signed_in_at")
    readonly_fields = ("user", "signed_in_at")
    exclude = ("session_key",)  # the key is the session itself: never shown

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
