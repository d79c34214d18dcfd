"""In a real browser: a nurse's changes show up on the plan's history, with what changed and why."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_item_editing import open_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_sees_her_dose_change_and_ended_service_in_the_plan_history(
    page: Page, live_server, nurse, care_plan
):
    medication = factories.MedicationFactory(plan=care_plan)
    service = factories.CommunityServiceFactory(plan=care_plan)
    open_plan(page, live_server, care_plan, "nina.nurse")

    row = page.locator(f"#medication-{medication.pk}")
    page.get_by_role("link", name="Edit Metformin 500 mg").click()
    row.get_by_label("Dose").fill("1000 mg")
    row.get_by_role("button", name="Save changes").click()
    expect(row).to_contain_text("1000 mg")

    page.get_by_role("link", name=re.compile(r"^End… Eastside Food Pantry")).click()
    form = page.locator(f"#community-service-{service.pk}-form")
    form.get_by_label("New status").select_option(label="Declined")
    form.get_by_label("Reason").fill("She gets groceries from her church now.")
    form.get_by_role("button", name="End community service").click()
    expect(page.locator("#community-services").get_by_text("Ended (1)")).to_be_visible()

    page.get_by_role("link", name="History of this plan").click()
    expect(page.get_by_role("heading", level=1, name="History of the care plan")).to_be_visible()
    ended = page.locator(".history-entry", has_text="Eastside Food Pantry").first
    expect(ended).to_contain_text("Ended")
    expect(ended).to_contain_text("Status: from Recommended → to Declined")
    expect(ended).to_contain_text("Reason: She gets groceries from her church now.")
    expect(ended).to_contain_text("Nina Nurse, RN")
    changed = page.locator(".history-entry", has_text="Dose:")
    expect(changed).to_contain_text("Changed")
    expect(changed).to_contain_text("Dose: from 500 mg → to 1000 mg")
    expect(changed).to_contain_text("Nina Nurse, RN (Nurse care manager)")
    assert serious_violations(page) == [], "plan history page"

    # The filter narrows the timeline in place; its select has a visible label.
    page.get_by_label("Show changes to").select_option(label="Medications")
    expect(page.locator(".history-entry", has_text="Eastside Food Pantry")).to_have_count(0)
    expect(page.locator(".history-entry", has_text="Dose:")).to_be_visible()

    page.get_by_role("link", name=re.compile(r"Medication: Metformin 1000 mg")).first.click()
    expect(
        page.get_by_role("heading", level=1, name="History of medication: Metformin 1000 mg")
    ).to_be_visible()
    assert serious_violations(page) == [], "item history page"
