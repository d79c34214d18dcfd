"""In a real browser: a nurse sets a measurable goal, records values in its card and watches the chart grow."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from careplans.models import GoalMeasurement
from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_item_editing import open_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def record_value(page: Page, card, value: str, on: datetime.date) -> None:
    card.get_by_role("link", name="Record a value").click()
    form = card.locator("form", has_text="Record a value of HbA1c")
    expect(form.get_by_label("HbA1c (%)")).to_be_focused()
    form.get_by_label("HbA1c (%)").fill(value)
    form.get_by_label("Date measured").fill(on.isoformat())
    form.get_by_label("Source").select_option(label="Lab result")
    form.get_by_role("button", name="Record value").click()


def add_measurable_goal(page: Page, description: str, *, problem: str = "") -> None:
    """Add a goal whose target is HbA1c at most 7 %, from 8.6 % two months ago, due in four months."""
    today = timezone.localdate()
    page.get_by_role("link", name="Add goal").click()
    form = page.locator("#goal-new-form")
    form.get_by_label("Description").fill(description)
    form.get_by_label("Measure").fill("HbA1c")
    form.get_by_label("Unit").fill("%")
    form.get_by_label("Baseline value").fill("8.6")
    form.get_by_label("Baseline date").fill((today - datetime.timedelta(days=60)).isoformat())
    form.get_by_label("Target comparator").select_option(label="at most")
    form.get_by_label("Target value").fill("7")
    form.get_by_label("Target date").fill((today + datetime.timedelta(days=120)).isoformat())
    if problem:
        form.get_by_label(problem).check()
    form.get_by_role("button", name="Add goal").click()


def test_a_nurse_adds_a_goal_records_two_values_and_sees_the_chart_update_in_place(
    page: Page, live_server, nurse, care_plan
):
    today = timezone.localdate()
    factories.ProblemFactory(plan=care_plan, condition="Type 2 diabetes")
    open_plan(page, live_server, care_plan, "nina.nurse")

    add_measurable_goal(page, "Bring my sugar down so I can travel", problem="Type 2 diabetes")

    card = page.locator("#goals article", has_text="Bring my sugar down so I can travel")
    expect(card).to_contain_text("Addresses")
    chart = card.get_by_role("img", name="Chart of HbA1c over time")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(0)

    # A mistyped value is refused beside the field, and what was typed stays.
    card.get_by_role("link", name="Record a value").click()
    value = card.get_by_label("HbA1c (%)")
    value.fill("7,9")
    card.get_by_role("button", name="Record value").click()
    expect(card.get_by_text("Enter the HbA1c as a number.")).to_be_visible()
    expect(value).to_have_value("7,9")
    expect(value).to_be_focused()
    card.get_by_role("link", name="Cancel").click()

    record_value(page, card, "7.9", today - datetime.timedelta(days=20))
    expect(card.locator("svg circle")).to_have_count(1)
    record_value(page, card, "6.8", today)

    expect(card.locator("svg circle")).to_have_count(2)
    expect(card.locator("svg polyline")).to_have_count(1)
    expect(card).to_contain_text(f"6.80 % on {today:%-d %b %Y}")
    expect(card).to_contain_text("Meets target")
    expect(chart).to_have_accessible_description(
        f"HbA1c: 2 measurements, latest 6.8 % on {today:%-d %b %Y} (meets the target), "
        f"target at most 7 % by {today + datetime.timedelta(days=120):%-d %b %Y}, "
        f"baseline 8.6 % on {today - datetime.timedelta(days=60):%-d %b %Y}."
    )
    assert GoalMeasurement.objects.filter(goal__plan=care_plan, created_by=nurse).count() == 2
    assert serious_violations(page) == []


def test_a_value_marked_entered_in_error_leaves_the_chart(page: Page, live_server, nurse, care_plan):
    today = timezone.localdate()
    goal = factories.GoalFactory(plan=care_plan)
    for days, value in ((20, "8.4"), (0, "5.2")):
        GoalMeasurement.objects.create(
            goal=goal, value=value, measured_on=today - datetime.timedelta(days=days)
        )
    open_plan(page, live_server, care_plan, "nina.nurse")
    card = page.locator(f"#goal-{goal.pk}")
    expect(card.locator("svg circle")).to_have_count(2)

    card.get_by_role("link", name=f"Entered in error… 5.20 on {today:%-d %b %Y}").click()
    reason = card.get_by_label("Reason")
    expect(reason).to_be_focused()
    reason.fill("Another patient's result")
    reason.press("Enter")

    expect(card.locator("svg circle")).to_have_count(1)
    expect(card).not_to_contain_text("5.20")
    assert serious_violations(page) == []
