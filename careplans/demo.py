"""A synthetic demo practice for development and demonstrations. No real people, ever.

`seed()` loads one practice, "Lakeside Family Medicine", with two teams that
share the work of care planning differently, one demo user per care role and
30 made-up patients whose living care plans fill every section. Every patient
and plan change goes through the services, so history records who did what,
as it would for real work.

Demo logins (every account has the password in `DEMO_PASSWORD`):

    username      role                                        team
    admin         Administrator (Django admin, superuser)     -
    nurse         Nurse care manager                          Maple Team (lead)
    physician     Physician                                   Maple Team, Cedar Team
    np            Nurse practitioner / physician assistant    Maple Team
    pharmacist    Pharmacist                                  Maple Team, Cedar Team
    bhc           Behavioral health clinician                 Maple Team, Cedar Team
    coach         Health coach                                Maple Team, Cedar Team (lead)
    social        Social worker                               Maple Team, Cedar Team
    chw           Community health worker / peer              Maple Team, Cedar Team
    ma            Medical assistant                           Maple Team
    other         Other (dietitian)                           Maple Team
    cedar.nurse   Nurse care manager                          Cedar Team

`nurse` (with `np`, `ma` and `other`) sees only Maple's patients and
`cedar.nurse` only Cedar's, which shows team scoping; the others see both panels.

The scenarios are data (CONDITIONS, PATIENTS and the pools below); the
`_Builder` turns them into records. A fixed `random.Random(seed)` varies the
numbers, dates and wording, so two runs on the same day build the same plans.
Dates are relative to the day the data is loaded.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

import pghistory
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from careplans import ccm_demo, comments, reminders
from careplans import services as plans
from careplans.demo_partnering import add_experience_surveys, add_partnering
from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    CommunityService,
    EducationTopic,
    Goal,
    InformationRelease,
    Medication,
    PlanItem,
    PlanReview,
    Problem,
    RiskTier,
    SymptomPlan,
)
from patients import services as patients
from patients.models import Language, Patient
from teams import services as teams
from teams.models import CareRole, Organization, Team, User
from teams.records import create_record

T = TypeVar("T")

COMMAND = "seed_demo"
DEFAULT_SEED = 2026
DEMO_PASSWORD = "careweave-demo-2026"

Role = CareRole
Cat = CommunityService.Category

ORGANIZATION = {
    "name": "Lakeside Family Medicine",
    "slug": "lakeside",
    "phone": "555-0100",
    "after_hours_phone": "555-0199",
    "address": "400 Lakeshore Drive, Lakeside",
}
MAPLE, CEDAR = "Maple Team", "Cedar Team"
TEAMS = {
    MAPLE: {"approach": Team.Approach.DISTRIBUTED_TASKS, "phone": "555-0140"},
    CEDAR: {"approach": Team.Approach.HEALTH_COACHING, "phone": "555-0150"},
}


# --------------------------------------------------------------------------- people who sign in


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    credentials: str
    role: str | None  # a CareRole; None for the administrator
    teams: tuple[str, ...] = ()
    leads: str = ""  # the team this user leads
    role_label: str = ""

    @property
    def role_display(self) -> str:
        return self.role_label or (CareRole(self.role).label if self.role else "")

    @property
    def team_display(self) -> str:
        if not self.teams:
            return "-"
        return ", ".join(f"{t} (lead)" if t == self.leads else t for t in self.teams)


BOTH = (MAPLE, CEDAR)
USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Avery", "Admin", "", None, role_label="Administrator (Django admin, superuser)"),
    DemoUser("nurse", "Nora", "Bennett", "RN", Role.NURSE_CARE_MANAGER, (MAPLE,), leads=MAPLE),
    DemoUser("physician", "Samuel", "Okafor", "MD", Role.PHYSICIAN, BOTH),
    DemoUser("np", "Priya", "Raman", "NP", Role.NP_PA, (MAPLE,)),
    DemoUser("pharmacist", "Leo", "Marchetti", "PharmD", Role.PHARMACIST, BOTH),
    DemoUser("bhc", "Dana", "Whitfield", "PsyD", Role.BEHAVIORAL_HEALTH, BOTH),
    DemoUser("coach", "Marisol", "Vega", "NBC-HWC", Role.HEALTH_COACH, BOTH, leads=CEDAR),
    DemoUser("social", "Grace", "Holloway", "LCSW", Role.SOCIAL_WORKER, BOTH),
    DemoUser("chw", "Tomás", "Rivera", "CHW", Role.CHW_PEER, BOTH),
    DemoUser("ma", "Kelly", "Tran", "CMA", Role.MEDICAL_ASSISTANT, (MAPLE,)),
    DemoUser("other", "Jordan", "Ellis", "RD", Role.OTHER, (MAPLE,), role_label="Other (dietitian)"),
    DemoUser("cedar.nurse", "Ruth", "Adeyemi", "RN", Role.NURSE_CARE_MANAGER, (CEDAR,)),
)


def login_rows() -> list[tuple[str, str, str]]:
    """(username, role, team) of every demo login, for the table the command prints."""
    return [(u.username, u.role_display, u.team_display) for u in USERS]


# Who usually does each kind of work, by team approach. Distributed tasks: the nurse
# care manager holds the plan and hands out tasks. Health coaching: the coach works out
# goals and action plans with the patient, the community health worker links services.
SECTION_ROLES: dict[str, dict[str, str]] = {
    MAPLE: {
        "register": Role.NURSE_CARE_MANAGER,
        "plan": Role.NURSE_CARE_MANAGER,
        "problem": Role.PHYSICIAN,
        "goal": Role.NURSE_CARE_MANAGER,
        "measurement": Role.MEDICAL_ASSISTANT,
        "step": Role.NURSE_CARE_MANAGER,
        "medication": Role.PHARMACIST,
        "symptom": Role.NURSE_CARE_MANAGER,
        "release": Role.SOCIAL_WORKER,
        "service": Role.SOCIAL_WORKER,
        "care_team": Role.NURSE_CARE_MANAGER,
        "education": Role.NURSE_CARE_MANAGER,
        "review": Role.PHYSICIAN,
    },
    CEDAR: {
        "register": Role.NURSE_CARE_MANAGER,
        "plan": Role.HEALTH_COACH,
        "problem": Role.PHYSICIAN,
        "goal": Role.HEALTH_COACH,
        "measurement": Role.HEALTH_COACH,
        "step": Role.HEALTH_COACH,
        "medication": Role.PHARMACIST,
        "symptom": Role.NURSE_CARE_MANAGER,
        "release": Role.CHW_PEER,
        "service": Role.CHW_PEER,
        "care_team": Role.HEALTH_COACH,
        "education": Role.HEALTH_COACH,
        "review": Role.HEALTH_COACH,
    },
}
# When a team has nobody in a role, who does that work instead.
ROLE_FALLBACK = {
    Role.NP_PA: Role.PHYSICIAN,
    Role.MEDICAL_ASSISTANT: Role.NURSE_CARE_MANAGER,
    Role.OTHER: Role.HEALTH_COACH,
}


# --------------------------------------------------------------------------- scenario building blocks


class Days(int):
    """A date given as days from the day the data is loaded (negative: in the past)."""


@dataclass(frozen=True)
class Prescriber:
    """The prescriber is the team member in this role, by name."""

    role: str


@dataclass(frozen=True)
class GoalSpec:
    """A measurable goal in the patient's words; the builder adds dates and measurements."""

    words: str
    measure: str
    unit: str
    baseline: float
    comparator: str
    target: float
    spread: float = 0  # how far a patient's baseline may differ from the typical one
    places: int = 0
    source: str = "clinic"
    kind: str = Goal.Kind.HEALTH
    term: str = Goal.Term.SHORT
    barriers: str = ""


@dataclass(frozen=True)
class Step:
    """An action step: who does it, and whether it is done, overdue or still to come."""

    description: str
    who: str  # "patient", "caregiver" or a CareRole
    when: str  # "done", "overdue" or "upcoming"


@dataclass(frozen=True)
class Teaching:
    topic: str
    material: str
    by: str  # a CareRole


@dataclass(frozen=True)
class Condition:
    """What one chronic condition brings to a plan."""

    problem: Mapping[str, Any]
    goals: tuple[GoalSpec, ...]
    steps: tuple[Step, ...]
    medications: tuple[Mapping[str, Any], ...] = ()
    symptom_plan: Mapping[str, Any] | None = None
    releases: tuple[Mapping[str, Any], ...] = ()
    services: tuple[Mapping[str, Any], ...] = ()
    education: tuple[Teaching, ...] = ()
    team_roles: tuple[tuple[str, str], ...] = ()  # (CareRole, responsibilities)
    outside: tuple[Mapping[str, Any], ...] = ()  # care team members outside the practice
    part2: bool = False  # every item identifies a substance use disorder (42 CFR Part 2)


# Keys starting with "_" in item values are instructions for the builder, not fields:
#   _end: (status, reason)   end the item after adding it
#   _unless: condition       leave the item out when the patient also has that condition
#   _key / _release: name    a release, and a service that exchanges information under it
#   _who: CareRole           the team member responsible for a community service
#   _by: CareRole            who adds the item, instead of the team's usual role

CONDITIONS: dict[str, Condition] = {
    "diabetes": Condition(
        problem={
            "condition": "Type 2 diabetes mellitus with hyperglycemia",
            "code": "E11.65",
            "patient_wording": "My sugar",
            "onset_date": Days(-365 * 8),
            "expected_outcome": "HbA1c at or under 7.5% without low blood sugars; no new eye, foot or kidney damage.",
            "prognosis": "Good with steady medicine use and meal changes. Risk of complications rises if HbA1c stays above 9%.",
        },
        goals=(
            GoalSpec(
                words="Get my sugar down so I have energy to work in my garden.",
                measure="HbA1c",
                unit="%",
                baseline=9.1,
                comparator="<=",
                target=7.5,
                spread=0.9,
                places=1,
                source="lab",
                barriers="Snacks late at night; test strips cost too much at the end of the month.",
            ),
        ),
        steps=(
            Step("Check blood sugar before breakfast and write it in the log.", "patient", "upcoming"),
            Step("Schedule the yearly diabetic eye exam.", Role.MEDICAL_ASSISTANT, "overdue"),
            Step("Go to the Tuesday diabetes cooking class at the food pantry.", "patient", "done"),
            Step("Foot check with monofilament at the next visit.", Role.NURSE_CARE_MANAGER, "upcoming"),
        ),
        medications=(
            {
                "name": "Metformin extended-release",
                "formulation": "tablet",
                "dose": "1000 mg",
                "route": "by mouth",
                "frequency": "once a day with supper",
                "indication": "Type 2 diabetes",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365 * 6),
                "patient_instructions": "Take with your evening meal. An upset stomach usually settles after a few weeks.",
            },
            {
                "name": "Empagliflozin",
                "formulation": "tablet",
                "dose": "10 mg",
                "route": "by mouth",
                "frequency": "once a day in the morning",
                "indication": "Type 2 diabetes; also protects the heart and kidneys",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-200),
                "patient_instructions": "Take in the morning and drink water through the day. Call if you have itching or burning when you pass urine.",
            },
        ),
        symptom_plan={
            "symptom": "Low blood sugar",
            "green_signs": "Sugar between 80 and 180. Feeling like yourself.",
            "green_actions": "Keep taking your medicines and eating regular meals.",
            "yellow_signs": "Shaky, sweaty, hungry or a sugar under 70.",
            "yellow_actions": "Eat or drink 15 grams of sugar (half a cup of juice), check again in 15 minutes, then call the nurse line the same day.",
            "red_signs": "Confused, cannot swallow safely, or passing out.",
            "red_actions": "Someone should call 911. Do not give food or drink by mouth.",
        },
        releases=(
            {
                "_key": "pantry",
                "recipient_name": "Lakeside Community Food Pantry intake staff",
                "recipient_organization": "Lakeside Community Food Pantry",
                "recipient_contact": "555-0161",
                "purpose": "Enrol in the diabetes-friendly food box program.",
                "information_scope": "Name, phone number and that a diabetes-friendly diet was recommended. No other health information.",
                "signed_by": "The patient",
                "signed_on": Days(-120),
                "expires_on": Days(245),
                "risks_and_benefits_discussed": True,
            },
        ),
        services=(
            {
                "category": Cat.FOOD,
                "organization_name": "Lakeside Community Food Pantry",
                "contact_name": "Maria (intake)",
                "phone": "555-0161",
                "address": "120 Harbor Street, Lakeside",
                "service_details": "Diabetes-friendly food box every other Friday; cooking class on Tuesdays.",
                "barrier_addressed": "Not enough healthy food at the end of the month",
                "permission_to_exchange": True,
                "_release": "pantry",
                "referred_on": Days(-118),
                "_who": Role.CHW_PEER,
            },
        ),
        education=(
            Teaching(
                "Checking blood sugar and what the numbers mean",
                "Handout: My blood sugar log",
                Role.NURSE_CARE_MANAGER,
            ),
            Teaching("Plate method for meals", "Handout: The diabetes plate", Role.OTHER),
        ),
        team_roles=(
            (Role.PHARMACIST, "Reviews diabetes medicines and checks which test strips are covered."),
            (Role.MEDICAL_ASSISTANT, "Reminds about eye and foot exams; enters home sugar readings."),
        ),
        outside=(
            {
                "name": "Dr. Lena Frost",
                "organization": "Lakeside Eye Associates",
                "role": CareTeamMember.OutsideRole.SPECIALIST,
                "phone": "555-0171",
                "responsibilities": "Yearly diabetic eye exam; sends the report to the team.",
            },
        ),
    ),
    "hypertension": Condition(
        problem={
            "condition": "Essential hypertension",
            "code": "I10",
            "patient_wording": "High blood pressure",
            "onset_date": Days(-365 * 11),
            "expected_outcome": "Home blood pressure under 135/85 most days.",
            "prognosis": "Good. Keeping it controlled lowers the risk of stroke, heart attack and kidney damage.",
        },
        goals=(
            GoalSpec(
                words="Keep my blood pressure down so I don't have a stroke like my father.",
                measure="Home systolic blood pressure, weekly average",
                unit="mmHg",
                baseline=152,
                comparator="<",
                target=135,
                spread=8,
                source="device",
                barriers="Forgets the evening pills when working late.",
            ),
        ),
        steps=(
            Step(
                "Check blood pressure at home three mornings a week and send the readings.",
                "patient",
                "upcoming",
            ),
            Step("Cut back on canned soup and deli meat.", "patient", "done"),
            Step(
                "Call after two weeks of home readings on the new medicine.",
                Role.NURSE_CARE_MANAGER,
                "overdue",
            ),
        ),
        medications=(
            {
                "name": "Lisinopril",
                "formulation": "tablet",
                "dose": "10 mg",
                "route": "by mouth",
                "frequency": "once a day",
                "indication": "High blood pressure",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365 * 3),
                "stop_date": Days(-90),
                "patient_instructions": "Stopped. Do not take any lisinopril left at home.",
                "_end": ("stopped", "Dry cough; switched to losartan."),
                "_unless": "heart_failure",
            },
            {
                "name": "Losartan",
                "formulation": "tablet",
                "dose": "50 mg",
                "route": "by mouth",
                "frequency": "once a day in the morning",
                "indication": "High blood pressure; protects the kidneys",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-90),
                "patient_instructions": "Take every morning, even when your blood pressure is good. Stand up slowly.",
                "_unless": "heart_failure",
            },
            {
                "name": "Amlodipine",
                "formulation": "tablet",
                "dose": "5 mg",
                "route": "by mouth",
                "frequency": "once a day",
                "indication": "High blood pressure",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365),
                "patient_instructions": "Take at the same time every day. Tell us if your ankles swell.",
            },
        ),
        symptom_plan={
            "symptom": "High blood pressure",
            "green_signs": "Home readings under 135/85. No headache.",
            "green_actions": "Keep taking your medicines and checking three mornings a week.",
            "yellow_signs": "Two readings over 160/100, or a headache that will not go away.",
            "yellow_actions": "Sit quietly for 5 minutes and check again. If still high, call the nurse line today.",
            "red_signs": "Chest pain, weakness or numbness on one side, trouble speaking, or the worst headache of your life.",
            "red_actions": "Call 911 right away.",
        },
        services=(
            {
                "category": Cat.SELF_HELP_GROUP,
                "organization_name": "Lakeside Senior Center walking club",
                "phone": "555-0162",
                "address": "18 Mill Road, Lakeside",
                "service_details": "Free blood pressure checks and a walking group, Mondays and Thursdays at 9.",
                "barrier_addressed": "Not enough activity; no one to walk with",
                "referred_on": Days(-60),
            },
        ),
        education=(
            Teaching(
                "Taking blood pressure at home the right way",
                "Video: Measuring your blood pressure at home",
                Role.MEDICAL_ASSISTANT,
            ),
        ),
        team_roles=(
            (Role.PHARMACIST, "Adjusts blood pressure medicines under the team protocol."),
            (Role.MEDICAL_ASSISTANT, "Checks the weekly home readings and flags high ones to the nurse."),
        ),
        outside=(
            {
                "name": "Jonah Reyes, RPh",
                "organization": "Harbor Street Pharmacy",
                "role": CareTeamMember.OutsideRole.PHARMACY,
                "phone": "555-0173",
                "responsibilities": "Fills medicines in weekly blister packs; calls the team if a refill is late.",
            },
        ),
    ),
    "ckd": Condition(
        problem={
            "condition": "Chronic kidney disease, stage 3a",
            "code": "N18.31",
            "patient_wording": "My kidneys are weak",
            "onset_date": Days(-365 * 3),
            "expected_outcome": "Kidney function stays stable (eGFR 45 or more); no dialysis.",
            "prognosis": "Usually changes slowly when blood pressure and sugar are controlled. Needs kidney tests twice a year.",
        },
        goals=(
            GoalSpec(
                words="Keep my kidneys working so I never need dialysis.",
                measure="eGFR",
                unit="mL/min/1.73m²",
                baseline=50,
                comparator=">=",
                target=45,
                spread=3,
                source="lab",
                term=Goal.Term.LONG,
                barriers="Takes ibuprofen for aches without thinking about it.",
            ),
        ),
        steps=(
            Step("Use acetaminophen instead of ibuprofen or naproxen for aches.", "patient", "done"),
            Step(
                "Kidney blood test and urine albumin before the next visit.",
                Role.MEDICAL_ASSISTANT,
                "upcoming",
            ),
            Step("Send the nephrology referral with the latest labs.", Role.NURSE_CARE_MANAGER, "overdue"),
        ),
        medications=(
            {
                "name": "Atorvastatin",
                "formulation": "tablet",
                "dose": "20 mg",
                "route": "by mouth",
                "frequency": "once a day at bedtime",
                "indication": "Protects the heart and blood vessels",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-700),
                "patient_instructions": "Take at bedtime. Call if you have muscle aches you cannot explain.",
            },
        ),
        education=(
            Teaching(
                "Protecting your kidneys: medicines to avoid",
                "Wallet card: Medicines that can harm my kidneys",
                Role.PHARMACIST,
            ),
        ),
        team_roles=((Role.PHARMACIST, "Checks every new medicine for kidney safety and adjusts doses."),),
        outside=(
            {
                "name": "Dr. Irene Kowalski",
                "organization": "Lakeside Kidney Care",
                "role": CareTeamMember.OutsideRole.SPECIALIST,
                "phone": "555-0174",
                "responsibilities": "Nephrology visits twice a year; advises on kidney-safe medicine doses.",
            },
        ),
    ),
    "heart_failure": Condition(
        problem={
            "condition": "Chronic heart failure with reduced ejection fraction",
            "code": "I50.22",
            "patient_wording": "My weak heart",
            "onset_date": Days(-365 * 4),
            "expected_outcome": "No hospital stays for fluid build-up; able to walk around the block.",
            "prognosis": "Chronic and can get worse over time. Guideline medicines and daily weights lower the chance of hospital stays.",
        },
        goals=(
            GoalSpec(
                words="Breathe well enough to walk to church on Sundays.",
                measure="Minutes walked without stopping",
                unit="minutes",
                baseline=6,
                comparator=">=",
                target=20,
                spread=2,
                source="patient",
                barriers="Gets scared when short of breath and stops moving altogether.",
            ),
        ),
        steps=(
            Step(
                "Weigh every morning after using the bathroom, before breakfast, and write it down.",
                "patient",
                "upcoming",
            ),
            Step("Buy a bathroom scale with large numbers.", "caregiver", "done"),
            Step(
                "Book the cardiology follow-up after the medicine change.", Role.NURSE_CARE_MANAGER, "overdue"
            ),
        ),
        medications=(
            {
                "name": "Sacubitril/valsartan",
                "formulation": "tablet",
                "dose": "24 mg/26 mg",
                "route": "by mouth",
                "frequency": "twice a day",
                "indication": "Heart failure",
                "prescriber": "Dr. Helen Marsh, Lakeside Heart Clinic",
                "start_date": Days(-240),
                "patient_instructions": "Take morning and evening. Stand up slowly. Do not take with lisinopril.",
            },
            {
                "name": "Furosemide",
                "formulation": "tablet",
                "dose": "40 mg",
                "route": "by mouth",
                "frequency": "once a day in the morning",
                "indication": "Extra fluid and swelling from heart failure",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365 * 2),
                "patient_instructions": "Take in the morning so you are not up at night. Call if you feel dizzy or very thirsty.",
            },
            {
                "name": "Metoprolol succinate",
                "formulation": "extended-release tablet",
                "dose": "50 mg",
                "route": "by mouth",
                "frequency": "once a day",
                "indication": "Heart failure; keeps the heart rate steady",
                "prescriber": "Dr. Helen Marsh, Lakeside Heart Clinic",
                "start_date": Days(-365 * 2),
                "patient_instructions": "Swallow whole; do not crush. Do not stop suddenly.",
            },
        ),
        symptom_plan={
            "symptom": "Heart failure: weight, swelling and breathing",
            "green_signs": "Weight within 2 pounds of your usual weight. Breathing as usual. No new swelling.",
            "green_actions": "Weigh every morning, take your medicines, keep salt low.",
            "yellow_signs": "Weight up 3 pounds in a day or 5 pounds in a week; more swelling in feet or belly; needing more pillows to sleep.",
            "yellow_actions": "Call the nurse line today. You may need an extra water pill.",
            "red_signs": "Struggling to breathe at rest, chest pain, or fainting.",
            "red_actions": "Call 911.",
        },
        releases=(
            {
                "_key": "meals",
                "recipient_name": "Meals on Wheels Lakeside dietitian",
                "recipient_organization": "Meals on Wheels Lakeside",
                "recipient_contact": "555-0163",
                "purpose": "Plan low-salt home-delivered meals.",
                "information_scope": "Diagnosis of heart failure, salt and fluid limits, food allergies.",
                "signed_by": "The patient",
                "signed_on": Days(-150),
                "expiry_event": "When the patient stops the meal program.",
                "risks_and_benefits_discussed": True,
            },
        ),
        services=(
            {
                "category": Cat.FOOD,
                "organization_name": "Meals on Wheels Lakeside",
                "contact_name": "Beth (coordinator)",
                "phone": "555-0163",
                "service_details": "Low-salt lunch delivered on weekdays.",
                "barrier_addressed": "Hard to shop and cook low-salt meals",
                "permission_to_exchange": True,
                "_release": "meals",
                "referred_on": Days(-148),
            },
        ),
        education=(
            Teaching(
                "Daily weights and the low-salt diet",
                "Handout: My heart failure zones and weight log",
                Role.NURSE_CARE_MANAGER,
            ),
        ),
        team_roles=((Role.PHARMACIST, "Adjusts heart failure medicines between cardiology visits."),),
        outside=(
            {
                "name": "Dr. Helen Marsh",
                "organization": "Lakeside Heart Clinic",
                "role": CareTeamMember.OutsideRole.SPECIALIST,
                "phone": "555-0175",
                "responsibilities": "Cardiology: heart failure medicines and echocardiograms; sends visit notes within a week.",
            },
        ),
    ),
    "copd": Condition(
        problem={
            "condition": "Chronic obstructive pulmonary disease",
            "code": "J44.9",
            "patient_wording": "My lungs, the emphysema",
            "onset_date": Days(-365 * 7),
            "expected_outcome": "No more than one flare-up a year and no hospital stays.",
            "prognosis": "The lung damage does not reverse. Not smoking, daily inhalers and rehab slow it down and make breathing easier day to day.",
        },
        goals=(
            GoalSpec(
                words="Fewer flare-ups so I can keep going to my grandson's ball games.",
                measure="COPD Assessment Test (CAT) score",
                unit="points",
                baseline=24,
                comparator="<=",
                target=15,
                spread=4,
                barriers="Still smokes a few cigarettes a day; rehab is across town.",
            ),
        ),
        steps=(
            Step("Start pulmonary rehab twice a week.", "patient", "overdue"),
            Step("Flu and pneumonia vaccines.", Role.MEDICAL_ASSISTANT, "done"),
            Step("Check inhaler and spacer technique at the next visit.", Role.PHARMACIST, "upcoming"),
        ),
        medications=(
            {
                "name": "Tiotropium",
                "formulation": "soft mist inhaler",
                "dose": "2.5 mcg per puff, 2 puffs",
                "route": "inhaled",
                "frequency": "once a day",
                "indication": "COPD: keeps the airways open",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365 * 3),
                "patient_instructions": "Two puffs every morning, even on good days.",
            },
            {
                "name": "Albuterol",
                "formulation": "inhaler with spacer",
                "dose": "90 mcg per puff, 2 puffs",
                "route": "inhaled",
                "frequency": "every 4 hours when needed",
                "indication": "Quick relief when short of breath",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365 * 5),
                "patient_instructions": "Use with the spacer when you are short of breath. Call if you need it more than 4 times a day.",
            },
        ),
        symptom_plan={
            "symptom": "COPD flare-up",
            "green_signs": "Usual breathing, usual cough and phlegm, sleeping well.",
            "green_actions": "Daily inhaler, stay active, avoid smoke.",
            "yellow_signs": "More short of breath than usual, more or darker phlegm, needing the rescue inhaler more.",
            "yellow_actions": "Use the rescue inhaler and call the nurse line today; you may need to start your flare-up pack.",
            "red_signs": "Struggling to breathe, lips or fingers blue, confused or very sleepy.",
            "red_actions": "Call 911.",
        },
        services=(
            {
                "category": Cat.OTHER,
                "organization_name": "Northshore Pulmonary Rehab",
                "phone": "555-0164",
                "address": "77 Northshore Avenue, Lakeside",
                "service_details": "Supervised exercise and breathing training, twice a week for 12 weeks.",
                "barrier_addressed": "Short of breath with any activity",
                "referred_on": Days(-45),
            },
            {
                "category": Cat.TRANSPORTATION,
                "organization_name": "Lakeside Ride Share for Seniors",
                "phone": "555-0165",
                "service_details": "Free rides to medical appointments and rehab, booked two days ahead.",
                "barrier_addressed": "No car; rehab is across town",
                "referred_on": Days(-40),
                "_who": Role.CHW_PEER,
            },
            {
                "category": Cat.SELF_HELP_GROUP,
                "organization_name": "State Quitline",
                "phone": "555-0166",
                "service_details": "Phone coaching to quit smoking, plus free nicotine patches.",
                "barrier_addressed": "Smoking",
                "_end": ("declined", "Not ready to quit yet; will ask again at the next review."),
            },
        ),
        education=(
            Teaching("Using your inhalers and spacer", "Handout: How to use a spacer", Role.PHARMACIST),
        ),
        team_roles=((Role.PHARMACIST, "Checks inhaler technique and whether inhalers are affordable."),),
        outside=(
            {
                "name": "Dr. Omar Haddad",
                "organization": "Northshore Lung Center",
                "role": CareTeamMember.OutsideRole.SPECIALIST,
                "phone": "555-0176",
                "responsibilities": "Pulmonology: breathing tests and the rehab program; sends reports to the team.",
            },
        ),
    ),
    "depression": Condition(
        problem={
            "condition": "Major depressive disorder, recurrent, moderate",
            "code": "F33.1",
            "patient_wording": "Feeling down and stuck",
            "onset_date": Days(-365 * 2),
            "expected_outcome": "PHQ-9 under 10 and back to the activities that matter.",
            "prognosis": "Good: most people feel better within 3 to 6 months of therapy and medicine. Continuing treatment lowers the chance it comes back.",
        },
        goals=(
            GoalSpec(
                words="Feel like myself again and get back to the things I used to enjoy.",
                measure="PHQ-9 score",
                unit="points",
                baseline=17,
                comparator="<",
                target=10,
                spread=3,
                barriers="Low energy in the mornings; hard to make calls.",
            ),
        ),
        steps=(
            Step(
                "Weekly call with the behavioral health clinician for 8 weeks.",
                Role.BEHAVIORAL_HEALTH,
                "upcoming",
            ),
            Step("Plan one enjoyable activity every day and tick it off.", "patient", "done"),
            Step("Repeat the PHQ-9.", Role.MEDICAL_ASSISTANT, "overdue"),
        ),
        medications=(
            {
                "name": "Sertraline",
                "formulation": "tablet",
                "dose": "100 mg",
                "route": "by mouth",
                "frequency": "once a day in the morning",
                "indication": "Depression",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-150),
                "patient_instructions": "Take every morning. It takes 4 to 6 weeks to work fully. Do not stop suddenly.",
            },
        ),
        symptom_plan={
            "symptom": "Low mood and thoughts of self-harm",
            "green_signs": "Sleeping and eating all right; doing the daily activity.",
            "green_actions": "Keep the daily activity, the medicine and the weekly calls.",
            "yellow_signs": "Two weeks of feeling worse, staying in bed, stopping activities.",
            "yellow_actions": "Call the behavioral health clinician at the clinic the same day.",
            "red_signs": "Thoughts of hurting yourself or of not wanting to live.",
            "red_actions": "Call or text 988 right away, or call 911. You are not alone.",
            "whom_to_call": "Behavioral health clinician (Dana Whitfield)",
        },
        services=(
            {
                "category": Cat.BEHAVIORAL_THERAPY,
                "organization_name": "Riverside Counseling",
                "contact_name": "Alex Moreno, LMHC",
                "phone": "555-0167",
                "service_details": "Cognitive behavioral therapy, weekly for 12 sessions.",
                "barrier_addressed": "Depression",
                "referred_on": Days(-100),
                "_who": Role.BEHAVIORAL_HEALTH,
            },
        ),
        education=(
            Teaching(
                "How depression treatment works and what to expect from the medicine",
                "Handout: Depression care: what to expect",
                Role.BEHAVIORAL_HEALTH,
            ),
        ),
        team_roles=(
            (
                Role.BEHAVIORAL_HEALTH,
                "Weekly behavioral activation calls; tracks the PHQ-9 with the physician.",
            ),
        ),
        outside=(
            {
                "name": "Alex Moreno, LMHC",
                "organization": "Riverside Counseling",
                "role": CareTeamMember.OutsideRole.COUNSELOR,
                "phone": "555-0167",
                "responsibilities": "Weekly therapy; updates the behavioral health clinician monthly.",
            },
        ),
    ),
    "chronic_pain": Condition(
        problem={
            "condition": "Chronic low back pain",
            "code": "M54.50",
            "patient_wording": "My back",
            "onset_date": Days(-365 * 5),
            "expected_outcome": "Pain that allows daily activities and work; fewer bad days.",
            "prognosis": "The pain is likely to continue, but function usually improves with movement, physical therapy and coping skills.",
        },
        goals=(
            GoalSpec(
                words="Be able to get down on the floor and play with my grandkids.",
                measure="PEG pain score (pain, enjoyment, general activity)",
                unit="points out of 10",
                baseline=7.3,
                comparator="<=",
                target=5,
                spread=1,
                places=1,
                source="patient",
                barriers="Afraid that moving will make the pain worse.",
            ),
        ),
        steps=(
            Step("Do the physical therapy home exercises 10 minutes every day.", "patient", "upcoming"),
            Step("Physical therapy twice a week for 6 weeks.", "patient", "done"),
            Step("Join the pain coping skills group.", Role.BEHAVIORAL_HEALTH, "overdue"),
        ),
        medications=(
            {
                "name": "Acetaminophen",
                "formulation": "tablet",
                "dose": "1000 mg",
                "route": "by mouth",
                "frequency": "up to 3 times a day when needed",
                "indication": "Back pain",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-365),
                "patient_instructions": "No more than 3 doses a day. Check cold medicines: many also have acetaminophen.",
            },
            {
                "name": "Diclofenac 1% gel",
                "formulation": "topical gel",
                "dose": "4 g",
                "route": "on the skin",
                "frequency": "up to 4 times a day",
                "indication": "Back pain",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-120),
                "patient_instructions": "Rub into the sore area. Wash your hands afterwards.",
                "_unless": "ckd",
            },
        ),
        symptom_plan={
            "symptom": "Back pain flare",
            "green_signs": "Pain at your usual level; able to do your daily exercises.",
            "green_actions": "Keep moving, do the exercises, pace your activities.",
            "yellow_signs": "Pain much worse for more than 3 days, or pain keeping you from sleeping.",
            "yellow_actions": "Use heat, keep gently moving and call the nurse line.",
            "red_signs": "New weakness in the legs, numbness between the legs, or trouble controlling bladder or bowels.",
            "red_actions": "Go to the emergency room right away.",
        },
        services=(
            {
                "category": Cat.OTHER,
                "organization_name": "Lakeside YMCA warm-water exercise",
                "phone": "555-0168",
                "address": "5 Park Street, Lakeside",
                "service_details": "Warm-water exercise class, Tuesday and Friday mornings; fee waived.",
                "barrier_addressed": "Cannot exercise on land without pain",
                "referred_on": Days(-80),
            },
        ),
        education=(
            Teaching("Pain flares: pacing, heat and movement", "Handout: My pain flare plan", Role.NP_PA),
        ),
        team_roles=(
            (Role.BEHAVIORAL_HEALTH, "Teaches pain coping skills (CBT for chronic pain)."),
            (Role.PHARMACIST, "Reviews pain medicine safety and interactions."),
        ),
        outside=(
            {
                "name": "Jordan Price, DPT",
                "organization": "Lakeside Physical Therapy",
                "role": CareTeamMember.OutsideRole.SPECIALIST,
                "phone": "555-0177",
                "responsibilities": "Physical therapy and the home exercise program.",
            },
        ),
    ),
    "oud": Condition(
        part2=True,
        problem={
            "condition": "Opioid use disorder, moderate, on maintenance therapy",
            "code": "F11.20",
            "patient_wording": "My recovery",
            "onset_date": Days(-365 * 6),
            "expected_outcome": "Lasting recovery: no illicit opioid use, stable dose, back at work.",
            "prognosis": "Good while staying on buprenorphine with counseling and peer support. Relapse risk is highest in the first year and after stopping the medicine.",
        },
        goals=(
            GoalSpec(
                words="Stay in recovery so I can have my kids every weekend again.",
                measure="Days without illicit opioid use in the past 30 days",
                unit="days",
                baseline=12,
                comparator=">=",
                target=28,
                spread=3,
                source="patient",
                barriers="Old friends in the building still use; money is tight.",
            ),
            GoalSpec(
                words="Get back to work at the auto shop.",
                measure="Hours worked per week",
                unit="hours",
                baseline=0,
                comparator=">=",
                target=20,
                source="patient",
                kind=Goal.Kind.LIFE,
                term=Goal.Term.LONG,
                barriers="No car; needs a reference.",
            ),
        ),
        steps=(
            Step("Buprenorphine visit with urine drug screen every two weeks.", Role.NP_PA, "upcoming"),
            Step("Meet the peer recovery coach at Harbor Recovery every week.", "patient", "done"),
            Step("Keep the naloxone kit at home and show a roommate where it is.", "patient", "done"),
            Step("Call the job training program about the mechanic course.", Role.CHW_PEER, "overdue"),
        ),
        medications=(
            {
                "name": "Buprenorphine/naloxone",
                "formulation": "sublingual film",
                "dose": "8 mg/2 mg (one film)",
                "route": "under the tongue",
                "frequency": "twice a day",
                "indication": "Opioid use disorder",
                "prescriber": Prescriber(Role.NP_PA),
                "start_date": Days(-210),
                "patient_instructions": "Put the film under your tongue and let it dissolve completely (5 to 10 minutes). Do not chew, swallow or talk until it is gone. No alcohol or sleeping pills with it.",
            },
            {
                "name": "Naloxone",
                "formulation": "nasal spray",
                "dose": "4 mg (one spray)",
                "route": "in the nose",
                "frequency": "once for an overdose; repeat in 2 to 3 minutes if no response",
                "indication": "Opioid overdose rescue",
                "prescriber": Prescriber(Role.NP_PA),
                "start_date": Days(-210),
                "patient_instructions": "For someone who cannot be woken or is barely breathing: spray in one nostril and call 911.",
            },
        ),
        symptom_plan={
            "symptom": "Cravings and overdose",
            "green_signs": "Cravings mild or none; taking the film every day; going to peer meetings.",
            "green_actions": "Keep taking the film, keep meeting your peer coach, keep naloxone at home.",
            "yellow_signs": "Strong cravings, missed doses, thoughts of using, seeing old using friends.",
            "yellow_actions": "Call your peer coach or the clinic today. Do not skip your film.",
            "red_signs": "Someone is very sleepy or cannot be woken, breathing slowly, or has blue lips.",
            "red_actions": "Give naloxone, call 911, and stay with them.",
            "whom_to_call": "Behavioral health clinician (Dana Whitfield)",
        },
        releases=(
            {
                "_key": "harbor",
                "_by": Role.BEHAVIORAL_HEALTH,
                "recipient_name": "Peer recovery coaches at Harbor Recovery Community Center",
                "recipient_organization": "Harbor Recovery Community Center",
                "recipient_contact": "555-0169",
                "purpose": "Coordinate peer recovery support with the primary care team.",
                "information_scope": "That the patient is in treatment for opioid use disorder, the medicine and dose, and appointment attendance. No counseling notes.",
                "covers_part2": True,
                "signed_by": "The patient",
                "signed_on": Days(-200),
                "expires_on": Days(165),
                "risks_and_benefits_discussed": True,
            },
            {
                "_key": "bayview",
                "_by": Role.BEHAVIORAL_HEALTH,
                "recipient_name": "Sam Delgado, LADC",
                "recipient_organization": "Bayview Counseling Associates",
                "recipient_contact": "555-0178",
                "purpose": "Coordinate counseling and medication treatment for opioid use disorder.",
                "information_scope": "Diagnosis, buprenorphine prescriptions, urine drug screen results and this care plan.",
                "covers_part2": True,
                "signed_by": "The patient",
                "signed_on": Days(-200),
                "expiry_event": "When counseling at Bayview ends.",
                "risks_and_benefits_discussed": True,
            },
        ),
        services=(
            {
                "category": Cat.RECOVERY_SUPPORT,
                "organization_name": "Harbor Recovery Community Center",
                "contact_name": "Luis (peer recovery coach)",
                "phone": "555-0169",
                "address": "31 Dock Street, Lakeside",
                "service_details": "Weekly one-to-one peer recovery coaching and an evening drop-in group.",
                "barrier_addressed": "Isolation; old using network",
                "permission_to_exchange": True,
                "_release": "harbor",
                "referred_on": Days(-198),
                "_who": Role.CHW_PEER,
            },
            {
                "category": Cat.SELF_HELP_GROUP,
                "organization_name": "SMART Recovery Lakeside meeting",
                "phone": "555-0170",
                "service_details": "Mutual-help meeting, Wednesday evenings. No information is shared with the group.",
                "barrier_addressed": "Coping with cravings",
                "referred_on": Days(-90),
            },
        ),
        education=(
            Teaching(
                "Buprenorphine film: how to take it, and how to use naloxone",
                "Handout: Your buprenorphine film; naloxone demonstration kit",
                Role.NP_PA,
            ),
            Teaching(
                "Who can see your recovery records, and how consent works",
                "Handout: Your privacy in substance use treatment",
                Role.BEHAVIORAL_HEALTH,
            ),
        ),
        team_roles=(
            (Role.NP_PA, "Prescribes buprenorphine; visits every two weeks."),
            (
                Role.BEHAVIORAL_HEALTH,
                "Counseling on relapse prevention and mood; keeps the releases current.",
            ),
            (Role.CHW_PEER, "Helps with job training, transportation and the recovery center."),
        ),
        outside=(
            {
                "name": "Sam Delgado, LADC",
                "organization": "Bayview Counseling Associates",
                "role": CareTeamMember.OutsideRole.COUNSELOR,
                "phone": "555-0178",
                "responsibilities": "Weekly addiction counseling; shares attendance and progress under the signed release.",
            },
        ),
    ),
    "asthma": Condition(
        problem={
            "condition": "Moderate persistent asthma",
            "code": "J45.40",
            "patient_wording": "My asthma",
            "onset_date": Days(-365 * 15),
            "expected_outcome": "Well controlled asthma (ACT 20 or more) with no emergency visits.",
            "prognosis": "Very good with the daily controller inhaler and fewer triggers at home.",
        },
        goals=(
            GoalSpec(
                words="Play a whole game without stopping for my inhaler.",
                measure="Asthma Control Test (ACT) score",
                unit="points",
                baseline=14,
                comparator=">=",
                target=20,
                spread=2,
                barriers="Mold in the bathroom; forgets the evening dose.",
            ),
        ),
        steps=(
            Step(
                "Take the controller inhaler morning and evening, even when feeling well.",
                "patient",
                "upcoming",
            ),
            Step("Healthy Homes visit to check for mold and dust.", Role.CHW_PEER, "overdue"),
            Step("Pick up the new spacer from the pharmacy.", "patient", "done"),
        ),
        medications=(
            {
                "name": "Budesonide/formoterol",
                "formulation": "inhaler",
                "dose": "160 mcg/4.5 mcg per puff, 2 puffs",
                "route": "inhaled",
                "frequency": "twice a day, and 1 puff when needed for symptoms",
                "indication": "Asthma: controller and reliever",
                "prescriber": Prescriber(Role.NP_PA),
                "start_date": Days(-300),
                "patient_instructions": "Two puffs morning and evening; rinse your mouth afterwards. One extra puff when short of breath.",
            },
            {
                "name": "Montelukast",
                "formulation": "tablet",
                "dose": "10 mg",
                "route": "by mouth",
                "frequency": "once a day in the evening",
                "indication": "Asthma and allergies",
                "prescriber": "Dr. Mei Tanaka, Lakeside Allergy & Asthma",
                "start_date": Days(-400),
                "stop_date": Days(-60),
                "patient_instructions": "Stopped. Tell us if night-time symptoms come back.",
                "_end": ("stopped", "Vivid dreams; asthma controlled without it."),
            },
        ),
        symptom_plan={
            "symptom": "Asthma",
            "green_signs": "No cough or wheeze, sleeping through the night, can do usual activities.",
            "green_actions": "Controller inhaler twice a day.",
            "yellow_signs": "Cough, wheeze, tight chest or waking at night with asthma.",
            "yellow_actions": "Take 1 extra puff of the inhaler, up to 8 extra puffs a day. Call the nurse line if not better in 24 hours.",
            "red_signs": "Very short of breath, lips blue, cannot talk in full sentences, inhaler not helping.",
            "red_actions": "Call 911 and take 1 puff every few minutes while you wait.",
        },
        releases=(
            {
                "_key": "healthy_homes",
                "recipient_name": "Lakeside Healthy Homes Program inspectors",
                "recipient_organization": "Lakeside Healthy Homes Program",
                "recipient_contact": "555-0160",
                "purpose": "Home visit to find and fix asthma triggers.",
                "information_scope": "Diagnosis of asthma, known triggers and the address.",
                "signed_by": "The patient",
                "signed_on": Days(-40),
                "expires_on": Days(325),
                "risks_and_benefits_discussed": True,
            },
        ),
        services=(
            {
                "category": Cat.HOUSING,
                "organization_name": "Lakeside Healthy Homes Program",
                "contact_name": "Inspector on call",
                "phone": "555-0160",
                "service_details": "Home visit to find mold, dust and pests; free mattress and pillow covers.",
                "barrier_addressed": "Mold and dust at home",
                "permission_to_exchange": True,
                "_release": "healthy_homes",
                "referred_on": Days(-38),
                "_who": Role.CHW_PEER,
            },
        ),
        education=(
            Teaching(
                "My asthma action plan and inhaler technique",
                "Printed asthma action plan; placebo inhaler for practice",
                Role.NURSE_CARE_MANAGER,
            ),
        ),
        team_roles=(
            (Role.MEDICAL_ASSISTANT, "Checks inhaler technique and the ACT score at every visit."),
            (Role.CHW_PEER, "Healthy Homes referral and follow-up."),
        ),
        outside=(
            {
                "name": "Dr. Mei Tanaka",
                "organization": "Lakeside Allergy & Asthma",
                "role": CareTeamMember.OutsideRole.SPECIALIST,
                "phone": "555-0179",
                "responsibilities": "Allergy testing and advice on controller medicines.",
            },
        ),
    ),
    "anxiety": Condition(
        problem={
            "condition": "Generalized anxiety disorder",
            "code": "F41.1",
            "patient_wording": "My nerves, worrying all the time",
            "onset_date": Days(-365 * 3),
            "expected_outcome": "GAD-7 under 10; sleeping through most nights.",
            "prognosis": "Good with therapy and coping skills; symptoms may return at stressful times.",
        },
        goals=(
            GoalSpec(
                words="Worry less so I can sleep and drive on the highway again.",
                measure="GAD-7 score",
                unit="points",
                baseline=15,
                comparator="<",
                target=10,
                spread=3,
                barriers="Avoids situations that make the worry worse.",
            ),
        ),
        steps=(
            Step("Practice the breathing exercise from the app twice a day.", "patient", "done"),
            Step("Start the CBT skills group.", Role.BEHAVIORAL_HEALTH, "upcoming"),
            Step("Repeat the GAD-7.", Role.MEDICAL_ASSISTANT, "overdue"),
        ),
        medications=(
            {
                "name": "Hydroxyzine",
                "formulation": "tablet",
                "dose": "25 mg",
                "route": "by mouth",
                "frequency": "up to 3 times a day when needed",
                "indication": "Anxiety attacks",
                "prescriber": Prescriber(Role.PHYSICIAN),
                "start_date": Days(-90),
                "patient_instructions": "Can make you sleepy: do not drive after taking it.",
            },
        ),
        education=(
            Teaching(
                "What anxiety does in the body, and a breathing exercise",
                "App: paced breathing (free)",
                Role.BEHAVIORAL_HEALTH,
            ),
        ),
        team_roles=((Role.BEHAVIORAL_HEALTH, "Brief CBT for anxiety; tracks the GAD-7."),),
        outside=(
            {
                "name": "Riverside Counseling CBT group",
                "organization": "Riverside Counseling",
                "role": CareTeamMember.OutsideRole.COUNSELOR,
                "phone": "555-0167",
                "responsibilities": "Eight-week CBT skills group; sends attendance to the behavioral health clinician.",
            },
        ),
    ),
}


# --------------------------------------------------------------------------- the patients


@dataclass(frozen=True)
class Caregiver:
    name: str
    relationship: str
    phone: str


@dataclass(frozen=True)
class PatientSpec:
    given_name: str
    family_name: str
    sex: str
    age: int
    team: str
    conditions: tuple[str, ...]
    what_matters_most: str
    preferred_name: str = ""
    pronouns: str = ""
    gender_identity: str = ""
    language: str = Language.ENGLISH
    interpreter: bool = False
    large_print: bool = False
    risk: str = RiskTier.STANDARD
    caregiver: Caregiver | None = None
    achieved: tuple[str, ...] = ()  # conditions whose first goal has been met
    completed: tuple[str, ...] = ()  # ... and then closed as completed
    review_overdue: bool = False
    on_hold: str = ""  # the reason, when the plan is on hold
    strengths: str = ""  # otherwise picked from STRENGTHS
    care_preferences: str = ""  # otherwise picked from PREFERENCES
    additional_information: str = ""
    goal_words: Mapping[str, str] = field(default_factory=dict)  # condition -> the patient's own words
    life_goal: GoalSpec | None = None  # otherwise maybe one from LIFE_GOALS


F, M = Patient.SexAtBirth.FEMALE, Patient.SexAtBirth.MALE
HIGH = RiskTier.HIGH

PATIENTS: tuple[PatientSpec, ...] = (
    # Maple Team: distributed tasks.
    PatientSpec(
        "Agnes", "Applewood", F, 67, MAPLE, ("diabetes", "hypertension", "ckd"), risk=HIGH,
        what_matters_most="Staying out of the hospital and keeping my own apartment. I want to see my grandson graduate in June.",
        achieved=("hypertension",),
    ),
    PatientSpec(
        "Bernard", "Birchwood", M, 78, MAPLE, ("heart_failure", "copd"), preferred_name="Bernie",
        what_matters_most="Breathing well enough to get to Sunday Mass and sit on the porch with my daughter.",
        large_print=True, risk=HIGH, review_overdue=True,
        caregiver=Caregiver("Diane Birchwood", "daughter", "555-0181"),
        additional_information="Widowed last year. Diane visits daily after work and manages the pill box. Reads best with large type and good light.",
    ),
    PatientSpec(
        "Celia", "Cloverfield", F, 52, MAPLE, ("depression", "chronic_pain"),
        what_matters_most="Getting back to work at the bakery and being a mom who isn't stuck on the couch.",
        achieved=("depression",),
        goal_words={"depression": "Feel like myself again and go back to singing while I bake."},
    ),
    PatientSpec(
        "Dominic", "Dunmore", M, 34, MAPLE, ("oud", "depression"), preferred_name="Dom", risk=HIGH,
        what_matters_most="Staying clean and having my kids with me every weekend. Being someone they can count on.",
        strengths="Two hundred days in recovery. Close to his sister. Good with engines and proud of it.",
        care_preferences="Wants texts, not calls, during work hours. Prefers the same prescriber at every visit. Does not want his employer contacted.",
        additional_information="Lost his job during active use; shares custody of two children. Lives with a roommate who knows where the naloxone is.",
    ),
    PatientSpec(
        "Esme", "Elderberry", F, 24, MAPLE, ("asthma",), pronouns="she/her",
        what_matters_most="Playing a full season with my rec soccer team without sitting out.",
        achieved=("asthma",), completed=("asthma",),
    ),
    PatientSpec(
        "Felix", "Fernhill", M, 58, MAPLE, ("diabetes", "hypertension"),
        what_matters_most="Keeping my commercial driver's license so I can keep working until I retire.",
    ),
    PatientSpec(
        "Gloria", "Greenbank", F, 83, MAPLE, ("hypertension", "ckd", "heart_failure"),
        what_matters_most="Staying in my own home with my cat, and not going to a nursing home.",
        large_print=True, risk=HIGH,
        caregiver=Caregiver("Marcus Greenbank", "son", "555-0182"),
    ),
    PatientSpec(
        "Harold", "Hazelton", M, 63, MAPLE, ("copd", "anxiety"), review_overdue=True,
        what_matters_most="Fishing on the lake with my brother this summer without getting winded.",
    ),
    PatientSpec(
        "Iris", "Ivybridge", F, 45, MAPLE, ("diabetes", "depression"), achieved=("diabetes",),
        what_matters_most="Having energy for my two teenagers after work.",
    ),
    PatientSpec(
        "Jasper", "Juniper", M, 70, MAPLE, ("hypertension", "chronic_pain"),
        what_matters_most="Working in my woodshop a couple of hours a day.",
        goal_words={"chronic_pain": "Stand at my workbench for two hours without my back seizing up."},
    ),
    PatientSpec(
        "Katherine", "Kestrel", F, 38, MAPLE, ("asthma", "anxiety"), preferred_name="Kiki",
        what_matters_most="Sleeping through the night and not panicking when my chest gets tight.",
    ),
    PatientSpec(
        "Leonard", "Larkspur", M, 76, MAPLE, ("heart_failure", "diabetes"), risk=HIGH, review_overdue=True,
        what_matters_most="Going to my granddaughter's wedding in the fall and dancing one dance.",
        caregiver=Caregiver("Ada Larkspur", "wife", "555-0183"),
    ),
    PatientSpec(
        "Mabel", "Marigold", F, 59, MAPLE, ("depression", "hypertension"),
        what_matters_most="Feeling like singing again. I used to sing in the church choir every week.",
        goal_words={"depression": "Feel well enough to go back to choir practice on Thursdays."},
    ),
    PatientSpec(
        "Nico", "Northwood", M, 29, MAPLE, ("chronic_pain", "anxiety"),
        gender_identity="Non-binary", pronouns="they/them",
        what_matters_most="Finishing my electrician apprenticeship without my back giving out.",
    ),
    PatientSpec(
        "Opal", "Oakridge", F, 66, MAPLE, ("copd", "hypertension"),
        what_matters_most="Keeping up with my garden club and growing tomatoes again.",
    ),
    PatientSpec(
        "Percy", "Pinecrest", M, 55, MAPLE, ("ckd", "diabetes"),
        what_matters_most="Never needing dialysis. My uncle was on dialysis and I saw what it did to him.",
    ),
    # Cedar Team: health coaching.
    PatientSpec(
        "Consuelo", "Cerezo", F, 62, CEDAR, ("diabetes", "hypertension"),
        language=Language.SPANISH, interpreter=True,
        what_matters_most="Quiero estar sana para cuidar a mis nietos y seguir cocinando para mi familia los domingos.",
        strengths="Cooks for the whole family every Sunday. Walks to the market daily. Her daughter Lupe comes to visits.",
        care_preferences="Spanish with a medical interpreter at every visit; plan printed in Spanish. Would rather change her meals than start insulin.",
        caregiver=Caregiver("Guadalupe Cerezo", "daughter", "555-0184"),
        goal_words={
            "diabetes": "Bajar el azúcar para tener energía y no perder la vista como mi mamá.",
            "hypertension": "Mantener la presión baja para no tener un derrame.",
        },
        life_goal=GoalSpec(
            words="Cocinar la comida del domingo para toda la familia sin cansarme.",
            measure="Sunday dinners cooked in the past month",
            unit="dinners",
            baseline=1,
            comparator=">=",
            target=4,
            source="patient",
            kind=Goal.Kind.LIFE,
            term=Goal.Term.LONG,
        ),
    ),
    PatientSpec(
        "Quentin", "Quarry", M, 48, CEDAR, ("asthma", "depression"),
        what_matters_most="Being able to coach my son's basketball team this winter.",
        goal_words={"asthma": "Run the full practice with the kids without stopping for my inhaler."},
    ),
    PatientSpec(
        "Ruby", "Rosewood", F, 72, CEDAR, ("heart_failure", "ckd"), risk=HIGH,
        what_matters_most="Traveling to see my sister in Ohio in the spring.",
    ),
    PatientSpec(
        "Samuel", "Sprucefield", M, 60, CEDAR, ("diabetes", "chronic_pain"),
        what_matters_most="Keeping my job at the warehouse until I can retire at 65.",
    ),
    PatientSpec(
        "Tessa", "Thistle", F, 33, CEDAR, ("depression", "anxiety"),
        what_matters_most="Finishing my nursing assistant course and feeling calm enough to enjoy my daughter.",
        achieved=("depression",), completed=("depression",),
    ),
    PatientSpec(
        "Ulysses", "Underhill", M, 69, CEDAR, ("copd",),
        what_matters_most="Getting through the winter without a hospital stay.",
        on_hold="Staying with his son out of state until spring; the plan resumes when he is back.",
    ),
    PatientSpec(
        "Violet", "Vinewood", F, 56, CEDAR, ("hypertension", "diabetes"),
        what_matters_most="Walking the 5K with my sister in October.",
    ),
    PatientSpec(
        "Walter", "Willowby", M, 82, CEDAR, ("heart_failure", "hypertension"), review_overdue=True,
        what_matters_most="Staying home with June. We have been married 58 years and I want to keep taking care of her too.",
        caregiver=Caregiver("June Willowby", "wife", "555-0185"),
    ),
    PatientSpec(
        "Yolanda", "Yarrow", F, 41, CEDAR, ("asthma", "chronic_pain"),
        what_matters_most="Cleaning houses full days again; it's how I support my family.",
    ),
    PatientSpec(
        "Zachary", "Zinnia", M, 50, CEDAR, ("depression", "diabetes"), preferred_name="Zach",
        what_matters_most="Getting out of bed with a reason. Maybe volunteering at the animal shelter.",
    ),
    PatientSpec(
        "Amara", "Ashgrove", F, 64, CEDAR, ("ckd", "hypertension"), achieved=("hypertension",),
        what_matters_most="Staying well enough to babysit my grandson three days a week.",
    ),
    PatientSpec(
        "Boris", "Bramblewood", M, 57, CEDAR, ("copd", "depression"), review_overdue=True,
        what_matters_most="Walking my dog around the block every day without stopping.",
    ),
    PatientSpec(
        "Delia", "Driftwood", F, 46, CEDAR, ("chronic_pain", "anxiety"),
        what_matters_most="Going back to my pottery class and driving on the highway again.",
    ),
    PatientSpec(
        "Elias", "Elmsworth", M, 71, CEDAR, ("diabetes", "ckd", "hypertension"), risk=HIGH, review_overdue=True,
        what_matters_most="Staying independent and keeping my eyesight so I can keep reading the paper.",
    ),
)  # fmt: skip


# --------------------------------------------------------------------------- pools for variety

STRENGTHS = (
    "Keeps a written list of medicines and brings it to every visit.",
    "Walks the dog twice a day.",
    "Close friends at church who check in every week.",
    "Good sense of humor; asks questions when unsure.",
    "Reads labels and likes to understand the why behind a medicine.",
    "Has a neighbor who drives to appointments.",
    "Cooks at home most days.",
    "Motivated by family; wants to stay independent.",
    "Uses the patient portal and answers messages the same day.",
    "Has stopped smoking before and knows it can be done.",
    "Keeps a daily routine and a wall calendar.",
    "Volunteers at the library on Saturdays.",
)
PREFERENCES = (
    "Prefers phone calls in the afternoon; no early-morning appointments.",
    "Wants as few pills as possible; open to changing meals and activity first.",
    "Prefers video visits when the weather is bad.",
    "Wants written instructions to take home after every visit.",
    "Cannot afford brand-name medicines; ask about generics first.",
    "Would rather see the same nurse each time.",
    "Prefers text reminders for appointments.",
    "Does not want home visits; happy to come to the clinic.",
    "Wants family included in decisions about medicines.",
    "Can do home readings but not more than once a day.",
)
EXTRA_INFORMATION = (
    "Works night shifts three days a week.",
    "Cares for a parent with dementia at home.",
    "Moved to Lakeside two years ago; still building a network here.",
    "Recently became a grandparent.",
    "Had a bad experience in a hospital and is nervous about admissions.",
    "Lives alone on the second floor; no elevator.",
    "",
    "",
)
LIFE_GOALS = (
    GoalSpec("Walk my granddaughter to school.", "Days a week walking to school", "days", 0, ">=", 3, source="patient"),
    GoalSpec("Get back to fishing at the lake.", "Fishing trips in the past month", "trips", 0, ">=", 2, source="patient"),
    GoalSpec("Garden again and grow my own tomatoes.", "Minutes of garden work a day", "minutes", 5, ">=", 30, source="patient"),
    GoalSpec("Go to church every Sunday.", "Sundays at church in the past month", "Sundays", 1, ">=", 3, source="patient"),
    GoalSpec("Volunteer at the library again.", "Hours volunteered per week", "hours", 0, ">=", 4, source="patient"),
    GoalSpec("Dance at my grandson's wedding.", "Minutes standing and moving to music", "minutes", 2, ">=", 10, source="patient"),
)  # fmt: skip
RESOLVED_PROBLEMS = (
    {"condition": "Acute bronchitis", "code": "J20.9", "patient_wording": "Chest cold", "onset_date": Days(-200)},
    {"condition": "Sprain of right ankle", "code": "S93.401A", "patient_wording": "Twisted ankle", "onset_date": Days(-150)},
    {"condition": "Urinary tract infection", "code": "N39.0", "patient_wording": "Bladder infection", "onset_date": Days(-95)},
    {"condition": "Acute sinusitis", "code": "J01.90", "patient_wording": "Sinus infection", "onset_date": Days(-120)},
    {"condition": "Herpes zoster (shingles)", "code": "B02.9", "patient_wording": "Shingles", "onset_date": Days(-260)},
)  # fmt: skip
DONE_REASONS = (
    "Done; confirmed at the follow-up call.",
    "Done; the patient reported it at the visit.",
    "Completed and recorded.",
    "Done; checked off at the team huddle.",
)
REVIEW_DECISIONS = (
    "Keep the current medicines. Recheck labs before the next review.",
    "Add a weekly check-in call for the next month.",
    "Referral placed; the team will follow up on the appointment.",
    "Patient chose to focus on one goal at a time; other goals paused in conversation, not in the plan.",
    "Medicine doses unchanged. Patient will bring all bottles to the next visit.",
)
OVERDUE_REASONS = (
    "Brought forward after an emergency visit; the review has not happened yet.",
    "Brought forward after a hospital discharge; not yet reviewed.",
    "Brought forward: new specialist recommendations to go through with the patient.",
)
STREETS = (
    "Harbor Street",
    "Mill Road",
    "Lakeshore Drive",
    "Birch Lane",
    "Orchard Way",
    "Pier Road",
    "Hill Street",
)


# --------------------------------------------------------------------------- loading


class DemoDataConflict(Exception):
    """The database holds users with the demo usernames but not the demo practice."""


@dataclass(frozen=True)
class SeedResult:
    created: bool
    patients: int = 0


def is_loaded() -> bool:
    return Organization.objects.filter(slug=ORGANIZATION["slug"]).exists()


def seed(*, random_seed: int = DEFAULT_SEED, today: datetime.date | None = None) -> SeedResult:
    """Load the demo practice unless it is there already. All or nothing, in one transaction."""
    with transaction.atomic():
        if is_loaded():
            return SeedResult(created=False)
        taken = sorted(
            User.objects.filter(username__in=[u.username for u in USERS]).values_list("username", flat=True)
        )
        if taken:
            raise DemoDataConflict(
                f"Users named {', '.join(taken)} exist already, but the demo practice does not. "
                "Load the demo data into a fresh database, or rename those users first."
            )
        builder = _Builder(random.Random(random_seed), today or timezone.localdate())
        builder.build()
        # What the hourly sweep would have sent by now: the notifications badge and list have content.
        reminders.sweep_reminders(today=builder.today)
    return SeedResult(created=True, patients=len(PATIENTS))


class _Builder:
    """Turns the scenario data into records, each change made by a team member through a service."""

    def __init__(self, rng: random.Random, today: datetime.date) -> None:
        self.rng = rng
        self.today = today
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.staff: dict[str, dict[str, User]] = {}  # team name -> role -> user
        self.role_of: dict[str, dict[User, str]] = {}  # team name -> user -> role
        self.leads: dict[str, User] = {}
        self.item9_shown = False  # one demo patient shows the PHQ-9 item 9 rule

    # ---- helpers

    @contextmanager
    def acting(self, actor: User, **extra: Any) -> Iterator[None]:
        """One history context per change, so each event names its own actor and the command."""
        with pghistory.context(command=COMMAND, user=actor.pk, **extra):
            yield

    def run(self, actor: User, service: Callable[..., T], **kwargs: Any) -> T:
        with self.acting(actor):
            return service(actor=actor, **kwargs)

    def date(self, days: int) -> datetime.date:
        return self.today + datetime.timedelta(days=days)

    def member(self, team: str, role: str) -> User:
        staff = self.staff[team]
        while role not in staff and role in ROLE_FALLBACK:
            role = ROLE_FALLBACK[role]
        return staff.get(role) or self.leads[team]

    def resolve(self, team: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Item values without the builder's own keys, with dates and prescribers filled in."""
        resolved = {}
        for name, value in values.items():
            if name.startswith("_"):
                continue
            if isinstance(value, Days):
                value = self.date(value)
            elif isinstance(value, Prescriber):
                value = str(self.member(team, value.role))
            resolved[name] = value
        return resolved

    # ---- the practice and its people

    def build(self) -> None:
        self.build_users()
        self.build_practice()
        for number, spec in enumerate(PATIENTS, start=1):
            _PatientBuilder(self, spec, mrn=f"D{number:05d}").build()
        add_experience_surveys(self)
        ccm_demo.seed_program(self, MAPLE)

    def build_users(self) -> None:
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is deliberately slow
        for spec in USERS:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                credentials=spec.credentials,
                email=f"{spec.username}@example.org",
                is_staff=spec.role is None,
                is_superuser=spec.role is None,
                password=password,
            )
            user.save()
            self.users[spec.username] = user

    def build_practice(self) -> None:
        admin = self.users["admin"]
        with self.acting(admin):
            organization = create_record(Organization, actor=admin, values=ORGANIZATION)
            for name, values in TEAMS.items():
                self.teams[name] = create_record(
                    Team, actor=admin, values={"organization": organization, "name": name, **values}
                )
        for name, team in self.teams.items():
            self.staff[name], self.role_of[name] = {}, {}
            for spec in USERS:
                if name not in spec.teams:
                    continue
                user = self.users[spec.username]
                self.run(
                    admin,
                    teams.add_team_member,
                    team=team,
                    user=user,
                    role=spec.role,
                    is_team_lead=spec.leads == name,
                )
                self.staff[name][spec.role] = user
                self.role_of[name][user] = spec.role
                if spec.leads == name:
                    self.leads[name] = user


class _PatientBuilder:
    """Builds one patient's plan, section by section."""

    def __init__(self, builder: _Builder, spec: PatientSpec, *, mrn: str) -> None:
        self.b = builder
        self.rng = builder.rng
        self.spec = spec
        self.mrn = mrn
        self.team_name = spec.team
        self.team = builder.teams[spec.team]
        self.conditions = [CONDITIONS[name] for name in spec.conditions]
        # Cedar's plans are kept by the health coach or the Cedar nurse, in turn.
        if spec.team == CEDAR and int(mrn[1:]) % 2:
            self.keeper = builder.users["cedar.nurse"]
        else:
            self.keeper = builder.leads[spec.team]
        self.releases: dict[str, InformationRelease] = {}
        self.goals: list[tuple[Goal, GoalSpec, str]] = []

    def by(self, section: str) -> User:
        return self.b.member(self.team_name, SECTION_ROLES[self.team_name][section])

    def add(
        self, model: type[PlanItem], section: str, values: Mapping[str, Any], *, part2: bool = False
    ) -> Any:
        """Add an item as the team member who usually does it; end it straight away if the data says so."""
        actor = self.b.member(self.team_name, values["_by"]) if "_by" in values else self.by(section)
        fields = self.b.resolve(self.team_name, values)
        if part2:
            fields["part2_protected"] = True
        item = self.b.run(actor, plans.add_plan_item, plan=self.plan, model=model, values=fields)
        if "_end" in values:
            status, reason = values["_end"]
            item = self.end(item, actor, status, reason)
        return item

    def end(self, item: PlanItem, actor: User, status: str, reason: str) -> Any:
        return self.b.run(
            actor, plans.end_plan_item, item=item, expected_version=item.version, status=status, reason=reason
        )

    def has(self, condition: str) -> bool:
        return condition in self.spec.conditions

    def wanted(self, values: Mapping[str, Any]) -> bool:
        return not ("_unless" in values and self.has(values["_unless"]))

    # ---- the whole plan

    def build(self) -> None:
        self.register()
        self.describe_plan()
        problems = self.add_problems()
        self.add_goals(problems)
        self.add_steps()
        self.add_medications()
        self.add_symptom_plans()
        self.add_releases_and_services()
        self.add_care_team()
        self.add_education()
        # Priorities, decisions and measures come before the physician's sign-off, so only the
        # keeper's later edits show as "changed since sign-off" in review mode.
        self.b.item9_shown |= add_partnering(self, show_item9=not self.b.item9_shown)
        self.activate_and_review()
        self.change_after_sign_off()
        self.add_comments()

    def register(self) -> None:
        spec, rng = self.spec, self.rng
        today = self.b.today
        birthday_this_year = datetime.date(today.year - spec.age, today.month, min(today.day, 28))
        born = birthday_this_year - datetime.timedelta(days=rng.randint(0, 360))  # exactly spec.age today
        values = {
            "mrn": self.mrn,
            "given_name": spec.given_name,
            "family_name": spec.family_name,
            "preferred_name": spec.preferred_name,
            "date_of_birth": born,
            "sex_at_birth": spec.sex,
            "gender_identity": spec.gender_identity,
            "pronouns": spec.pronouns,
            "preferred_language": spec.language,
            "interpreter_needed": spec.interpreter,
            "phone": f"555-01{rng.randint(0, 99):02d}",
            "email": f"{spec.given_name.lower()}.{spec.family_name.lower()}@example.org"
            if rng.random() < 0.6
            else "",
            "address": f"{rng.randint(2, 250)} {rng.choice(STREETS)}, Lakeside",
            "large_print": spec.large_print,
        }
        self.patient = self.b.run(
            self.by("register"), patients.register_patient, team=self.team, values=values
        )
        self.plan = CarePlan.objects.select_related("patient__team").get(patient=self.patient)
        if spec.caregiver:
            self.b.run(
                self.keeper,
                patients.add_related_person,
                patient=self.patient,
                values={
                    "name": spec.caregiver.name,
                    "relationship": spec.caregiver.relationship,
                    "phone": spec.caregiver.phone,
                    "is_caregiver": True,
                    "is_emergency_contact": True,
                    "may_receive_information": True,
                },
            )

    def describe_plan(self) -> None:
        spec, rng = self.spec, self.rng
        changes = {
            "what_matters_most": spec.what_matters_most,
            "strengths": spec.strengths or " ".join(rng.sample(STRENGTHS, 2)),
            "care_preferences": spec.care_preferences or " ".join(rng.sample(PREFERENCES, 2)),
            "additional_information": spec.additional_information or rng.choice(EXTRA_INFORMATION),
            "risk_tier": spec.risk,
            "responsible_member": self.keeper,
        }
        self.plan = self.b.run(
            self.keeper,
            plans.update_care_plan,
            plan=self.plan,
            expected_version=self.plan.version,
            changes=changes,
        )

    # ---- sections

    def add_problems(self) -> dict[str, Problem]:
        problems = {}
        for name, condition in zip(self.spec.conditions, self.conditions, strict=True):
            problems[name] = self.add(Problem, "problem", condition.problem, part2=condition.part2)
        if self.rng.random() < 0.3:
            past = dict(self.rng.choice(RESOLVED_PROBLEMS))
            past.update(
                is_chronic=False,
                expected_to_last_12_months=False,
                expected_outcome="Full recovery.",
                prognosis="Excellent.",
                _end=("resolved", "Resolved; no symptoms at follow-up."),
            )
            self.add(Problem, "problem", past)
        return problems

    def add_goals(self, problems: dict[str, Problem]) -> None:
        spec = self.spec
        for name, condition in zip(spec.conditions, self.conditions, strict=True):
            for index, goal_spec in enumerate(condition.goals):
                words = spec.goal_words.get(name, goal_spec.words) if index == 0 else goal_spec.words
                outcome = "achieved" if index == 0 and name in spec.achieved else ""
                goal = self.add_goal(goal_spec, words, outcome, part2=condition.part2, first=not self.goals)
                self.b.run(self.by("goal"), plans.set_goal_problems, goal=goal, problems=[problems[name]])
                if index == 0 and name in spec.completed:
                    goal = self.end(
                        goal, self.by("goal"), Goal.Status.COMPLETED, "Goal met and kept for three months."
                    )
                self.goals.append((goal, goal_spec, name))
        life = spec.life_goal
        if life is None and not any(c.part2 for c in self.conditions) and self.rng.random() < 0.6:
            life = self.rng.choice(LIFE_GOALS)
        if life is not None:
            life = replace(life, kind=Goal.Kind.LIFE, term=Goal.Term.LONG)
            goal = self.add_goal(life, life.words, "", part2=False, first=False)
            self.goals.append((goal, life, ""))

    def add_goal(self, goal: GoalSpec, words: str, outcome: str, *, part2: bool, first: bool) -> Goal:
        rng = self.rng
        step = Decimal(1).scaleb(-goal.places)
        baseline = Decimal(str(goal.baseline + rng.uniform(-goal.spread, goal.spread))).quantize(step)
        target = Decimal(str(goal.target)).quantize(step)
        baseline_on = self.b.date(-rng.randint(120, 270))
        caregiver_helps = self.spec.caregiver is not None and rng.random() < 0.3
        values = {
            "description": words,
            "kind": goal.kind,
            "term": goal.term,
            "expressed_by": Goal.ExpressedBy.PATIENT,
            "measure": goal.measure,
            "unit": goal.unit,
            "baseline_value": baseline,
            "baseline_date": baseline_on,
            "target_comparator": goal.comparator,
            "target_value": target,
            "target_date": self.b.date(rng.randint(45, 200)),
            "priority": Goal.Priority.HIGH
            if first
            else rng.choice([Goal.Priority.MEDIUM, Goal.Priority.LOW]),
            "barriers": goal.barriers,
            "next_review_on": self.b.date(rng.randint(14, 60)),
            "responsible_party": "caregiver" if caregiver_helps else "patient",
        }
        created = self.add(Goal, "goal", values, part2=part2)
        measured = self.measure(created, goal, baseline, baseline_on, outcome)
        if first:
            self.correct_a_typing_mistake(measured)
        return measured

    def measure(
        self, goal: Goal, spec: GoalSpec, baseline: Decimal, since: datetime.date, outcome: str
    ) -> Goal:
        """Record the baseline and a few later values, and say how the goal is going."""
        rng = self.rng
        step = Decimal(1).scaleb(-spec.places)
        target = goal.target_value
        distance = target - baseline
        if goal.meets_target(baseline):  # a goal to keep a value where it is
            final = baseline
        elif outcome == "achieved":
            final = (target + distance * Decimal("0.15")).quantize(step)
            if not goal.meets_target(final):  # rounding landed on a strict target
                final = target + (step if distance > 0 else -step)
        else:
            trend = rng.choices(["improving", "no_change", "worsening"], weights=[6, 2, 2])[0]
            share = {
                "improving": rng.uniform(0.3, 0.8),
                "no_change": 0.0,
                "worsening": -rng.uniform(0.1, 0.3),
            }
            final = baseline + distance * Decimal(str(share[trend]))
        count = rng.randint(2, 4)
        last_on = self.b.date(-rng.randint(2, 14))
        span = (last_on - since).days
        actor = self.by("measurement")
        values = [(since, baseline)]
        for k in range(1, count + 1):
            on = since + datetime.timedelta(days=span * k // count)
            value = baseline + (final - baseline) * Decimal(k) / Decimal(count)
            if k < count:  # the values along the way wobble a little
                value += abs(distance) * Decimal(str(rng.uniform(-0.1, 0.1)))
            values.append((on, value.quantize(step)))
        for on, value in values:
            self.b.run(
                actor,
                plans.record_goal_measurement,
                goal=goal,
                value=max(value, Decimal(0)),
                measured_on=on,
                source=spec.source,
                note="Baseline" if on == since else "",
            )
        latest = max(values[-1][1], Decimal(0))
        status = self.achievement(goal, baseline, latest)
        return self.b.run(
            self.by("goal"),
            plans.update_plan_item,
            item=goal,
            expected_version=goal.version,
            changes={"achievement_status": status},
        )

    def correct_a_typing_mistake(self, goal: Goal) -> None:
        """A value typed with the decimal point one place off, marked entered in error: the chart leaves it out."""
        latest = goal.measurements.order_by("-measured_on", "-id").first()
        typed = latest.value * 10
        wrong = self.b.run(
            self.by("measurement"),
            plans.record_goal_measurement,
            goal=goal,
            value=typed,
            measured_on=latest.measured_on - datetime.timedelta(days=1),
            source=latest.source,
        )
        self.b.run(
            self.by("goal"),
            plans.mark_measurement_in_error,
            measurement=wrong,
            expected_version=wrong.version,
            reason=f"Typing mistake: {typed.normalize():f} for {latest.value.normalize():f}.",
        )

    @staticmethod
    def achievement(goal: Goal, baseline: Decimal, latest: Decimal) -> str:
        if goal.meets_target(latest):
            return Goal.Achievement.SUSTAINING if goal.meets_target(baseline) else Goal.Achievement.ACHIEVED
        if latest == baseline:
            return Goal.Achievement.NO_CHANGE
        better = latest > baseline if goal.target_comparator in (">", ">=") else latest < baseline
        return Goal.Achievement.IMPROVING if better else Goal.Achievement.WORSENING

    def add_steps(self) -> None:
        rng = self.rng
        goals_by_condition: dict[str, Goal] = {}
        for goal, _, name in self.goals:
            if name:
                goals_by_condition.setdefault(name, goal)  # a condition's first goal
        for name, condition in zip(self.spec.conditions, self.conditions, strict=True):
            for step in condition.steps:
                when = step.when
                if when == "overdue" and rng.random() < 0.3:
                    when = "done"
                due = {
                    "done": -rng.randint(5, 60),
                    "overdue": -rng.randint(2, 30),
                    "upcoming": rng.randint(3, 45),
                }[when]
                values: dict[str, Any] = {
                    "description": step.description,
                    "goal": goals_by_condition.get(name),
                    "due_date": Days(due),
                    **self.responsibility(step.who),
                }
                if when == "done":
                    values["_end"] = (ActionStep.Status.DONE, rng.choice(DONE_REASONS))
                self.add(ActionStep, "step", values, part2=condition.part2)

    def responsibility(self, who: str) -> dict[str, Any]:
        if who == "caregiver" and self.spec.caregiver:
            return {"responsible_party": "caregiver"}
        if who in ("patient", "caregiver"):
            return {"responsible_party": "patient"}
        return {"responsible_party": "team_member", "responsible_member": self.b.member(self.team_name, who)}

    def add_medications(self) -> None:
        for condition in self.conditions:
            for medication in condition.medications:
                if self.wanted(medication):
                    self.add(Medication, "medication", medication, part2=condition.part2)

    def add_symptom_plans(self) -> None:
        for condition in self.conditions:
            if condition.symptom_plan is None:
                continue
            values = {
                "whom_to_call": f"{self.team.name} nurse line",
                "call_phone": self.team.phone,
                **condition.symptom_plan,
            }
            self.add(SymptomPlan, "symptom", values, part2=condition.part2)

    def add_releases_and_services(self) -> None:
        for condition in self.conditions:
            for release in condition.releases:
                self.releases[release["_key"]] = self.add(
                    InformationRelease, "release", release, part2=condition.part2
                )
            for service in condition.services:
                values = dict(service)
                if "_release" in values:
                    values["release"] = self.releases[values["_release"]]
                if "_who" in values:
                    values.update(self.responsibility(values["_who"]))
                if "_end" not in values and "status" not in values:
                    # Referrals at every stage, so worklists have some waiting on a next step.
                    values["status"] = self.rng.choice(("recommended", "referred", "active", "active"))
                if values.get("status") in ("referred", "active"):
                    values.setdefault("referred_on", self.b.date(-self.rng.randint(7, 60)))
                self.add(CommunityService, "service", values, part2=condition.part2)

    def add_care_team(self) -> None:
        team = self.team_name
        people: dict[User, list[str]] = {
            self.keeper: ["Keeps this plan up to date and is the first person to call."],
            self.b.member(team, Role.PHYSICIAN): [
                "Primary care physician: diagnoses, prescribing and overall decisions."
            ],
        }
        part2_people: set[User] = set()
        for condition in self.conditions:
            for role, responsibilities in condition.team_roles:
                user = self.b.member(team, role)
                people.setdefault(user, []).append(responsibilities)
                if condition.part2:
                    part2_people.add(user)
        for user, duties in people.items():
            self.add(
                CareTeamMember,
                "care_team",
                {
                    "user": user,
                    "role": self.b.role_of[team][user],
                    "responsibilities": " ".join(duties),
                    "is_primary_contact": user == self.keeper,
                },
                part2=user in part2_people,
            )
        seen: set[str] = set()
        for condition in self.conditions:
            for person in condition.outside:
                if person["name"] not in seen:
                    seen.add(person["name"])
                    self.add(CareTeamMember, "care_team", person, part2=condition.part2)
        if self.spec.caregiver:
            caregiver = self.spec.caregiver
            self.add(
                CareTeamMember,
                "care_team",
                {
                    "name": caregiver.name,
                    "role": CareTeamMember.OutsideRole.CAREGIVER,
                    "phone": caregiver.phone,
                    "responsibilities": f"The patient's {caregiver.relationship}: helps with medicines, rides and the daily checks.",
                },
            )

    def add_education(self) -> None:
        rng = self.rng
        first = True
        for condition in self.conditions:
            for teaching in condition.education:
                understood = first or rng.random() < 0.75  # every plan has at least one teach-back
                first = False
                notes = (
                    "Explained it back in their own words."
                    if understood
                    else "Mixed up two of the steps; re-teach at the next visit."
                )
                self.add(
                    EducationTopic,
                    "education",
                    {
                        "topic": teaching.topic,
                        "material": teaching.material,
                        "delivered_by": self.b.member(self.team_name, teaching.by),
                        "delivered_on": Days(-rng.randint(3, 120)),
                        "teach_back_confirmed": understood,
                        "notes": notes,
                        "_by": teaching.by,
                    },
                    part2=condition.part2,
                )

    # ---- status and review

    def change_after_sign_off(self) -> None:
        """The keeper's edits after the physician signed: review mode shows them as changed since sign-off."""
        if int(self.mrn[1:]) % 2:
            return
        step = (
            ActionStep.objects.filter(plan=self.plan)
            .exclude(status__in=ActionStep.END_STATUSES)
            .order_by("pk")
            .first()
        )
        if step is not None:
            self.b.run(
                self.keeper,
                plans.update_plan_item,
                item=step,
                expected_version=step.version,
                changes={"due_date": step.due_date + datetime.timedelta(days=14)},
                reason="Moved after the visit, as agreed with the patient.",
            )

    def activate_and_review(self) -> None:
        spec, rng = self.spec, self.rng
        plan = CarePlan.objects.get(pk=self.plan.pk)
        plan = self.b.run(
            self.keeper, plans.change_plan_status, plan=plan, expected_version=plan.version, status="active"
        )
        # Sign-off is the physician's (the team's default sign-off roles).
        reviewer = self.b.member(self.team_name, Role.PHYSICIAN)
        context = rng.choice(list(PlanReview.Context.values))
        self.b.run(
            reviewer,
            plans.record_plan_review,
            plan=plan,
            context=context,
            patient_present=context != PlanReview.Context.HUDDLE,
            summary=self.review_summary(),
            decisions=rng.choice(REVIEW_DECISIONS),
        )
        if spec.review_overdue:
            reason = rng.choice(OVERDUE_REASONS)
            with self.b.acting(self.keeper, reason=reason):
                CarePlan.objects.filter(pk=plan.pk).update(
                    next_review_due=self.b.date(-rng.randint(3, 21)),
                    next_review_reason=reason,
                    version=models.F("version") + 1,
                    updated_by=self.keeper,
                    updated_at=timezone.now(),
                )
        if spec.on_hold:
            plan = CarePlan.objects.get(pk=plan.pk)
            self.b.run(
                self.keeper,
                plans.change_plan_status,
                plan=plan,
                expected_version=plan.version,
                status="on_hold",
                reason=spec.on_hold,
            )
        if spec.language == Language.SPANISH:
            # The patient took home a printed plan in their language and print size (made after the commit).
            plan = CarePlan.objects.get(pk=plan.pk)
            language = spec.language if spec.language in (Language.ENGLISH, Language.SPANISH) else "en"
            self.b.run(
                self.keeper,
                plans.request_printout,
                plan=plan,
                values={"language": language, "large_print": spec.large_print, "delivery": "handed_over"},
            )

    # ---- team comments

    def add_comments(self) -> None:
        """Some plans get a thread on their first goal, some a team discussion; a few mention the physician.

        The physician opened those plans before the comment, so the mention and the change are both
        on the physician's worklist.
        """
        number = int(self.mrn[1:])
        name = self.spec.preferred_name or self.spec.given_name
        physician = self.b.users["physician"]
        if number % 3 == 0 and self.goals:
            goal, _, _ = self.goals[0]
            self.b.run(physician, comments.record_plan_visit, plan=self.plan)
            self.b.run(
                self.keeper,
                comments.add_comment,
                plan=self.plan,
                item_kind="goal",
                item_id=goal.pk,
                body=f"@physician {name} asked whether the {goal.measure} target can be reached "
                "before the next review. Could you look at it at the next visit?",
            )
        if number % 5 == 0:
            social = self.b.users["social"]
            note = self.b.run(
                social,
                comments.add_comment,
                plan=self.plan,
                body=f"Transport to appointments is getting harder for {name}. I can look into ride programmes.",
            )
            self.b.run(
                self.keeper,
                comments.add_comment,
                plan=self.plan,
                body="@social yes please, and add it to the action plan once it is arranged.",
            )
            if number % 10 == 0:
                self.b.run(
                    social,
                    comments.retract_comment,
                    comment=note,
                    expected_version=note.version,
                    reason="Posted before checking the latest visit note; transport is sorted.",
                )

    def review_summary(self) -> str:
        lines = [f"Went through the whole plan with {self.spec.preferred_name or self.spec.given_name}."]
        for goal, _, _ in self.goals:
            latest = goal.measurements.order_by("-measured_on", "-id").first()
            lines.append(
                f"{goal.measure}: {latest.value.normalize():f} {goal.unit} "
                f"(baseline {goal.baseline_value.normalize():f}, target {goal.target_label}) - "
                f"{goal.get_achievement_status_display().lower()}."
            )
        return "\n".join(lines)
