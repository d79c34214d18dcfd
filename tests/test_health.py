"""`/healthz` tells a load balancer or a container runtime whether this process can serve."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_and_broker_answer(client, settings):
    response = client.get("/healthz")

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert "no-store" in response["Cache-Control"]


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_unavailable_when_the_broker_does_not_answer(client):
    response = client.get("/healthz")

    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True


def test_unavailable_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(connection, "cursor", refuse)  # a fault injected at the driver boundary

    response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"] == {"ok": False, "error": "OperationalError"}


@override_settings(ALLOWED_HOSTS=["careweave.example.org"], SECURE_SSL_REDIRECT=True)
def test_answers_a_container_healthcheck_on_plain_http_with_any_host(client):
    response = client.get("/healthz", HTTP_HOST="localhost:8000")

    assert response.status_code == 200


def test_needs_no_sign_in_and_sets_no_cookie(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert not response.cookies


def test_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
