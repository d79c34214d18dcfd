"""Helpers shared by the care-management specs: enrol a patient through the real service."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from careplans import ccm
from careplans.ccm_models import ProgramEnrolment


def enrol(
    patient, *, actor, practitioner, program="ccm", started_on=None, complex_care=False
) -> ProgramEnrolment:
    started_on = started_on or timezone.localdate().replace(day=1)
    return ccm.enrol_patient(
        patient=patient,
        actor=actor,
        program=program,
        complex_care=complex_care,
        consent_method="verbal",
        consent_obtained_by=actor,
        consent_obtained_at=timezone.make_aware(datetime.datetime.combine(started_on, datetime.time(9))),
        informed_cost_sharing=True,
        informed_one_practitioner=True,
        informed_right_to_stop=True,
        billing_practitioner=practitioner,
        started_on=started_on,
    )


@pytest.fixture
def code_rules(db):
    """The 2025-2026 code rules, loaded again by their data migration's own function.

    The migration loads them into the test database, but browser tests (transactional) empty
    every table when they finish, so a test that needs the rules asks for them.
    """
    migration = importlib.import_module("careplans.migrations.0008_billing_code_rules_2025_2026")
    migration.load_rules(apps, None)
