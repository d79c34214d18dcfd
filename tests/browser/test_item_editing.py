"""In a real browser: a nurse edits the plan in place, with the mouse or the keyboard alone, while a physician
edits the same item."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from careplans import services
from careplans.models import PLAN_ITEM_MODELS, CarePlan
from tests import factories
from tests.browser.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
NOUNS = [model._meta.verbose_name for model in PLAN_ITEM_MODELS.values()]


def open_plan(page: Page, live_server, plan: CarePlan, username: str) -> None:
    plan_url = reverse("careplans:plan-detail", args=[plan.pk])
    page.goto(f"{live_server.url}{reverse('login')}?next={plan_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():  # to the loaded page: htmx binds its triggers on load
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Lovelace, Ada")).to_be_visible()


def tab_to(page: Page, name: str) -> None:
    """Press Tab until the control called `name` has the focus, as a keyboard user would."""
    for _ in range(100):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.innerText || document.activeElement.value || ''")
        if focused.strip() == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_nurse_adds_a_goal_with_a_measurable_target(page: Page, live_server, nurse, care_plan):
    today = timezone.localdate()
    open_plan(page, live_server, care_plan, "nina.nurse")

    page.get_by_role("link", name="Add goal").click()
    form = page.locator("#goal-new-form")
    expect(form.get_by_label("Description")).to_be_focused()
    form.get_by_label("Description").fill("Get my sugar under control so I can travel")
    form.get_by_label("Measure").fill("HbA1c")
    form.get_by_label("Unit").fill("%")
    form.get_by_label("Baseline value").fill("8.6")
    form.get_by_label("Baseline date").fill(today.isoformat())
    form.get_by_label("Target comparator").select_option(label="less than")
    form.get_by_label("Target value").fill("7")
    form.get_by_label("Target date").fill((today - datetime.timedelta(days=1)).isoformat())
    form.get_by_role("button", name="Add goal").click()

    # The date is refused beside its field; everything typed is still there, and the focus is on the mistake.
    target_date = form.get_by_label("Target date")
    expect(form.get_by_text("The target date cannot be before the baseline date.")).to_be_visible()
    expect(target_date).to_be_focused()
    expect(target_date).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Description")).to_have_value("Get my sugar under control so I can travel")
    target_date.fill((today + datetime.timedelta(days=180)).isoformat())
    form.get_by_role("button", name="Add goal").click()

    card = page.locator("#goals article", has_text="Get my sugar under control so I can travel")
    expect(card).to_contain_text("less than 7 %")
    expect(card).to_contain_text("HbA1c, from 8.60 %")
    expect(card).to_be_focused()
    expect(page.get_by_role("link", name="Add goal")).to_be_visible()
    assert care_plan.goals.get().created_by == nurse


def test_a_nurse_edits_a_medication_and_can_cancel(page: Page, live_server, nurse, care_plan):
    medication = factories.MedicationFactory(plan=care_plan)
    open_plan(page, live_server, care_plan, "nina.nurse")
    row = page.locator(f"#medication-{medication.pk}")

    page.get_by_role("link", name="Edit Metformin 500 mg").click()
    expect(row.get_by_label("Name", exact=True)).to_be_focused()
    row.get_by_label("Dose").fill("850 mg")
    row.get_by_role("link", name="Cancel").click()
    expect(row).to_contain_text("500 mg")
    expect(row).to_be_focused()

    page.get_by_role("link", name="Edit Metformin 500 mg").click()
    expect(row.get_by_label("Name", exact=True)).to_be_focused()
    row.get_by_label("Dose").fill("1000 mg")
    row.get_by_label("Frequency").fill("twice a day with breakfast and dinner")
    row.get_by_role("button", name="Save changes").click()

    expect(row).to_contain_text("1000 mg")
    expect(row).to_contain_text("twice a day with breakfast and dinner")
    expect(row).to_be_focused()
    medication.refresh_from_db()
    assert (medication.dose, medication.version, medication.updated_by) == ("1000 mg", 2, nurse)


def test_a_nurse_ends_a_community_service_with_a_reason(page: Page, live_server, nurse, care_plan):
    service = factories.CommunityServiceFactory(plan=care_plan)
    open_plan(page, live_server, care_plan, "nina.nurse")

    page.get_by_role("link", name=re.compile(r"^End… Eastside Food Pantry")).click()
    form = page.locator(f"#community-service-{service.pk}-form")
    form.get_by_role("button", name="End community service").click()
    expect(form.get_by_text("This field is required.")).to_be_visible()
    expect(form.get_by_label("Reason")).to_be_focused()

    form.get_by_label("New status").select_option(label="Declined")
    form.get_by_label("Reason").fill("She gets groceries from her church now.")
    form.get_by_role("button", name="End community service").click()

    section = page.locator("#community-services")
    expect(section.get_by_text("Ended (1)")).to_be_visible()
    ended = section.locator(f"#community-service-{service.pk}")
    expect(ended).to_be_focused()
    expect(ended).to_contain_text("Declined")
    expect(ended).to_contain_text("Reason: She gets groceries from her church now.")
    expect(section.get_by_text("Nothing current.")).to_be_visible()

    ended.get_by_role("link", name=re.compile(r"^Reopen…")).click()
    ended.get_by_label("Reason").fill("She asked to try the pantry again.")
    ended.get_by_role("button", name="Reopen community service").click()
    expect(section.locator("tbody")).to_contain_text("Eastside Food Pantry")
    expect(section.get_by_text("Ended (1)")).to_have_count(0)


def test_a_nurse_adds_an_action_step_with_the_keyboard_alone(page: Page, live_server, nurse, care_plan):
    due = timezone.localdate() + datetime.timedelta(days=10)
    open_plan(page, live_server, care_plan, "nina.nurse")

    tab_to(page, "Add action step")
    page.keyboard.press("Enter")
    form = page.locator("#action-step-new-form")
    expect(form.get_by_label("Description")).to_be_focused()
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(page.get_by_role("link", name="Add action step")).to_be_focused()
    page.keyboard.press("Enter")
    expect(form.get_by_label("Description")).to_be_focused()
    page.keyboard.type("Take a 15 minute walk after lunch")
    page.keyboard.press("Tab")
    expect(form.get_by_label("Due date")).to_be_focused()
    page.keyboard.type(due.strftime("%m%d%Y"))
    tab_to(page, "Add action step")
    page.keyboard.press("Enter")

    row = page.locator("#action-steps tbody tr", has_text="Take a 15 minute walk after lunch")
    expect(row).to_be_focused()
    expect(row).to_contain_text(f"{due:%-d %b %Y}")
    assert care_plan.action_steps.get().due_date == due


def test_two_people_edit_the_same_medication_and_nothing_is_lost(
    page: Page, browser: Browser, live_server, nurse, physician, care_plan
):
    medication = factories.MedicationFactory(plan=care_plan)
    open_plan(page, live_server, care_plan, "nina.nurse")
    physician_context = browser.new_context()
    try:
        other = physician_context.new_page()
        open_plan(other, live_server, care_plan, "phil.physician")

        page.get_by_role("link", name="Edit Metformin 500 mg").click()
        other.get_by_role("link", name="Edit Metformin 500 mg").click()
        other.get_by_label("Frequency").fill("once a day with breakfast")
        other.get_by_role("button", name="Save changes").click()
        expect(other.locator(f"#medication-{medication.pk}")).to_contain_text("once a day with breakfast")

        row = page.locator(f"#medication-{medication.pk}")
        row.get_by_label("Dose").fill("750 mg")
        row.get_by_role("button", name="Save changes").click()

        conflict = row.locator(".conflict")
        expect(conflict).to_contain_text("Phil Physician, MD changed this medication")
        expect(conflict).to_be_focused()
        expect(conflict.get_by_role("row", name=re.compile("^Frequency"))).to_contain_text(
            "once a day with breakfast"
        )
        expect(conflict.get_by_role("row", name=re.compile("^Dose"))).to_contain_text("750 mg")
        expect(row.get_by_label("Dose")).to_have_value("750 mg")
        expect(row.get_by_label("Frequency")).to_have_value("once a day with breakfast")
        medication.refresh_from_db()
        assert medication.dose == "500 mg"

        row.get_by_role("button", name="Save my changes").click()
        expect(row).to_be_focused()
        expect(row).to_contain_text("750 mg")
        expect(row).to_contain_text("once a day with breakfast")
        medication.refresh_from_db()
        assert (medication.dose, medication.frequency, medication.version) == (
            "750 mg",
            "once a day with breakfast",
            3,
        )
    finally:
        physician_context.close()


def test_the_open_forms_errors_and_conflicts_pass_axe(page: Page, live_server, nurse, physician, care_plan):
    medication = factories.MedicationFactory(plan=care_plan)
    service = factories.CommunityServiceFactory(plan=care_plan)
    factories.ProblemFactory(plan=care_plan, status="resolved", status_reason="Healed")
    open_plan(page, live_server, care_plan, "nina.nurse")

    for noun in NOUNS:
        page.get_by_role("link", name=f"Add {noun}", exact=True).click()
        expect(page.get_by_role("button", name=f"Add {noun}", exact=True)).to_be_visible()
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator("#goal-new-form .field-error").first).to_be_visible()
    page.get_by_role("link", name=f"End… {service}").click()
    expect(page.get_by_role("button", name="End community service")).to_be_visible()
    page.locator("#problems").get_by_text("Ended (1)").click()
    page.get_by_role("link", name=re.compile(r"^Reopen… Type 2 diabetes")).click()
    expect(page.get_by_role("button", name="Reopen problem")).to_be_visible()
    page.get_by_role("link", name=f"Edit {medication}").click()
    # The form must be open (at version 1) before the physician saves, or there is nothing to conflict with.
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    services.update_plan_item(item=medication, expected_version=1, actor=physician, changes={"dose": "1 g"})
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".conflict")).to_be_visible()

    assert serious_violations(page) == []


def test_when_the_session_ends_mid_edit_nothing_typed_is_lost_and_saving_works_after_signing_in_again(
    page: Page, live_server, nurse, care_plan
):
    medication = factories.MedicationFactory(plan=care_plan)
    open_plan(page, live_server, care_plan, "nina.nurse")
    page.get_by_role("link", name="Edit Metformin 500 mg").click()
    form = page.locator(f"#medication-{medication.pk}-form")
    form.get_by_label("Dose").fill("1 g")
    page.context.clear_cookies(name="sessionid")  # signed out after a time without activity

    form.get_by_role("button", name="Save changes").click()
    notice = page.locator("#session-notice")
    expect(notice).to_contain_text("Nothing was saved, and nothing you typed is lost")
    expect(form.get_by_label("Dose")).to_have_value("1 g")
    assert serious_violations(page) == []

    with page.context.expect_page() as new_tab:
        notice.get_by_role("link", name="Sign in again in a new tab").click()
    sign_in = new_tab.value
    sign_in.get_by_label("Username").fill("nina.nurse")
    sign_in.get_by_label("Password").fill(PASSWORD)
    sign_in.get_by_role("button", name="Sign in").click()
    expect(sign_in.get_by_role("heading", name="You are signed in again")).to_be_visible()
    sign_in.close()

    form.get_by_role("button", name="Save changes").click()
    expect(page.locator(f"#medication-{medication.pk}")).to_contain_text("1 g")
    expect(notice).to_be_empty()
    medication.refresh_from_db()
    assert (medication.dose, medication.updated_by) == ("1 g", nurse)
