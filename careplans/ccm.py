"""Every change to a patient's care-management program: enrolment, time, completeness, copies given.

The same contract as `careplans.services`: keyword-only, one transaction, the actor must be on the
patient's team, edits of an existing row are locked and version-checked (`StaleVersionError`), and
each function records who and why in its history context. Nothing here bills: codes are only
suggested (`careplans.billing`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from careplans.ccm_models import (
    CareTimeEntry,
    PlanCopyGiven,
    PlanElement,
    PlanElementNotApplicable,
    Program,
    ProgramEnrolment,
    StaffType,
    month_end,
)
from careplans.models import CarePlan
from patients.models import Patient
from teams import selectors as teams
from teams.models import CareRole, User
from teams.records import apply_changes, create_record, history_context, lock_at_version
from teams.rules import is_on_patients_team, require

# Roles whose time counts as clinical staff time (CMS: RN, LPN, certified MA, pharmacist...).
CLINICAL_ROLES = frozenset(
    {
        CareRole.NURSE_CARE_MANAGER,
        CareRole.PHYSICIAN,
        CareRole.NP_PA,
        CareRole.PHARMACIST,
        CareRole.BEHAVIORAL_HEALTH,
        CareRole.MEDICAL_ASSISTANT,
    }
)
PRACTITIONER_ROLES = frozenset({CareRole.PHYSICIAN, CareRole.NP_PA})
TIME_CORRECTABLE = ("minutes", "activity", "performed_on", "face_to_face", "note")


def _require_member(actor: User, patient: Patient) -> None:
    require(is_on_patients_team, actor, patient, "You are not on this patient's team.")


def _require_reason(reason: str, field: str = "status_reason") -> str:
    if not reason or not reason.strip():
        raise ValidationError({field: "Give a reason."})
    return reason.strip()


def _role_on_team(user: User, patient: Patient, field: str) -> str:
    membership = teams.membership_in(user, patient.team_id)
    if membership is None:
        raise ValidationError({field: "Choose someone who is on this patient's team."})
    return membership.role


def enrolment_on(patient: Patient, day: datetime.date) -> ProgramEnrolment | None:
    """The enrolment in force for `patient` on `day`, if any."""
    for enrolment in ProgramEnrolment.objects.filter(patient=patient, started_on__lte=day):
        if enrolment.is_active_on(day):
            return enrolment
    return None


@transaction.atomic
def enrol_patient(
    *,
    patient: Patient,
    actor: User,
    program: str,
    consent_method: str,
    consent_obtained_by: User,
    consent_obtained_at: datetime.datetime,
    informed_cost_sharing: bool,
    informed_one_practitioner: bool,
    informed_right_to_stop: bool,
    billing_practitioner: User,
    complex_care: bool = False,
    started_on: datetime.date | None = None,
) -> ProgramEnrolment:
    """Enrol the patient on recorded consent. A new billing practitioner needs a new enrolment (and consent)."""
    _require_member(actor, patient)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    _role_on_team(consent_obtained_by, locked, "consent_obtained_by")
    if _role_on_team(billing_practitioner, locked, "billing_practitioner") not in PRACTITIONER_ROLES:
        raise ValidationError(
            {"billing_practitioner": "The billing practitioner must be a physician, NP or PA."}
        )
    if ProgramEnrolment.objects.filter(patient=locked, status=ProgramEnrolment.Status.ENROLLED).exists():
        raise ValidationError({"program": "The patient is already enrolled; end that enrolment first."})
    if consent_obtained_at > timezone.now():
        raise ValidationError({"consent_obtained_at": "Consent cannot be recorded in the future."})
    values = {
        "patient": locked,
        "program": program,
        "complex_care": complex_care and program == Program.CCM,
        "consent_method": consent_method,
        "consent_obtained_by": consent_obtained_by,
        "consent_obtained_at": consent_obtained_at,
        "informed_cost_sharing": informed_cost_sharing,
        "informed_one_practitioner": informed_one_practitioner,
        "informed_right_to_stop": informed_right_to_stop,
        "billing_practitioner": billing_practitioner,
        "started_on": started_on or timezone.localdate(consent_obtained_at),
    }
    with history_context(actor=actor):
        return create_record(ProgramEnrolment, actor=actor, values=values)


@transaction.atomic
def end_enrolment(
    *,
    enrolment: ProgramEnrolment,
    expected_version: int,
    actor: User,
    reason: str,
    requested_on: datetime.date | None = None,
) -> ProgramEnrolment:
    """End the enrolment; it stays in force until the end of the calendar month it was asked in."""
    _require_member(actor, enrolment.patient)
    reason = _require_reason(reason)
    locked = lock_at_version(enrolment, expected_version=expected_version)
    if locked.status == ProgramEnrolment.Status.ENDED:
        raise ValidationError({"status_reason": "This enrolment has already ended."})
    requested_on = requested_on or timezone.localdate()
    changes = {
        "status": ProgramEnrolment.Status.ENDED,
        "status_reason": reason,
        "end_requested_on": requested_on,
        "ends_on": month_end(max(requested_on, locked.started_on)),
    }
    with history_context(actor=actor, reason=reason):
        apply_changes(locked, actor=actor, changes=changes, editable=changes.keys())
    return locked


@transaction.atomic
def log_care_time(
    *,
    patient: Patient,
    actor: User,
    minutes: int,
    activity: str,
    performed_on: datetime.date | None = None,
    started_at: datetime.datetime | None = None,
    face_to_face: bool = False,
    note: str = "",
) -> CareTimeEntry:
    """Log the actor's own minutes for the patient, on `performed_on` or the local date of `started_at`.

    Dates are calendar dates in the practice's time zone (settings.TIME_ZONE), so a call at
    23:30 local time on the 31st counts in that month whatever the server's clock says.
    """
    _require_member(actor, patient)
    if performed_on is None:
        performed_on = timezone.localdate(started_at or timezone.now())
    role = _role_on_team(actor, patient, "staff")
    enrolment = enrolment_on(patient, performed_on)
    if enrolment is None:
        raise ValidationError({"performed_on": "The patient was not enrolled in a program on that date."})
    if actor.pk == enrolment.billing_practitioner_id:
        staff_type = StaffType.BILLING_PRACTITIONER
    elif role in CLINICAL_ROLES:
        staff_type = StaffType.CLINICAL_STAFF
    else:
        staff_type = StaffType.NON_CLINICAL
    values = {
        "patient": patient,
        "enrolment": enrolment,
        "staff": actor,
        "role": role,
        "staff_type": staff_type,
        "activity": activity,
        "performed_on": performed_on,
        "minutes": minutes,
        "face_to_face": face_to_face,
        "note": note,
    }
    with history_context(actor=actor):
        return create_record(CareTimeEntry, actor=actor, values=values)


@transaction.atomic
def correct_care_time(
    *, entry: CareTimeEntry, expected_version: int, actor: User, changes: Mapping[str, Any], reason: str
) -> CareTimeEntry:
    """Correct an entry's minutes, activity, date or note; history keeps the value before, who and why."""
    _require_member(actor, entry.patient)
    reason = _require_reason(reason)
    locked = lock_at_version(entry, expected_version=expected_version)
    if locked.status == CareTimeEntry.Status.ENTERED_IN_ERROR:
        raise ValidationError({"minutes": "This entry was marked entered in error."})
    with history_context(actor=actor, reason=reason):
        apply_changes(locked, actor=actor, changes=changes, editable=TIME_CORRECTABLE)
    return locked


@transaction.atomic
def mark_time_entry_in_error(
    *, entry: CareTimeEntry, expected_version: int, actor: User, reason: str
) -> CareTimeEntry:
    """Take an entry out of the month's totals; it stays on record with the reason."""
    _require_member(actor, entry.patient)
    reason = _require_reason(reason)
    locked = lock_at_version(entry, expected_version=expected_version)
    changes = {"status": CareTimeEntry.Status.ENTERED_IN_ERROR, "status_reason": reason}
    with history_context(actor=actor, reason=reason):
        apply_changes(locked, actor=actor, changes=changes, editable=changes.keys())
    return locked


@transaction.atomic
def mark_element_not_applicable(
    *, plan: CarePlan, actor: User, element: str, reason: str
) -> PlanElementNotApplicable:
    """Mark one CMS care-plan element not applicable to this patient, saying why."""
    _require_member(actor, plan.patient)
    reason = _require_reason(reason, field="reason")
    if element not in PlanElement.values:
        raise ValidationError({"element": "Choose a care-plan element."})
    if PlanElementNotApplicable.objects.filter(plan=plan, element=element).exists():
        raise ValidationError({"element": "This element is already marked not applicable."})
    with history_context(actor=actor, reason=reason):
        return create_record(
            PlanElementNotApplicable, actor=actor, values={"plan": plan, "element": element, "reason": reason}
        )


@transaction.atomic
def record_plan_copy_given(
    *, plan: CarePlan, actor: User, how: str, recipient: str = PlanCopyGiven.Recipient.PATIENT
) -> PlanCopyGiven:
    """Record that a copy of the plan, as it is now, was given to the patient or a caregiver."""
    _require_member(actor, plan.patient)
    current = CarePlan.objects.get(pk=plan.pk)
    values = {
        "plan": current,
        "plan_version": current.version,
        "how": how,
        "recipient": recipient,
        "given_by": actor,
        "given_at": timezone.now(),
    }
    with history_context(actor=actor):
        return create_record(PlanCopyGiven, actor=actor, values=values)
