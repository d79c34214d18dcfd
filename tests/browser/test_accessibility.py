"""axe-core finds no serious or critical accessibility violation on any page."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.factories import ITEM_FACTORIES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def test_every_page_passes_axe(page, live_server, nurse, care_plan):
    for factory in ITEM_FACTORIES.values():
        factory(plan=care_plan)

    page.goto(live_server.url + reverse("login"))
    assert serious_violations(page) == [], "login page"

    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():  # to the loaded page: htmx binds its triggers on load
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + reverse("home"))
    assert serious_violations(page) == [], "home page"

    page.goto(live_server.url + reverse("careplans:plan-detail", args=[care_plan.pk]))
    assert serious_violations(page) == [], "plan page"
