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


def test_search_by_the_start_of_an_mrn_in_any_case_finds_every_patient_it_begins(team, nurse):
    first = factories.PatientFactory(team=team, family_name="Abara", mrn="SC0001201")
    second = factories.PatientFactory(team=team, family_name="Bello", mrn="SC0001299")
    factories.PatientFactory(team=team, family_name="Cole", mrn="SC0001300")
    factories.PatientFactory(
        team=team, family_name="Dunn", mrn="XSC0001205"
    )  # contains it, does not begin with it
    factories.PatientFactory(family_name="Egan", mrn="SC0001250")  # another team

    assert list(selectors.panel_for(nurse, query="sc00012")) == [first, second]
    assert list(selectors.panel_for(nurse, query="SC0001299", limit=101)) == [second]


def test_a_limited_panel_keeps_the_order_and_cuts_after_ranking(team, nurse):
    names = ["Young", "Youngblood", "Yount", "Adams", "Baker"]
    for name in names:
        factories.PatientFactory(team=team, family_name=name, given_name="Pat")

    assert [p.family_name for p in selectors.panel_for(nurse, limit=3)] == ["Adams", "Baker", "Young"]
    best = selectors.panel_for(nurse, query="young", limit=2)
    assert [p.family_name for p in best] == [
        p.family_name for p in selectors.panel_for(nurse, query="young")
    ][:2]
    assert best[0].family_name == "Young"


def test_a_limited_panel_is_the_same_few_queries_for_any_number_of_matches(
    team, nurse, django_assert_num_queries
):
    for n in range(3):
        factories.PatientFactory(team=team, family_name=f"Young{n}")
    with django_assert_num_queries(1):
        small = list(selectors.panel_for(nurse, query="young", limit=101))
    for n in range(30):
        factories.PatientFactory(team=team, family_name=f"Younger{n}")
    with django_assert_num_queries(1):
        large = list(selectors.panel_for(nurse, query="young", limit=101))
    assert [len(small), len(large)] == [3, 33]
