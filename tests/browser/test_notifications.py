"""In a real browser: the header badge counts a nurse's reminders, and opening one leads to the item."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from careplans import reminders
from careplans.models import CarePlan
from teams.models import User
from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_worklist import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_follows_a_reminder_from_the_badge_to_the_overdue_step(
    page: Page, live_server, care_plan: CarePlan, nurse: User
):
    today = timezone.localdate()
    step = factories.ActionStepFactory(
        plan=care_plan, description="Call Ada about her inhaler", due_date=today - datetime.timedelta(days=1)
    )
    reminders.sweep_reminders(today=today)

    sign_in(page, live_server, nurse.username)
    badge = page.locator("#notification-badge")
    expect(badge).to_have_text("1 unread")

    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
    assert serious_violations(page) == [], "notifications page"

    page.get_by_role("link", name="1 action step now overdue").click()
    expect(page.locator(f"#action-step-{step.pk}")).to_be_visible()
    expect(page.locator("#notification-badge")).to_have_text("0 unread")

    page.goto(f"{live_server.url}/account/notifications/")
    page.get_by_label("Email me a daily digest").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    assert serious_violations(page) == [], "notification settings page"
    nurse.refresh_from_db()
    assert nurse.email_digest is False
