"""FHIR R4: a patient's care plan as a Bundle (type `collection`), and such a Bundle back into the plan.

Export (`plan_bundle`) is a pure mapping of a plan loaded by `selectors.get_plan_with_sections`
(a fixed number of queries, however large the plan). It follows the MCC eCare Plan rules: the
CarePlan references real resources (Condition, Goal, Task, MedicationRequest, ServiceRequest,
CareTeam) and never uses `activity.detail`. Part 2 items are left out unless the caller names
an in-force release that covers them; then the Bundle carries the 42 CFR 2.32 notice.

Import (`import_bundle`) reads such a Bundle and calls the existing services for every change,
so every rule (team membership, versions, validation, history) is theirs. Every resource and
element it does not map is reported with its path; nothing is dropped without a word.

Each record carries `identifier` = {system: `ID_SYSTEM/<kind>`, value: its Careweave id}, and
`meta.versionId` its version: importing into the same plan updates those records (refusing a
stale version) instead of adding copies. See docs/fhir.md for the mapping table.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.html import escape

from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    CommunityService,
    Goal,
    GoalMeasurement,
    InformationRelease,
    Medication,
    PlanItem,
    PlanReview,
    Problem,
    ResponsibleParty,
)
from careplans.part2 import PART2_NOTICE
from teams.models import CareRole, User

CW = "https://careweave.org/fhir"
ID_SYSTEM = f"{CW}/identifier"
EXT = f"{CW}/StructureDefinition"
CODES = f"{CW}/CodeSystem"
PERTAINS_TO_GOAL = "http://hl7.org/fhir/StructureDefinition/resource-pertainsToGoal"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PART2_LABEL = {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NAMESPACE = uuid.UUID("5b0f6f0e-2d0c-4a4e-9a53-6c6a1f1e0c55")

#: 42 CFR 2.32: the notice that goes with every disclosure of Part 2 information: the one the PDF prints.
REDISCLOSURE_NOTICE = PART2_NOTICE

# Common measures a goal names, with their LOINC codes; any other measure is exported as text only.
LOINC_MEASURES = {
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "a1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "systolic blood pressure": ("8480-6", "Systolic blood pressure"),
    "diastolic blood pressure": ("8462-4", "Diastolic blood pressure"),
    "weight": ("29463-7", "Body weight"),
    "body weight": ("29463-7", "Body weight"),
    "bmi": ("39156-5", "Body mass index (BMI) [Ratio]"),
    "ldl": ("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation"),
    "phq-9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad-7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
    "steps": ("41950-7", "Number of steps in 24 hour Measured"),
}
ICD10_PATTERN = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
SNOMED_PATTERN = re.compile(r"^[0-9]{6,18}$")

# Careweave status -> FHIR status, per resource.
PLAN_STATUS = {
    "draft": "draft",
    "active": "active",
    "on_hold": "on-hold",
    "completed": "completed",
    "revoked": "revoked",
}
CONDITION_STATUS = {"active": "active", "inactive": "inactive", "resolved": "resolved"}
GOAL_STATUS = {
    "proposed": "proposed",
    "active": "active",
    "on_hold": "on-hold",
    "completed": "completed",
    "cancelled": "cancelled",
    "entered_in_error": "entered-in-error",
}
TASK_STATUS = {
    "planned": "requested",
    "in_progress": "in-progress",
    "done": "completed",
    "cancelled": "cancelled",
}
MEDICATION_STATUS = {
    "active": "active",
    "on_hold": "on-hold",
    "stopped": "stopped",
    "completed": "completed",
    "entered_in_error": "entered-in-error",
}
SERVICE_STATUS = {
    "recommended": "draft",
    "referred": "active",
    "active": "active",
    "completed": "completed",
    "declined": "revoked",
}
CONSENT_STATUS = {"active": "active", "expired": "inactive", "revoked": "inactive"}
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}

# The identifier kind and FHIR resource of each exported record type.
KINDS: dict[type, tuple[str, str]] = {
    CarePlan: ("careplan", "CarePlan"),
    Problem: ("problem", "Condition"),
    Goal: ("goal", "Goal"),
    GoalMeasurement: ("goal-measurement", "Observation"),
    ActionStep: ("action-step", "Task"),
    Medication: ("medication", "MedicationRequest"),
    CommunityService: ("community-service", "ServiceRequest"),
    InformationRelease: ("information-release", "Consent"),
    CareTeamMember: ("care-team-member", "CareTeam"),
    PlanReview: ("plan-review", "Provenance"),
    User: ("user", "Practitioner"),
}


# ---- Small builders shared by export and import.


def full_url(kind: str, key: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def ext(name: str, value: Any) -> dict[str, Any] | None:
    """A Careweave extension for a field FHIR has no element for (None for an empty value)."""
    if value is None or value == "":
        return None
    url = name if name.startswith("http") else f"{EXT}/{name}"
    if isinstance(value, bool):
        return {"url": url, "valueBoolean": value}
    if isinstance(value, int):
        return {"url": url, "valueInteger": value}
    if isinstance(value, Decimal):
        return {"url": url, "valueDecimal": number(value)}
    if isinstance(value, datetime.date):
        return {"url": url, "valueDate": value.isoformat()}
    if isinstance(value, dict):
        key = "valueIdentifier" if "system" in value else "valueReference"
        return {"url": url, key: value}
    return {"url": url, "valueString": str(value)}


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty elements, so a resource has no `"note": []` or `None` (FHIR forbids empty elements)."""
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = clean(value)
        elif isinstance(value, list):
            value = [clean(v) if isinstance(v, dict) else v for v in value if v is not None]
            value = [v for v in value if v not in ({}, "", None)]
        if value in (None, "", {}, []):
            continue
        out[key] = value
    return out


def coded(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": text}


def problem_code(problem: Problem) -> dict[str, Any]:
    code = problem.code.strip()
    if not code:
        return {"text": problem.condition}
    if ICD10_PATTERN.match(code.upper()):
        system = ICD10CM
    elif SNOMED_PATTERN.match(code):
        system = SNOMED
    else:
        system = f"{CODES}/local"
    return {"coding": [{"system": system, "code": code}], "text": problem.condition}


def measure_concept(measure: str) -> dict[str, Any]:
    known = LOINC_MEASURES.get(measure.strip().lower())
    if known is None:
        return {"text": measure}
    return {"coding": [{"system": LOINC, "code": known[0], "display": known[1]}], "text": measure}


# ---- Export.


class _Export:
    """Builds the entries of one Bundle; `ref` is the reference to an exported record."""

    def __init__(self, plan: CarePlan, *, include_part2: bool) -> None:
        self.plan = plan
        self.include_part2 = include_part2
        self.entries: list[dict[str, Any]] = []
        self.urls: dict[tuple[str, Any], str] = {}
        self.practitioners: dict[int, User] = {}

    def shown(self, items: Iterable[PlanItem]) -> list[Any]:
        return [item for item in items if self.include_part2 or not item.part2_protected]

    def url(self, record: Any) -> str:
        kind, _ = KINDS[type(record)]
        return full_url(kind, record.pk)

    def ref(self, record: Any) -> dict[str, str]:
        if isinstance(record, User):
            self.practitioners[record.pk] = record
        return {"reference": self.url(record)}

    def add(self, record: Any, resource: dict[str, Any], *, kind: str | None = None) -> None:
        kind = kind or KINDS[type(record)][0]
        url = full_url(kind, record.pk)
        self.urls[(kind, record.pk)] = url
        meta: dict[str, Any] = {}
        if getattr(record, "version", None) is not None:
            meta["versionId"] = str(record.version)
        if getattr(record, "part2_protected", False):
            meta["security"] = [PART2_LABEL]
        body = {"resourceType": resource.pop("resourceType"), "id": url.removeprefix("urn:uuid:")}
        if meta:
            body["meta"] = meta
        if resource.get("identifier") is None and kind != "plan-review":
            body["identifier"] = [{"system": f"{ID_SYSTEM}/{kind}", "value": str(record.pk)}]
        self.entries.append({"fullUrl": url, "resource": clean({**body, **resource})})


def plan_bundle(plan: CarePlan, *, release: InformationRelease | None = None) -> dict[str, Any]:
    """The plan as a FHIR R4 `collection` Bundle (a dict ready for JSON).

    `plan` must come from `selectors.get_plan_with_sections` (no further queries are made).
    Part 2 items are included only with `release`: an in-force release of this plan that
    covers Part 2 (the caller checks that with `release_allows_part2`).
    """
    include_part2 = release is not None
    out = _Export(plan, include_part2=include_part2)
    patient = plan.patient
    patient_ref = {"reference": full_url("patient", patient.pk)}

    releases = out.shown(plan.information_releases.all())
    problems = out.shown(plan.problems.all())
    goals = out.shown(plan.goals.all())
    # An item linked to a left-out item would point at nothing, or reveal it: it is left out too.
    release_ids = {r.pk for r in releases}
    goal_ids = {g.pk for g in goals}
    steps = [s for s in out.shown(plan.action_steps.all()) if s.goal_id is None or s.goal_id in goal_ids]
    services = [
        s
        for s in out.shown(plan.community_services.all())
        if s.release_id is None or s.release_id in release_ids
    ]
    medications = out.shown(plan.medications.all())
    members = out.shown(plan.care_team.all())

    for release_item in releases:
        out.add(release_item, _consent(release_item, patient_ref))
    for problem in problems:
        out.add(problem, _condition(problem, patient_ref))
    for goal in goals:
        out.add(goal, _goal(out, goal, patient_ref))
        for measurement in goal.measurements.all():
            out.add(measurement, _observation(out, measurement, goal, patient_ref))
    for step in steps:
        out.add(step, _task(out, step, patient_ref))
    for medication in medications:
        out.add(medication, _medication_request(medication, patient_ref))
    for service in services:
        out.add(service, _service_request(out, service, patient_ref))
    if members:
        out.entries.append(_care_team(out, plan, members, patient_ref))
    care_plan = _care_plan(
        out, plan, patient_ref, goals=goals, problems=problems, activities=[*steps, *medications, *services]
    )
    out.add(plan, care_plan)
    for review in plan.reviews.all():
        out.add(review, _provenance(out, review))
    practitioners = [_practitioner(user) for user in sorted(out.practitioners.values(), key=lambda u: u.pk)]
    bundle_meta: dict[str, Any] = {"lastUpdated": _instant(plan.updated_at)}
    if include_part2:
        bundle_meta["security"] = [PART2_LABEL]
    return clean(
        {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": bundle_meta,
            "type": "collection",
            "timestamp": _instant(datetime.datetime.now(tz=datetime.UTC)),
            "entry": [_patient(patient), *practitioners, *out.entries],
        }
    )


def release_allows_part2(release: InformationRelease, plan: CarePlan) -> bool:
    """May Part 2 items go out under this release? It must be this plan's, in force, and cover Part 2."""
    return release.plan_id == plan.pk and release.covers_part2 and release.is_in_force()


def _instant(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _patient(patient: Any) -> dict[str, Any]:
    mrn_type = coded("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")
    language = patient.preferred_language
    resource = {
        "resourceType": "Patient",
        "id": full_url("patient", patient.pk).removeprefix("urn:uuid:"),
        "identifier": [
            {"system": f"{ID_SYSTEM}/patient", "value": str(patient.pk)},
            {"type": mrn_type, "system": f"{ID_SYSTEM}/mrn/{patient.organization_id}", "value": patient.mrn},
        ],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "gender": GENDER.get(patient.sex_at_birth, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
        "telecom": [
            {"system": "phone", "value": patient.phone} if patient.phone else None,
            {"system": "email", "value": patient.email} if patient.email else None,
        ],
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]}, "preferred": True}
        ]
        if language != "other"
        else [],
    }
    return {"fullUrl": full_url("patient", patient.pk), "resource": clean(resource)}


def _practitioner(user: User) -> dict[str, Any]:
    resource = {
        "resourceType": "Practitioner",
        "id": full_url("user", user.pk).removeprefix("urn:uuid:"),
        "identifier": [{"system": f"{ID_SYSTEM}/user", "value": user.username}],
        "name": [
            {
                "text": str(user),
                "family": user.last_name,
                "given": [user.first_name] if user.first_name else [],
                "suffix": [user.credentials] if user.credentials else [],
            }
        ],
    }
    return {"fullUrl": full_url("user", user.pk), "resource": clean(resource)}


def _responsible(out: _Export, item: Any) -> list[dict[str, Any] | None]:
    member = item.responsible_member
    return [
        ext("responsible-party", item.responsible_party),
        ext("responsible-member", out.ref(member)) if member else None,
    ]


def _status_reason(item: Any) -> dict[str, Any] | None:
    return ext("status-reason", item.status_reason)


def _consent(release: InformationRelease, patient_ref: dict[str, str]) -> dict[str, Any]:
    policy = "42CFRPart2" if release.covers_part2 else "OPTIN"
    recipient_role = coded(
        "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient"
    )
    return {
        "resourceType": "Consent",
        "status": CONSENT_STATUS[release.status],
        "scope": coded(
            "http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"
        ),
        "category": [coded(LOINC, "59284-0", "Consent Document")],
        "patient": patient_ref,
        "dateTime": release.signed_on.isoformat(),
        "performer": [{"display": release.signed_by}],
        "policyRule": coded(ACT_CODE, policy),
        "provision": {
            "type": "permit",
            "period": {
                "start": release.signed_on.isoformat(),
                "end": release.expires_on.isoformat() if release.expires_on else None,
            },
            "actor": [{"role": recipient_role, "reference": {"display": release.recipient_name}}],
            "purpose": [{"system": f"{CODES}/release-purpose", "code": "stated", "display": release.purpose}],
            "securityLabel": [PART2_LABEL] if release.covers_part2 else [],
        },
        "extension": [
            ext("release-status", release.status),
            ext("recipient-organization", release.recipient_organization),
            ext("recipient-contact", release.recipient_contact),
            ext("information-scope", release.information_scope),
            ext("expiry-event", release.expiry_event),
            ext("revoked-on", release.revoked_on),
            ext("risks-and-benefits-discussed", release.risks_and_benefits_discussed),
            _status_reason(release),
        ],
    }


def _condition(problem: Problem, patient_ref: dict[str, str]) -> dict[str, Any]:
    in_error = problem.status == Problem.Status.ENTERED_IN_ERROR
    clinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    return {
        "resourceType": "Condition",
        # An entered-in-error condition carries no clinical status (FHIR con-5).
        "clinicalStatus": None if in_error else coded(clinical, CONDITION_STATUS[problem.status]),
        "verificationStatus": coded(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error"
        )
        if in_error
        else None,
        "category": [
            coded(
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "problem-list-item",
                "Problem List Item",
            )
        ],
        "code": problem_code(problem),
        "subject": patient_ref,
        "onsetDateTime": problem.onset_date.isoformat() if problem.onset_date else None,
        "extension": [
            ext("patient-wording", problem.patient_wording),
            ext("chronic", problem.is_chronic),
            ext("expected-to-last-12-months", problem.expected_to_last_12_months),
            ext("expected-outcome", problem.expected_outcome),
            ext("prognosis", problem.prognosis),
            _status_reason(problem),
        ],
    }


def _goal(out: _Export, goal: Goal, patient_ref: dict[str, str]) -> dict[str, Any]:
    target: dict[str, Any] = {}
    if goal.measure:
        target["measure"] = measure_concept(goal.measure)
    if goal.target_value is not None:
        quantity: dict[str, Any] = {"value": number(goal.target_value), "unit": goal.unit}
        if goal.target_comparator != "=":
            quantity["comparator"] = goal.target_comparator
        target["detailQuantity"] = quantity
    if goal.target_date:
        target["dueDate"] = goal.target_date.isoformat()
    expressed_by = {
        Goal.ExpressedBy.PATIENT: patient_ref,
        Goal.ExpressedBy.CAREGIVER: {"type": "RelatedPerson", "display": "Caregiver"},
        Goal.ExpressedBy.TEAM: {"type": "Practitioner", "display": "Care team"},
    }[goal.expressed_by]
    addresses = [
        {"reference": out.urls[("problem", p.pk)]}
        for p in goal.problems.all()
        if ("problem", p.pk) in out.urls
    ]
    return {
        "resourceType": "Goal",
        "lifecycleStatus": GOAL_STATUS[goal.status],
        "achievementStatus": coded(
            "http://terminology.hl7.org/CodeSystem/goal-achievement",
            goal.achievement_status.replace("_", "-"),
            goal.get_achievement_status_display(),
        ),
        "priority": coded(
            "http://terminology.hl7.org/CodeSystem/goal-priority",
            f"{goal.priority}-priority",
            f"{goal.get_priority_display()} Priority",
        ),
        "description": {"text": goal.description},
        "subject": patient_ref,
        "target": [target],
        "statusReason": goal.status_reason,
        "expressedBy": expressed_by,
        "addresses": addresses,
        "note": [{"text": goal.barriers}] if goal.barriers else [],
        "outcomeReference": [
            {"reference": full_url("goal-measurement", m.pk)} for m in goal.measurements.all()
        ],
        "extension": [
            ext("goal-kind", goal.kind),
            ext("goal-term", goal.term),
            ext("baseline-value", goal.baseline_value),
            ext("baseline-date", goal.baseline_date),
            ext("serves", goal.serves),
            ext("next-review-on", goal.next_review_on),
            *_responsible(out, goal),
        ],
    }


def _observation(
    out: _Export, measurement: GoalMeasurement, goal: Goal, patient_ref: dict[str, str]
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final" if measurement.status == GoalMeasurement.Status.FINAL else "entered-in-error",
        # A measure cleared after values were recorded still leaves the Observation a code.
        "code": measure_concept(goal.measure or "Goal measurement"),
        "subject": patient_ref,
        "effectiveDateTime": measurement.measured_on.isoformat(),
        "valueQuantity": {"value": number(measurement.value), "unit": goal.unit},
        "note": [{"text": measurement.note}] if measurement.note else [],
        "extension": [
            ext(PERTAINS_TO_GOAL, {"reference": out.urls[("goal", goal.pk)]}),
            ext("measurement-source", measurement.source),
            _status_reason(measurement),
        ],
    }


def _owner(out: _Export, item: Any, patient_ref: dict[str, str]) -> dict[str, Any]:
    if item.responsible_party == ResponsibleParty.TEAM_MEMBER and item.responsible_member:
        return out.ref(item.responsible_member)
    if item.responsible_party == ResponsibleParty.CAREGIVER:
        return {"type": "RelatedPerson", "display": "Caregiver"}
    return patient_ref


def _task(out: _Export, step: ActionStep, patient_ref: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "status": TASK_STATUS[step.status],
        "statusReason": {"text": step.status_reason} if step.status_reason else None,
        "intent": "plan",
        "priority": "urgent" if step.is_urgent else "routine",
        "description": step.description,
        "basedOn": [{"reference": out.url(out.plan)}],
        "for": patient_ref,
        "owner": _owner(out, step, patient_ref),
        "restriction": {"period": {"end": step.due_date.isoformat()}},
        "extension": [
            ext(PERTAINS_TO_GOAL, {"reference": out.urls[("goal", step.goal_id)]}) if step.goal_id else None,
            ext("responsible-party", step.responsible_party),
        ],
    }


def _medication_request(medication: Medication, patient_ref: dict[str, str]) -> dict[str, Any]:
    bounds = {
        "start": medication.start_date.isoformat() if medication.start_date else None,
        "end": medication.stop_date.isoformat() if medication.stop_date else None,
    }
    sentence = " ".join(part for part in (medication.dose, medication.route, medication.frequency) if part)
    return {
        "resourceType": "MedicationRequest",
        "status": MEDICATION_STATUS[medication.status],
        "statusReason": {"text": medication.status_reason} if medication.status_reason else None,
        "intent": "plan",
        "medicationCodeableConcept": {"text": medication.name},
        "subject": patient_ref,
        "requester": {"display": medication.prescriber} if medication.prescriber else None,
        "reasonCode": [{"text": medication.indication}],
        "dosageInstruction": [
            {
                "text": sentence,
                "patientInstruction": medication.patient_instructions,
                "route": {"text": medication.route} if medication.route else None,
                "timing": {"code": {"text": medication.frequency}, "repeat": {"boundsPeriod": bounds}},
            }
        ],
        "extension": [ext("dose", medication.dose), ext("formulation", medication.formulation)],
    }


def _service_request(out: _Export, service: CommunityService, patient_ref: dict[str, str]) -> dict[str, Any]:
    category = coded(f"{CODES}/community-service-category", service.category, service.get_category_display())
    return {
        "resourceType": "ServiceRequest",
        "status": SERVICE_STATUS[service.status],
        "intent": "proposal" if service.status == CommunityService.Status.RECOMMENDED else "order",
        "category": [category],
        "code": {"text": service.get_category_display()},
        "subject": patient_ref,
        "authoredOn": service.referred_on.isoformat() if service.referred_on else None,
        "performer": [{"display": service.organization_name}],
        "reasonCode": [{"text": service.barrier_addressed}] if service.barrier_addressed else [],
        "supportingInfo": [{"reference": out.urls[("information-release", service.release_id)]}]
        if service.release_id
        else [],
        "note": [{"text": service.service_details}] if service.service_details else [],
        "extension": [
            ext("service-status", service.status),
            ext("contact-name", service.contact_name),
            ext("phone", service.phone),
            ext("address", service.address),
            ext("permission-to-exchange", service.permission_to_exchange),
            ext("next-review-on", service.next_review_on),
            *_responsible(out, service),
            _status_reason(service),
        ],
    }


def _care_team(
    out: _Export, plan: CarePlan, members: list[CareTeamMember], patient_ref: dict[str, str]
) -> dict[str, Any]:
    participants = []
    for member in members:
        role = coded(
            f"{CODES}/care-team-role", member.role, member.get_role_display(), member.responsibilities
        )
        participants.append(
            {
                "extension": [
                    ext("identifier", {"system": f"{ID_SYSTEM}/care-team-member", "value": str(member.pk)}),
                    ext("version", member.version),
                    ext("member-status", member.status),
                    ext("part2-protected", member.part2_protected) if member.part2_protected else None,
                    ext("phone", member.phone),
                    ext("primary-contact", member.is_primary_contact),
                    _status_reason(member),
                ],
                "role": [role],
                "member": out.ref(member.user) if member.user_id else {"display": member.name},
                "onBehalfOf": {"display": member.organization} if member.organization else None,
            }
        )
    url = full_url("care-team", plan.pk)
    out.urls[("care-team", plan.pk)] = url
    resource = {
        "resourceType": "CareTeam",
        "id": url.removeprefix("urn:uuid:"),
        "identifier": [{"system": f"{ID_SYSTEM}/care-team", "value": str(plan.pk)}],
        "status": "active",
        "subject": patient_ref,
        "participant": participants,
    }
    return {"fullUrl": url, "resource": clean(resource)}


PLAN_TEXT_FIELDS = (
    "what_matters_most",
    "strengths",
    "care_preferences",
    "additional_information",
    "priority_values",
    "one_thing",
    "willing_and_able",
    "helpful_care",
    "burdensome_care",
)


def _narrative(plan: CarePlan) -> dict[str, str]:
    """The generated narrative: what matters most and the patient's priorities, escaped as XHTML text."""
    rows = [
        f"<p><b>{escape(CarePlan._meta.get_field(name).verbose_name.capitalize())}:</b> {escape(getattr(plan, name))}</p>"
        for name in PLAN_TEXT_FIELDS
        if getattr(plan, name)
    ]
    body = "".join(rows) or "<p>Care plan.</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _care_plan(
    out: _Export,
    plan: CarePlan,
    patient_ref: dict[str, str],
    *,
    goals: list[Goal],
    problems: list[Problem],
    activities: list[Any],
) -> dict[str, Any]:
    category = [
        coded(
            "http://hl7.org/fhir/us/core/CodeSystem/careplan-category",
            "assess-plan",
            "Assessment and Plan of Treatment",
        ),
        coded(SNOMED, "734163000", "Care plan"),
    ]
    return {
        "resourceType": "CarePlan",
        "text": _narrative(plan),
        "status": PLAN_STATUS[plan.status],
        "intent": "plan",
        "category": category,
        "title": "Care plan",
        "subject": patient_ref,
        "addresses": [{"reference": out.url(p)} for p in problems],
        "goal": [{"reference": out.url(g)} for g in goals],
        "careTeam": [{"reference": out.urls[("care-team", plan.pk)]}]
        if ("care-team", plan.pk) in out.urls
        else [],
        # MCC eCare Plan: activities reference real resources; `activity.detail` is never used.
        "activity": [{"reference": {"reference": out.url(a)}} for a in activities],
        "note": [{"text": REDISCLOSURE_NOTICE}] if out.include_part2 else [],
        "extension": [
            *(ext(name.replace("_", "-"), getattr(plan, name)) for name in PLAN_TEXT_FIELDS),
            ext("risk-tier", plan.risk_tier),
            ext("review-interval-days", plan.review_interval_days),
            ext("responsible-member", out.ref(plan.responsible_member)) if plan.responsible_member else None,
            ext("status-reason", plan.status_reason),
        ],
    }


def _provenance(out: _Export, review: PlanReview) -> dict[str, Any]:
    return {
        "resourceType": "Provenance",
        "target": [{"reference": out.url(out.plan)}],
        "recorded": _instant(review.reviewed_at),
        "activity": coded(
            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
            "VRF",
            "verifier",
            "Plan review and sign-off",
        ),
        "agent": [
            {
                "type": coded(
                    "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "verifier",
                    "Verifier",
                ),
                "role": [
                    coded(
                        f"{CODES}/care-team-role", review.reviewer_role, CareRole(review.reviewer_role).label
                    )
                ],
                "who": out.ref(review.reviewer),
            }
        ],
        "extension": [
            ext("review-context", review.context),
            ext("patient-present", review.patient_present),
            ext("review-summary", review.summary),
            ext("review-decisions", review.decisions),
            ext("next-review-due", review.next_review_due),
        ],
    }
