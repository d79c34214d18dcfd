"""Reads for the care-management program, scoped to the user's teams, in a fixed number of queries."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from careplans.billing import MonthMinutes, Suggestion, suggest_codes
from careplans.ccm_models import BillingCodeRule, CareTimeEntry, ProgramEnrolment, StaffType, month_end
from careplans.models import Problem
from patients.models import Patient
from teams.models import Team, User
from teams.rules import not_found
from teams.selectors import team_ids_of

QUALIFYING = Q(
    care_plan__problems__is_chronic=True,
    care_plan__problems__expected_to_last_12_months=True,
    care_plan__problems__status=Problem.Status.ACTIVE,
)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def enrolments_in_month(month: datetime.date) -> Q:
    """Enrolments in force on at least one day of `month`."""
    return Q(started_on__lte=month_end(month)) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=month_start(month))
    )


@dataclass
class PatientMonth:
    """One patient's care-management month: minutes by staff type and the suggested codes."""

    clinical_staff: int = 0
    practitioner: int = 0
    non_clinical: int = 0
    face_to_face: int = 0
    programs: set[str] = field(default_factory=set)
    practitioners: set[str] = field(default_factory=set)
    complex_care: bool = False
    suggestion: Suggestion = field(default_factory=Suggestion)

    @property
    def counted(self) -> int:
        return self.clinical_staff + self.practitioner


def patient_months(patient_ids: list, month: datetime.date) -> dict[uuid.UUID, PatientMonth]:
    """Minutes and suggested codes for each patient in `month`: three queries however many patients."""
    month = month_start(month)
    result: dict[uuid.UUID, PatientMonth] = defaultdict(PatientMonth)
    counted = Q(status=CareTimeEntry.Status.COUNTED)
    minutes = (
        CareTimeEntry.objects.filter(
            patient_id__in=patient_ids, performed_on__range=(month, month_end(month))
        )
        .filter(counted)
        .values("patient_id")
        .annotate(
            clinical=Sum("minutes", filter=Q(staff_type=StaffType.CLINICAL_STAFF, face_to_face=False)),
            practitioner=Sum(
                "minutes", filter=Q(staff_type=StaffType.BILLING_PRACTITIONER, face_to_face=False)
            ),
            non_clinical=Sum("minutes", filter=Q(staff_type=StaffType.NON_CLINICAL, face_to_face=False)),
            face_to_face=Sum("minutes", filter=Q(face_to_face=True)),
        )
    )
    for row in minutes:
        month_row = result[row["patient_id"]]
        month_row.clinical_staff = row["clinical"] or 0
        month_row.practitioner = row["practitioner"] or 0
        month_row.non_clinical = row["non_clinical"] or 0
        month_row.face_to_face = row["face_to_face"] or 0
    enrolments = ProgramEnrolment.objects.filter(enrolments_in_month(month), patient_id__in=patient_ids)
    for enrolment in enrolments.select_related("billing_practitioner"):
        month_row = result[enrolment.patient_id]
        month_row.programs.add(enrolment.program)
        month_row.practitioners.add(str(enrolment.billing_practitioner))
        month_row.complex_care |= enrolment.complex_care
    rules = list(BillingCodeRule.objects.all())
    for month_row in result.values():
        month_row.suggestion = suggest_codes(
            minutes=MonthMinutes(
                clinical_staff=month_row.clinical_staff, practitioner=month_row.practitioner
            ),
            rules=rules,
            month=month,
            programs=month_row.programs,
            complex_care=month_row.complex_care,
            billing_practitioners=len(month_row.practitioners),
        )
    return result


def panel(
    user: User, *, today: datetime.date, team_id: str = "", enrolled: str = "", eligible_only: bool = True
) -> list[Patient]:
    """The care-management panel: patients with their qualifying problems, risk tier, enrolment and month."""
    current = ProgramEnrolment.objects.filter(patient=OuterRef("pk"), started_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    patients = (
        Patient.objects.filter(
            team_id__in=team_ids_of(user), status=Patient.Status.ACTIVE, care_plan__isnull=False
        )
        .select_related("care_plan", "team")
        .annotate(chronic_problems=Count("care_plan__problems", filter=QUALIFYING), enrolled=Exists(current))
        .order_by("family_name", "given_name", "pk")
    )
    if team_id:
        patients = patients.filter(team_id=team_id)
    if eligible_only:
        patients = patients.filter(chronic_problems__gte=2)
    if enrolled in {"yes", "no"}:
        patients = patients.filter(enrolled=enrolled == "yes")
    rows = list(patients[:500])
    months = patient_months([p.pk for p in rows], today)
    for patient in rows:
        patient.month = months.get(patient.pk, PatientMonth())
    return rows


def team_for_user(user: User, team_id: str) -> Team:
    try:
        return Team.objects.filter(pk__in=team_ids_of(user)).get(pk=team_id)
    except (Team.DoesNotExist, ValueError):
        raise not_found(user, "No such team", target=team_id) from None


def month_report(team: Team, month: datetime.date) -> list[tuple[Patient, PatientMonth]]:
    """Every patient of `team` enrolled during `month`, with their month (the billing office's CSV)."""
    patients = list(
        Patient.objects.filter(
            team=team, pk__in=ProgramEnrolment.objects.filter(enrolments_in_month(month)).values("patient_id")
        ).order_by("family_name", "given_name", "pk")
    )
    months = patient_months([p.pk for p in patients], month)
    return [(patient, months[patient.pk]) for patient in patients]


def time_entries(patient: Patient, month: datetime.date) -> QuerySet[CareTimeEntry]:
    return CareTimeEntry.objects.filter(
        patient=patient, performed_on__range=(month_start(month), month_end(month))
    ).select_related("staff")


def get_time_entry_for_user(user: User, entry_id: int | str, *, patient: Patient) -> CareTimeEntry:
    try:
        return CareTimeEntry.objects.select_related("patient").get(
            pk=entry_id, patient=patient, patient__team_id__in=team_ids_of(user)
        )
    except (CareTimeEntry.DoesNotExist, ValueError):
        raise not_found(user, "No such time entry", target=entry_id) from None
