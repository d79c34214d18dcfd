"""The read-only plan page: every section, only for the patient's team, in a fixed number of queries."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    CommunityService,
    EducationTopic,
    Goal,
    GoalMeasurement,
    GoalProblem,
    InformationRelease,
    Medication,
    PlanReview,
    Problem,
    SharedDecision,
    SymptomPlan,
)
from patients.models import RelatedPerson
from teams.models import CareRole, User
from tests import factories
from tests.factories import ITEM_FACTORIES

pytestmark = pytest.mark.django_db

# The field whose text identifies an item of each type on the page.
ITEM_TEXT = {
    Problem: "condition",
    Goal: "description",
    ActionStep: "description",
    Medication: "name",
    SymptomPlan: "symptom",
    CommunityService: "organization_name",
    CareTeamMember: "name",
    InformationRelease: "recipient_name",
    EducationTopic: "topic",
    SharedDecision: "question",
}
OTHER_SECTIONS = [
    "Reviews",
    "Strengths and care preferences",
    "Additional information",
    "Caregivers and related people",
    "What matters most: the patient's priorities",
    "Outcome measures and social needs",
]
SECTION_IDS = [
    "problems",
    "goals",
    "action-steps",
    "medications",
    "symptom-plans",
    "community-services",
    "care-team",
    "information-releases",
    "education",
    "reviews",
    "strengths-and-preferences",
    "additional-information",
    "related-people",
    "decisions",
]


def plan_url(plan: CarePlan) -> str:
    return reverse("careplans:plan-detail", args=[plan.id])


def fill_plan(plan: CarePlan, *, member: User, count: int, ended: int | None = None) -> None:
    """`count` current and `ended` (default `count`) ended items of every type, with everything each links to.

    Goals get up to five measurements each, reviews and related people `count` each.
    """
    today = timezone.localdate()
    for model, factory in ITEM_FACTORIES.items():
        factory.create_batch(count, plan=plan)
        factory.create_batch(
            count if ended is None else ended,
            plan=plan,
            status=sorted(model.END_STATUSES)[0],
            status_reason="No longer needed",
        )
    for goal in plan.goals.all():
        goal.responsible_party, goal.responsible_member = "team_member", member
        goal.save()
        GoalProblem.objects.create(goal=goal, problem=plan.problems.first())
        for days in range(min(count, 5)):
            GoalMeasurement.objects.create(goal=goal, value=8 + days, measured_on=today)
    release = plan.information_releases.first()
    plan.community_services.update(release=release, permission_to_exchange=True)
    plan.action_steps.update(
        goal=plan.goals.first(), responsible_party="team_member", responsible_member=member
    )
    for n in range(count):
        PlanReview.objects.create(
            plan=plan,
            reviewer=member,
            reviewer_role=CareRole.NURSE_CARE_MANAGER,
            context=PlanReview.Context.PHONE,
            patient_present=True,
            summary=f"Review {n}",
            next_review_due=today + datetime.timedelta(days=90),
        )
        RelatedPerson.objects.create(patient=plan.patient, name=f"Relative {n}", relationship="daughter")
        RelatedPerson.objects.create(
            patient=plan.patient, name=f"Former {n}", relationship="friend", status="ended"
        )


def test_anonymous_visitors_are_sent_to_sign_in(client, care_plan):
    url = plan_url(care_plan)
    assertRedirects(client.get(url), f"{reverse('login')}?next={url}")


def test_the_page_shows_every_section_and_every_kind_of_item(client, nurse, care_plan):
    items = {model: factory(plan=care_plan) for model, factory in ITEM_FACTORIES.items()}
    client.force_login(nurse)
    response = client.get(plan_url(care_plan))
    for model, item in items.items():
        assertContains(response, f">{model.SECTION}</h2>")
        assertContains(response, escape(getattr(item, ITEM_TEXT[model])))
    for heading in OTHER_SECTIONS:
        assertContains(response, f">{heading}</h2>")
    for section_id in SECTION_IDS:
        assertContains(response, f'<section id="{section_id}"')
        assertContains(response, f'aria-labelledby="{section_id}-heading"')


def test_the_header_shows_who_the_patient_is_and_what_matters_most(client, nurse, physician, care_plan):
    patient = care_plan.patient
    patient.pronouns, patient.preferred_language, patient.interpreter_needed = "she/her", "es", True
    patient.large_print = True
    patient.save()
    care_plan.responsible_member = physician
    care_plan.next_review_due = timezone.localdate() - datetime.timedelta(days=3)
    care_plan.save()
    client.force_login(nurse)
    response = client.get(plan_url(care_plan))
    for text in ["Lovelace, Ada", patient.mrn, "she/her", "Spanish", "Interpreter needed", "Large print"]:
        assertContains(response, text)
    assertContains(response, f"{patient.age()} years")
    assertContains(response, "Phil Physician, MD")
    assertContains(response, "Maple Team")
    assertContains(response, "Overdue")
    assertContains(response, escape(care_plan.what_matters_most))


def test_a_new_plan_says_nothing_is_recorded_yet(client, nurse, care_plan):
    client.force_login(nurse)
    response = client.get(plan_url(care_plan))
    assertContains(response, "Nothing recorded yet.", count=len(SECTION_IDS) + 1)


def test_the_patient_id_is_in_no_link_but_the_fhir_export(client, nurse, care_plan):
    """Pages address plans; only the FHIR export names the patient, as FHIR's Patient/{id} requires."""
    client.force_login(nurse)
    page = client.get(plan_url(care_plan)).content.decode()
    fhir_link = reverse("fhir-careplan", args=[care_plan.patient.id])
    assert page.count(str(care_plan.patient.id)) == page.count(fhir_link) * 2  # its href and file name
    assert page.count(fhir_link) == 1


def test_a_physician_on_the_team_sees_the_plan(client, physician, care_plan):
    client.force_login(physician)
    assert client.get(plan_url(care_plan)).status_code == 200


def test_an_outsider_gets_not_found(client, outsider, care_plan):
    client.force_login(outsider)
    response = client.get(plan_url(care_plan))
    assert response.status_code == 404
    assertNotContains(response, "Lovelace", status_code=404)


def test_an_unknown_plan_gets_the_friendly_not_found_page(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("careplans:plan-detail", args=[uuid.uuid4()]))
    assertContains(response, "We couldn’t find that page", status_code=404)


def test_ended_items_are_collapsed_with_their_status_and_reason(client, nurse, care_plan):
    factories.ProblemFactory(plan=care_plan, condition="Sprained ankle")
    factories.ProblemFactory(
        plan=care_plan,
        condition="Acute bronchitis",
        status="resolved",
        status_reason="Cleared after antibiotics",
    )
    client.force_login(nurse)
    response = client.get(plan_url(care_plan))
    assertContains(response, "<summary>Ended (1)</summary>")
    assertContains(response, "Acute bronchitis")
    assertContains(response, "Resolved")
    assertContains(response, "Reason: Cleared after antibiotics")


def test_part_2_items_carry_a_visible_badge(client, nurse, care_plan):
    factories.MedicationFactory(plan=care_plan, name="Buprenorphine", part2_protected=True)
    client.force_login(nurse)
    assertContains(client.get(plan_url(care_plan)), ">42 CFR Part 2</span>", count=1)


def test_no_badge_without_part_2_items(client, nurse, care_plan):
    factories.MedicationFactory(plan=care_plan)
    client.force_login(nurse)
    assertNotContains(client.get(plan_url(care_plan)), "42 CFR Part 2")


def test_releases_flag_part_2_and_expiry(client, nurse, care_plan):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    factories.InformationReleaseFactory(plan=care_plan, recipient_name="Harbor Recovery", covers_part2=True)
    factories.InformationReleaseFactory(plan=care_plan, recipient_name="Old Clinic", expires_on=yesterday)
    factories.InformationReleaseFactory(
        plan=care_plan,
        recipient_name="Ex Employer",
        status="revoked",
        status_reason="Patient withdrew consent",
    )
    client.force_login(nurse)
    response = client.get(plan_url(care_plan))
    assertContains(response, "Covers Part 2 records")
    assertContains(response, "Expired")
    assertContains(response, "Revoked")
    assertContains(response, "Patient withdrew consent")


def test_a_goal_shows_its_measurements_and_whether_the_latest_meets_the_target(client, nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    today = timezone.localdate()
    GoalMeasurement.objects.create(
        goal=goal, value=Decimal("8.9"), measured_on=today - datetime.timedelta(days=60)
    )
    GoalMeasurement.objects.create(goal=goal, value=Decimal("7.6"), measured_on=today)
    GoalMeasurement.objects.create(
        goal=goal, value=Decimal("99"), measured_on=today, status="entered_in_error", status_reason="Typo"
    )
    client.force_login(nurse)
    response = client.get(plan_url(care_plan))
    assertContains(response, "8.90 %")
    assertContains(response, f"7.60 % on {today:%-d %b %Y}")
    assertContains(response, "Meets target")
    assertContains(response, "less than 8 %")
    assertNotContains(response, "99.00")


def test_an_overdue_action_step_is_flagged(client, nurse, care_plan):
    factories.ActionStepFactory(plan=care_plan, due_date=timezone.localdate() - datetime.timedelta(days=2))
    client.force_login(nurse)
    assertContains(client.get(plan_url(care_plan)), "Overdue")


def test_the_page_takes_the_same_number_of_queries_with_5_or_200_items_in_every_section(client, nurse, team):
    small = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), responsible_member=nurse)
    large = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), responsible_member=nurse)
    fill_plan(small, member=nurse, count=5)
    fill_plan(large, member=nurse, count=200, ended=10)
    client.force_login(nurse)
    client.get(plan_url(small))  # The first request after signing in also touches the session.
    cache.clear()  # Both looks render every section (test_page_cache.py counts the cached looks).
    with CaptureQueriesContext(connection) as small_page:
        assert client.get(plan_url(small)).status_code == 200
    with CaptureQueriesContext(connection) as large_page:
        response = client.get(plan_url(large))
    assertContains(response, "Ended (10)")
    assertContains(response, "Review 199")
    assertContains(response, "Relative 199")
    assert len(large_page) == len(small_page), [q["sql"] for q in large_page]
