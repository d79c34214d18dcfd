from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    Comment,
    CommentMention,
    CommunityService,
    EducationTopic,
    EmailDigest,
    Goal,
    GoalMeasurement,
    GoalProblem,
    ImprovementGoal,
    InformationRelease,
    InstrumentResponse,
    Medication,
    Notification,
    PageStamp,
    PlanActivity,
    PlanPrintout,
    PlanReview,
    PlanVersion,
    PlanVisit,
    Problem,
    ReminderRecheck,
    ReminderSweep,
    ReviewCorrection,
    SharedDecision,
    SurveyResponse,
    SurveyToken,
    SymptomPlan,
)
from teams.admin import PatientDataAdmin, register_history_admins

PATIENT_SEARCH = ("plan__patient__mrn", "plan__patient__family_name", "plan__patient__given_name")


@admin.register(CarePlan)
class CarePlanAdmin(PatientDataAdmin):
    list_display = ("__str__", "status", "risk_tier", "next_review_due", "responsible_member")
    list_filter = ("status", "risk_tier", "patient__team")
    list_select_related = ("patient", "responsible_member")
    search_fields = ("patient__mrn", "patient__family_name", "patient__given_name")
    autocomplete_fields = ("patient", "responsible_member")


class PlanItemAdmin(PatientDataAdmin):
    """The shared shape of every section item's admin; subclasses add the type's own fields."""

    list_display: tuple[str, ...] = ("__str__", "plan", "status", "part2_protected", "updated_at")
    list_filter: tuple[Any, ...] = ("status", "part2_protected")
    list_select_related = ("plan__patient",)
    search_fields: tuple[str, ...] = PATIENT_SEARCH
    raw_id_fields: tuple[str, ...] = ("plan",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "status_changed_at")


@admin.register(Problem)
class ProblemAdmin(PlanItemAdmin):
    list_display = ("condition", "code", "plan", "status", "is_chronic", "part2_protected")
    list_filter = ("status", "is_chronic", "part2_protected")
    search_fields = ("condition", "code", *PATIENT_SEARCH)


@admin.register(Goal)
class GoalAdmin(PlanItemAdmin):
    list_display = ("description", "plan", "status", "achievement_status", "priority", "target_date")
    list_filter = ("status", "achievement_status", "kind", "term", "priority", "part2_protected")
    search_fields = ("description", "measure", *PATIENT_SEARCH)
    autocomplete_fields = ("responsible_member",)


@admin.register(GoalProblem)
class GoalProblemAdmin(PatientDataAdmin):
    list_display = ("goal", "problem")
    list_select_related = ("goal", "problem")
    search_fields = ("goal__description", "problem__condition", "goal__plan__patient__mrn")
    raw_id_fields = ("goal", "problem")


@admin.register(GoalMeasurement)
class GoalMeasurementAdmin(PatientDataAdmin):
    list_display = ("goal", "value", "measured_on", "source", "status")
    list_filter = ("status", "source")
    list_select_related = ("goal",)
    search_fields = ("goal__description", "goal__measure", "goal__plan__patient__mrn")
    raw_id_fields = ("goal",)
    date_hierarchy = "measured_on"


@admin.register(ActionStep)
class ActionStepAdmin(PlanItemAdmin):
    list_display = ("description", "plan", "status", "responsible_party", "due_date", "part2_protected")
    list_filter = ("status", "responsible_party", "part2_protected")
    search_fields = ("description", *PATIENT_SEARCH)
    raw_id_fields = ("plan", "goal")
    autocomplete_fields = ("responsible_member",)


@admin.register(Medication)
class MedicationAdmin(PlanItemAdmin):
    list_display = ("name", "dose", "frequency", "plan", "status", "part2_protected")
    search_fields = ("name", "indication", "prescriber", *PATIENT_SEARCH)


@admin.register(SymptomPlan)
class SymptomPlanAdmin(PlanItemAdmin):
    list_display = ("symptom", "plan", "whom_to_call", "status", "part2_protected")
    search_fields = ("symptom", *PATIENT_SEARCH)


@admin.register(InformationRelease)
class InformationReleaseAdmin(PlanItemAdmin):
    list_display = ("recipient_name", "plan", "covers_part2", "signed_on", "expires_on", "status")
    list_filter = ("status", "covers_part2", "part2_protected")
    search_fields = ("recipient_name", "recipient_organization", *PATIENT_SEARCH)


@admin.register(CommunityService)
class CommunityServiceAdmin(PlanItemAdmin):
    list_display = ("organization_name", "category", "plan", "status", "permission_to_exchange")
    list_filter = ("status", "category", "permission_to_exchange", "part2_protected")
    search_fields = ("organization_name", "contact_name", *PATIENT_SEARCH)
    raw_id_fields = ("plan", "release")
    autocomplete_fields = ("responsible_member",)


@admin.register(SharedDecision)
class SharedDecisionAdmin(PlanItemAdmin):
    list_display = ("question", "plan", "decided_on", "revisit_on", "status")
    list_filter = ("status",)
    search_fields = ("question", *PATIENT_SEARCH)
    raw_id_fields = ("plan", "goal", "problem")


@admin.register(InstrumentResponse)
class InstrumentResponseAdmin(PatientDataAdmin):
    list_display = ("plan", "instrument", "answered_on", "total", "band", "urgent", "status")
    list_filter = ("instrument", "status", "urgent")
    list_select_related = ("plan__patient",)
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("plan", "goal")
    date_hierarchy = "answered_on"


@admin.register(ImprovementGoal)
class ImprovementGoalAdmin(PatientDataAdmin):
    list_display = ("team", "month", "goal")
    list_filter = ("team",)
    search_fields = ("goal",)


@admin.register(SurveyToken, SurveyResponse)
class AnonymousSurveyAdmin(admin.ModelAdmin):
    """Survey invitations and answers: shown by team and month only, and never edited here."""

    list_display = ("team", "month")
    list_filter = ("team", "month")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(PlanItemAdmin):
    list_display = ("__str__", "plan", "role", "is_primary_contact", "status")
    list_filter = ("status", "role", "is_primary_contact")
    list_select_related = ("plan__patient", "user")
    search_fields = ("name", "organization", "user__last_name", *PATIENT_SEARCH)
    autocomplete_fields = ("user",)


@admin.register(EducationTopic)
class EducationTopicAdmin(PlanItemAdmin):
    list_display = ("topic", "plan", "delivered_on", "delivered_by", "teach_back_confirmed", "status")
    list_filter = ("status", "teach_back_confirmed", "part2_protected")
    list_select_related = ("plan__patient", "delivered_by")
    search_fields = ("topic", *PATIENT_SEARCH)
    autocomplete_fields = ("delivered_by",)


@admin.register(PlanReview)
class PlanReviewAdmin(PatientDataAdmin):
    """Reviews are append-only (the database refuses updates) and are recorded through the plan page."""

    list_display = ("plan", "reviewed_at", "reviewer", "context", "patient_present", "next_review_due")
    list_filter = ("context", "reviewer_role", "patient_present")
    list_select_related = ("plan__patient", "reviewer")
    search_fields = ("summary", *PATIENT_SEARCH)
    raw_id_fields = ("plan", "reviewer")
    date_hierarchy = "reviewed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(PatientDataAdmin):
    """Created by the reminder sweep and by people's changes (careplans.reminders); read-only here."""

    list_display = ("created_at", "recipient", "kind", "subject", "due_on", "read_at", "digest")
    list_filter = ("kind", "subject")
    list_select_related = ("recipient", "digest")
    raw_id_fields = ("recipient", "plan", "actor", "digest")
    date_hierarchy = "created_at"


@admin.register(EmailDigest)
class EmailDigestAdmin(PatientDataAdmin):
    """Each person's email for a day and whether it went out: where to look when mail fails."""

    list_display = ("day", "recipient", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status",)
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    date_hierarchy = "day"


@admin.register(Comment)
class CommentAdmin(PatientDataAdmin):
    """Added and retracted on the plan page (careplans.comments); a retracted comment's text is in its history."""

    list_display = ("created_at", "author", "plan", "item_kind", "item_id", "retracted_at")
    list_filter = ("item_kind",)
    list_select_related = ("author", "plan__patient")
    search_fields = ("body", *PATIENT_SEARCH)
    raw_id_fields = ("plan", "author")
    date_hierarchy = "created_at"


@admin.register(CommentMention)
class CommentMentionAdmin(PatientDataAdmin):
    list_display = ("comment", "mentioned", "read_at")
    list_select_related = ("comment__author", "mentioned")
    raw_id_fields = ("comment", "mentioned")


@admin.register(PlanActivity)
class PlanActivityAdmin(PatientDataAdmin):
    """The latest change to each plan, for the worklist's "changed since you last looked"."""

    list_display = ("plan", "changed_at", "changed_by", "summary")
    list_select_related = ("plan__patient", "changed_by")
    raw_id_fields = ("plan", "changed_by")


@admin.register(PageStamp)
class PageStampAdmin(PatientDataAdmin):
    """How often the database has seen each plan's page change (careplans.page_cache); kept by triggers."""

    list_display = ("key", "seq")
    search_fields = ("key",)


@admin.register(PlanVisit)
class PlanVisitAdmin(PatientDataAdmin):
    list_display = ("plan", "user", "last_seen_at")
    list_select_related = ("plan__patient", "user")
    raw_id_fields = ("plan", "user")


@admin.register(PlanPrintout)
class PlanPrintoutAdmin(PatientDataAdmin):
    """Every print of a plan: who, when, which version, for whom, how delivered. Made on the print page."""

    list_display = (
        "created_at",
        "plan",
        "document",
        "plan_version",
        "language",
        "recipient",
        "delivery",
        "status",
    )
    list_filter = ("document", "status", "language", "include_part2", "delivery")
    list_select_related = ("plan__patient", "requested_by")
    search_fields = ("recipient_name", *PATIENT_SEARCH)
    raw_id_fields = ("plan", "requested_by")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReminderSweep, ReminderRecheck)
class ReminderBookkeepingAdmin(PatientDataAdmin):
    """Where the reminder sweep got to, and what waits for its next run: to look at, never to edit."""


@admin.register(PlanVersion)
class PlanVersionAdmin(PatientDataAdmin):
    """Signed plan versions are immutable (the database refuses updates); read them on the versions page."""

    list_display = ("plan", "number", "created_at", "signed_by", "signer_role")
    list_select_related = ("plan__patient", "signed_by")
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("plan", "review", "signed_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewCorrection)
class ReviewCorrectionAdmin(PatientDataAdmin):
    list_display = ("review", "created_at", "author", "author_role")
    list_select_related = ("review__plan__patient", "author")
    search_fields = ("note", "review__plan__patient__mrn", "review__plan__patient__family_name")
    raw_id_fields = ("review", "author")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from careplans import ccm_admin  # noqa: E402, F401  (registers the care-management models)

register_history_admins("careplans")
