"""In a real browser: a nurse enters a PHQ-9 and sees it scored and on the trend chart."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from careplans import services
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_item_editing import open_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ANSWERS = ["2", "2", "1", "3", "1", "0", "2", "1", "0"]  # total 12: moderate


def test_a_nurse_enters_a_phq9_and_sees_the_trend(page: Page, live_server, nurse, care_plan):
    earlier = {f"phq{n}": 2 for n in range(1, 9)} | {"phq9": 0}  # 16 a month ago
    services.record_instrument_response(
        plan=care_plan,
        actor=nurse,
        instrument="phq9",
        answers=earlier,
        answered_on=datetime.date.today() - datetime.timedelta(days=30),
    )
    open_plan(page, live_server, care_plan, "nina.nurse")
    page.get_by_role("link", name="Outcome measures: record and see trends").click()
    page.get_by_role("link", name="PHQ-9 (depression)").click()
    expect(page.get_by_role("heading", name="Record PHQ9")).to_be_visible()
    assert serious_violations(page) == []

    for number, value in enumerate(ANSWERS, start=1):
        page.locator(f"#phq9-phq{number}").select_option(value)
    page.get_by_role("button", name="Save and score").click()

    expect(page.locator("#recorded")).to_contain_text("Recorded PHQ-9: total 12, Moderate.")
    chart = page.locator("#phq9-trend svg[role=img]")
    expect(chart.locator("circle")).to_have_count(2)
    expect(chart.locator("desc")).to_contain_text(": 16;")
    expect(chart.locator("desc")).to_contain_text(": 12.")
    expect(page.locator("#phq9-trend table tbody tr")).to_have_count(2)
    assert serious_violations(page) == []


def test_item_9_above_zero_warns_the_nurse_that_an_urgent_step_was_added(
    page: Page, live_server, nurse, care_plan
):
    open_plan(page, live_server, care_plan, "nina.nurse")
    page.goto(f"{live_server.url}/plans/{care_plan.pk}/measures/?instrument=phq9")
    for number in range(1, 10):
        page.locator(f"#phq9-phq{number}").select_option("1" if number == 9 else "0")
    page.get_by_role("button", name="Save and score").click()
    expect(page.locator("#recorded")).to_contain_text("Item 9 was answered above zero")
