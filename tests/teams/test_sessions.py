"""Sessions end after 15 minutes without activity (background polling is not activity), 12 hours after
signing in however active, at sign-out, and everywhere at once when the account is deactivated."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from teams.models import UserSession

pytestmark = pytest.mark.django_db

HOME = reverse("home")
BADGE = reverse("careplans:notification-badge")
BACKGROUND = {"X-Careweave-Background": "1", "HX-Request": "true"}
MORNING = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def signed_in(client: Client) -> bool:
    return client.get(HOME).status_code == 200


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def test_the_limits_are_15_minutes_idle_and_12_hours_in_all():
    assert settings.SESSION_IDLE_TIMEOUT == 15 * 60
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60


def test_each_request_she_makes_keeps_her_signed_in(client, nurse, clock):
    client.force_login(nurse)
    for _ in range(4):
        clock.shift(minutes(14))
        assert signed_in(client)


def test_her_activity_is_written_to_the_session_at_most_once_a_minute(client, nurse, clock):
    client.force_login(nurse)
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date == MORNING + minutes(15)

    clock.shift(datetime.timedelta(seconds=59))
    assert signed_in(client)
    session.refresh_from_db()
    assert session.expire_date == MORNING + minutes(15), "no write within a minute of the last"

    clock.shift(datetime.timedelta(seconds=2))
    assert signed_in(client)
    session.refresh_from_db()
    assert session.expire_date == MORNING + datetime.timedelta(seconds=61) + minutes(15)


def test_so_her_session_may_end_up_to_a_minute_early_never_late(client, nurse, clock):
    client.force_login(nurse)
    clock.shift(datetime.timedelta(seconds=50))
    assert signed_in(client)  # not written: 50 seconds after the activity written at sign-in

    clock.shift(minutes(14) + datetime.timedelta(seconds=20))  # 15 min 10 s after the written activity

    assert not signed_in(client)


def test_after_15_minutes_without_a_request_she_is_signed_out(client, nurse, clock):
    client.force_login(nurse)
    key = client.session.session_key

    clock.shift(minutes(15.5))

    assertRedirects(client.get(HOME), f"{reverse('login')}?next={HOME}", fetch_redirect_response=False)
    assert not Session.objects.filter(session_key=key, expire_date__gt=MORNING + minutes(15.5)).exists()


def test_an_htmx_request_after_the_idle_limit_gets_the_session_ended_notice(client, nurse, clock):
    client.force_login(nurse)
    clock.shift(minutes(16))

    response = client.get(BADGE, headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response["HX-Retarget"] == "#session-notice"


def test_background_polling_does_not_keep_her_signed_in(client, nurse, clock):
    client.force_login(nurse)
    for _ in range(7):  # the badge refreshes every two minutes while she is away from the desk
        clock.shift(minutes(2))
        assert client.get(BADGE, headers=BACKGROUND).status_code == 200

    clock.shift(minutes(2))  # 16 minutes since her last own request

    assert not signed_in(client)


def test_the_badge_on_every_page_is_marked_as_background(client, nurse):
    client.force_login(nurse)
    assertContains(client.get(HOME), """hx-headers='{"X-Careweave-Background": "1"}'""")


def test_12_hours_after_signing_in_she_is_signed_out_however_active(client, nurse, clock):
    client.force_login(nurse)
    for _ in range(71):  # a request every 10 minutes: never idle
        clock.shift(minutes(10))
        assert client.get(BADGE).status_code == 200, "signed out too early"

    clock.shift(minutes(11))  # 12 hours and 1 minute after signing in

    assert not signed_in(client)


def test_signing_in_again_starts_a_new_12_hours(client, nurse, clock):
    client.force_login(nurse)
    clock.shift(datetime.timedelta(hours=11, minutes=55))
    client.force_login(nurse)
    clock.shift(minutes(10))
    assert signed_in(client)


def test_signing_out_ends_the_session_on_the_server(client, nurse):
    client.force_login(nurse)
    key = client.session.session_key
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(reverse("logout"))

    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie  # a copy of the old cookie no longer works
    assert not signed_in(client)


def test_signing_out_by_get_is_not_possible(client, nurse):
    client.force_login(nurse)
    client.get(reverse("logout"))
    assert signed_in(client)


def test_deactivating_an_account_ends_all_its_sessions_at_once(nurse, physician):
    desk, laptop, colleague = Client(), Client(), Client()
    desk.force_login(nurse)
    laptop.force_login(nurse)
    colleague.force_login(physician)
    assert UserSession.objects.filter(user=nurse).count() == 2

    nurse.is_active = False
    nurse.save()

    assert not signed_in(desk)
    assert not signed_in(laptop)
    assert signed_in(colleague)
    assert not UserSession.objects.filter(user=nurse).exists()
    assert Session.objects.count() == 1


def test_signing_in_through_the_form_records_the_session(client, nurse):
    client.post(reverse("login"), {"login": "nina.nurse", "password": "correct horse battery staple"})

    assert UserSession.objects.get(user=nurse).session_key == client.session.session_key


def test_a_new_password_ends_her_other_sessions(nurse):
    desk, laptop = Client(), Client()
    desk.force_login(nurse)
    laptop.force_login(nurse)

    nurse.set_password("a completely new passphrase")
    nurse.save()

    assert not signed_in(laptop)
    assert not signed_in(desk)
