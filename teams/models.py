from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from teams.records import VersionedRecord, tracked


class User(AbstractUser):
    """A person who signs in: a member of the care team or an administrator."""

    credentials = models.CharField(max_length=40, blank=True, help_text="For example RN, MD, LCSW.")
    phone = models.CharField(max_length=40, blank=True)
    email_digest = models.BooleanField(
        "email me a daily digest",
        default=True,
        help_text="One email a day listing your reminders and notifications that you have not been emailed.",
    )
    notify_on_changes = models.BooleanField(
        "tell me when someone changes an item I am responsible for", default=True
    )
    is_privacy_officer = models.BooleanField(
        "privacy officer",
        default=False,
        help_text="May see who has read, printed, exported or received the records of the practice's patients.",
    )

    def __str__(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name


class CareRole(models.TextChoices):
    NURSE_CARE_MANAGER = "nurse_care_manager", "Nurse care manager"
    PHYSICIAN = "physician", "Physician"
    NP_PA = "np_pa", "Nurse practitioner / physician assistant"
    PHARMACIST = "pharmacist", "Pharmacist"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health clinician"
    HEALTH_COACH = "health_coach", "Health coach"
    SOCIAL_WORKER = "social_worker", "Social worker"
    CHW_PEER = "chw_peer", "Community health worker / peer"
    MEDICAL_ASSISTANT = "medical_assistant", "Medical assistant"
    OTHER = "other", "Other"


@tracked
class Organization(VersionedRecord):
    """A practice."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    phone = models.CharField(max_length=40, blank=True)
    after_hours_phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


def default_sign_off_roles() -> list[str]:
    return [CareRole.PHYSICIAN, CareRole.NP_PA]


@tracked
class Team(VersionedRecord):
    """A care team and its panel of patients."""

    class Approach(models.TextChoices):
        DISTRIBUTED_TASKS = "distributed_tasks", "Distributed tasks"
        TWO_TIERED = "two_tiered", "Two-tiered"
        HEALTH_COACHING = "health_coaching", "Health coaching"
        LEVERAGING_A_VILLAGE = "leveraging_a_village", "Leveraging a village"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    approach = models.CharField(
        max_length=30, choices=Approach.choices, help_text="How this team shares the work of care planning."
    )
    phone = models.CharField(max_length=40, blank=True)
    review_interval_days = models.PositiveSmallIntegerField(
        default=90, help_text="Default time between plan reviews."
    )
    high_risk_review_interval_days = models.PositiveSmallIntegerField(
        default=30, help_text="Time between plan reviews for high-risk patients."
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Days overdue after which a reminder also goes to the team lead and the patient's physician.",
    )
    sign_off_roles = ArrayField(
        models.CharField(max_length=30, choices=CareRole.choices),
        default=default_sign_off_roles,
        help_text="The roles whose members may sign off a plan review.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_unique_in_org")
        ]

    def __str__(self) -> str:
        return self.name


@tracked
class Membership(VersionedRecord):
    """A user's role on a team. Ending a membership ends access to the team's patients."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=CareRole.choices)
    is_team_lead = models.BooleanField(default=False)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"],
                condition=Q(ended_on__isnull=True),
                name="one_active_membership_per_team",
            )
        ]
        indexes = [
            models.Index(
                fields=["user", "team"], condition=Q(ended_on__isnull=True), name="active_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.team}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class ApiToken(models.Model):
    """A personal token another system uses to call the API as its owner; only its hash is stored.

    Revoking keeps the row (who had access, and when it ended, stays on record).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="Which system or script uses it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The first characters, to recognise it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UserSession(models.Model):
    """Which server-side session belongs to whom, written at sign-in, so they can be ended on the server.

    Django's session table stores the user only inside its encoded data; this index lets
    deactivating an account end its sessions without decoding every session (teams.sessions).
    """

    session_key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    signed_in_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"
