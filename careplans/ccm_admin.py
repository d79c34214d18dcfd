"""The care-management program in the Django admin: read-only, every change goes through careplans.ccm."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from careplans.ccm_models import (
    BillingCodeRule,
    CareTimeEntry,
    PlanCopyGiven,
    PlanElementNotApplicable,
    ProgramEnrolment,
)
from teams.admin import PatientDataAdmin

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")


@admin.register(ProgramEnrolment)
class ProgramEnrolmentAdmin(PatientDataAdmin):
    list_display = ("patient", "program", "started_on", "ends_on", "billing_practitioner", "status")
    list_filter = ("program", "status", "consent_method")
    list_select_related = ("patient", "billing_practitioner")
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient", "billing_practitioner", "consent_obtained_by")


@admin.register(CareTimeEntry)
class CareTimeEntryAdmin(PatientDataAdmin):
    list_display = ("patient", "performed_on", "minutes", "staff", "staff_type", "activity", "status")
    list_filter = ("staff_type", "activity", "status", "face_to_face")
    list_select_related = ("patient", "staff")
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient", "enrolment", "staff")
    date_hierarchy = "performed_on"


@admin.register(PlanElementNotApplicable)
class PlanElementNotApplicableAdmin(PatientDataAdmin):
    list_display = ("plan", "element", "reason")
    list_select_related = ("plan__patient",)
    raw_id_fields = ("plan",)


@admin.register(PlanCopyGiven)
class PlanCopyGivenAdmin(PatientDataAdmin):
    list_display = ("plan", "given_at", "recipient", "how", "given_by")
    list_select_related = ("plan__patient", "given_by")
    raw_id_fields = ("plan", "given_by")


@admin.register(BillingCodeRule)
class BillingCodeRuleAdmin(admin.ModelAdmin):
    """Rules are data loaded by migrations with effective dates; next year's rules are a new migration."""

    list_display = ("code", "program", "label", "min_minutes", "addon_of", "effective_from", "effective_to")
    list_filter = ("program", "performed_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
