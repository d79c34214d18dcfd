"""FHIR import: POST a care-plan Bundle to /fhir/Patient/{id}/careplan creates or updates the plan."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from careplans.models import ActionStep, CareTeamMember, Goal, GoalMeasurement, Problem
from tests import factories
from tests.api.fhir_helpers import full_plan, resources, validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(nurse) -> APIClient:
    client = APIClient()
    client.force_login(nurse)
    return client


@pytest.fixture
def plan(care_plan, nurse, physician):
    return full_plan(care_plan, nurse=nurse, physician=physician)


@pytest.fixture
def empty_patient(team):
    """A new patient on the same team, with the empty draft plan every registered patient gets."""
    return factories.CarePlanFactory(
        patient=factories.PatientFactory(team=team), status="draft", what_matters_most=""
    ).patient


def url(patient_id, **query) -> str:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/fhir/Patient/{patient_id}/careplan{suffix}"


def export(api, patient_id, **query) -> dict:
    response = api.get(url(patient_id, **query))
    assert response.status_code == 200, response.content
    return validate(response.json()) and response.json()


def post(api, patient_id, bundle: Any, **kwargs):
    return api.post(url(patient_id), json.dumps(bundle), content_type="application/fhir+json", **kwargs)


def normalised(bundle: dict) -> list[dict]:
    """The Bundle without what differs between two databases: ids, versions, the patient, sign-offs."""
    names = {}
    for index, entry in enumerate(bundle["entry"]):
        names[entry["fullUrl"]] = f"{entry['resource']['resourceType']}#{index}"
    text = json.dumps([e["resource"] for e in bundle["entry"]])
    text = re.sub(r'"urn:uuid:[0-9a-f-]+"', lambda m: json.dumps(names.get(m.group(0).strip('"'), "?")), text)
    out = []
    for resource in json.loads(text):
        if resource["resourceType"] in ("Patient", "Provenance"):
            continue
        resource.pop("id", None)
        resource.get("meta", {}).pop("versionId", None)
        if not resource.get("meta"):
            resource.pop("meta", None)
        resource.pop("identifier", None)
        for participant in resource.get("participant", []):
            participant["extension"] = [
                e for e in participant["extension"] if not e["url"].endswith(("/identifier", "/version"))
            ]
        out.append(resource)
    return out


def test_importing_an_export_into_an_empty_plan_and_exporting_again_gives_an_equivalent_bundle(
    api, plan, empty_patient
):
    release = plan.information_releases.get(covers_part2=True)
    first = export(api, plan.patient_id, release=release.pk)
    response = post(api, empty_patient.pk, first)
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    second = export(
        api, empty_patient.pk, release=empty_patient.care_plan.information_releases.get(covers_part2=True).pk
    )
    assert normalised(second) == normalised(first)
    assert len(second["entry"]) == len(first["entry"])


def test_reimporting_the_same_bundle_updates_instead_of_duplicating(api, plan):
    bundle = export(api, plan.patient_id)
    counts = (
        Problem.objects.count(),
        Goal.objects.count(),
        ActionStep.objects.count(),
        GoalMeasurement.objects.count(),
    )
    response = post(api, plan.patient_id, bundle)
    assert response.status_code == 200, response.content
    assert (
        Problem.objects.count(),
        Goal.objects.count(),
        ActionStep.objects.count(),
        GoalMeasurement.objects.count(),
    ) == counts
    summary = response.json()["issue"][0]["diagnostics"]
    assert summary.startswith("Imported: 0 created, 0 updated")
    # The export left the Part 2 problem out; the goal's link to it is kept, not cut.
    goal = plan.goals.get(description__startswith="Get my sugar")
    assert set(goal.problems.values_list("condition", flat=True)) == {
        "Type 2 diabetes",
        "Opioid use disorder",
    }


def test_an_edited_bundle_changes_the_records_through_the_services_with_history(api, plan, nurse):
    bundle = export(api, plan.patient_id)
    goal = next(g for g in resources(bundle, "Goal") if g["description"]["text"].startswith("Get my sugar"))
    goal["target"][0]["detailQuantity"]["value"] = 7.5
    goal["lifecycleStatus"] = "on-hold"
    goal["statusReason"] = "Waiting for the endocrinology visit."
    response = post(api, plan.patient_id, bundle)
    assert response.status_code == 200, response.content
    record = Goal.objects.get(pk=int(goal["identifier"][0]["value"]))
    assert str(record.target_value) == "7.50"
    assert record.status == "on_hold" and record.status_reason == "Waiting for the endocrinology visit."
    assert record.updated_by == nurse
    assert record.events.count() >= 3  # created, changed, moved on hold: each recorded by pghistory


def test_a_stale_version_in_the_bundle_is_a_409_and_nothing_changes(api, plan):
    bundle = export(api, plan.patient_id)
    condition = resources(bundle, "Condition")[0]
    problem = Problem.objects.get(pk=int(condition["identifier"][0]["value"]))
    Problem.objects.filter(pk=problem.pk).update(
        prognosis="Changed by a colleague", version=problem.version + 1
    )
    condition["extension"] = [e for e in condition["extension"] if not e["url"].endswith("/prognosis")]
    goal = resources(bundle, "Goal")[0]
    goal["description"]["text"] = "Changed in the same import"
    response = post(api, plan.patient_id, bundle)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "conflict"
    assert not Goal.objects.filter(description="Changed in the same import").exists()


def test_what_cannot_be_mapped_is_reported_with_its_path_and_the_rest_is_imported(api, plan, empty_patient):
    bundle = export(api, plan.patient_id)
    condition = resources(bundle, "Condition")[0]
    condition["bodySite"] = [{"text": "Pancreas"}]
    condition["extension"].append({"url": "https://example.org/unknown", "valueString": "?"})
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:1e8d3b54-0c0a-4d2f-9d2e-4c9f0d1b2a3c",
            "resource": {"resourceType": "AllergyIntolerance", "patient": {"display": "Ada"}},
        }
    )
    index = next(i for i, e in enumerate(bundle["entry"]) if e["resource"] is condition)
    response = post(api, empty_patient.pk, bundle)
    assert response.status_code == 201, response.content
    issues = response.json()["issue"]
    unmapped = {i["expression"][0]: i["diagnostics"] for i in issues if i["code"] == "not-supported"}
    assert f"Bundle.entry[{index}].resource.bodySite" in unmapped
    assert f"Bundle.entry[{index}].resource.extension[{len(condition['extension']) - 1}]" in unmapped
    assert f"Bundle.entry[{len(bundle['entry']) - 1}].resource" in unmapped
    assert empty_patient.care_plan.problems.filter(condition="Type 2 diabetes").exists()


def test_a_sign_off_is_reported_and_not_imported(api, plan, physician, empty_patient):
    from careplans import services

    services.record_plan_review(
        plan=plan, actor=physician, context="visit", patient_present=True, summary="Fine."
    )
    bundle = export(api, plan.patient_id)
    assert resources(bundle, "Provenance")
    response = post(api, empty_patient.pk, bundle)
    assert response.status_code == 201
    assert any("sign-off is not imported" in i["diagnostics"] for i in response.json()["issue"])
    assert not empty_patient.care_plan.reviews.exists()


def test_bad_json_is_a_400_operation_outcome(api, plan):
    response = api.post(url(plan.patient_id), "{not json", content_type="application/fhir+json")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "collection", "entry": "nope"},
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"no": "type"}}]},
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "Nonsense"}}],
        },
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Goal"}}]},
    ],
)
def test_a_malformed_bundle_is_a_422_operation_outcome_never_a_500(api, plan, body):
    response = post(api, plan.patient_id, body)
    assert response.status_code == 422, response.content
    issues = response.json()["issue"]
    assert issues and all(i["severity"] == "error" for i in issues)


def test_a_record_the_services_refuse_is_a_422_naming_the_entry_and_nothing_is_imported(
    api, plan, empty_patient
):
    bundle = export(api, plan.patient_id)
    goal = resources(bundle, "Goal")[0]
    goal["target"][0].pop("measure")  # a target value without a measure
    index = next(i for i, e in enumerate(bundle["entry"]) if e["resource"] is goal)
    response = post(api, empty_patient.pk, bundle)
    assert response.status_code == 422, response.content
    (issue,) = response.json()["issue"]
    assert issue["expression"] == [f"Bundle.entry[{index}].resource"]
    assert "measure" in issue["diagnostics"]
    assert not empty_patient.care_plan.problems.exists()


def test_a_practitioner_who_is_not_on_the_team_cannot_be_made_responsible(api, plan, nurse):
    bundle = export(api, plan.patient_id)
    practitioner = next(
        p for p in resources(bundle, "Practitioner") if p["identifier"][0]["value"] == nurse.username
    )
    practitioner["identifier"][0]["value"] = "someone.else"
    response = post(api, plan.patient_id, bundle)
    assert response.status_code == 422
    assert "practitioner of this patient's team" in response.content.decode()


def test_an_outsider_gets_404_and_an_anonymous_caller_401_and_nothing_is_imported(
    api, plan, outsider, empty_patient
):
    bundle = export(api, plan.patient_id)
    client = APIClient()
    client.force_login(outsider)
    assert post(client, empty_patient.pk, bundle).status_code == 404
    assert post(APIClient(), empty_patient.pk, bundle).status_code == 401
    assert not empty_patient.care_plan.goals.exists()


def test_ended_items_come_back_ended_with_their_reason(api, plan, empty_patient):
    member = plan.care_team.first()
    CareTeamMember.objects.filter(pk=member.pk).update(status="ended", status_reason="Moved away.")
    bundle = copy.deepcopy(export(api, plan.patient_id))
    assert post(api, empty_patient.pk, bundle).status_code == 201
    ended = empty_patient.care_plan.care_team.get(status="ended")
    assert ended.status_reason == "Moved away."
    resolved = empty_patient.care_plan.problems.get(condition="Heart failure")
    assert (resolved.status, resolved.status_reason) == ("resolved", "Echo normal after treatment.")


def test_a_measurement_marked_entered_in_error_in_the_bundle_is_marked_so_with_its_reason(api, plan):
    bundle = export(api, plan.patient_id)
    (observation,) = resources(bundle, "Observation")
    observation["status"] = "entered-in-error"
    observation["extension"].append(
        {"url": "https://careweave.org/fhir/StructureDefinition/status-reason", "valueString": "Wrong meter."}
    )
    response = post(api, plan.patient_id, bundle)
    assert response.status_code == 200, response.content
    measurement = GoalMeasurement.objects.get(pk=int(observation["identifier"][0]["value"]))
    assert (measurement.status, measurement.status_reason) == ("entered_in_error", "Wrong meter.")


def test_a_nul_character_or_an_overlong_identifier_is_refused_or_ignored_never_a_500(
    api, plan, empty_patient
):
    bundle = export(api, plan.patient_id)
    resources(bundle, "Goal")[0]["description"]["text"] = "Walk\u0000daily"
    response = post(api, empty_patient.pk, bundle)
    assert response.status_code == 422
    assert "NUL" in response.json()["issue"][0]["diagnostics"]
    bundle = export(api, plan.patient_id)
    resources(bundle, "Condition")[0]["identifier"][0]["value"] = "9" * 40
    assert post(api, empty_patient.pk, bundle).status_code == 201
