"""Signing in: username or email, no self-signup, lockout per account and address, a second factor,
strong passwords, and the password again before changing email or the second factor."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from config import settings as project_settings
from teams.models import User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HOME = reverse("home")
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth counts attempts in the cache; each test starts from none."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client, login: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"login": login, "password": password}, REMOTE_ADDR=ip)


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def with_totp(user: User) -> str:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(user, secret)
    return secret


# Signing in


def test_a_nurse_signs_in_with_her_username(client, nurse):
    assertRedirects(sign_in(client, "nina.nurse"), HOME, fetch_redirect_response=False)
    assert client.get(HOME).status_code == 200


def test_a_nurse_signs_in_with_her_email_address(client, nurse):
    assertRedirects(sign_in(client, "NINA.NURSE@example.org"), HOME, fetch_redirect_response=False)


def test_a_wrong_password_is_refused_with_a_clear_message(client, nurse):
    response = sign_in(client, "nina.nurse", "not her password at all")
    assertContains(response, "The username and/or password you specified are not correct.")
    assert client.get(HOME).status_code == 302


def test_the_session_key_changes_when_signing_in(client, nurse):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    sign_in(client, "nina.nurse")
    assert client.session.session_key != before


def test_nobody_can_sign_themselves_up(client):
    response = client.post(
        reverse("account_signup"),
        {"username": "mallory", "email": "m@example.org", "password1": "a" * 20, "password2": "a" * 20},
    )
    assertContains(response, "Sign Up Closed")
    assert not User.objects.filter(username="mallory").exists()


# Lockout: five wrong passwords lock that account from that address, for 15 minutes


def test_five_wrong_passwords_lock_the_account_from_that_address(client, nurse):
    for _ in range(4):
        assert sign_in(client, "nina.nurse", "wrong password, try again").status_code == 200
    assert sign_in(client, "nina.nurse", "wrong password, try again").status_code == 429  # the fifth locks

    response = sign_in(client, "nina.nurse")

    assert response.status_code == 429
    assertContains(response, "Sign-in locked for now", status_code=429)
    assert client.get(HOME).status_code == 302  # the right password did not sign her in


def test_a_locked_account_can_still_sign_in_from_another_address(client, nurse):
    for _ in range(5):
        sign_in(client, "nina.nurse", "wrong password, try again", ip="203.0.113.9")

    assertRedirects(sign_in(client, "nina.nurse", ip="10.0.0.1"), HOME, fetch_redirect_response=False)


def test_another_user_at_the_same_address_is_not_locked(client, nurse, physician):
    for _ in range(5):
        sign_in(client, "nina.nurse", "wrong password, try again")

    assertRedirects(sign_in(client, "phil.physician"), HOME, fetch_redirect_response=False)


def test_wrong_passwords_by_email_and_by_username_count_together(client, nurse):
    for login in ["nina.nurse@example.org", "nina.nurse"] * 2 + ["Nina.Nurse@example.org"]:
        sign_in(client, login, "wrong password, try again")

    assert sign_in(client, "nina.nurse").status_code == 429


def test_the_lock_ends_after_15_minutes(client, nurse):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(5):
            sign_in(client, "nina.nurse", "wrong password, try again")
        clock.shift(datetime.timedelta(minutes=14))
        assert sign_in(client, "nina.nurse").status_code == 429
        clock.shift(datetime.timedelta(minutes=2))
        assertRedirects(sign_in(client, "nina.nurse"), HOME, fetch_redirect_response=False)


# A second factor


def test_with_totp_the_password_alone_does_not_sign_in(client, nurse):
    secret = with_totp(nurse)

    response = sign_in(client, "nina.nurse")

    assertRedirects(response, reverse("mfa_authenticate"), fetch_redirect_response=False)
    assert client.get(HOME).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assertRedirects(response, HOME, fetch_redirect_response=False)
    assert client.get(HOME).status_code == 200


def test_a_totp_code_cannot_be_used_twice(client, nurse):
    secret = with_totp(nurse)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, 1, tzinfo=datetime.UTC), tick=False):
        code = current_code(secret)
        sign_in(client, "nina.nurse")
        client.post(reverse("mfa_authenticate"), {"code": code})
        client.post(reverse("logout"))

        sign_in(client, "nina.nurse")
        response = client.post(reverse("mfa_authenticate"), {"code": code})

    assertContains(response, "Incorrect code.")
    assert client.get(HOME).status_code == 302


def test_a_recovery_code_signs_in_once(client, nurse):
    with_totp(nurse)
    code = RecoveryCodes.activate(nurse).get_unused_codes()[0]

    sign_in(client, "nina.nurse")
    assertRedirects(
        client.post(reverse("mfa_authenticate"), {"code": code}), HOME, fetch_redirect_response=False
    )
    client.post(reverse("logout"))

    sign_in(client, "nina.nurse")
    assertContains(client.post(reverse("mfa_authenticate"), {"code": code}), "Incorrect code.")


def test_the_admin_sign_in_goes_through_the_same_form_and_second_factor(client, nurse):
    nurse.is_staff = True
    nurse.save()
    with_totp(nurse)

    response = client.post(reverse("admin:login"), {"username": "nina.nurse", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_password_reset_does_not_skip_the_second_factor(client, nurse, mailoutbox):
    with_totp(nurse)
    client.post(reverse("account_reset_password"), {"email": "nina.nurse@example.org"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new_password = "plum kettle orbit wander"

    client.post(form_url, {"password1": new_password, "password2": new_password})

    assert client.get(HOME).status_code == 302  # the reset did not sign her in
    assertRedirects(
        sign_in(client, "nina.nurse", new_password),
        reverse("mfa_authenticate"),
        fetch_redirect_response=False,
    )
    assert client.get(HOME).status_code == 302


@override_settings(MFA_REQUIRED=True)
def test_when_mfa_is_required_a_user_without_it_is_sent_to_set_it_up(client, nurse, care_plan):
    client.force_login(nurse)
    setup = reverse("mfa_activate_totp")

    assertRedirects(client.get(HOME), setup, fetch_redirect_response=False)
    assertRedirects(
        client.get(reverse("careplans:plan-detail", args=[care_plan.pk])),
        setup,
        fetch_redirect_response=False,
    )
    assert client.get(HOME, headers=HTMX)["HX-Redirect"] == setup
    assert client.get("/api/v1/patients/").status_code == 403
    assert client.get(reverse("account_change_password")).status_code in {200, 302}  # account pages stay open


@override_settings(MFA_REQUIRED=True)
def test_setting_up_totp_opens_the_workspace(client, nurse):
    sign_in(client, "nina.nurse")
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))  # the password once more
    assertRedirects(
        client.post(response["Location"], {"password": PASSWORD}),
        reverse("mfa_activate_totp"),
        fetch_redirect_response=False,
    )
    response = client.get(reverse("mfa_activate_totp"))
    assertContains(response, "Authenticator code")
    secret = client.session["mfa.totp.secret"]

    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=nurse, type=Authenticator.Type.TOTP).exists()
    assert client.get(HOME).status_code == 200


@override_settings(MFA_REQUIRED=False)
def test_in_development_the_requirement_is_off_and_the_demo_signs_in_with_a_password(client, nurse):
    sign_in(client, "nina.nurse")
    assert client.get(HOME).status_code == 200


def test_mfa_is_required_by_default_when_debug_is_off():
    assert project_settings.env_bool("MFA_REQUIRED", not False) is True
    source = (settings.BASE_DIR / "config" / "settings.py").read_text()
    assert 'MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)' in source


# The password again before changing email or the second factor


def test_changing_email_asks_for_the_password_again(client, nurse):
    new_address = {"action_add": "", "email": "nina@elsewhere.example"}
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        sign_in(client, "nina.nurse")
        response = client.post(reverse("account_email"), new_address)
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert not nurse.emailaddress_set.filter(email="nina@elsewhere.example").exists()

        assert client.post(response["Location"], {"password": "not her password at all"}).status_code == 200
        client.post(response["Location"], {"password": PASSWORD})  # then the change goes through
        assert nurse.emailaddress_set.filter(email="nina@elsewhere.example").exists()

        clock.shift(datetime.timedelta(minutes=6))  # the confirmation lasts five minutes
        response = client.post(reverse("account_email"), {"action_add": "", "email": "nina@third.example"})
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert not nurse.emailaddress_set.filter(email="nina@third.example").exists()


def test_turning_off_totp_asks_for_the_password_again(client, nurse):
    with_totp(nurse)
    client.force_login(nurse)  # not through the sign-in form: no recent password on record

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert (
        reverse("account_reauthenticate") in response["Location"]
        or reverse("mfa_reauthenticate") in response["Location"]
    )
    assert Authenticator.objects.filter(user=nurse, type=Authenticator.Type.TOTP).exists()


def test_setting_up_totp_asks_for_the_password_again(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


# Passwords


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short but ok 1", "at least 15 characters"),
        ("1q2w3e4r5t6y7u8i9o0p", "too common"),
        ("nina.nurse.example", "too similar"),
    ],
)
def test_weak_passwords_are_refused(nurse, password, message):
    with pytest.raises(ValidationError, match=message):
        validate_password(password, user=nurse)


def test_a_long_uncommon_password_is_accepted(nurse):
    validate_password("plum kettle orbit wander", user=nurse)


def test_passwords_are_stored_with_argon2():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        assert identify_hasher(make_password("plum kettle orbit wander")).algorithm == "argon2"


def test_a_new_user_from_the_factory_can_sign_in(client):
    factories.UserFactory(username="new.starter")
    assertRedirects(sign_in(client, "new.starter"), HOME, fetch_redirect_response=False)
