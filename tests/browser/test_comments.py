"""In a real browser: a nurse asks the physician about a goal with an @mention, and the physician finds it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from careplans.models import CarePlan, Comment
from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_item_editing import PASSWORD, open_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def goal(care_plan: CarePlan):
    return factories.GoalFactory(plan=care_plan, description="Walk to the corner shop without stopping")


def test_a_nurse_mentions_the_physician_on_a_goal_and_the_physician_finds_it(
    page: Page, browser: Browser, live_server, nurse, physician, care_plan, goal
):
    open_plan(page, live_server, care_plan, "nina.nurse")
    card = page.locator(f"#goal-{goal.pk}")
    comments = card.locator("summary", has_text="Comments")
    expect(comments).to_contain_text("0")
    comments.focus()
    page.keyboard.press("Enter")  # The keyboard opens the thread; htmx loads it.
    box = card.get_by_label("Your comment on this goal")
    box.fill("@nobody.here can you check this?")
    card.get_by_role("button", name="Add comment on this goal").click()
    expect(card.locator(".field-error")).to_contain_text("@nobody.here: no one on this patient's team")
    expect(box).to_have_value("@nobody.here can you check this?")
    box.fill("@phil.physician can Ada walk further before the review?")
    card.get_by_role("button", name="Add comment on this goal").click()
    expect(card.get_by_role("status")).to_have_text("Your comment was added.")
    expect(comments).to_contain_text("1")
    mention = card.locator("mark.mention")
    expect(mention).to_have_text("@phil.physician")
    expect(card.get_by_role("list", name="Comments on this goal")).to_contain_text("can Ada walk further")
    assert serious_violations(page) == []

    physician_page = browser.new_context().new_page()
    physician_page.goto(f"{live_server.url}{reverse('login')}")
    physician_page.get_by_label("Username").fill("phil.physician")
    physician_page.get_by_label("Password").fill(PASSWORD)
    with physician_page.expect_navigation():
        physician_page.get_by_role("button", name="Sign in").click()
    mentions = physician_page.get_by_role("region", name=re.compile("^Mentions of you"))
    row = mentions.get_by_role("row", name=re.compile("can Ada walk further"))
    expect(row).to_contain_text("Lovelace, Ada")
    expect(row).to_contain_text("Nina Nurse, RN")
    assert serious_violations(physician_page) == []

    row.get_by_role("link").click()
    expect(physician_page).to_have_url(re.compile(rf"#comments-goal-{goal.pk}$"))
    thread = physician_page.locator(f"#thread-goal-{goal.pk}")
    expect(thread).to_contain_text("@phil.physician can Ada walk further before the review?")
    expect(thread).to_contain_text("Nina Nurse, RN")

    physician_page.goto(f"{live_server.url}/")
    expect(physician_page.get_by_role("region", name=re.compile("^Mentions of you"))).to_contain_text(
        "No new mentions of you."
    )


def test_the_author_retracts_a_plan_comment_with_a_reason(page: Page, live_server, nurse, care_plan):
    open_plan(page, live_server, care_plan, "nina.nurse")
    discussion = page.get_by_role("region", name="Team discussion")
    discussion.get_by_label("Your comment on this plan").fill("Family meeting moved to Tuesday")
    discussion.get_by_role("button", name="Add comment on this plan").click()
    expect(discussion.get_by_role("list", name="Comments on this plan")).to_contain_text("Family meeting")

    discussion.get_by_role("link", name=re.compile("^Retract…")).click()
    reason = discussion.get_by_label("Why retract it")
    expect(reason).to_be_focused()
    discussion.get_by_role("button", name="Retract comment").click()
    expect(discussion.locator(".field-error")).to_contain_text("This field is required.")
    assert serious_violations(page) == []
    reason.fill("Wrong family")
    discussion.get_by_role("button", name="Retract comment").click()

    expect(discussion).to_contain_text("Reason: Wrong family")
    expect(discussion).not_to_contain_text("Family meeting moved")
    assert Comment.objects.get().body == ""
