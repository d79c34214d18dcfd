from __future__ import annotations

import base64
import datetime
import uuid
from datetime import date
from typing import Any

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from teams.models import Organization, Team
from teams.records import VersionedRecord, tracked


class Language(models.TextChoices):
    """Languages patients prefer. The printed plan is translated into those Careweave ships."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    CHINESE = "zh", "Chinese"
    VIETNAMESE = "vi", "Vietnamese"
    HAITIAN_CREOLE = "ht", "Haitian Creole"
    PORTUGUESE = "pt", "Portuguese"
    ARABIC = "ar", "Arabic"
    RUSSIAN = "ru", "Russian"
    OTHER = "other", "Other"


def display_name(family_name: str, given_name: str, preferred_name: str = "") -> str:
    """How a patient is named in lists and headings: "Family, Given (Preferred)"."""
    given = f"{given_name} ({preferred_name})" if preferred_name else given_name
    return f"{family_name}, {given}"


@tracked
class Patient(VersionedRecord):
    """A person on a team's panel. The opaque `id` is the only identifier used in URLs."""

    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Unknown / not recorded"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        TRANSFERRED = "transferred", "Transferred out"
        DECEASED = "deceased", "Deceased"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="patients")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="patients", verbose_name="team panel"
    )
    mrn = models.CharField("MRN", max_length=32, help_text="Medical record number, unique in the practice.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices, default=SexAtBirth.UNKNOWN)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    preferred_language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    interpreter_needed = models.BooleanField(default=False)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    large_print = models.BooleanField(default=False, help_text="Print the plan in large type (18 pt).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [models.UniqueConstraint(fields=["organization", "mrn"], name="mrn_unique_in_org")]
        indexes = [
            models.Index(fields=["team", "family_name", "given_name"], name="patient_panel"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
            # A prefix of the MRN in any case: LIKE 'SC00012%' on upper(mrn) (also serves equality).
            models.Index(OpClass(Upper("mrn"), name="text_pattern_ops"), name="patient_mrn_prefix"),
            # The home page's patient list for someone on many teams: the first 100 active patients by name.
            models.Index(
                fields=["family_name", "given_name"],
                condition=models.Q(status="active"),
                name="patient_active_by_name",
            ),
            GinIndex(
                OpClass(Lower("family_name"), name="gin_trgm_ops"),
                OpClass(Lower("given_name"), name="gin_trgm_ops"),
                OpClass(Lower("preferred_name"), name="gin_trgm_ops"),
                name="patient_name_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return display_name(self.family_name, self.given_name, self.preferred_name)

    def age(self, on: date | None = None) -> int:
        on = on or timezone.localdate()
        born = self.date_of_birth
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    def clean(self) -> None:
        errors = {}
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        if self.team_id and self.organization_id and self.team.organization_id != self.organization_id:
            errors["team"] = "The team must belong to the patient's practice."
        if self.status != self.Status.ACTIVE and not self.status_reason:
            errors["status_reason"] = "Say why the patient is no longer active."
        if errors:
            raise ValidationError(errors)


@tracked
class RelatedPerson(VersionedRecord):
    """A caregiver, family member or other person in the patient's life."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="related_people")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=60, help_text="For example daughter, spouse, friend.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    is_caregiver = models.BooleanField(default=False)
    is_emergency_contact = models.BooleanField(default=False)
    may_receive_information = models.BooleanField(
        default=False, help_text="The patient agreed that this person may be told about their care."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=200, blank=True)

    # As on care-plan items, so the plan page edits and ends related people the same way.
    END_STATUSES = frozenset({Status.ENDED})

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "related people"

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"

    @property
    def is_ended(self) -> bool:
        return self.status in self.END_STATUSES


class AccessEvent(models.Model):
    """One read, search, print, export, download or disclosure of patient data: the access log.

    Shaped like a FHIR AuditEvent (`as_fhir`) so it can be exported as one. Append-only: a trigger
    refuses UPDATE and DELETE, and the app's database role has only SELECT and INSERT on the table
    (`manage.py grant_app_role`). Written by `patients.access_log.record_access`, nowhere else.
    """

    class Subtype(models.TextChoices):
        READ = "read", "Read"
        SEARCH = "search", "Search"
        PRINT = "print", "Print"
        EXPORT = "export", "Export"
        DOWNLOAD = "download", "Download"
        DISCLOSURE = "disclosure", "Disclosure"

    class Action(models.TextChoices):
        # FHIR AuditEventAction.
        CREATE = "C", "Create"
        READ = "R", "Read/view/print"
        UPDATE = "U", "Update"
        DELETE = "D", "Delete"
        EXECUTE = "E", "Execute (search, export)"

    class Outcome(models.IntegerChoices):
        # FHIR AuditEventOutcome.
        SUCCESS = 0, "Success"
        DENIED = 4, "Denied (minor failure)"
        FAILED = 8, "Failed (serious failure)"
        MAJOR_FAILURE = 12, "Major failure"

    class Purpose(models.TextChoices):
        # HL7 v3 PurposeOfUse codes.
        TREATMENT = "TREAT", "Treatment"
        EMERGENCY = "ETREAT", "Emergency treatment (break the glass)"
        PAYMENT = "HPAYMT", "Payment"
        PATIENT_REQUEST = "PATRQT", "Patient requested"

    recorded = models.DateTimeField(default=timezone.now, editable=False)
    subtype = models.CharField(max_length=12, choices=Subtype.choices)
    action = models.CharField(max_length=1, choices=Action.choices, default=Action.READ)
    outcome = models.PositiveSmallIntegerField(choices=Outcome.choices, default=Outcome.SUCCESS)
    agent = models.ForeignKey(
        "teams.User", on_delete=models.PROTECT, null=True, blank=True, related_name="access_events"
    )
    agent_role = models.CharField(max_length=60, blank=True, help_text="The agent's role(s) at the time.")
    api_token = models.ForeignKey(
        "teams.ApiToken", on_delete=models.PROTECT, null=True, blank=True, related_name="access_events"
    )
    source_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="access_events"
    )
    what = models.CharField(max_length=200, blank=True, help_text="The object read (type/id) or the page.")
    url_name = models.CharField(max_length=100, blank=True)
    # A search's text is itself access-logged PHI (a name or date of birth): kept, like the rest of the row.
    query = models.TextField(blank=True)
    result_count = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.TREATMENT)
    recipient = models.CharField(max_length=200, blank=True, help_text="Who received a disclosure.")

    class Meta:
        ordering = ["-recorded", "-id"]
        indexes = [
            models.Index(fields=["patient", "recorded"], name="access_patient_recorded"),
            models.Index(fields=["agent", "recorded"], name="access_agent_recorded"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.recorded:%Y-%m-%d %H:%M} {self.agent or 'anonymous'} {self.subtype} {self.what}"

    def as_fhir(self) -> dict[str, Any]:
        """The event as a FHIR R4 AuditEvent resource (a dict ready for JSON)."""
        agent: dict[str, Any] = {
            "requestor": True,
            "who": {"display": str(self.agent) if self.agent_id else "anonymous"},
        }
        if self.agent_id:
            agent["who"]["identifier"] = {"system": "urn:careweave:user", "value": str(self.agent_id)}
        if self.agent_role:
            agent["role"] = [{"text": self.agent_role}]
        if self.source_address:
            agent["network"] = {"address": self.source_address, "type": "2"}  # 2 = IP address
        if self.purpose:
            agent["purposeOfUse"] = [{"coding": [{"system": PURPOSE_OF_USE, "code": self.purpose}]}]
        entities: list[dict[str, Any]] = []
        if self.patient_id:
            entities.append(
                {"what": {"reference": f"Patient/{self.patient_id}"}, "type": _entity_type("1", "Person")}
            )
        if self.what or self.query:
            entity: dict[str, Any] = {"type": _entity_type("2", "System Object")}
            if self.what:
                entity["what"] = {"display": self.what}
            if self.query:
                entity["query"] = base64.b64encode(self.query.encode()).decode()
            if self.recipient:
                entity["detail"] = [{"type": "recipient", "valueString": self.recipient}]
            entities.append(entity)
        resource: dict[str, Any] = {
            "resourceType": "AuditEvent",
            "id": str(self.pk),
            "type": {"system": AUDIT_TYPE, "code": "rest", "display": "RESTful Operation"},
            "subtype": [{"system": "urn:careweave:access-subtype", "code": self.subtype}],
            "action": self.action,
            "recorded": self.recorded.isoformat(),
            "outcome": str(self.outcome),
            "purposeOfEvent": [{"coding": [{"system": PURPOSE_OF_USE, "code": self.purpose}]}],
            "agent": [agent],
            "source": {"observer": {"display": "Careweave"}},
        }
        if entities:
            resource["entity"] = entities
        return resource


AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
PURPOSE_OF_USE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


def _entity_type(code: str, display: str) -> dict[str, str]:
    return {
        "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
        "code": code,
        "display": display,
    }


@tracked
class EmergencyAccess(models.Model):
    """Break-the-glass: a user outside the patient's teams, let in for a short time, for a stated reason.

    Granted by `patients.services.grant_emergency_access`; while `is_current`, the patient is
    visible to `user` (patients.selectors). Part 2 items stay hidden. Never deleted; ended early by
    setting `ended_at`.
    """

    #: A reason shorter than this is not a reason ("x", "emergency").
    REASON_MIN_LENGTH = 20

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="emergency_accesses")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="emergency_access_current")]

    def __str__(self) -> str:
        return f"Emergency access by {self.user} to {self.patient} until {self.expires_at:%Y-%m-%d %H:%M}"

    def is_current(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.ended_at is None and self.granted_at <= now < self.expires_at
