"""factory_boy factories for synthetic test data. No real patient data, ever."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from careplans import models as plan
from patients.models import Patient
from teams.models import CareRole, Membership, Organization, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Practice {n}")
    slug = factory.Sequence(lambda n: f"practice-{n}")
    phone = "555-0100"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    approach = Team.Approach.DISTRIBUTED_TASKS


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = CareRole.NURSE_CARE_MANAGER
    started_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    team = factory.SubFactory(TeamFactory)
    organization = factory.SelfAttribute("team.organization")
    mrn = factory.Sequence(lambda n: f"T{n:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=30, maximum_age=90)


class CarePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = plan.CarePlan

    patient = factory.SubFactory(PatientFactory)
    status = plan.CarePlan.Status.ACTIVE
    what_matters_most = "Being able to walk my granddaughter to school."


class ItemFactory(factory.django.DjangoModelFactory):
    plan = factory.SubFactory(CarePlanFactory)


class ProblemFactory(ItemFactory):
    class Meta:
        model = plan.Problem

    condition = "Type 2 diabetes"
    code = "E11.9"
    expected_outcome = "Stable blood sugar without low episodes."
    prognosis = "Good with steady medication use."


class GoalFactory(ItemFactory):
    class Meta:
        model = plan.Goal

    description = "Get my sugar down so I feel less tired."
    measure = "HbA1c"
    unit = "%"
    baseline_value = Decimal("9.1")
    baseline_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    target_comparator = "<"
    target_value = Decimal("8")
    target_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=150))


class ActionStepFactory(ItemFactory):
    class Meta:
        model = plan.ActionStep

    description = "Walk 20 minutes after dinner."
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))


class MedicationFactory(ItemFactory):
    class Meta:
        model = plan.Medication

    name = "Metformin"
    formulation = "tablet"
    dose = "500 mg"
    route = "by mouth"
    frequency = "twice a day with meals"
    indication = "Diabetes"
    prescriber = "Dr. Example"


class SymptomPlanFactory(ItemFactory):
    class Meta:
        model = plan.SymptomPlan

    symptom = "Low blood sugar"
    green_signs = "Sugar between 80 and 180."
    green_actions = "Keep taking your medicines."
    yellow_signs = "Shaky, sweaty, sugar under 70."
    yellow_actions = "Eat 15 grams of sugar and check again in 15 minutes."
    red_signs = "Confused or passing out."
    red_actions = "Call 911."
    whom_to_call = "Clinic nurse line"
    call_phone = "555-0100"


class InformationReleaseFactory(ItemFactory):
    class Meta:
        model = plan.InformationRelease

    recipient_name = "Riverside Counseling"
    purpose = "Coordinate counseling with primary care."
    information_scope = "Diagnoses, medications and treatment plan."
    signed_by = "The patient"
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=355))


class CommunityServiceFactory(ItemFactory):
    class Meta:
        model = plan.CommunityService

    category = plan.CommunityService.Category.FOOD
    organization_name = "Eastside Food Pantry"
    phone = "555-0133"
    # What the services store (CommunityService.waiting_since_from_fields) for a row made without them.
    waiting_since = factory.LazyAttribute(
        lambda o: (
            getattr(o, "referred_on", None)
            or timezone.localdate(
                getattr(o, "status_changed_at", None) or getattr(o, "created_at", timezone.now())
            )
        )
    )


class CareTeamMemberFactory(ItemFactory):
    class Meta:
        model = plan.CareTeamMember

    name = "Dr. Outside Cardiologist"
    organization = "Heart Specialists"
    role = "specialist"
    responsibilities = "Manages heart failure medicines."


class EducationTopicFactory(ItemFactory):
    class Meta:
        model = plan.EducationTopic

    topic = "Checking blood sugar at home"
    delivered_by = factory.SubFactory(UserFactory)
    delivered_on = factory.LazyFunction(timezone.localdate)


class SharedDecisionFactory(ItemFactory):
    class Meta:
        model = plan.SharedDecision

    question = "Start a statin, or keep working on diet first?"
    options = "Start a statin: fewer heart attacks; muscle aches in some\nDiet first: no pills; slower effect"


ITEM_FACTORIES = {
    plan.Problem: ProblemFactory,
    plan.Goal: GoalFactory,
    plan.ActionStep: ActionStepFactory,
    plan.Medication: MedicationFactory,
    plan.SymptomPlan: SymptomPlanFactory,
    plan.CommunityService: CommunityServiceFactory,
    plan.CareTeamMember: CareTeamMemberFactory,
    plan.InformationRelease: InformationReleaseFactory,
    plan.EducationTopic: EducationTopicFactory,
    plan.SharedDecision: SharedDecisionFactory,
}
