"""The cast: a nurse and a physician on the patient's team, and an outsider on another team."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from careplans.models import CarePlan
from teams.models import CareRole, Team, User
from tests import factories

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls in browser tests are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Assertions wait up to 10 s rather than 5: on a busy two-core CI machine a debounced search can take longer.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's chromium: Playwright cannot download its own browser here."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture
def team(db) -> Team:
    return factories.TeamFactory(name="Maple Team")


@pytest.fixture
def nurse(team) -> User:
    user = factories.UserFactory(
        username="nina.nurse", first_name="Nina", last_name="Nurse", credentials="RN"
    )
    factories.MembershipFactory(user=user, team=team, role=CareRole.NURSE_CARE_MANAGER)
    return user


@pytest.fixture
def physician(team) -> User:
    user = factories.UserFactory(
        username="phil.physician", first_name="Phil", last_name="Physician", credentials="MD"
    )
    factories.MembershipFactory(user=user, team=team, role=CareRole.PHYSICIAN)
    return user


@pytest.fixture
def outsider(db) -> User:
    """A nurse on a team in another practice, who must see nothing of our patients."""
    user = factories.UserFactory(username="olga.outsider", first_name="Olga", last_name="Outsider")
    factories.MembershipFactory(user=user, role=CareRole.NURSE_CARE_MANAGER)
    return user


@pytest.fixture
def care_plan(team) -> CarePlan:
    return factories.CarePlanFactory(
        patient=factories.PatientFactory(team=team, given_name="Ada", family_name="Lovelace")
    )
