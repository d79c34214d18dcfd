"""The patient's caregivers and related people, added, edited and ended in place on the plan page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from patients import services
from patients.models import RelatedPerson
from tests import factories
from tests.history import latest_context

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def daughter(care_plan, nurse) -> RelatedPerson:
    return services.add_related_person(
        patient=care_plan.patient,
        actor=nurse,
        values={
            "name": "Grace Lovelace",
            "relationship": "daughter",
            "phone": "555-0101",
            "is_caregiver": True,
        },
    )


def person_url(name: str, plan, person=None) -> str:
    args = [plan.pk] if person is None else [plan.pk, person.pk]
    return reverse(f"careplans:{name}", args=args)


def test_adding_a_caregiver_shows_the_section_with_them(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(
        person_url("person-new", care_plan),
        {
            "name": "Ben Okafor",
            "relationship": "neighbour",
            "phone": "555-0199",
            "is_emergency_contact": "on",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#related-people"
    assertContains(response, "Ben Okafor")
    assertContains(response, "Emergency contact")
    person = care_plan.patient.related_people.get()
    assert (person.created_by, person.is_emergency_contact) == (nurse, True)


def test_a_person_without_a_name_is_refused_beside_the_field_and_nothing_typed_is_lost(
    client, nurse, care_plan
):
    client.force_login(nurse)

    response = client.post(
        person_url("person-new", care_plan), {"relationship": "neighbour", "phone": "555-0199"}, headers=HTMX
    )

    assert response.status_code == 422
    assertContains(response, 'id="related-person-new-name_error"', status_code=422)
    assertContains(response, 'value="555-0199"', status_code=422)
    assert not care_plan.patient.related_people.exists()


def test_editing_a_person_changes_only_what_was_changed(client, nurse, care_plan, daughter):
    client.force_login(nurse)
    form = client.get(person_url("person-edit", care_plan, daughter), headers=HTMX)
    assertContains(form, 'value="Grace Lovelace"')

    response = client.post(
        person_url("person-edit", care_plan, daughter),
        {
            "version": "1",
            "name": "Grace Lovelace",
            "relationship": "daughter",
            "phone": "555-0102",
            "is_caregiver": "on",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    daughter.refresh_from_db()
    assert (daughter.phone, daughter.version, daughter.updated_by) == ("555-0102", 2, nurse)


def test_a_stale_edit_is_a_conflict(client, nurse, physician, care_plan, daughter):
    client.force_login(nurse)
    services.update_related_person(
        person=daughter, expected_version=1, actor=physician, changes={"phone": "555-0777"}
    )

    response = client.post(
        person_url("person-edit", care_plan, daughter),
        {"version": "1", "name": "Grace Lovelace", "relationship": "daughter", "phone": "555-0102"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assertContains(response, "555-0777", status_code=409)
    assertContains(response, "555-0102", status_code=409)


def test_ending_a_person_needs_a_reason_and_keeps_them_listed_as_ended(client, nurse, care_plan, daughter):
    client.force_login(nurse)
    url = person_url("person-end", care_plan, daughter)

    refused = client.post(url, {"version": "1", "status": "ended", "reason": ""}, headers=HTMX)
    response = client.post(url, {"version": "1", "status": "ended", "reason": "Moved abroad"}, headers=HTMX)

    assert refused.status_code == 422
    assert response.status_code == 200
    assertContains(response, "Ended (1)")
    assertContains(response, "Reason: Moved abroad")
    assertNotContains(response, "Reopen…")
    daughter.refresh_from_db()
    assert (daughter.status, latest_context(daughter)["reason"]) == ("ended", "Moved abroad")


def test_cancel_puts_the_row_back(client, nurse, care_plan, daughter):
    client.force_login(nurse)

    response = client.get(
        reverse("careplans:item-detail", args=[care_plan.pk, "related-person", daughter.pk]), headers=HTMX
    )

    assertContains(response, f'id="related-person-{daughter.pk}"')
    assertContains(response, 'Edit<span class="visually-hidden"> Grace Lovelace (daughter)')


def test_an_outsider_and_another_patients_plan_get_not_found(
    client, nurse, outsider, team, care_plan, daughter
):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    client.force_login(outsider)
    assert client.get(person_url("person-edit", care_plan, daughter)).status_code == 404
    assert (
        client.post(person_url("person-new", care_plan), {"name": "X", "relationship": "y"}).status_code
        == 404
    )

    client.force_login(nurse)
    assert client.get(person_url("person-edit", other_plan, daughter)).status_code == 404
    assert client.get(person_url("person-end", other_plan, daughter)).status_code == 404
    assert (
        client.get(
            reverse("careplans:item-reopen", args=[care_plan.pk, "related-person", daughter.pk])
        ).status_code
        == 404
    )
