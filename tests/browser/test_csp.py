"""In a real browser, under the Content-Security-Policy: nothing on the main pages is refused, htmx still works."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from teams.models import User
from tests import factories
from tests.browser.test_plan_page import fill_like_a_real_plan

pytestmark = pytest.mark.browser

# Runs before any page script; the browser reports every refusal as a securitypolicyviolation event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(page: Page) -> tuple[Page, list[str]]:
    """The page, and the console messages in which the browser refused something ("Refused to ...")."""
    refusals: list[str] = []
    page.on("console", lambda message: "Refused to" in message.text and refusals.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    return page, refusals


def assert_nothing_refused(page: Page, refusals: list[str]) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == [], page.url
    assert refusals == [], page.url


def sign_in(page: Page, live_server, user: User) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_the_main_pages_load_without_any_policy_violation(watched, live_server, nurse, care_plan):
    page, refusals = watched
    fill_like_a_real_plan(care_plan, nurse)
    plan = f"{live_server.url}/plans/{care_plan.pk}/"

    page.goto(f"{live_server.url}/")
    assert_nothing_refused(page, refusals)
    sign_in(page, live_server, nurse)
    expect(page.get_by_role("heading", name="Your patients")).to_be_visible()
    assert_nothing_refused(page, refusals)
    for url in (
        plan,
        f"{plan}history/",
        f"{plan}print/",
        f"{plan}time/",
        f"{live_server.url}/notifications/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        assert_nothing_refused(page, refusals)
    page.goto(plan)
    expect(page.locator("svg.goal-chart").first).to_be_visible()
    assert_nothing_refused(page, refusals)


def test_htmx_actions_work_under_the_policy(watched, live_server, nurse, care_plan):
    page, refusals = watched
    medication = factories.MedicationFactory(plan=care_plan)
    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/plans/{care_plan.pk}/")
    row = page.locator(f"#medication-{medication.pk}")

    # Edit in place: the form is swapped in, posted with the CSRF token from app.js, and the row swapped back.
    page.get_by_role("link", name="Edit Metformin 500 mg").click()
    row.get_by_label("Dose").fill("850 mg")
    row.get_by_role("button", name="Save changes").click()

    expect(row).to_contain_text("850 mg")
    medication.refresh_from_db()
    assert medication.dose == "850 mg"
    assert_nothing_refused(page, refusals)


def test_the_api_docs_run_under_the_policy(watched, live_server, nurse):
    page, refusals = watched
    sign_in(page, live_server, nurse)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.get_by_text("/api/v1/goals/").first).to_be_visible()
    assert_nothing_refused(page, refusals)


def test_the_admin_runs_under_the_policy(watched, live_server, care_plan):
    page, refusals = watched
    admin = factories.UserFactory(username="ada.admin", is_staff=True, is_superuser=True)
    sign_in(page, live_server, admin)

    for url in (
        "/admin/",
        "/admin/patients/patient/",
        f"/admin/patients/patient/{care_plan.patient_id}/change/",
    ):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        assert_nothing_refused(page, refusals)
