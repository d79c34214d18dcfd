"""In a real browser: the care-management pages pass axe, and the timer logs time with the keyboard."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from careplans.ccm_models import CareTimeEntry
from tests import factories
from tests.browser.test_accessibility import PASSWORD, serious_violations
from tests.careplans.ccm_cast import enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + reverse("home"))


def test_the_care_management_pages_pass_axe_and_the_timer_logs_time(
    page, live_server, nurse, physician, care_plan
):
    factories.ProblemFactory(plan=care_plan, condition="Heart failure")
    factories.ProblemFactory(plan=care_plan, condition="COPD")
    enrol(care_plan.patient, actor=nurse, practitioner=physician)
    sign_in(page, live_server, nurse)

    page.goto(live_server.url + reverse("careplans:ccm-panel"))
    expect(page.get_by_role("link", name="Lovelace, Ada")).to_be_visible()
    assert serious_violations(page) == [], "panel"

    page.goto(live_server.url + reverse("careplans:plan-program", args=[care_plan.pk]))
    expect(page.get_by_role("heading", name="End the enrolment")).to_be_visible()
    assert serious_violations(page) == [], "program page"

    page.goto(live_server.url + reverse("careplans:plan-time", args=[care_plan.pk]))
    page.get_by_role("button", name="Start a timer").press("Enter")
    stop = page.get_by_role("button", name="Stop the timer")
    expect(stop).to_be_visible()
    stop.press("Enter")
    expect(page.get_by_text("Timer stopped at 1 minute")).to_be_visible()
    expect(page.get_by_label("Minutes")).to_have_value("1")
    page.get_by_label("Activity").select_option("phone")
    page.get_by_role("button", name="Log time").click()
    expect(page.get_by_text("Logged 1 minute on")).to_be_visible()
    assert CareTimeEntry.objects.get().minutes == 1
    assert serious_violations(page) == [], "time page"
