from __future__ import annotations

from django.contrib import admin

from patients.models import Patient, RelatedPerson
from teams.admin import PatientDataAdmin, register_history_admins


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


register_history_admins("patients")
