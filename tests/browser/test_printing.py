"""A nurse prints the plan from the browser: options, waiting, download; axe finds nothing serious."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from careplans.models import PlanPrintout
from tests.browser.test_accessibility import PASSWORD, serious_violations
from tests.factories import MedicationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_prints_the_plan_in_spanish_and_downloads_it(page, live_server, nurse, care_plan):
    MedicationFactory(plan=care_plan, name="Lisinopril")
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("careplans:plan-detail", args=[care_plan.pk]))

    page.get_by_role("link", name="Print for the patient (PDF)…").click()
    page.wait_for_url(live_server.url + reverse("careplans:plan-print", args=[care_plan.pk]))
    assert serious_violations(page) == [], "print page"
    page.get_by_label("Language").select_option("es")
    page.get_by_label("How it is delivered").select_option("mailed")
    page.get_by_role("button", name="Make the PDF").click()

    download_link = page.get_by_role("link", name="Download the PDF")
    expect(download_link).to_be_visible(timeout=30_000)
    assert serious_violations(page) == [], "print page with a printout"
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    printout = PlanPrintout.objects.get()
    assert (printout.language, printout.delivery, printout.requested_by) == ("es", "mailed", nurse)
