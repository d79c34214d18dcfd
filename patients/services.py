"""State changes of patients and the people in their lives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from careplans.models import CarePlan
from patients.models import Patient, RelatedPerson
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
