"""In a real browser: a nurse edits what matters most and the plan's status, with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import serious_violations
from tests.browser.test_item_editing import open_plan, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_rewrites_what_matters_most_with_the_keyboard(page: Page, live_server, nurse, care_plan):
    open_plan(page, live_server, care_plan, "nina.nurse")

    tab_to(page, "Edit summary")
    page.keyboard.press("Enter")
    field = page.get_by_label("What matters most to the patient")
    expect(field).to_be_focused()
    assert serious_violations(page) == []
    field.fill("Dance at my granddaughter's wedding in June")
    tab_to(page, "Save changes")
    page.keyboard.press("Enter")

    header = page.locator("#plan-summary")
    expect(header.locator("blockquote")).to_have_text("Dance at my granddaughter's wedding in June")
    expect(header).to_be_focused()


def test_putting_the_plan_on_hold_asks_why_and_shows_it(page: Page, live_server, nurse, care_plan):
    open_plan(page, live_server, care_plan, "nina.nurse")

    page.get_by_role("link", name="Change status…").click()
    page.get_by_label("New status").select_option(label="On hold")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#plan-status-reason_error")).to_be_visible()
    expect(page.get_by_label("Reason")).to_be_focused()
    page.get_by_label("Reason").fill("In hospital for two weeks")
    page.get_by_role("button", name="Change status").click()

    expect(page.locator("#plan-summary")).to_contain_text("Status reason: In hospital for two weeks")
    expect(page.locator("#plan-summary .badge-status-on_hold")).to_have_text("On hold")
