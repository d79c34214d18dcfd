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
