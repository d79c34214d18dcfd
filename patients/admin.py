from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from patients.models import AccessEvent, EmergencyAccess, Patient, RelatedPerson
from teams.admin import NeverDeleteAdmin, PatientDataAdmin, register_history_admins


@admin.register(Patient)
class PatientAdmin(PatientDataAdmin):
    list_display = ("display_name", "mrn", "date_of_birth", "team", "status", "preferred_language")
    list_filter = ("status", "team", "preferred_language", "interpreter_needed", "large_print")
    list_select_related = ("team",)
    search_fields = ("mrn", "family_name", "given_name", "preferred_name")
    autocomplete_fields = ("organization", "team")
    date_hierarchy = "created_at"


@admin.register(RelatedPerson)
class RelatedPersonAdmin(PatientDataAdmin):
    list_display = ("name", "relationship", "patient", "is_caregiver", "is_emergency_contact", "status")
    list_filter = ("status", "is_caregiver", "is_emergency_contact", "may_receive_information")
    list_select_related = ("patient",)
    search_fields = ("name", "patient__mrn", "patient__family_name", "patient__given_name")
    autocomplete_fields = ("patient",)


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """The access log, read-only: rows are only ever added, by patients.access_log.record_access."""

    list_display = ("recorded", "agent", "subtype", "outcome", "patient", "what", "source_address", "purpose")
    list_filter = ("subtype", "outcome", "purpose")
    list_select_related = ("agent", "patient")
    search_fields = ("agent__username", "patient__mrn", "what", "query", "recipient")
    date_hierarchy = "recorded"
    raw_id_fields = ("agent", "patient", "api_token")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(NeverDeleteAdmin):
    """Break-the-glass grants, for review: made only by patients.services.grant_emergency_access."""

    list_display = ("user", "patient", "granted_at", "expires_at", "ended_at")
    list_select_related = ("user", "patient")
    search_fields = ("user__username", "patient__mrn", "reason")
    date_hierarchy = "granted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


register_history_admins("patients")
