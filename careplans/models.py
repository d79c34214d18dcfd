"""The shared care plan: one living CarePlan per patient and its sections.

Every section item is a `PlanItem`: versioned, attributed, tracked in history
and never deleted. Each item type names the status it is reopened to and the
statuses that end it (ending always needs a reason); the services in
`careplans.services` use those facts for every type alike.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import ClassVar

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from patients.models import Patient
from teams.models import CareRole, Team
from teams.records import VersionedRecord, tracked


class RiskTier(models.TextChoices):
    STANDARD = "standard", "Standard"
    HIGH = "high", "High risk"


def recheck_reminders_when_due(subject: str, date_field: str) -> list[pgtrigger.Trigger]:
    """Queue a row for the reminder sweep when it is added or its due date moves, however that happens.

    The sweep (careplans.reminders) otherwise only looks at dates crossing a boundary since its last
    run; a new or moved date may already be inside a window, or overdue, and must be reminded of too.
    """
    queue = (
        "INSERT INTO careplans_reminderrecheck (subject, ref, queued_at) "
        f"VALUES ('{subject}', NEW.id::text, now()); RETURN NULL;"
    )
    return [
        pgtrigger.Trigger(
            name="recheck_new_due", when=pgtrigger.After, operation=pgtrigger.Insert, func=queue
        ),
        pgtrigger.Trigger(
            name="recheck_moved_due",
            when=pgtrigger.After,
            operation=pgtrigger.Update,
            condition=pgtrigger.Condition(f'OLD."{date_field}" IS DISTINCT FROM NEW."{date_field}"'),
            func=queue,
        ),
    ]


def worklist_team_field() -> models.ForeignKey:
    """The patient's team, copied onto a plan, goal or service by the database, never by code.

    Migration 0016's triggers set it on every write of the row (from the patient for a plan, from the
    plan for an item) and when the patient moves team. The worklist's sections walk the whole practice's
    rows in their order and test the viewer's teams on this column, not on each row's plan and patient.
    A plan's copy is exact (a new plan waits for a move of its patient in progress) and says who may see
    the row there; an item's is only the way in. Left out of the history: it repeats the patient's team.
    """
    return models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", editable=False, blank=True, db_index=False
    )


@tracked(derived=("worklist_team",))
class CarePlan(VersionedRecord):
    """The patient's one shared, living care plan (FHIR CarePlan, intent "plan")."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        REVOKED = "revoked", "Revoked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="care_plan")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.CharField(max_length=200, blank=True)
    what_matters_most = models.TextField(blank=True, help_text="In the patient's own words.")
    strengths = models.TextField(
        blank=True, help_text="What the patient brings: skills, supports, motivation."
    )
    care_preferences = models.TextField(
        blank=True, help_text="What care the patient is willing and able to do, and what is a burden."
    )
    additional_information = models.TextField(
        blank=True, help_text="Anything else the patient wants the team to know: history, family, life."
    )
    # Patient Priorities Care: values, "the one thing", and care the patient is willing and able to do.
    # Fields on the plan itself, so the plan page and the printout read them alike.
    priority_values = models.TextField(
        "values", blank=True, help_text="What matters most in life: function, family, independence…"
    )
    one_thing = models.TextField(
        "the one thing",
        blank=True,
        help_text="The one thing the patient most wants the team to work on, and what it gets in the way of.",
    )
    willing_and_able = models.TextField(
        "care the patient is willing and able to do",
        blank=True,
        help_text="Medications, self-management, visits and tests the patient will, or will not, do.",
    )
    helpful_care = models.TextField("care the patient finds helpful", blank=True)
    burdensome_care = models.TextField("care the patient finds a burden", blank=True)
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.STANDARD)
    review_interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Leave empty to use the team's default for the risk tier."
    )
    next_review_due = models.DateField(null=True, blank=True)
    next_review_reason = models.CharField(
        max_length=200, blank=True, help_text="Why the next review date was set by hand, if it was."
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    responsible_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans_responsible_for",
        help_text="The team member who keeps this plan up to date.",
    )
    worklist_team = worklist_team_field()  # for the worklist's "Reviews due"

    class Meta:
        indexes = [
            models.Index(fields=["next_review_due"], condition=Q(status="active"), name="plan_review_due"),
        ]
        triggers = recheck_reminders_when_due("plan_review", "next_review_due")

    def __str__(self) -> str:
        return f"Care plan for {self.patient}"

    def review_interval(self) -> datetime.timedelta:
        team = self.patient.team
        if self.review_interval_days:
            days = self.review_interval_days
        elif self.risk_tier == RiskTier.HIGH:
            days = team.high_risk_review_interval_days
        else:
            days = team.review_interval_days
        return datetime.timedelta(days=days)

    def is_review_overdue(self, today: datetime.date | None = None) -> bool:
        return self.next_review_due is not None and self.next_review_due < (today or timezone.localdate())


class PlanItem(VersionedRecord):
    """One entry in a section of a care plan."""

    OPEN_STATUS: ClassVar[str]
    END_STATUSES: ClassVar[frozenset[str]]
    SECTION: ClassVar[str]

    part2_protected = models.BooleanField(
        "42 CFR Part 2",
        default=False,
        help_text="Identifies the patient as having or having had a substance use disorder.",
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_ended(self) -> bool:
        return self.status in self.END_STATUSES


class ResponsibleParty(models.TextChoices):
    PATIENT = "patient", "The patient"
    CAREGIVER = "caregiver", "A caregiver"
    TEAM_MEMBER = "team_member", "A team member"


class Responsibility(models.Model):
    """Who is responsible: the patient, a caregiver, or a named team member (CMS: interventions name who)."""

    responsible_party = models.CharField(
        max_length=12, choices=ResponsibleParty.choices, default=ResponsibleParty.PATIENT
    )
    responsible_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    def clean_responsibility(self) -> dict[str, str]:
        if self.responsible_party == ResponsibleParty.TEAM_MEMBER and not self.responsible_member_id:
            return {"responsible_member": "Choose the team member who is responsible."}
        if self.responsible_party != ResponsibleParty.TEAM_MEMBER and self.responsible_member_id:
            return {"responsible_member": "Only choose a team member when a team member is responsible."}
        return {}

    @property
    def responsible_label(self) -> str:
        if self.responsible_party == ResponsibleParty.TEAM_MEMBER and self.responsible_member:
            return str(self.responsible_member)
        return self.get_responsible_party_display()


@tracked
class Problem(PlanItem):
    """A health concern on the problem list, with its expected outcome and prognosis."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        RESOLVED = "resolved", "Resolved"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.RESOLVED, Status.INACTIVE, Status.ENTERED_IN_ERROR})
    SECTION = "Problems"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="problems")
    condition = models.CharField(max_length=200)
    code = models.CharField(max_length=20, blank=True, help_text="ICD-10-CM or SNOMED CT code, if known.")
    patient_wording = models.CharField(max_length=300, blank=True, help_text="How the patient describes it.")
    is_chronic = models.BooleanField(default=True)
    expected_to_last_12_months = models.BooleanField("expected to last 12 months or more", default=True)
    onset_date = models.DateField(null=True, blank=True)
    expected_outcome = models.TextField(blank=True)
    prognosis = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.condition


@tracked(derived=("last_measured_on", "worklist_team"))
class Goal(PlanItem, Responsibility):
    """A goal in the patient's words, measurable where it can be (FHIR Goal)."""

    class Serves(models.TextChoices):
        ONE_THING = "one_thing", "The one thing"
        VALUES = "values", "The patient's values"
        CARE_PREFERENCES = "care_preferences", "The patient's care preferences"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    class Achievement(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        IMPROVING = "improving", "Improving"
        WORSENING = "worsening", "Worsening"
        NO_CHANGE = "no_change", "No change"
        ACHIEVED = "achieved", "Achieved"
        SUSTAINING = "sustaining", "Sustaining"
        NOT_ACHIEVED = "not_achieved", "Not achieved"

    class Kind(models.TextChoices):
        HEALTH = "health", "Health goal"
        LIFE = "life", "Life goal"

    class Term(models.TextChoices):
        SHORT = "short", "Short term"
        LONG = "long", "Long term"

    class ExpressedBy(models.TextChoices):
        PATIENT = "patient", "Patient"
        CAREGIVER = "caregiver", "Caregiver"
        TEAM = "team", "Care team"

    class Comparator(models.TextChoices):
        AT_MOST = "<=", "at most"
        LESS_THAN = "<", "less than"
        EQUAL = "=", "exactly"
        MORE_THAN = ">", "more than"
        AT_LEAST = ">=", "at least"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.COMPLETED, Status.CANCELLED, Status.ENTERED_IN_ERROR})
    SECTION = "Goals"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="goals")
    description = models.TextField(help_text="The goal in the patient's own words.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HEALTH)
    term = models.CharField(max_length=10, choices=Term.choices, default=Term.SHORT)
    expressed_by = models.CharField(max_length=12, choices=ExpressedBy.choices, default=ExpressedBy.PATIENT)
    measure = models.CharField(max_length=120, blank=True, help_text="What is measured, for example HbA1c.")
    unit = models.CharField(max_length=30, blank=True)
    baseline_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    target_comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        "lifecycle status", max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    achievement_status = models.CharField(
        max_length=15, choices=Achievement.choices, default=Achievement.IN_PROGRESS
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    barriers = models.TextField(blank=True, help_text="What might get in the way.")
    next_review_on = models.DateField(null=True, blank=True)
    serves = models.CharField(
        "priority it serves",
        max_length=20,
        choices=Serves.choices,
        blank=True,
        help_text="Which of the patient's priorities this goal serves.",
    )
    problems = models.ManyToManyField(Problem, through="GoalProblem", related_name="goals", blank=True)
    # The date of the latest final measurement, kept by the measurement services in the same transaction
    # (careplans.services.record_goal_measurement, mark_measurement_in_error) so the worklist can sort
    # goals by when they were last checked from an index. It repeats the measurements, so it is left out
    # of the goal's history.
    last_measured_on = models.DateField(null=True, blank=True, editable=False)
    worklist_team = worklist_team_field()  # for the worklist's "Goals off track"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The worklist's "Goals off track" (careplans.worklist.goals_off_track) in its order: worsening
            # first, then the longest unchecked. TruncDate uses the TIME_ZONE at migration time, as the
            # query does at run time; with another TIME_ZONE the query is still right, only slower.
            models.Index(
                ExpressionWrapper(
                    Q(achievement_status="worsening"), output_field=models.BooleanField()
                ).desc(),
                Greatest("last_measured_on", "baseline_date", TruncDate("created_at")),
                F("id"),
                condition=Q(status="active"),
                name="goal_off_track",
            ),
            # The reminder sweep (careplans.reminders) reads open goals whose review reminders are not done.
            models.Index(
                fields=["next_review_on"],
                condition=Q(status__in=["proposed", "active", "on_hold"]),
                name="goal_review_due",
            ),
        ]
        triggers = recheck_reminders_when_due("goal_review", "next_review_on")

    def __str__(self) -> str:
        return self.description

    @property
    def is_measurable(self) -> bool:
        return bool(self.measure and self.target_value is not None)

    @property
    def target_label(self) -> str:
        if self.target_value is None:
            return ""
        return f"{self.get_target_comparator_display()} {self.target_value.normalize():f} {self.unit}".strip()

    def meets_target(self, value: Decimal) -> bool:
        target = self.target_value
        if target is None or not self.target_comparator:
            return False
        return {
            "<=": value <= target,
            "<": value < target,
            "=": value == target,
            ">": value > target,
            ">=": value >= target,
        }[self.target_comparator]

    def clean(self) -> None:
        errors = self.clean_responsibility()
        if self.target_value is not None and not self.measure:
            errors["measure"] = "Say what is measured when you give a target value."
        if self.target_value is not None and not self.target_comparator:
            errors["target_comparator"] = "Say whether the target is at most, at least or exactly the value."
        if self.target_comparator and self.target_value is None:
            errors["target_value"] = "Give the target value."
        if self.baseline_value is not None and not self.measure:
            errors["measure"] = "Say what is measured when you give a baseline value."
        if self.target_date and self.baseline_date and self.target_date < self.baseline_date:
            errors["target_date"] = "The target date cannot be before the baseline date."
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class GoalProblem(models.Model):
    """Links a goal to the problems it addresses. Unlinking is recorded in history."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE)
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["goal", "problem"], name="goal_problem_unique")]

    def __str__(self) -> str:
        return f"{self.goal} addresses {self.problem}"


@tracked
class GoalMeasurement(VersionedRecord):
    """One value of a goal's measure. Corrections mark a value entered in error, with a reason."""

    class Source(models.TextChoices):
        CLINIC = "clinic", "Measured in clinic"
        LAB = "lab", "Lab result"
        PATIENT = "patient", "Reported by the patient"
        DEVICE = "device", "Home device"

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="measurements")
    value = models.DecimalField(max_digits=10, decimal_places=2)
    measured_on = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLINIC)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["measured_on", "id"]
        indexes = [models.Index(fields=["goal", "-measured_on"], name="measurement_latest")]

    def __str__(self) -> str:
        return f"{self.value} on {self.measured_on}"

    def clean(self) -> None:
        if self.measured_on and self.measured_on > timezone.localdate():
            raise ValidationError({"measured_on": "A measurement cannot be dated in the future."})
        baseline_date = self.goal.baseline_date if self.goal_id else None
        if self.measured_on and baseline_date and self.measured_on < baseline_date:
            raise ValidationError(
                {
                    "measured_on": f"A measurement cannot be dated before the baseline ({baseline_date:%d %b %Y})."
                }
            )


@tracked
class ActionStep(PlanItem, Responsibility):
    """A planned intervention or self-management step: what, who and by when."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUS = Status.PLANNED
    END_STATUSES = frozenset({Status.DONE, Status.CANCELLED})
    SECTION = "Action plan"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="action_steps")
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="action_steps"
    )
    description = models.TextField(help_text="What will be done, in plain words.")
    due_date = models.DateField()
    is_urgent = models.BooleanField("urgent", default=False, help_text="Shown first on the worklist.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            # A member's open steps in the worklist's order (careplans.worklist.STEP_ORDER).
            models.Index(
                F("responsible_member"),
                F("is_urgent").desc(),
                F("due_date"),
                F("id"),
                condition=Q(status__in=["planned", "in_progress"]),
                name="open_steps_of_member",
            ),
            models.Index(
                fields=["due_date"], condition=Q(status__in=["planned", "in_progress"]), name="open_steps_due"
            ),
        ]
        triggers = recheck_reminders_when_due("action_step", "due_date")

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        errors = self.clean_responsibility()
        if self.goal_id and self.plan_id and self.goal.plan_id != self.plan_id:
            errors["goal"] = "The goal must belong to the same care plan."
        if errors:
            raise ValidationError(errors)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return not self.is_ended and self.due_date < (today or timezone.localdate())


@tracked
class Medication(PlanItem):
    """An active or past medication: what, how much, how often, who prescribed it and why."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.STOPPED, Status.COMPLETED, Status.ENTERED_IN_ERROR})
    SECTION = "Medications"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    formulation = models.CharField(
        max_length=100, blank=True, help_text="For example tablet, sublingual film."
    )
    dose = models.CharField(max_length=60)
    route = models.CharField(max_length=40, blank=True)
    frequency = models.CharField(max_length=100)
    indication = models.CharField("what it is for", max_length=200)
    prescriber = models.CharField(max_length=120, blank=True)
    start_date = models.DateField(null=True, blank=True)
    stop_date = models.DateField(null=True, blank=True)
    patient_instructions = models.TextField(blank=True, help_text="How to take it, in plain words.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}"

    def clean(self) -> None:
        if self.start_date and self.stop_date and self.stop_date < self.start_date:
            raise ValidationError({"stop_date": "The stop date cannot be before the start date."})


@tracked
class SymptomPlan(PlanItem):
    """What to do when: green, yellow and red zones for one symptom, and whom to call."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.RETIRED})
    SECTION = "Symptom plan"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="symptom_plans")
    symptom = models.CharField(max_length=120)
    green_signs = models.TextField(help_text="Doing well: what it looks like.")
    green_actions = models.TextField(help_text="What to keep doing.")
    yellow_signs = models.TextField(help_text="Warning signs.")
    yellow_actions = models.TextField(help_text="What to do, and whom to call.")
    red_signs = models.TextField(help_text="Emergency signs.")
    red_actions = models.TextField(help_text="What to do right away.")
    whom_to_call = models.CharField(max_length=120)
    call_phone = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["symptom", "id"]

    def __str__(self) -> str:
        return self.symptom


@tracked
class InformationRelease(PlanItem):
    """A signed release of information; under 42 CFR Part 2 when it covers substance-use disorder records."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.EXPIRED, Status.REVOKED})
    SECTION = "Information releases"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="information_releases")
    recipient_name = models.CharField(
        max_length=200, help_text="The person or class of people who may receive it."
    )
    recipient_organization = models.CharField(max_length=200, blank=True)
    recipient_contact = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=300)
    information_scope = models.TextField(help_text="Which information may be shared, and how much.")
    covers_part2 = models.BooleanField(
        "covers substance-use disorder records (42 CFR Part 2)",
        default=False,
    )
    signed_by = models.CharField(max_length=200, help_text="The patient, or their authorized representative.")
    signed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(
        max_length=200, blank=True, help_text="An event that ends the release instead."
    )
    revoked_on = models.DateField(null=True, blank=True)
    risks_and_benefits_discussed = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-signed_on", "id"]
        indexes = [models.Index(fields=["expires_on"], condition=Q(status="active"), name="release_expiry")]

    def __str__(self) -> str:
        return f"Release to {self.recipient_name}"

    def clean(self) -> None:
        errors = {}
        if not self.expires_on and not self.expiry_event:
            errors["expires_on"] = "Give an expiry date or the event that ends the release."
        if self.expires_on and self.signed_on and self.expires_on < self.signed_on:
            errors["expires_on"] = "The release cannot expire before it was signed."
        if self.revoked_on and self.signed_on and self.revoked_on < self.signed_on:
            errors["revoked_on"] = "The release cannot be revoked before it was signed."
        if errors:
            raise ValidationError(errors)

    def is_in_force(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.status == self.Status.ACTIVE and (self.expires_on is None or self.expires_on >= on)


@tracked(derived=("waiting_since", "worklist_team"))
class CommunityService(PlanItem, Responsibility):
    """A community service or referral, and whether the team may exchange information with it."""

    class Category(models.TextChoices):
        TRANSPORTATION = "transportation", "Transportation"
        FOOD = "food", "Food"
        HOUSING = "housing", "Housing"
        UTILITIES = "utilities", "Utilities"
        PEER_SUPPORT = "peer_support", "Peer support"
        SELF_HELP_GROUP = "self_help_group", "Self-help group"
        BEHAVIORAL_THERAPY = "behavioral_therapy", "Behavioral therapy"
        RECOVERY_SUPPORT = "recovery_support", "Recovery support"
        CAREGIVER_SUPPORT = "caregiver_support", "Caregiver support"
        HOME_CARE = "home_care", "Home care"
        SPECIALIST = "specialist", "Specialist care"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", "Recommended"
        REFERRED = "referred", "Referred"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"

    OPEN_STATUS = Status.RECOMMENDED
    END_STATUSES = frozenset({Status.COMPLETED, Status.DECLINED})
    SECTION = "Community services"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="community_services")
    category = models.CharField(max_length=20, choices=Category.choices)
    organization_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    service_details = models.TextField(
        blank=True, help_text="Type and intensity: what, how often, with whom."
    )
    barrier_addressed = models.CharField(max_length=200, blank=True)
    permission_to_exchange = models.BooleanField(
        "permission to exchange information", default=False, help_text="Backed by a signed release."
    )
    release = models.ForeignKey(
        InformationRelease, on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )
    referred_on = models.DateField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECOMMENDED)
    # `waiting_since_from_fields()`, stored by the services that change those fields so the worklist's
    # "Referrals waiting" reads the longest waiting from an index; left out of the history (it repeats it).
    waiting_since = models.DateField(null=True, blank=True, editable=False)
    worklist_team = worklist_team_field()  # for the worklist's "Referrals waiting"

    class Meta:
        ordering = ["category", "organization_name", "id"]
        verbose_name_plural = "community services"
        indexes = [
            models.Index(
                fields=["waiting_since", "id"],
                condition=Q(status__in=["recommended", "referred"]),
                name="service_waiting",
            ),
            models.Index(
                fields=["next_review_on"],
                condition=Q(status__in=["recommended", "referred", "active"]),
                name="service_review_due",
            ),
        ]
        triggers = recheck_reminders_when_due("service_review", "next_review_on")

    def __str__(self) -> str:
        return f"{self.organization_name} ({self.get_category_display()})"

    def waiting_since_from_fields(self) -> datetime.date:
        """Since when the service has been waiting: the referral date, else its last status change, else
        the day it was added."""
        if self.referred_on:
            return self.referred_on
        return timezone.localdate(self.status_changed_at or self.created_at)

    def clean(self) -> None:
        errors = self.clean_responsibility()
        if self.release_id and self.plan_id and self.release.plan_id != self.plan_id:
            errors["release"] = "The release must belong to the same care plan."
        if self.permission_to_exchange and not self.release_id:
            errors["release"] = "Choose the signed release that gives permission to exchange information."
        if errors:
            raise ValidationError(errors)


@tracked
class CareTeamMember(PlanItem):
    """A person on this patient's care team, inside the practice or outside it, and what they do."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    class OutsideRole(models.TextChoices):
        SPECIALIST = "specialist", "Specialist"
        CAREGIVER = "caregiver", "Caregiver / family"
        COMMUNITY_PARTNER = "community_partner", "Community partner"
        COUNSELOR = "counselor", "Counselor / therapist"
        PHARMACY = "pharmacy", "Pharmacy"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.ENDED})
    SECTION = "Care team"
    ROLE_CHOICES: ClassVar = [*CareRole.choices, *OutsideRole.choices]

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_team_roles",
    )
    name = models.CharField(max_length=200, blank=True, help_text="For someone outside the practice.")
    organization = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=30, choices=ROLE_CHOICES)
    phone = models.CharField(max_length=40, blank=True)
    responsibilities = models.TextField(help_text="What this person is responsible for in this plan.")
    is_primary_contact = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-is_primary_contact", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "user"],
                condition=Q(status="active", user__isnull=False),
                name="one_active_role_per_user_per_plan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} — {self.get_role_display()}"

    @property
    def display_name(self) -> str:
        return str(self.user) if self.user_id else self.name

    def clean(self) -> None:
        if not self.user_id and not self.name:
            raise ValidationError(
                {"name": "Choose a team member or give the name of the person outside the practice."}
            )
        if self.user_id and self.name:
            raise ValidationError({"name": "Give a name only for someone outside the practice."})


@tracked
class EducationTopic(PlanItem):
    """Education given to the patient, and whether teach-back confirmed it was understood."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Given"
        RETIRED = "retired", "Retired"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.RETIRED})
    SECTION = "Education"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="education")
    topic = models.CharField(max_length=200)
    material = models.CharField(max_length=300, blank=True, help_text="Handout, video or link given.")
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delivered_on = models.DateField()
    teach_back_confirmed = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-delivered_on", "id"]
        verbose_name_plural = "education topics"

    def __str__(self) -> str:
        return self.topic

    def clean(self) -> None:
        if self.delivered_on and self.delivered_on > timezone.localdate():
            raise ValidationError({"delivered_on": "Education cannot be dated in the future."})


@tracked
class SharedDecision(PlanItem):
    """A decision made with the patient, following AHRQ SHARE: options, what the patient values, the choice."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Current"
        SUPERSEDED = "superseded", "Superseded"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    OPEN_STATUS = Status.ACTIVE
    END_STATUSES = frozenset({Status.SUPERSEDED, Status.ENTERED_IN_ERROR})
    SECTION = "Shared decisions"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="decisions")
    question = models.CharField(max_length=300, help_text="The decision to be made, in plain words.")
    options = models.TextField(
        "options, benefits and harms",
        help_text="One option per line, with its benefits, harms and burden.",
    )
    only_one_option_reason = models.CharField(
        "why there is only one reasonable option", max_length=300, blank=True
    )
    decision_aid = models.CharField("decision aid used", max_length=300, blank=True)
    patient_values = models.TextField("what the patient values", blank=True)
    decision = models.TextField("decision reached", blank=True)
    decided_on = models.DateField(null=True, blank=True)
    participants = models.CharField(max_length=300, blank=True, help_text="Who took part.")
    revisit_on = models.DateField("revisit on", null=True, blank=True)
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions")
    problem = models.ForeignKey(
        Problem, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.question

    @property
    def option_lines(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self) -> None:
        errors = {}
        if self.decision:
            if len(self.option_lines) < 2 and not self.only_one_option_reason:
                errors["options"] = (
                    "Record at least two options, or say why there is only one reasonable option."
                )
            if not self.patient_values.strip():
                errors["patient_values"] = "Record what the patient values before the decision."
        for name in ("goal", "problem"):
            linked = getattr(self, name) if getattr(self, f"{name}_id") else None
            if linked is not None and self.plan_id and linked.plan_id != self.plan_id:
                errors[name] = f"The {name} must belong to the same care plan."
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent())
@pgtrigger.register(
    pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)
class PlanReview(models.Model):
    """A review of the whole plan. Append-only: a review is never edited, only followed by another."""

    class Context(models.TextChoices):
        VISIT = "visit", "Office visit"
        PHONE = "phone", "Phone"
        VIDEO = "video", "Video visit"
        HUDDLE = "huddle", "Team huddle"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer_role = models.CharField(max_length=30, choices=CareRole.choices)
    context = models.CharField(max_length=10, choices=Context.choices)
    patient_present = models.BooleanField()
    summary = models.TextField()
    decisions = models.TextField(blank=True)
    next_review_due = models.DateField(help_text="The next review date this review set.")

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["plan", "-reviewed_at"], name="review_latest")]

    def __str__(self) -> str:
        return f"Review on {self.reviewed_at:%Y-%m-%d} by {self.reviewer}"


@pgtrigger.register(
    pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)
class PlanVersion(models.Model):
    """The whole plan as it stood when a review signed it off: an immutable snapshot (see careplans.snapshots)."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    review = models.OneToOneField(PlanReview, on_delete=models.PROTECT, related_name="plan_version")
    snapshot = models.JSONField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_role = models.CharField(max_length=30, choices=CareRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique")]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.plan}"


@tracked
@pgtrigger.register(pgtrigger.Protect(name="append_only", operation=pgtrigger.Update))
class ReviewCorrection(models.Model):
    """A correcting note on a signed review, which itself is never edited."""

    review = models.ForeignKey(PlanReview, on_delete=models.PROTECT, related_name="corrections")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=30, choices=CareRole.choices)
    note = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Correction to {self.review}"


#: The section item types, in the order the plan shows them, keyed by the name used in URLs.
PLAN_ITEM_MODELS: dict[str, type[PlanItem]] = {
    "problem": Problem,
    "goal": Goal,
    "action-step": ActionStep,
    "medication": Medication,
    "symptom-plan": SymptomPlan,
    "community-service": CommunityService,
    "care-team-member": CareTeamMember,
    "information-release": InformationRelease,
    "education": EducationTopic,
    "decision": SharedDecision,
}


@pgtrigger.register(pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete))
class EmailDigest(models.Model):
    """One person's email for one day, listing every notification not yet emailed to them.

    Its state makes sending happen once: a sender claims the row (pending -> sending) in a
    committed transaction before it talks to the mail server, so a re-delivered task finds the
    claim and sends nothing. See `careplans.reminders.send_digest`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up after repeated mail server errors"
        UNCERTAIN = "uncertain", "Interrupted while sending; not sent again"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_person_per_day")
        ]
        indexes = [
            models.Index(
                fields=["status"], condition=Q(status__in=["pending", "sending"]), name="digest_open"
            )
        ]

    def __str__(self) -> str:
        return f"Digest for {self.recipient} on {self.day}: {self.get_status_display()}"


@pgtrigger.register(pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete))
class Notification(models.Model):
    """Something one person should know or do: reminders, an escalation, a mention, a change to their item.

    A reminder from the sweep lists every item of one subject that fell due (or overdue, or was
    escalated) for this person in that run (`item_refs`); a mention or a change names its one plan
    and item. `key` makes creating it idempotent. Notifications are read in the app (badge and
    list) and emailed in that person's daily digest.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        ESCALATION = "escalation", "Overdue: escalated"
        MENTION = "mention", "Mentioned you"
        ITEM_CHANGED = "item_changed", "Your item changed"
        EMERGENCY_ACCESS = "emergency_access", "Emergency access to your team's patient"

    class Subject(models.TextChoices):
        PLAN_REVIEW = "plan_review", "Plan review"
        GOAL_REVIEW = "goal_review", "Goal review"
        SERVICE_REVIEW = "service_review", "Community service review"
        ACTION_STEP = "action_step", "Action step"
        COMMENT = "comment", "Comment"
        PLAN_ITEM = "plan_item", "Plan item"
        EMERGENCY_ACCESS = "emergency_access", "Emergency access"

    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=20, choices=Subject.choices)
    plan = models.ForeignKey(
        CarePlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For one plan's news.",
    )
    item_refs = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text="A reminder lists every item that fell due for this person in one sweep (ids, or plan ids).",
    )
    item_kind = models.CharField(max_length=30, blank=True, help_text="The item's kind as used in URLs.")
    item_id = models.BigIntegerField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    text = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        EmailDigest, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["recipient"], condition=Q(digest__isnull=True), name="notification_not_emailed"
            ),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def message(self) -> str:
        if self.text:
            return self.text
        count = len(self.item_refs)
        things = REMINDER_NOUNS[self.subject][count != 1]
        if self.kind == self.Kind.ESCALATION:
            return f"{count} {things} overdue past the team's limit"
        return f"{count} {things} {'due soon' if self.kind == self.Kind.DUE_SOON else 'now overdue'}"


#: How a reminder names its items: (one, several).
REMINDER_NOUNS = {
    "plan_review": ("plan review", "plan reviews"),
    "goal_review": ("goal review", "goal reviews"),
    "service_review": ("community service review", "community service reviews"),
    "action_step": ("action step", "action steps"),
}


class ReminderRecheck(models.Model):
    """A row added or with a moved due date, waiting for the next reminder sweep (a work queue, not a record)."""

    subject = models.CharField(max_length=20)
    ref = models.CharField(max_length=40)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["subject"], name="recheck_by_subject")]

    def __str__(self) -> str:
        return f"Recheck {self.subject} {self.ref}"


class ReminderSweep(models.Model):
    """How far the reminder sweep got: the day and the moment of its last run. One row."""

    swept_on = models.DateField()
    swept_at = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Reminders swept up to {self.swept_on} (run {self.runs})"


@tracked
class InstrumentResponse(VersionedRecord):
    """One completed PHQ-9, GAD-7 or AHC social-needs screen: item answers, and the score the server gave them.

    Scoring lives in `careplans.measures`; the service stores its result here so the trend and the
    history show what the team saw at the time.
    """

    class Instrument(models.TextChoices):
        PHQ9 = "phq9", "PHQ-9"
        GAD7 = "gad7", "GAD-7"
        AHC = "ahc", "AHC social needs"

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="instrument_responses")
    instrument = models.CharField(max_length=10, choices=Instrument.choices)
    answered_on = models.DateField()
    answers = models.JSONField(default=dict)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=200)
    urgent = models.BooleanField(default=False)
    positive_domains = models.JSONField(default=list, blank=True)
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="instrument_responses"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["answered_on", "id"]
        indexes = [models.Index(fields=["plan", "instrument", "answered_on"], name="instrument_trend")]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} on {self.answered_on}: {self.band}"

    def clean(self) -> None:
        if self.answered_on and self.answered_on > timezone.localdate():
            raise ValidationError({"answered_on": "A response cannot be dated in the future."})


# ---- The patient-experience loop: anonymous monthly surveys (see docs/partnering.md, "Anonymity").


@pgtrigger.register(pgtrigger.Protect(name="protect_deletes", operation=pgtrigger.Delete))
class SurveyToken(models.Model):
    """One printed or sent survey invitation: a secret that can be used once.

    Only a hash of the secret is stored. Nothing links a token to a patient, and using it
    records no time, so the team cannot match a token to the response it produced. Not
    tracked in history on purpose: a history row would carry the time and request of its use.
    """

    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="survey_tokens")
    month = models.DateField(help_text="The first day of the survey month.")
    token_hash = models.CharField(max_length=64, unique=True)
    is_used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Survey invitation for {self.team} ({self.month:%B %Y})"


@pgtrigger.register(pgtrigger.Protect(name="protect_deletes", operation=pgtrigger.Delete))
class SurveyResponse(models.Model):
    """One anonymous answer to the monthly survey: team, month and the answers, nothing else.

    A random primary key and no timestamp: neither the order nor the time of responses can be
    matched to when an invitation was handed out.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="survey_responses")
    month = models.DateField()
    answers = models.JSONField()

    def __str__(self) -> str:
        return f"Survey response for {self.team} ({self.month:%B %Y})"


@tracked
class ImprovementGoal(VersionedRecord):
    """What the team will improve this month, in the light of what patients told it."""

    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="improvement_goals")
    month = models.DateField()
    goal = models.TextField()

    class Meta:
        ordering = ["-month", "id"]

    def __str__(self) -> str:
        return self.goal


@tracked
class Comment(VersionedRecord):
    """A short note to the team on the plan, or on one of its items (`item_kind` + `item_id`).

    Never deleted: its author retracts it with a reason, which blanks the text for everyone;
    the text stays in the comment's history.
    """

    BODY_MAX_LENGTH = 2000

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="comments")
    item_kind = models.CharField(
        max_length=30,
        blank=True,
        choices=[(kind, model._meta.verbose_name) for kind, model in PLAN_ITEM_MODELS.items()],
        help_text="Empty for a comment on the plan as a whole.",
    )
    item_id = models.PositiveBigIntegerField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    retracted_at = models.DateTimeField(null=True, blank=True)
    retraction_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["plan", "item_kind", "item_id"], name="comment_thread")]
        constraints = [
            models.CheckConstraint(
                condition=Q(item_kind="", item_id__isnull=True)
                | (~Q(item_kind="") & Q(item_id__isnull=False)),
                name="comment_item_kind_and_id_together",
            )
        ]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None

    @property
    def thread_id(self) -> str:
        """The DOM id suffix of the comment's thread: "plan", or "<kind>-<item id>"."""
        return f"{self.item_kind}-{self.item_id}" if self.item_kind else "plan"


@tracked
class CommentMention(models.Model):
    """A team member named with @username in a comment; `read_at` is set when they next open the plan."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="mentions")
    mentioned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comment_mentions"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "mentioned"], name="one_mention_per_user_per_comment")
        ]
        indexes = [
            models.Index(fields=["mentioned"], condition=Q(read_at__isnull=True), name="unread_mentions")
        ]

    def __str__(self) -> str:
        return f"{self.mentioned} in {self.comment}"


class PlanVisit(models.Model):
    """When a user last opened a plan. Overwritten on each visit; not patient data, so not tracked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="visits")
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "plan"], name="one_visit_per_user_per_plan")]

    def __str__(self) -> str:
        return f"{self.user} saw {self.plan} at {self.last_seen_at:%Y-%m-%d %H:%M}"


class PlanActivity(models.Model):
    """The latest change to a plan or any of its items or comments: when, by whom, and what.

    One row per plan, overwritten by the services (the full record is in history); the worklist
    compares it with `PlanVisit` to list plans changed since a user last looked.
    """

    plan = models.OneToOneField(CarePlan, on_delete=models.CASCADE, primary_key=True, related_name="activity")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = "plan activity"

    def __str__(self) -> str:
        return f"{self.plan}: {self.summary}"


class PageStamp(models.Model):
    """A counter the database bumps whenever anything shown in a plan's sections changes.

    Kept by statement-level triggers (migration careplans 0013) on the plan, its items, measurements,
    goal-problem links, reviews, comments, questionnaire answers, CMS marks, copies given, the
    patient, their enrolment and related people: key is the plan's id. The key "directory" counts
    changes to people's names, teams and the practice (any plan may name them).
    `careplans.page_cache` keys the plan page's cached sections on both, so no code has to remember
    to bump it. Not patient data: a cache key, so not tracked.
    """

    key = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.seq}"


@tracked
class PlanPrintout(VersionedRecord):
    """One print of the plan for the patient (or someone else), or a visit summary for the chart.

    Every print is recorded: who asked, when, which plan version, for whom and how it was delivered.
    The PDF is rendered by a Celery task; printouts whose content is the same share one stored file.
    """

    class Document(models.TextChoices):
        PATIENT_PLAN = "patient_plan", "The patient's plan"
        VISIT_SUMMARY = "visit_summary", "Visit summary for the chart"

    class Recipient(models.TextChoices):
        PATIENT = "patient", "The patient"
        OTHER = "other", "Someone else"

    class Delivery(models.TextChoices):
        PRINTED = "printed", "Printed"
        HANDED_OVER = "handed_over", "Handed over in person"
        MAILED = "mailed", "Mailed"
        PORTAL = "portal", "Sent through the patient portal"
        CHART = "chart", "Filed in the chart"

    class Status(models.TextChoices):
        QUEUED = "queued", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="printouts")
    # Until plans have signed versions, the plan's own `version`; later it can name a signed version.
    plan_version = models.PositiveIntegerField()
    document = models.CharField(max_length=20, choices=Document.choices, default=Document.PATIENT_PLAN)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    large_print = models.BooleanField(default=False)
    include_part2 = models.BooleanField("include 42 CFR Part 2 information", default=False)
    part2_reason = models.CharField(max_length=300, blank=True)
    recipient = models.CharField(max_length=10, choices=Recipient.choices, default=Recipient.PATIENT)
    recipient_name = models.CharField(max_length=200, blank=True)
    # The patient's release that allows giving Part 2 information to someone else (42 CFR 2.31).
    release = models.ForeignKey(
        InformationRelease, on_delete=models.PROTECT, null=True, blank=True, related_name="printouts"
    )
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.PRINTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    failure = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="printouts/", blank=True)
    # A hash of the rendered document: a print with the same content reuses the stored file.
    cache_key = models.CharField(max_length=64, blank=True, db_index=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_document_display()} v{self.plan_version} ({self.language})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.file)

    @property
    def recipient_label(self) -> str:
        return self.recipient_name if self.recipient == self.Recipient.OTHER else str(self.plan.patient)

    def clean(self) -> None:
        errors = {}
        if self.recipient == self.Recipient.OTHER and not self.recipient_name.strip():
            errors["recipient_name"] = "Give the name of the person or office who gets this copy."
        if self.include_part2 and not self.part2_reason.strip():
            errors["part2_reason"] = "Say why this copy includes substance-use disorder information."
        if errors:
            raise ValidationError(errors)


# The chronic care management program's models live in their own module (careplans.ccm_models).
from careplans.ccm_models import *  # noqa: E402, F403, I001
