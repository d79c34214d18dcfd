"""Pages with patient data are never stored by the browser, a proxy or htmx's history cache."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_for_signed_in_users_are_never_stored(client, nurse, care_plan):
    client.force_login(nurse)
    for url in (reverse("home"), reverse("careplans:plan-detail", args=[care_plan.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], url


def test_htmx_keeps_no_history_cache_of_pages(client, nurse):
    client.force_login(nurse)
    html = client.get(reverse("home")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1)
    assert json.loads(config)["historyCacheSize"] == 0


def test_an_htmx_request_after_the_session_ended_gets_a_notice_not_the_sign_in_page(client, care_plan):
    response = client.get(
        reverse("careplans:plan-detail", args=[care_plan.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 401
    assert response["HX-Retarget"] == "#session-notice"
    assert "Sign in again in a new tab" in response.content.decode()


def test_without_htmx_a_signed_out_request_still_goes_to_sign_in(client, care_plan):
    plan_url = reverse("careplans:plan-detail", args=[care_plan.pk])

    response = client.get(plan_url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
