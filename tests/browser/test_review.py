"""In a real browser: a physician opens review mode, sees a nurse's change, signs, and the next review moves."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from careplans import services
from careplans.models import CarePlan
from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_item_editing import open_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_physician_sees_a_nurses_change_signs_and_the_next_review_moves(
    page: Page, live_server, nurse, physician, care_plan
):
    problem = factories.ProblemFactory(plan=care_plan, condition="Type 2 diabetes", prognosis="Good")
    services.record_plan_review(
        plan=care_plan, actor=physician, context="visit", patient_present=True, summary="First review."
    )
    services.update_plan_item(item=problem, expected_version=1, actor=nurse, changes={"prognosis": "Fair"})
    overdue = timezone.localdate() - datetime.timedelta(days=5)
    CarePlan.objects.filter(pk=care_plan.pk).update(next_review_due=overdue)

    open_plan(page, live_server, care_plan, "phil.physician")
    page.get_by_role("link", name="Review mode and sign-off").click()

    changes = page.locator("#changes")
    expect(changes).to_contain_text("Type 2 diabetes")
    expect(changes).to_contain_text("Good → Fair")
    expect(changes).to_contain_text(f"by {nurse}")
    expect(page.get_by_role("alert")).to_contain_text("overdue")
    assert serious_violations(page) == []

    page.get_by_label("Kind of review").select_option(label="Office visit")
    page.get_by_label("Yes").check()
    page.get_by_label("Summary").fill("Prognosis fair; more support at home.")
    page.get_by_role("button", name="Sign off").click()

    next_due = timezone.localdate() + datetime.timedelta(days=90)
    expect(page.get_by_role("status")).to_contain_text("Signed off")
    expect(page.locator("#next-review-due")).to_have_text(f"{next_due.day} {next_due:%b %Y}")
    expect(page.locator("#changes")).to_contain_text("No changes.")

    page.get_by_role("link", name="Signed versions").click()
    expect(page.get_by_role("link", name="Version 2")).to_be_visible()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison")).to_be_visible()
    assert serious_violations(page) == []
