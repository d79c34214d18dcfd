"""The app's database role can add to the history and the access log, never change or remove them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from psycopg import errors

from patients import services
from patients.access_log import record_access
from patients.management.commands.grant_app_role import append_only_tables
from patients.models import AccessEvent, Patient

pytestmark = pytest.mark.django_db
ROLE = "careweave_app_test"  # rolled back with the test's transaction, like everything else here


@pytest.fixture
def app_role(db):
    call_command("grant_app_role", role=ROLE, stdout=None)
    return ROLE


def as_app(statement: str, params: list | None = None) -> None:
    """Run `statement` as the app's role (on failure, the caller's savepoint rollback ends the role)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{ROLE}"')
        cursor.execute(statement, params)
        cursor.execute("RESET ROLE")


def refused_as_app(statement: str, params: list | None = None) -> BaseException:
    with (
        pytest.raises(ProgrammingError) as refused,
        transaction.atomic(),
    ):  # a savepoint: the role ends with it
        as_app(statement, params)
    return refused.value.__cause__


def test_every_pghistory_event_table_and_the_access_log_are_append_only():
    tables = append_only_tables()
    assert "patients_accessevent" in tables
    assert {"patients_patientevent", "careplans_careplanevent", "careplans_planprintoutevent"} <= set(tables)


def test_the_app_role_changes_a_patient_and_its_history_is_written(app_role, care_plan, nurse):
    patient = care_plan.patient
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{ROLE}"')
        services.update_patient(
            patient=patient, expected_version=1, actor=nurse, changes={"phone": "555-0100"}
        )
        record_access(None, patient, subtype="read", agent=nurse)
        cursor.execute("RESET ROLE")

    assert Patient.objects.get().phone == "555-0100"
    assert patient.events.filter(phone="555-0100").exists()
    assert AccessEvent.objects.filter(patient=patient).exists()


def test_the_app_role_may_not_update_or_delete_history(app_role, care_plan):
    for statement in ("UPDATE patients_patientevent SET phone = 'x'", "DELETE FROM patients_patientevent"):
        assert isinstance(refused_as_app(statement), errors.InsufficientPrivilege), statement
    assert isinstance(refused_as_app("TRUNCATE careplans_careplanevent"), errors.InsufficientPrivilege)


def test_the_app_role_may_not_update_or_delete_the_access_log(app_role, care_plan, nurse):
    record_access(None, care_plan.patient, subtype="read", agent=nurse)

    for statement in ("UPDATE patients_accessevent SET outcome = 0", "DELETE FROM patients_accessevent"):
        assert isinstance(refused_as_app(statement), errors.InsufficientPrivilege), statement
    assert AccessEvent.objects.count() == 1


def test_the_app_role_may_not_delete_history_context(app_role):
    assert isinstance(refused_as_app("DELETE FROM pghistory_context"), errors.InsufficientPrivilege)


def test_running_the_command_again_changes_nothing(app_role, care_plan):
    call_command("grant_app_role", role=ROLE, stdout=None)

    assert isinstance(refused_as_app("DELETE FROM patients_accessevent"), errors.InsufficientPrivilege)
    as_app("SELECT count(*) FROM patients_patient")
