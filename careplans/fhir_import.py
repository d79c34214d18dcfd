"""A FHIR R4 care-plan Bundle (as `careplans.fhir` exports it) into a patient's plan, through the services.

`import_bundle` checks the Bundle's shape and validates every resource against the
fhir.resources R4B models, then, in one transaction, creates or updates each record with the
same services the pages and the API use. A record whose Careweave identifier names an item of
this plan is updated (refusing a stale `meta.versionId`); any other is created. Every resource,
top-level element and extension it does not map is reported with its path. All or nothing: a
record the services refuse rolls the whole import back.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db import transaction
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource

from careplans import services
from careplans.fhir import (
    CONSENT_STATUS,
    EXT,
    GOAL_STATUS,
    ID_SYSTEM,
    MEDICATION_STATUS,
    PERTAINS_TO_GOAL,
    PLAN_STATUS,
    PLAN_TEXT_FIELDS,
    REDISCLOSURE_NOTICE,
    SERVICE_STATUS,
)
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
    Problem,
    ResponsibleParty,
)
from teams import selectors as teams
from teams.models import User
from teams.records import StaleVersionError

IMPORT_REASON = "Imported from a FHIR Bundle."
# The order records are made in, so that every reference points at a record already made.
ORDER = (
    "Practitioner",
    "Patient",
    "Consent",
    "Condition",
    "Goal",
    "Observation",
    "Task",
    "MedicationRequest",
    "ServiceRequest",
    "CareTeam",
    "CarePlan",
    "Provenance",
)


class BundleRejected(Exception):
    """The Bundle is malformed or a record in it was refused: nothing was imported."""

    def __init__(self, issues: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in issues))
        self.issues = issues


class BundleConflict(Exception):
    """A record changed since the Bundle was exported (its meta.versionId is stale): nothing was imported."""

    def __init__(self, path: str, error: StaleVersionError) -> None:
        super().__init__(f"{path}: {error}")
        self.path = path


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)

    def note(
        self, path: str, text: str, *, severity: str = "information", code: str = "informational"
    ) -> None:
        self.issues.append({"severity": severity, "code": code, "diagnostics": text, "expression": [path]})

    def unmapped(self, path: str, text: str) -> None:
        self.note(path, text, severity="warning", code="not-supported")

    @property
    def unmapped_paths(self) -> list[str]:
        return [i["expression"][0] for i in self.issues if i["code"] == "not-supported"]

    def outcome(self) -> dict[str, Any]:
        summary = (
            f"Imported: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.unmapped_paths)} not imported."
        )
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "information", "code": "informational", "diagnostics": summary},
                *self.issues,
            ],
        }


def operation_outcome(issues: list[tuple[str, str]], *, code: str = "invalid") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "diagnostics": message,
                **({"expression": [path]} if path else {}),
            }
            for path, message in issues
        ],
    }


def import_bundle(*, bundle: Any, plan: CarePlan, actor: User) -> ImportReport:
    """Create or update `plan`'s records from `bundle`; raises BundleRejected (422) or BundleConflict (409)."""
    _check_shape(bundle)
    with transaction.atomic():
        return _Import(bundle, plan, actor).run()


def _check_shape(bundle: Any) -> None:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleRejected([("Bundle", 'Send a FHIR Bundle: a JSON object with "resourceType": "Bundle".')])
    if _has_nul(bundle):
        # PostgreSQL text cannot hold NUL; refused here rather than failing in the database.
        raise BundleRejected([("Bundle", "Text in the Bundle may not contain NUL (\\u0000) characters.")])
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise BundleRejected([("Bundle.entry", "entry must be a list.")])
    issues: list[tuple[str, str]] = []
    for index, entry in enumerate(entries):
        path = f"Bundle.entry[{index}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            issues.append((path, "Each entry needs a resource with a resourceType."))
            continue
        try:
            model = get_fhir_model_class(resource["resourceType"])
            if not issubclass(model, Resource):
                raise ValueError
        except (KeyError, ValueError):
            issues.append(
                (f"{path}.resource", f"{resource['resourceType'][:40]!r} is not a FHIR R4 resource.")
            )
            continue
        try:
            model.model_validate(resource)
        except pydantic.ValidationError as error:
            for problem in error.errors()[:5]:
                where = ".".join(str(part) for part in problem["loc"] if part != "__root__")
                issues.append((f"{path}.resource{'.' + where if where else ''}", problem["msg"]))
        except (ValueError, TypeError) as error:
            issues.append((f"{path}.resource", str(error)[:300]))
    if issues:
        raise BundleRejected(issues[:50])


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Reader:
    """One resource (or backbone element) being read: remembers which elements and extensions were used."""

    def __init__(self, data: dict[str, Any], path: str, *, known: tuple[str, ...] = ()) -> None:
        self.data = data
        self.path = path
        self.read = {"resourceType", "id", "meta", "extension", *known}
        self.extensions = {e.get("url"): e for e in data.get("extension", []) if isinstance(e, dict)}
        self.used: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        value = self.data.get(key)
        return default if value is None else value

    def ext(self, name: str, default: Any = None) -> Any:
        url = name if name.startswith("http") else f"{EXT}/{name}"
        self.used.add(url)
        found = self.extensions.get(url)
        if found is None:
            return default
        return next((v for k, v in found.items() if k.startswith("value")), default)

    def text(self, key: str) -> str:
        value = self.get(key, {})
        return str(value.get("text", "")) if isinstance(value, dict) else ""

    def leftovers(self) -> list[str]:
        unread = [f"{self.path}.{key}" for key in self.data if key not in self.read]
        unknown = [
            f"{self.path}.extension[{i}]"
            for i, e in enumerate(self.data.get("extension", []))
            if e.get("url") not in self.used
        ]
        return unread + unknown

    @property
    def version(self) -> int | None:
        value = (self.data.get("meta") or {}).get("versionId")
        return int(value) if isinstance(value, str) and value.isdigit() else None

    @property
    def part2(self) -> bool:
        labels = (self.data.get("meta") or {}).get("security") or []
        return any(label.get("code") == "42CFRPart2" for label in labels)

    def identifier(self, kind: str) -> str | None:
        for identifier in self.get("identifier", []):
            if identifier.get("system") == f"{ID_SYSTEM}/{kind}":
                return str(identifier.get("value", ""))
        return None


def _first(values: Any) -> dict[str, Any]:
    return values[0] if isinstance(values, list) and values and isinstance(values[0], dict) else {}


def _code(concept: Any) -> str:
    return str(_first((concept or {}).get("coding")).get("code", "")) if isinstance(concept, dict) else ""


def _date(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(str(value)[:10]) if value else None


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not a number.") from None


def _notes(reader: Reader) -> str:
    return "\n\n".join(str(n.get("text", "")) for n in reader.get("note", []) if n.get("text"))


def _reverse(mapping: dict[str, str], value: str, default: str) -> str:
    return next((ours for ours, theirs in mapping.items() if theirs == value), default)


class _Import:
    def __init__(self, bundle: dict[str, Any], plan: CarePlan, actor: User) -> None:
        self.plan = plan
        self.actor = actor
        self.report = ImportReport()
        self.entries = [(f"Bundle.entry[{i}]", e) for i, e in enumerate(bundle.get("entry", []))]
        self.urls: dict[str, str] = {}
        for path, entry in self.entries:
            resource = entry["resource"]
            if entry.get("fullUrl"):
                self.urls[entry["fullUrl"]] = path
            if resource.get("id"):
                self.urls[f"{resource['resourceType']}/{resource['id']}"] = path
        self.made: dict[str, Any] = {}  # entry path -> the record it became
        self.team_members = {u.username: u for u in teams.team_members(plan.patient.team_id)}

    def run(self) -> ImportReport:
        handlers: dict[str, Callable[[Reader], None]] = {
            "Practitioner": self.practitioner,
            "Patient": self.patient,
            "Consent": self.consent,
            "Condition": self.condition,
            "Goal": self.goal,
            "Observation": self.observation,
            "Task": self.task,
            "MedicationRequest": self.medication,
            "ServiceRequest": self.service,
            "CareTeam": self.care_team,
            "CarePlan": self.care_plan,
            "Provenance": self.provenance,
        }
        ranked = sorted(
            self.entries,
            key=lambda pe: ORDER.index(t) if (t := pe[1]["resource"]["resourceType"]) in ORDER else 99,
        )
        for path, entry in ranked:
            resource = entry["resource"]
            handler = handlers.get(resource["resourceType"])
            if handler is None:
                self.report.unmapped(
                    f"{path}.resource", f"A {resource['resourceType']} is not part of a Careweave plan."
                )
                continue
            reader = Reader(resource, f"{path}.resource")
            try:
                handler(reader)
            except ValidationError as error:
                messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
                raise BundleRejected(
                    [
                        (f"{path}.resource", f"{name + ': ' if name else ''}{'; '.join(m)}")
                        for name, m in messages.items()
                    ]
                ) from None
            except StaleVersionError as error:
                raise BundleConflict(path, error) from None
            for leftover in reader.leftovers():
                self.report.unmapped(leftover, "This element is not imported: Careweave has no field for it.")
        return self.report

    # ---- References.

    def target(self, reference: Any) -> Any:
        """The record an entry's reference points at (made earlier in this import), or None."""
        if not isinstance(reference, dict) or not reference.get("reference"):
            return None
        path = self.urls.get(reference["reference"])
        return self.made.get(path) if path else None

    def user(self, reference: Any, path: str) -> User:
        found = self.target(reference)
        if not isinstance(found, User):
            raise ValidationError(f"{path} names no practitioner of this patient's team.")
        return found

    def responsible(self, reader: Reader, owner: Any = None) -> dict[str, Any]:
        party = reader.ext("responsible-party", ResponsibleParty.PATIENT)
        member_ref = reader.ext("responsible-member") or owner
        member = None
        if party == ResponsibleParty.TEAM_MEMBER:
            member = self.user(member_ref, reader.path)
        return {"responsible_party": party, "responsible_member": member}

    # ---- One record.

    def existing(self, model: type, kind: str, reader: Reader, *, goal_plan: bool = False) -> Any:
        value = reader.identifier(kind)
        if not value or not value.isdigit() or len(value) > 18:
            return None
        scope = {"goal__plan": self.plan} if goal_plan else {"plan": self.plan}
        return model.objects.filter(pk=int(value), **scope).first()

    def save_item(
        self,
        model: type[PlanItem],
        kind: str,
        reader: Reader,
        values: dict[str, Any],
        *,
        status: str,
        reason: str,
        problems: list[Problem] | None = None,
    ) -> PlanItem:
        values = {**values, "part2_protected": reader.part2}
        item = self.existing(model, kind, reader)
        if item is None:
            start = status if status not in model.END_STATUSES and not reason else model.OPEN_STATUS
            if model is Goal:
                item = services.add_goal(
                    plan=self.plan,
                    actor=self.actor,
                    values={**values, "status": start},
                    problems=problems or [],
                )
            else:
                item = services.add_plan_item(
                    plan=self.plan, model=model, actor=self.actor, values={**values, "status": start}
                )
            self.report.created += 1
            self.report.note(reader.path, f"Created {model._meta.verbose_name} {item.pk}.")
        else:
            if item.part2_protected and not values["part2_protected"]:
                values["part2_protected"] = True
                self.report.unmapped(
                    f"{reader.path}.meta.security",
                    "An import does not lift Part 2 protection; edit the item instead.",
                )
            linked: set[int] = set()
            if model is Goal:
                # Links to problems the Bundle does not carry (Part 2 left out of the export) are kept.
                linked = set(item.problems.values_list("pk", flat=True))
                in_bundle = {p.pk for p in self.made.values() if isinstance(p, Problem)}
                problems = [*(problems or []), *Problem.objects.filter(pk__in=linked - in_bundle)]
            changes = {name: value for name, value in values.items() if getattr(item, name) != value}
            relinks = model is Goal and {p.pk for p in problems or []} != linked
            if changes or relinks:
                version = reader.version or item.version
                if model is Goal:
                    item = services.update_goal(
                        goal=item,
                        expected_version=version,
                        actor=self.actor,
                        changes=changes,
                        problems=problems or [],
                    )
                else:
                    item = services.update_plan_item(
                        item=item,
                        expected_version=version,
                        actor=self.actor,
                        changes=changes,
                        reason=IMPORT_REASON,
                    )
            changed = self.set_status(item, status, reason)
            if changes or relinks or changed:
                self.report.updated += 1
                self.report.note(reader.path, f"Updated {model._meta.verbose_name} {item.pk}.")
            else:
                self.report.unchanged += 1
            self.made[reader.path.removesuffix(".resource")] = item
            return item
        self.set_status(item, status, reason)
        self.made[reader.path.removesuffix(".resource")] = item
        return item

    def set_status(self, item: PlanItem, status: str, reason: str) -> bool:
        """Bring the item to `status` with `reason` through end / reopen / move; True when anything changed."""
        item.refresh_from_db()
        if item.status == status and item.status_reason == reason:
            return False
        why = reason or IMPORT_REASON
        if item.is_ended:
            item = services.reopen_plan_item(
                item=item, expected_version=item.version, actor=self.actor, reason=why
            )
        if status in item.END_STATUSES:
            services.end_plan_item(
                item=item, expected_version=item.version, actor=self.actor, status=status, reason=why
            )
        elif item.status != status or item.status_reason != reason:
            services.move_plan_item(
                item=item, expected_version=item.version, actor=self.actor, status=status, reason=reason
            )
        return True

    # ---- Each resource type.

    def practitioner(self, reader: Reader) -> None:
        reader.get("name")
        username = reader.identifier("user")
        user = self.team_members.get(username or "")
        if user is None:
            self.report.unmapped(
                reader.path, f"No one on this patient's team has the user name {username!r}."
            )
            return
        self.made[reader.path.removesuffix(".resource")] = user

    def patient(self, reader: Reader) -> None:
        for key in reader.data:
            reader.get(key)
        self.report.note(
            reader.path, "Imported into this patient's plan; a plan import does not change demographics."
        )

    def consent(self, reader: Reader) -> None:
        for key in ("scope", "category", "patient"):
            reader.get(key)
        provision = reader.get("provision", {})
        period = provision.get("period") or {}
        fhir_status = reader.get("status")
        status = reader.ext("release-status") or _reverse(CONSENT_STATUS, fhir_status, "active")
        values = {
            "recipient_name": str((_first(provision.get("actor")).get("reference") or {}).get("display", "")),
            "recipient_organization": reader.ext("recipient-organization", ""),
            "recipient_contact": reader.ext("recipient-contact", ""),
            "purpose": str(_first(provision.get("purpose")).get("display", "")),
            "information_scope": reader.ext("information-scope", ""),
            "covers_part2": _code(reader.get("policyRule")) == "42CFRPart2",
            "signed_by": str(_first(reader.get("performer")).get("display", "")),
            "signed_on": _date(reader.get("dateTime") or period.get("start")),
            "expires_on": _date(period.get("end")),
            "expiry_event": reader.ext("expiry-event", ""),
            "revoked_on": _date(reader.ext("revoked-on")),
            "risks_and_benefits_discussed": bool(reader.ext("risks-and-benefits-discussed", False)),
        }
        self.save_item(
            InformationRelease,
            "information-release",
            reader,
            values,
            status=status,
            reason=reader.ext("status-reason", ""),
        )

    def condition(self, reader: Reader) -> None:
        for key in ("category", "subject"):
            reader.get(key)
        code = reader.get("code", {})
        if _code(reader.get("verificationStatus")) == "entered-in-error":
            status = Problem.Status.ENTERED_IN_ERROR
        else:
            clinical = _code(reader.get("clinicalStatus"))
            status = {"inactive": "inactive", "remission": "inactive", "resolved": "resolved"}.get(
                clinical, "active"
            )
        values = {
            "condition": str(code.get("text") or _first(code.get("coding")).get("display", "")),
            "code": _code(code),
            "patient_wording": reader.ext("patient-wording", ""),
            "is_chronic": bool(reader.ext("chronic", True)),
            "expected_to_last_12_months": bool(reader.ext("expected-to-last-12-months", True)),
            "onset_date": _date(reader.get("onsetDateTime")),
            "expected_outcome": reader.ext("expected-outcome", ""),
            "prognosis": reader.ext("prognosis", ""),
        }
        self.save_item(
            Problem, "problem", reader, values, status=status, reason=reader.ext("status-reason", "")
        )

    def goal(self, reader: Reader) -> None:
        for key in ("subject", "outcomeReference"):
            reader.get(key)
        target = _first(reader.get("target"))
        quantity = target.get("detailQuantity") or {}
        measure = target.get("measure") or {}
        value = _decimal(quantity.get("value"))
        expressed = reader.get("expressedBy", {})
        if expressed.get("type") == "RelatedPerson":
            expressed_by = Goal.ExpressedBy.CAREGIVER
        elif expressed.get("type") == "Practitioner" or isinstance(self.target(expressed), User):
            expressed_by = Goal.ExpressedBy.TEAM
        else:
            expressed_by = Goal.ExpressedBy.PATIENT
        problems = [
            p for p in (self.target(a) for a in reader.get("addresses", [])) if isinstance(p, Problem)
        ]
        values = {
            "description": reader.text("description"),
            "kind": reader.ext("goal-kind", Goal.Kind.HEALTH),
            "term": reader.ext("goal-term", Goal.Term.SHORT),
            "expressed_by": expressed_by,
            "measure": str(measure.get("text") or _first(measure.get("coding")).get("display", "")),
            "unit": str(quantity.get("unit", "")),
            "baseline_value": _decimal(reader.ext("baseline-value")),
            "baseline_date": _date(reader.ext("baseline-date")),
            "target_comparator": (quantity.get("comparator") or "=") if value is not None else "",
            "target_value": value,
            "target_date": _date(target.get("dueDate")),
            "achievement_status": _code(reader.get("achievementStatus")).replace("-", "_")
            or Goal.Achievement.IN_PROGRESS,
            "priority": _code(reader.get("priority")).removesuffix("-priority") or Goal.Priority.MEDIUM,
            "barriers": _notes(reader),
            "serves": reader.ext("serves", ""),
            "next_review_on": _date(reader.ext("next-review-on")),
            **self.responsible(reader),
        }
        status = _reverse(GOAL_STATUS, reader.get("lifecycleStatus"), Goal.Status.ACTIVE)
        self.save_item(
            Goal,
            "goal",
            reader,
            values,
            status=status,
            reason=reader.get("statusReason", ""),
            problems=problems,
        )

    def observation(self, reader: Reader) -> None:
        for key in ("code", "subject"):
            reader.get(key)
        goal = self.target(reader.ext(PERTAINS_TO_GOAL))
        if not isinstance(goal, Goal):
            self.report.unmapped(
                reader.path,
                "Only an Observation that measures a goal of this plan (pertainsToGoal) is imported.",
            )
            reader.read.update(reader.data)
            return
        source = reader.ext("measurement-source", GoalMeasurement.Source.CLINIC)
        value = _decimal((reader.get("valueQuantity") or {}).get("value"))
        measured_on = _date(reader.get("effectiveDateTime"))
        in_error = reader.get("status") == "entered-in-error"
        reason = reader.ext("status-reason", "") or IMPORT_REASON
        existing = self.existing(GoalMeasurement, "goal-measurement", reader, goal_plan=True)
        if existing is None:
            if value is None or measured_on is None:
                raise ValidationError("A measurement needs valueQuantity.value and effectiveDateTime.")
            existing = services.record_goal_measurement(
                goal=goal,
                actor=self.actor,
                value=value,
                measured_on=measured_on,
                source=source,
                note=_notes(reader),
            )
            self.report.created += 1
            self.report.note(reader.path, f"Created goal measurement {existing.pk}.")
        elif existing.value != value or existing.measured_on != measured_on:
            self.report.unmapped(
                reader.path,
                "A recorded measurement is not edited: mark it entered-in-error and add a new one.",
            )
        elif not in_error or existing.status == GoalMeasurement.Status.ENTERED_IN_ERROR:
            self.report.unchanged += 1
        if in_error and existing.status != GoalMeasurement.Status.ENTERED_IN_ERROR:
            services.mark_measurement_in_error(
                measurement=existing, expected_version=existing.version, actor=self.actor, reason=reason
            )
            self.report.updated += 1
        self.made[reader.path.removesuffix(".resource")] = existing

    def task(self, reader: Reader) -> None:
        for key in ("intent", "basedOn", "for"):
            reader.get(key)
        owner = reader.get("owner", {})
        party = reader.ext("responsible-party")
        if party is None:
            if isinstance(self.target(owner), User):
                party = ResponsibleParty.TEAM_MEMBER
            elif owner.get("type") == "RelatedPerson":
                party = ResponsibleParty.CAREGIVER
            else:
                party = ResponsibleParty.PATIENT
        goal = self.target(reader.ext(PERTAINS_TO_GOAL))
        values = {
            "description": str(reader.get("description", "")),
            "due_date": _date(((reader.get("restriction") or {}).get("period") or {}).get("end")),
            "is_urgent": reader.get("priority") in ("urgent", "asap", "stat"),
            "goal": goal if isinstance(goal, Goal) else None,
            "responsible_party": party,
            "responsible_member": self.user(owner, f"{reader.path}.owner")
            if party == ResponsibleParty.TEAM_MEMBER
            else None,
        }
        status = {
            "in-progress": "in_progress",
            "completed": "done",
            "cancelled": "cancelled",
            "rejected": "cancelled",
            "failed": "cancelled",
        }.get(reader.get("status"), "planned")
        self.save_item(
            ActionStep, "action-step", reader, values, status=status, reason=reader.text("statusReason")
        )

    def medication(self, reader: Reader) -> None:
        for key in ("intent", "subject"):
            reader.get(key)
        dosage = _first(reader.get("dosageInstruction"))
        timing = dosage.get("timing") or {}
        bounds = (timing.get("repeat") or {}).get("boundsPeriod") or {}
        values = {
            "name": reader.text("medicationCodeableConcept"),
            "formulation": reader.ext("formulation", ""),
            "dose": reader.ext("dose", "") or str(dosage.get("text", "")),
            "route": str((dosage.get("route") or {}).get("text", "")),
            "frequency": str((timing.get("code") or {}).get("text", "")),
            "indication": str(_first(reader.get("reasonCode")).get("text", "")),
            "prescriber": str((reader.get("requester") or {}).get("display", "")),
            "start_date": _date(bounds.get("start")),
            "stop_date": _date(bounds.get("end")),
            "patient_instructions": str(dosage.get("patientInstruction", "")),
        }
        fhir_status = reader.get("status")
        status = {"cancelled": "stopped"}.get(fhir_status) or _reverse(
            MEDICATION_STATUS, fhir_status, "active"
        )
        self.save_item(
            Medication, "medication", reader, values, status=status, reason=reader.text("statusReason")
        )

    def service(self, reader: Reader) -> None:
        for key in ("intent", "code", "subject"):
            reader.get(key)
        category = _code(_first(reader.get("category")))
        release = self.target(_first(reader.get("supportingInfo")))
        values = {
            "category": category
            if category in CommunityService.Category.values
            else CommunityService.Category.OTHER,
            "organization_name": str(_first(reader.get("performer")).get("display", "")),
            "contact_name": reader.ext("contact-name", ""),
            "phone": reader.ext("phone", ""),
            "address": reader.ext("address", ""),
            "service_details": _notes(reader),
            "barrier_addressed": str(_first(reader.get("reasonCode")).get("text", "")),
            "permission_to_exchange": bool(reader.ext("permission-to-exchange", False)),
            "release": release if isinstance(release, InformationRelease) else None,
            "referred_on": _date(reader.get("authoredOn")),
            "next_review_on": _date(reader.ext("next-review-on")),
            **self.responsible(reader),
        }
        fhir_status = reader.get("status")
        status = reader.ext("service-status") or _reverse(SERVICE_STATUS, fhir_status, "recommended")
        self.save_item(
            CommunityService,
            "community-service",
            reader,
            values,
            status=status,
            reason=reader.ext("status-reason", ""),
        )

    def care_team(self, reader: Reader) -> None:
        for key in ("identifier", "status", "subject"):
            reader.get(key)
        for index, participant in enumerate(reader.get("participant", [])):
            part = Reader(
                participant, f"{reader.path}.participant[{index}]", known=("role", "member", "onBehalfOf")
            )
            role = _first(participant.get("role"))
            member = participant.get("member") or {}
            user = self.target(member)
            identifier = part.ext("identifier") or {}
            part.data = {
                **participant,
                "identifier": [identifier],
                "meta": {"versionId": str(part.ext("version", ""))},
            }
            if part.ext("part2-protected", False):
                part.data["meta"]["security"] = [{"code": "42CFRPart2"}]
            values = {
                "user": user if isinstance(user, User) else None,
                "name": "" if isinstance(user, User) else str(member.get("display", "")),
                "organization": str((participant.get("onBehalfOf") or {}).get("display", "")),
                "role": _code(role),
                "phone": part.ext("phone", ""),
                "responsibilities": str(role.get("text", "")),
                "is_primary_contact": bool(part.ext("primary-contact", False)),
            }
            if member.get("reference") and not isinstance(user, User):
                raise ValidationError(
                    {"user": f"{part.path}.member names no practitioner of this patient's team."}
                )
            self.save_item(
                CareTeamMember,
                "care-team-member",
                part,
                values,
                status=part.ext("member-status", CareTeamMember.Status.ACTIVE),
                reason=part.ext("status-reason", ""),
            )
            part.read.add("identifier")
            for leftover in part.leftovers():
                self.report.unmapped(leftover, "This element is not imported: Careweave has no field for it.")

    def care_plan(self, reader: Reader) -> None:
        for key in (
            "text",
            "intent",
            "category",
            "title",
            "subject",
            "addresses",
            "goal",
            "careTeam",
            "activity",
        ):
            reader.get(key)
        notes = [n for n in reader.get("note", []) if n.get("text") != REDISCLOSURE_NOTICE]
        for index, _note in enumerate(notes):
            self.report.unmapped(
                f"{reader.path}.note[{index}]", "Plan notes are not imported; comment on the plan instead."
            )
        member_ref = reader.ext("responsible-member")
        values: dict[str, Any] = {name: reader.ext(name.replace("_", "-"), "") for name in PLAN_TEXT_FIELDS}
        values["risk_tier"] = reader.ext("risk-tier", self.plan.risk_tier)
        values["review_interval_days"] = reader.ext("review-interval-days")
        values["responsible_member"] = (
            self.user(member_ref, f"{reader.path}.extension") if member_ref else None
        )
        plan = CarePlan.objects.get(pk=self.plan.pk)
        changes = {name: value for name, value in values.items() if getattr(plan, name) != value}
        same_plan = reader.identifier("careplan") == str(plan.pk)
        if changes:
            version = (reader.version if same_plan else None) or plan.version
            plan = services.update_care_plan(
                plan=plan, expected_version=version, actor=self.actor, changes=changes, reason=IMPORT_REASON
            )
        status = _reverse(PLAN_STATUS, reader.get("status"), plan.status)
        reason = reader.ext("status-reason", "")
        if status != plan.status:
            if status != CarePlan.Status.ACTIVE:
                reason = reason or IMPORT_REASON
            plan = services.change_plan_status(
                plan=plan,
                expected_version=plan.version,
                actor=self.actor,
                status=status,
                reason=reason,
            )
        if changes or status != self.plan.status:
            self.report.updated += 1
            self.report.note(reader.path, "Updated the care plan.")
        else:
            self.report.unchanged += 1

    def provenance(self, reader: Reader) -> None:
        reader.read.update(reader.data)
        self.report.unmapped(
            reader.path, "A sign-off is not imported: only the signer records it, in Careweave's plan review."
        )
