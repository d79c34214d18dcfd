"""In a real browser: sign in, find a patient, read the plan."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from careplans.models import CarePlan, GoalMeasurement, PlanReview
from patients.models import RelatedPerson
from teams.models import CareRole, User
from tests import factories
from tests.factories import ITEM_FACTORIES

SECTION_HEADINGS = [
    "Problems",
    "Goals",
    "Action plan",
    "Medications",
    "Symptom plan",
    "Community services",
    "Care team",
    "Information releases",
    "Education",
    "Reviews",
    "Strengths and care preferences",
    "Additional information",
    "Caregivers and related people",
]


def fill_like_a_real_plan(plan: CarePlan, nurse: User) -> None:
    """One item of every kind, plus the things a living plan gathers: readings, an ended item, a review."""
    today = timezone.localdate()
    items = {model: factory(plan=plan) for model, factory in ITEM_FACTORIES.items()}
    goal = next(item for item in items.values() if item.SECTION == "Goals")
    for days, value in [(90, "9.1"), (45, "8.4"), (2, "7.8")]:
        GoalMeasurement.objects.create(
            goal=goal, value=Decimal(value), measured_on=today - datetime.timedelta(days=days), source="lab"
        )
    factories.MedicationFactory(
        plan=plan,
        name="Buprenorphine-naloxone",
        formulation="sublingual film",
        dose="8 mg/2 mg",
        frequency="once a day",
        indication="Opioid use disorder",
        part2_protected=True,
    )
    factories.ProblemFactory(
        plan=plan, condition="Acute bronchitis", status="resolved", status_reason="Cleared after antibiotics"
    )
    PlanReview.objects.create(
        plan=plan,
        reviewer=nurse,
        reviewer_role=CareRole.NURSE_CARE_MANAGER,
        context=PlanReview.Context.PHONE,
        patient_present=True,
        summary="Sugar coming down; walking most evenings.",
        next_review_due=today + datetime.timedelta(days=90),
    )
    RelatedPerson.objects.create(
        patient=plan.patient, name="Byron Lovelace", relationship="son", phone="555-0142", is_caregiver=True
    )
    plan.strengths = "Loves to cook; her son visits every Sunday."
    plan.next_review_due = today + datetime.timedelta(days=30)
    plan.responsible_member = nurse
    plan.save()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_nurse_signs_in_finds_her_patient_and_reads_the_plan(page: Page, live_server, nurse, care_plan):
    fill_like_a_real_plan(care_plan, nurse)
    factories.CarePlanFactory(
        patient=factories.PatientFactory(team=care_plan.patient.team, family_name="Hopper")
    )

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_label("Username").fill("nina.nurse")
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_navigation():  # to the loaded page: htmx binds its triggers on load
        page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Your patients")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_contain_text("Nina Nurse, RN")
    page.get_by_label("Find a patient").fill("lovelace")
    expect(page.locator("#patient-rows tr")).to_have_count(1)
    page.get_by_role("link", name="Lovelace, Ada").click()

    expect(page.get_by_role("heading", level=1, name="Lovelace, Ada")).to_be_visible()
    for heading in SECTION_HEADINGS:
        expect(page.get_by_role("heading", level=2, name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("42 CFR Part 2")).to_be_visible()
    expect(page.get_by_text("Cleared after antibiotics")).to_be_hidden()
    page.get_by_text("Ended (1)").click()
    expect(page.get_by_text("Cleared after antibiotics")).to_be_visible()
    expect(page.get_by_text("Meets target")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
