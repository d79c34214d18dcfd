"""State changes of patients and the people in their lives."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from careplans.models import CarePlan, Notification
from careplans.reminders import notify
from patients.models import EmergencyAccess, Patient, RelatedPerson
from teams import selectors as teams
from teams.models import Team, User
from teams.records import apply_changes, create_record, history_context, lock_at_version
from teams.rules import is_on_patients_team, require

PATIENT_EDITABLE = (
    "mrn",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "interpreter_needed",
    "phone",
    "email",
    "address",
    "large_print",
    "status",
    "status_reason",
    "team",
)
RELATED_PERSON_EDITABLE = (
    "name",
    "relationship",
    "phone",
    "email",
    "is_caregiver",
    "is_emergency_contact",
    "may_receive_information",
)


def _require_member(actor: User, team_id: int) -> None:
    require(is_on_patients_team, actor, team_id, "You are not on this patient's team.")


@transaction.atomic
def register_patient(*, team: Team, actor: User, values: Mapping[str, Any]) -> Patient:
    """Add a patient to `team`'s panel, with an empty draft care plan."""
    _require_member(actor, team.pk)
    with history_context(actor=actor):
        patient = create_record(
            Patient, actor=actor, values={**values, "team": team, "organization": team.organization}
        )
        create_record(CarePlan, actor=actor, values={"patient": patient})
    return patient


@transaction.atomic
def update_patient(
    *, patient: Patient, expected_version: int, actor: User, changes: Mapping[str, Any], reason: str = ""
) -> Patient:
    """Change a patient's details. Moving to another team needs membership of both teams."""
    _require_member(actor, patient.team_id)
    new_team = changes.get("team")
    if new_team is not None and new_team.pk != patient.team_id:
        _require_member(actor, new_team.pk)
    locked = lock_at_version(patient, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(locked, actor=actor, changes=changes, editable=PATIENT_EDITABLE)
    return locked


@transaction.atomic
def add_related_person(*, patient: Patient, actor: User, values: Mapping[str, Any]) -> RelatedPerson:
    _require_member(actor, patient.team_id)
    with history_context(actor=actor):
        return create_record(RelatedPerson, actor=actor, values={**values, "patient": patient})


@transaction.atomic
def update_related_person(
    *, person: RelatedPerson, expected_version: int, actor: User, changes: Mapping[str, Any], reason: str = ""
) -> RelatedPerson:
    _require_member(actor, person.patient.team_id)
    locked = lock_at_version(person, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(locked, actor=actor, changes=changes, editable=RELATED_PERSON_EDITABLE)
    return locked


@transaction.atomic
def end_related_person(
    *, person: RelatedPerson, expected_version: int, actor: User, reason: str
) -> RelatedPerson:
    """Record that this person is no longer part of the patient's life or care."""
    _require_member(actor, person.patient.team_id)
    if not reason.strip():
        raise ValidationError({"status_reason": "Say why this person is no longer involved."})
    locked = lock_at_version(person, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked,
            actor=actor,
            changes={"status": RelatedPerson.Status.ENDED, "status_reason": reason},
            editable=("status", "status_reason"),
        )
    return locked


security_log = logging.getLogger("careweave.security")


@transaction.atomic
def grant_emergency_access(*, user: User, patient: Patient, reason: str) -> EmergencyAccess:
    """Let `user`, who is not on the patient's team, see the patient for BREAK_GLASS_MINUTES.

    The reason is required (at least REASON_MIN_LENGTH characters). The grant is recorded in
    history, logged to the security log, and every current lead of the patient's team is
    notified. Only a user on a team of the same practice may ask (PermissionDenied otherwise);
    a member of the patient's own team needs no emergency access (ValidationError).
    """
    reason = " ".join((reason or "").split())
    if len(reason) < EmergencyAccess.REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": f"Say why you need emergency access (at least {EmergencyAccess.REASON_MIN_LENGTH} characters)."
            }
        )
    memberships = teams.active_memberships(user)
    if not memberships.filter(team__organization_id=patient.organization_id).exists():
        raise PermissionDenied("Emergency access is only for patients of your own practice.")
    if memberships.filter(team_id=patient.team_id).exists():
        raise ValidationError("You are on this patient's team: open the patient from your worklist.")
    now = timezone.now()
    expires_at = now + datetime.timedelta(minutes=settings.BREAK_GLASS_MINUTES)
    with history_context(actor=user, reason=reason):
        grant = EmergencyAccess.objects.create(
            user=user, patient=patient, reason=reason, granted_at=now, expires_at=expires_at
        )
    notify(
        recipients=teams.team_leads(patient.team_id).values_list("pk", flat=True),
        kind=Notification.Kind.EMERGENCY_ACCESS,
        subject=Notification.Subject.EMERGENCY_ACCESS,
        plan=CarePlan.objects.filter(patient=patient).first(),
        text=f"{user} used emergency access to {patient.display_name} until "
        f"{timezone.localtime(expires_at):%H:%M}: {reason}",
        ref=f"emergency-{grant.pk}",
        actor=user,
    )
    # The grant is kept (EmergencyAccess, with its history); each look at the plan under it is in the
    # access log with purpose ETREAT (careplans.views.plan.plan_detail).
    security_log.info(
        "emergency access granted",
        extra={"user_id": user.pk, "patient_id": str(patient.pk), "grant_id": grant.pk, "purpose": "ETREAT"},
    )
    return grant
