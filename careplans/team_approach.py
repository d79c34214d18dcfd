"""Who does what by default, by the team's chosen approach to care planning (`Team.approach`).

The four approaches (AHRQ / Bodenheimer's building blocks of high-performing primary care):

- distributed tasks: each section goes to the role whose skills fit it;
- two-tiered: the nurse care manager keeps the plan, the physician owns the clinical sections;
- health coaching: a health coach keeps the plan and the patient's self-management sections;
- leveraging a village: community health workers and social workers own the social sections.

These are defaults only: a person is still chosen on each item, and the services check that they
are on the team. `default_member` picks the first active member in the role, by name.
"""

from __future__ import annotations

from teams.models import CareRole, Membership, Team, User

Role = CareRole
SECTIONS = ("plan", "problem", "goal", "step", "medication", "service", "education", "measures")
REMINDERS = ("review_due", "urgent_measure", "referral_waiting", "goal_off_track")

SECTION_DEFAULTS: dict[str, dict[str, str]] = {
    Team.Approach.DISTRIBUTED_TASKS: {
        "plan": Role.NURSE_CARE_MANAGER,
        "problem": Role.PHYSICIAN,
        "goal": Role.NURSE_CARE_MANAGER,
        "step": Role.NURSE_CARE_MANAGER,
        "medication": Role.PHARMACIST,
        "service": Role.SOCIAL_WORKER,
        "education": Role.NURSE_CARE_MANAGER,
        "measures": Role.MEDICAL_ASSISTANT,
    },
    Team.Approach.TWO_TIERED: {
        "plan": Role.NURSE_CARE_MANAGER,
        "problem": Role.PHYSICIAN,
        "goal": Role.NURSE_CARE_MANAGER,
        "step": Role.NURSE_CARE_MANAGER,
        "medication": Role.PHYSICIAN,
        "service": Role.NURSE_CARE_MANAGER,
        "education": Role.NURSE_CARE_MANAGER,
        "measures": Role.NURSE_CARE_MANAGER,
    },
    Team.Approach.HEALTH_COACHING: {
        "plan": Role.HEALTH_COACH,
        "problem": Role.PHYSICIAN,
        "goal": Role.HEALTH_COACH,
        "step": Role.HEALTH_COACH,
        "medication": Role.PHARMACIST,
        "service": Role.HEALTH_COACH,
        "education": Role.HEALTH_COACH,
        "measures": Role.HEALTH_COACH,
    },
    Team.Approach.LEVERAGING_A_VILLAGE: {
        "plan": Role.NURSE_CARE_MANAGER,
        "problem": Role.PHYSICIAN,
        "goal": Role.NURSE_CARE_MANAGER,
        "step": Role.CHW_PEER,
        "medication": Role.PHARMACIST,
        "service": Role.CHW_PEER,
        "education": Role.CHW_PEER,
        "measures": Role.MEDICAL_ASSISTANT,
    },
}

# Who receives each kind of reminder. An urgent measure (PHQ-9 item 9) always goes to a clinician.
REMINDER_DEFAULTS: dict[str, dict[str, str]] = {
    approach: {
        "review_due": sections["plan"],
        "urgent_measure": Role.PHYSICIAN if approach == Team.Approach.TWO_TIERED else Role.NURSE_CARE_MANAGER,
        "referral_waiting": sections["service"],
        "goal_off_track": sections["goal"],
    }
    for approach, sections in SECTION_DEFAULTS.items()
}


#: The section each kind of plan item belongs to, for the items that name who is responsible.
SECTION_OF_MODEL = {"goal": "goal", "actionstep": "step", "communityservice": "service"}

#: The section whose owner receives each kind of reminder from the sweep (careplans.reminders).
SWEEP_SECTIONS = {
    "plan_review": "plan",
    "goal_review": "goal",
    "service_review": "service",
    "action_step": "step",
}


def sweep_roles(subject: str) -> dict[str, str]:
    """For one reminder subject: each approach and the role that receives it when no one is responsible."""
    return {approach: sections[SWEEP_SECTIONS[subject]] for approach, sections in SECTION_DEFAULTS.items()}


def section_role(team: Team, section: str) -> str:
    """The role that by default owns `section` of a plan on this team."""
    return SECTION_DEFAULTS[team.approach][section]


def reminder_role(team: Team, reminder: str) -> str:
    """The role that by default receives this kind of reminder on this team."""
    return REMINDER_DEFAULTS[team.approach][reminder]


def default_member(team: Team, role: str) -> User | None:
    """The first active member of the team in `role` (by name), or None when nobody holds it."""
    membership = (
        Membership.objects.filter(team=team, role=role, ended_on__isnull=True, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user_id")
        .first()
    )
    return membership.user if membership else None
