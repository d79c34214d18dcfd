"""In a browser: the sign-in, password-again, authenticator set-up, second-factor and lockout pages work
and pass axe."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def fill_sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_a_nurse_sets_up_an_authenticator_app_and_is_asked_for_a_code_next_time(page, live_server, nurse):
    cache.clear()
    page.goto(live_server.url + reverse("login"))
    assert serious_violations(page) == [], "sign-in page"
    fill_sign_in(page, nurse.username)
    expect(page).to_have_url(live_server.url + reverse("home"))

    page.goto(live_server.url + reverse("mfa_activate_totp"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Confirm Access"))
    assert serious_violations(page) == [], "password-again page"
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Activate Authenticator App"))
    assert serious_violations(page) == [], "authenticator set-up page"
    secret = page.get_by_label("Authenticator secret").input_value()
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    page.get_by_label("Authenticator code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Activate").click()
    assert Authenticator.objects.filter(user=nurse, type=Authenticator.Type.TOTP).exists()

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.goto(live_server.url + reverse("login"))
    fill_sign_in(page, nurse.username)
    expect(page).to_have_url(live_server.url + reverse("mfa_authenticate"))
    expect(page.get_by_label("Code")).to_be_visible()
    assert serious_violations(page) == [], "second-factor page"


def test_the_lockout_page_says_what_happened_and_passes_axe(page, live_server, physician):
    cache.clear()
    for _ in range(5):
        page.goto(live_server.url + reverse("login"))
        fill_sign_in(page, physician.username, "not the right password")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in locked for now")
    expect(page.get_by_role("alert")).to_contain_text("locked for 15 minutes")
    assert serious_violations(page) == [], "lockout page"
