"""The chronic care management program: enrolment with consent, time logged per month,
the billing-code rules (data, with effective dates), and the plan-completeness records.

Imported at the end of `careplans.models`, so these are models of the careplans app.
"""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from careplans.models import CarePlan
from patients.models import Patient
from teams.models import CareRole
from teams.records import VersionedRecord, tracked

__all__ = [
    "BillingCodeRule",
    "CareTimeEntry",
    "PlanCopyGiven",
    "PlanElement",
    "PlanElementNotApplicable",
    "Program",
    "ProgramEnrolment",
    "StaffType",
    "month_end",
]


class Program(models.TextChoices):
    CCM = "ccm", "Chronic care management (CCM)"
    PCM = "pcm", "Principal care management (PCM)"
    APCM = "apcm", "Advanced primary care management (APCM)"


class StaffType(models.TextChoices):
    """Whose time it is: only clinical staff and the billing practitioner's own time count."""

    CLINICAL_STAFF = "clinical_staff", "Clinical staff"
    BILLING_PRACTITIONER = "practitioner", "Billing practitioner (personally)"
    NON_CLINICAL = "non_clinical", "Non-clinical staff (not counted)"


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@tracked
class ProgramEnrolment(VersionedRecord):
    """A patient's enrolment in a care-management program, with the consent it rests on.

    Ending takes effect at the end of the calendar month it was asked for (`ends_on`).
    """

    class ConsentMethod(models.TextChoices):
        VERBAL = "verbal", "Verbal"
        WRITTEN = "written", "Written"

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        ENDED = "ended", "Ended (effective at month end)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="program_enrolments")
    program = models.CharField(max_length=8, choices=Program.choices, default=Program.CCM)
    complex_care = models.BooleanField(
        "complex care management",
        default=False,
        help_text="The billing practitioner attests moderate or high complexity medical decision making.",
    )
    consent_method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    consent_obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    consent_obtained_at = models.DateTimeField()
    informed_cost_sharing = models.BooleanField(
        "told that cost sharing (deductible and coinsurance) applies", default=False
    )
    informed_one_practitioner = models.BooleanField(
        "told that only one practitioner can furnish and be paid for it each month", default=False
    )
    informed_right_to_stop = models.BooleanField(
        "told they may stop at any time, effective at the end of the month", default=False
    )
    billing_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENROLLED)
    end_requested_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text="The last day of the month ending was asked.")
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="enrolled"), name="one_open_enrolment_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_program_display()} from {self.started_on}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.started_on <= day and (self.ends_on is None or day <= self.ends_on)

    def clean(self) -> None:
        missing = [
            self._meta.get_field(name).verbose_name
            for name in ("informed_cost_sharing", "informed_one_practitioner", "informed_right_to_stop")
            if not getattr(self, name)
        ]
        if missing:
            raise ValidationError(
                {"informed_cost_sharing": f"Consent needs the patient {'; '.join(missing)}."}
            )


@tracked
class CareTimeEntry(VersionedRecord):
    """Minutes of care-management work for a patient on one local date (the practice's time zone)."""

    class Activity(models.TextChoices):
        CARE_PLANNING = "care_planning", "Care planning and plan revision"
        PHONE = "phone", "Phone call with patient or caregiver"
        MESSAGING = "messaging", "Secure messaging"
        MEDICATION = "medication", "Medication management"
        COORDINATION = "coordination", "Coordination with outside providers"
        TRANSITION = "transition", "Care transition follow-up"
        COMMUNITY = "community", "Community services referral"
        REVIEW = "review", "Plan review"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        COUNTED = "counted", "Counted"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_time")
    enrolment = models.ForeignKey(ProgramEnrolment, on_delete=models.PROTECT, related_name="time_entries")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=30, choices=CareRole.choices)
    staff_type = models.CharField(max_length=14, choices=StaffType.choices)
    activity = models.CharField(max_length=20, choices=Activity.choices)
    performed_on = models.DateField(help_text="The date in the practice's time zone.")
    minutes = models.PositiveSmallIntegerField()
    face_to_face = models.BooleanField(default=False, help_text="Face-to-face time is not counted.")
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COUNTED)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["performed_on", "id"]
        indexes = [models.Index(fields=["patient", "performed_on"], name="care_time_by_month")]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.performed_on}"

    def clean(self) -> None:
        errors = {}
        if self.minutes is not None and not 1 <= self.minutes <= 600:
            errors["minutes"] = "Give between 1 and 600 minutes."
        if self.performed_on and self.performed_on > timezone.localdate():
            errors["performed_on"] = "Time cannot be logged for a future date."
        if self.enrolment_id and self.patient_id and self.enrolment.patient_id != self.patient_id:
            errors["enrolment"] = "The enrolment must be this patient's."
        elif self.enrolment_id and self.performed_on and not self.enrolment.is_active_on(self.performed_on):
            errors["performed_on"] = "The patient was not enrolled on that date."
        if errors:
            raise ValidationError(errors)


class BillingCodeRule(models.Model):
    """One billing code's time rule, valid from `effective_from` to `effective_to` (rules change yearly).

    A base code (no `addon_of`) is suggested at `min_minutes`; an add-on once for each further
    full `per_unit_minutes` past its base code's threshold, at most `max_units` times.
    Labels are short in-house wording, never the AMA descriptors.
    """

    class PerformedBy(models.TextChoices):
        CLINICAL_STAFF = "clinical_staff", "Clinical staff"
        PRACTITIONER = "practitioner", "Physician or QHP personally"

    code = models.CharField(max_length=10)
    program = models.CharField(max_length=8, choices=Program.choices)
    label = models.CharField(max_length=120)
    performed_by = models.CharField(max_length=14, choices=PerformedBy.choices)
    complex_required = models.BooleanField(default=False)
    min_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    addon_of = models.CharField(max_length=10, blank=True)
    per_unit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    max_units = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program", "code", "effective_from"]
        constraints = [models.UniqueConstraint(fields=["code", "effective_from"], name="rule_code_from")]

    def __str__(self) -> str:
        return f"{self.code} ({self.effective_from}–{self.effective_to or 'open'})"


class PlanElement(models.TextChoices):
    """The CMS care-plan elements (MLN list, CCM-PLAN-01..09)."""

    PROBLEM_LIST = "problem_list", "Problem list"
    OUTCOME_PROGNOSIS = "outcome_prognosis", "Expected outcome and prognosis"
    MEASURABLE_GOALS = "measurable_goals", "Measurable treatment goals"
    SYMPTOM_MANAGEMENT = "symptom_management", "Symptom management"
    INTERVENTIONS = "interventions", "Planned interventions with the people responsible"
    MEDICATIONS = "medications", "Medication management"
    COMMUNITY_SERVICES = "community_services", "Community and social services"
    OUTSIDE_COORDINATION = "outside_coordination", "Coordination with outside agencies and specialists"
    REVIEW_SCHEDULE = "review_schedule", "Schedule for periodic review"


@tracked
class PlanElementNotApplicable(VersionedRecord):
    """A care-plan element marked not applicable to this patient, with the reason."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="elements_not_applicable")
    element = models.CharField(max_length=24, choices=PlanElement.choices)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["element"]
        constraints = [models.UniqueConstraint(fields=["plan", "element"], name="element_na_once")]

    def __str__(self) -> str:
        return f"{self.get_element_display()}: not applicable"


@tracked
class PlanCopyGiven(VersionedRecord):
    """A copy of the care plan given to the patient or a caregiver (CMS requires one)."""

    class How(models.TextChoices):
        PAPER = "paper", "Printed on paper"
        ELECTRONIC = "electronic", "Electronic (email or file)"
        PORTAL = "portal", "Patient portal"

    class Recipient(models.TextChoices):
        PATIENT = "patient", "The patient"
        CAREGIVER = "caregiver", "A caregiver"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="copies_given")
    plan_version = models.PositiveIntegerField(help_text="The plan's version when the copy was made.")
    recipient = models.CharField(max_length=10, choices=Recipient.choices, default=Recipient.PATIENT)
    how = models.CharField(max_length=10, choices=How.choices)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"Copy given {self.given_at:%Y-%m-%d} ({self.get_how_display()})"
