"""Personal API tokens: created on the account page, shown once, stored hashed, refused once revoked."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from teams import services
from teams.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_nurse_creates_a_token_that_is_shown_once_and_stored_only_as_a_hash(client, nurse):
    client.force_login(nurse)
    response = client.post("/account/api-tokens/", {"name": "EHR sync"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    token = ApiToken.objects.get(user=nurse)
    assert raw not in token.key_hash and token.key_hash == services.hash_api_token(raw)
    assert raw.encode() in response.content
    assert raw.encode() not in client.get("/account/api-tokens/").content


def test_a_token_without_a_name_is_refused_with_422(client, nurse):
    client.force_login(nurse)
    assert client.post("/account/api-tokens/", {"name": ""}).status_code == 422
    assert not ApiToken.objects.exists()


def test_a_token_calls_the_api_as_its_owner_and_records_its_use(nurse, care_plan):
    _, raw = services.create_api_token(user=nurse, name="script")
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get(f"/api/v1/plans/{care_plan.pk}/")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_is_refused_with_401(client, nurse, care_plan):
    token, raw = services.create_api_token(user=nurse, name="script")
    client.force_login(nurse)
    client.post(f"/account/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"/api/v1/plans/{care_plan.pk}/")
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_only_the_owner_can_revoke_a_token(client, nurse, outsider):
    token, _ = services.create_api_token(user=nurse, name="script")
    client.force_login(outsider)
    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_anonymous_api_calls_are_401_with_a_bearer_challenge(care_plan):
    response = APIClient().get("/api/v1/plans/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
