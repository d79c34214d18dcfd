"""In a real browser: the worklist leads to the plan, and patient search works from the keyboard alone."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from careplans.models import CarePlan
from teams.models import User
from tests import factories


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_navigation():  # to the loaded page: htmx binds its triggers on load
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Your worklist")).to_be_visible()


def tab_to(page: Page, target: Locator, *, limit: int = 40) -> None:
    """Press Tab, as a keyboard user would, until `target` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def has_visible_focus(locator: Locator) -> bool:
    return locator.evaluate(
        "element => element.matches(':focus-visible') && getComputedStyle(element).outlineStyle !== 'none'"
    )


@pytest.fixture
def overdue_work(care_plan: CarePlan, nurse: User) -> CarePlan:
    care_plan.next_review_due = days(-3)
    care_plan.save()
    factories.ActionStepFactory(
        plan=care_plan,
        description="Phone Ada about her new inhaler",
        responsible_party="team_member",
        responsible_member=nurse,
        due_date=days(-2),
    )
    return care_plan


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_nurse_sees_her_overdue_work_and_follows_it_to_the_plan(page: Page, live_server, overdue_work):
    sign_in(page, live_server, "nina.nurse")

    reviews = page.get_by_role("region", name="Reviews due")
    expect(reviews.get_by_role("row", name=re.compile("Lovelace, Ada"))).to_contain_text("Overdue")
    steps = page.get_by_role("region", name="Your action steps")
    step_row = steps.get_by_role("row", name=re.compile("Phone Ada about her new inhaler"))
    expect(step_row).to_contain_text("Overdue")
    expect(step_row).to_contain_text("Lovelace, Ada")
    expect(page.get_by_role("region", name="Goals off track")).to_contain_text("No goals are off track.")

    step_row.get_by_role("link", name="Phone Ada about her new inhaler").click()
    expect(page).to_have_url(re.compile(rf"/plans/{overdue_work.id}/#action-steps$"))
    expect(page.get_by_role("heading", level=2, name="Action plan")).to_be_in_viewport()
    expect(page.locator("#action-steps")).to_contain_text("Phone Ada about her new inhaler")

    page.go_back()
    reviews.get_by_role("link", name="Lovelace, Ada").click()
    expect(page).to_have_url(re.compile(rf"/plans/{overdue_work.id}/#reviews$"))
    expect(page.get_by_role("heading", level=2, name="Reviews")).to_be_in_viewport()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_nurse_finds_a_patient_by_mrn_with_the_keyboard_alone(page: Page, live_server, nurse, care_plan):
    grace = factories.CarePlanFactory(
        patient=factories.PatientFactory(
            team=care_plan.patient.team, given_name="Grace", family_name="Hopper", mrn="GH1906"
        )
    )
    sign_in(page, live_server, "nina.nurse")
    count = page.locator("#patient-count")
    expect(count).to_have_text("2 active patients on your teams’ panels.")

    # The page's own table of contents jumps past the worklist to the search.
    tab_to(page, page.get_by_role("link", name="Find a patient"))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    search = page.get_by_label("Find a patient")
    expect(search).to_be_focused()
    assert has_visible_focus(search)

    page.evaluate("window.stillTheSamePage = true")  # gone if anything below loads a new page
    page.keyboard.type("gh1906")
    expect(page.locator("#patient-rows tr")).to_have_count(1)
    expect(count).to_have_text("1 patient matches “gh1906”.")
    expect(count).to_have_attribute("role", "status")
    expect(page).to_have_url(re.compile(r"\?q=gh1906$"))

    # Enter searches in place too, so focus stays in the box.
    with page.expect_response(lambda response: "q=gh1906" in response.url):
        page.keyboard.press("Enter")
    expect(search).to_be_focused()
    expect(page.locator("#patient-rows tr")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage === true")

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Search")).to_be_focused()
    page.keyboard.press("Tab")
    result = page.locator("#patient-rows").get_by_role("link", name="Hopper, Grace")
    expect(result).to_be_focused()
    assert has_visible_focus(result)

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/plans/{grace.id}/$"))
    expect(page.get_by_role("heading", level=1, name="Hopper, Grace")).to_be_visible()
