"""Registering patients and keeping their details current."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from careplans.models import CarePlan
from patients import selectors, services
from patients.models import Patient, RelatedPerson
from teams.records import StaleVersionError
from tests import factories
from tests.history import latest_context

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "mrn": "N000123",
    "given_name": "Grace",
    "family_name": "Hopper",
    "date_of_birth": datetime.date(1956, 12, 9),
    "preferred_language": "es",
    "large_print": True,
}


def test_a_team_member_registers_a_patient_with_a_draft_plan(team, nurse):
    patient = services.register_patient(team=team, actor=nurse, values=NEW_PATIENT)

    assert patient.organization == team.organization
    assert patient.care_plan.status == CarePlan.Status.DRAFT
    assert patient.created_by == nurse
    assert latest_context(patient)["user"] == nurse.pk


def test_an_outsider_cannot_register_a_patient_on_another_team(team, outsider):
    with pytest.raises(PermissionDenied):
        services.register_patient(team=team, actor=outsider, values=NEW_PATIENT)
    assert not Patient.objects.filter(mrn="N000123").exists()


def test_the_mrn_is_unique_within_the_practice(team, nurse):
    services.register_patient(team=team, actor=nurse, values=NEW_PATIENT)
    with pytest.raises(ValidationError) as error:
        services.register_patient(team=team, actor=nurse, values={**NEW_PATIENT, "given_name": "Other"})
    assert "Patient with this Organization and MRN already exists." in str(error.value)


def test_a_date_of_birth_in_the_future_is_refused(team, nurse):
    with pytest.raises(ValidationError) as error:
        services.register_patient(
            team=team, actor=nurse, values={**NEW_PATIENT, "date_of_birth": datetime.date(2999, 1, 1)}
        )
    assert error.value.message_dict["date_of_birth"] == ["The date of birth cannot be in the future."]


def test_details_are_updated_with_history_and_stale_edits_refused(care_plan, nurse, physician):
    patient = care_plan.patient
    services.update_patient(
        patient=patient, expected_version=1, actor=nurse, changes={"pronouns": "she/her"}, reason="Asked"
    )

    with pytest.raises(StaleVersionError):
        services.update_patient(
            patient=patient, expected_version=1, actor=physician, changes={"pronouns": "they"}
        )

    patient.refresh_from_db()
    assert patient.pronouns == "she/her"
    assert latest_context(patient) == {"user": nurse.pk, "reason": "Asked"}


def test_a_patient_leaves_the_panel_with_a_reason_never_deleted(care_plan, nurse):
    patient = care_plan.patient
    with pytest.raises(ValidationError):
        services.update_patient(
            patient=patient, expected_version=1, actor=nurse, changes={"status": "transferred"}
        )

    services.update_patient(
        patient=patient,
        expected_version=1,
        actor=nurse,
        changes={"status": "transferred", "status_reason": "Moved to another state"},
    )
    assert Patient.objects.get(pk=patient.pk).status == "transferred"


def test_an_outsider_cannot_see_or_edit_the_patient(care_plan, outsider):
    with pytest.raises(Http404):
        selectors.get_patient_for_user(outsider, care_plan.patient_id)
    assert not selectors.patients_visible_to(outsider).exists()
    with pytest.raises(PermissionDenied):
        services.update_patient(
            patient=care_plan.patient, expected_version=1, actor=outsider, changes={"pronouns": "x"}
        )


def test_a_caregiver_is_added_edited_and_ended(care_plan, nurse):
    patient = care_plan.patient
    person = services.add_related_person(
        patient=patient,
        actor=nurse,
        values={"name": "Sam Lovelace", "relationship": "son", "is_caregiver": True},
    )
    services.update_related_person(
        person=person, expected_version=1, actor=nurse, changes={"phone": "555-0199"}
    )
    with pytest.raises(StaleVersionError):
        services.update_related_person(person=person, expected_version=1, actor=nurse, changes={"phone": "x"})

    ended = services.end_related_person(person=person, expected_version=2, actor=nurse, reason="Moved abroad")

    assert ended.status == RelatedPerson.Status.ENDED
    assert latest_context(ended)["reason"] == "Moved abroad"


def test_search_finds_patients_by_name_mrn_and_birth_date(team, nurse):
    patient = factories.PatientFactory(
        team=team,
        family_name="Okonkwo",
        given_name="Chidi",
        mrn="Q123",
        date_of_birth=datetime.date(1950, 3, 4),
    )
    factories.PatientFactory(team=team, family_name="Smith", given_name="Jane")
    factories.PatientFactory(family_name="Okonkwo", given_name="Stranger")  # another team

    assert list(selectors.panel_for(nurse, query="okonk")) == [patient]
    assert list(selectors.panel_for(nurse, query="Q123")) == [patient]
    assert list(selectors.panel_for(nurse, query="1950-03-04")) == [patient]
