"""Issue 3's scenario end to end, in one sitting: a nurse's day on a plan, and all of it in the history."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_goal_progress import add_measurable_goal, record_value
from tests.browser.test_item_editing import open_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_sets_a_goal_records_progress_edits_a_medicine_ends_a_service_and_finds_it_all_in_history(
    page: Page, live_server, nurse, care_plan
):
    today = timezone.localdate()
    medication = factories.MedicationFactory(plan=care_plan)
    service = factories.CommunityServiceFactory(plan=care_plan)
    open_plan(page, live_server, care_plan, "nina.nurse")

    # A goal with a measurable target.
    add_measurable_goal(page, "Walk to church without stopping")
    card = page.locator("#goals article", has_text="Walk to church without stopping")
    expect(card).to_be_visible()

    # Two measurements, and the chart shows both.
    record_value(page, card, "7.9", today - datetime.timedelta(days=20))
    expect(card.locator("svg circle")).to_have_count(1)
    record_value(page, card, "7.2", today)
    expect(card.locator("svg circle")).to_have_count(2)

    # A medication edited in place.
    page.get_by_role("link", name="Edit Metformin 500 mg").click()
    row = page.locator(f"#medication-{medication.pk}")
    row.get_by_label("Dose").fill("1000 mg")
    row.get_by_role("button", name="Save changes").click()
    expect(row).to_contain_text("1000 mg")

    # A community service ended with a reason.
    page.get_by_role("link", name=re.compile(r"^End… Eastside Food Pantry")).click()
    end = page.locator(f"#community-service-{service.pk}-form")
    end.get_by_label("New status").select_option(label="Completed")
    end.get_by_label("Reason").fill("Her pantry visits are no longer needed.")
    end.get_by_role("button", name="End community service").click()
    expect(page.locator("#community-services").get_by_text("Ended (1)")).to_be_visible()

    # Every one of those is in the plan's history, with who and why.
    page.get_by_role("link", name="History of this plan").click()
    entries = page.locator(".history-entry")
    expect(
        entries.filter(has_text="Walk to church without stopping").filter(has_text="Added").first
    ).to_be_visible()
    measurements = entries.filter(has_text=re.compile("measurement recorded", re.I))
    expect(measurements).to_have_count(2)
    expect(entries.filter(has_text="Dose: from 500 mg → to 1000 mg")).to_have_count(1)
    ended = entries.filter(has_text="Eastside Food Pantry").filter(has_text="Ended").first
    expect(ended).to_contain_text("Reason: Her pantry visits are no longer needed.")
    expect(ended).to_contain_text("Nina Nurse, RN")
    assert serious_violations(page) == [], "plan history page"
