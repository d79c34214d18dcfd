"""The OpenAPI schema and its browsable docs, and schemathesis against the live schema."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_every_write_declares_the_concurrency_and_validation_answers():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    patch = schema["paths"]["/api/v1/problems/{id}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    assert "201" in schema["paths"]["/api/v1/goals/"]["post"]["responses"]


def test_the_schema_and_docs_are_served_to_signed_in_users(client, nurse):
    client.force_login(nurse)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
