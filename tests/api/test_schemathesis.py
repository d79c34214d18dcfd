"""Schemathesis against the live schema: no 5xx, and every response matches what the schema declares."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from teams import services
from tests import factories

# The same generator that serves /api/schema/, read without a signed-in request at import time.
schema = schemathesis.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))),
    app=application,
)


CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request; the test's transaction needs it.

    Django's own test client disconnects the same signal.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(keep_test_connection, nurse, team):
    plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    factories.ProblemFactory(plan=plan)
    factories.GoalFactory(plan=plan)
    nurse.is_staff = True
    nurse.save(update_fields=["is_staff"])
    _, raw = services.create_api_token(user=nurse, name="schemathesis")
    return raw


@pytest.mark.django_db
@schema.parametrize(endpoint="^/api/v1/")
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_every_generated_request_as_its_schema_says(case, token):
    response = case.call_wsgi(headers={"Authorization": f"Bearer {token}"})
    # Anonymous and revoked access is specified in test_api_tokens.py; here: no 5xx, and schema conformance.
    case.validate_response(response, checks=CHECKS)


@pytest.fixture
def patient_id(token, team):
    plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    factories.GoalFactory(plan=plan)
    return str(plan.patient_id)


@pytest.mark.django_db
@schema.parametrize(endpoint="^/fhir/")
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_fhir_endpoints_answer_every_generated_request_as_their_schema_says(case, token, patient_id):
    # A random patient id is only ever a 404; half the cases name a real patient so bodies reach the import.
    if case.path_parameters and hash(json.dumps(case.body, sort_keys=True, default=str)) % 2 == 0:
        case.path_parameters["patient_id"] = patient_id
    # The token authenticates. A generated session cookie with a NUL byte makes the database session
    # store fail before any view runs (a 500 on every URL, not this endpoint's): reported separately.
    case.cookies = {}
    response = case.call_wsgi(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)
