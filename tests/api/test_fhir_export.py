"""FHIR export: GET /fhir/Patient/{id}/careplan answers the plan as an R4 collection Bundle."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from careplans import fhir
from teams import services as team_services
from tests import factories
from tests.api.fhir_helpers import all_text, full_plan, resources, validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(nurse) -> APIClient:
    client = APIClient()
    client.force_login(nurse)
    return client


@pytest.fixture
def plan(care_plan, nurse, physician):
    return full_plan(care_plan, nurse=nurse, physician=physician)


def url(plan, **query) -> str:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/fhir/Patient/{plan.patient_id}/careplan{suffix}"


def export(api, plan, **query) -> dict:
    response = api.get(url(plan, **query))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = json.loads(response.content)
    validate(bundle)
    return bundle


def test_the_export_is_a_collection_bundle_that_validates_against_the_r4_models(api, plan):
    bundle = export(api, plan)
    assert bundle["type"] == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {
        "Patient",
        "Practitioner",
        "CarePlan",
        "Condition",
        "Goal",
        "Observation",
        "Task",
        "MedicationRequest",
        "ServiceRequest",
        "CareTeam",
        "Consent",
    }
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])


def test_the_care_plan_is_us_core_shaped_and_references_real_resources_never_inline_detail(api, plan):
    bundle = export(api, plan)
    (care_plan,) = resources(bundle, "CarePlan")
    assert care_plan["status"] == "active" and care_plan["intent"] == "plan"
    assert care_plan["category"][0]["coding"][0]["code"] == "assess-plan"
    assert care_plan["text"]["status"] == "generated"
    assert "Loves to cook" in care_plan["text"]["div"]
    urls = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    assert all("detail" not in activity for activity in care_plan["activity"])
    activity_types = {urls[a["reference"]["reference"]] for a in care_plan["activity"]}
    assert activity_types == {"Task", "MedicationRequest", "ServiceRequest"}
    assert {urls[a["reference"]] for a in care_plan["addresses"]} == {"Condition"}
    assert {urls[g["reference"]] for g in care_plan["goal"]} == {"Goal"}
    # Every reference in the Bundle points at an entry of the Bundle.
    text = all_text(bundle)
    for reference in set(__import__("re").findall(r'"reference": "([^"]+)"', text)):
        assert reference in urls, reference


def test_a_goal_carries_status_target_due_date_expressed_by_and_the_problems_it_addresses(api, plan):
    bundle = export(api, plan)
    goal = next(g for g in resources(bundle, "Goal") if g["description"]["text"].startswith("Get my sugar"))
    assert goal["lifecycleStatus"] == "active"
    assert goal["achievementStatus"]["coding"][0]["code"] == "in-progress"
    (target,) = goal["target"]
    assert target["measure"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "4548-4",
        "display": "Hemoglobin A1c/Hemoglobin.total in Blood",
    }
    assert target["detailQuantity"] == {"value": 8, "unit": "%", "comparator": "<"}
    assert target["dueDate"] == (timezone.localdate() + datetime.timedelta(days=150)).isoformat()
    assert goal["expressedBy"]["reference"] == resources(bundle, "Patient")[0]["id"].join(["urn:uuid:", ""])
    conditions = {c["id"]: c["code"]["text"] for c in resources(bundle, "Condition")}
    addressed = [conditions[a["reference"].removeprefix("urn:uuid:")] for a in goal["addresses"]]
    assert addressed == ["Type 2 diabetes"]  # the Part 2 problem it also addresses is left out
    (observation,) = resources(bundle, "Observation")
    assert observation["valueQuantity"] == {"value": 8.7, "unit": "%"}
    assert goal["outcomeReference"] == [{"reference": f"urn:uuid:{observation['id']}"}]


def test_the_care_team_has_roles_and_members_and_ended_items_keep_their_status(api, plan):
    bundle = export(api, plan)
    (team,) = resources(bundle, "CareTeam")
    roles = {p["role"][0]["coding"][0]["code"]: p for p in team["participant"]}
    assert set(roles) == {"specialist", "physician"}
    assert roles["specialist"]["member"] == {"display": "Dr. Outside Cardiologist"}
    assert roles["physician"]["role"][0]["text"] == "Reviews the plan at each visit."
    practitioners = {f"urn:uuid:{p['id']}": p for p in resources(bundle, "Practitioner")}
    assert practitioners[roles["physician"]["member"]["reference"]]["name"][0]["family"] == "Physician"
    resolved = next(c for c in resources(bundle, "Condition") if c["code"]["text"] == "Heart failure")
    assert resolved["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert resolved["code"]["coding"][0]["system"] == "http://snomed.info/sct"


def test_part2_items_are_left_out_by_default_with_everything_that_points_at_them(api, plan):
    text = all_text(export(api, plan))
    for secret in (
        "Opioid use disorder",
        "Buprenorphine",
        "Stay in recovery",
        "Attend group",
        "Harbor Recovery Clinic",
        "Harbor Peers",
        "Sam Sponsor",
        "42CFRPart2",
        "42 CFR part 2",
    ):
        assert secret not in text


def test_part2_items_are_included_with_a_covering_release_and_the_redisclosure_notice(api, plan):
    release = plan.information_releases.get(covers_part2=True)
    bundle = export(api, plan, release=release.pk)
    text = all_text(bundle)
    for secret in ("Opioid use disorder", "Buprenorphine", "Stay in recovery", "Harbor Peers", "Sam Sponsor"):
        assert secret in text
    assert bundle["meta"]["security"][0]["code"] == "42CFRPart2"
    (care_plan,) = resources(bundle, "CarePlan")
    assert care_plan["note"] == [{"text": fhir.REDISCLOSURE_NOTICE}]
    medication = next(
        m for m in resources(bundle, "MedicationRequest") if "Bup" in m["medicationCodeableConcept"]["text"]
    )
    assert medication["meta"]["security"][0]["code"] == "42CFRPart2"


def test_the_notice_is_the_one_the_printed_plan_carries():
    from careplans import pdf

    assert fhir.REDISCLOSURE_NOTICE == pdf.PART2_NOTICE  # the text templates/pdf/patient_plan.html prints


@pytest.mark.parametrize("which", ["general", "expired", "revoked", "other-plan", "not-a-number"])
def test_a_release_that_does_not_cover_part2_is_refused_with_422(api, plan, which):
    if which == "general":
        release = plan.information_releases.get(covers_part2=False).pk
    elif which == "not-a-number":
        release = "abc"
    else:
        other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=plan.patient.team))
        release_item = factories.InformationReleaseFactory(
            plan=other_plan if which == "other-plan" else plan, covers_part2=True
        )
        if which == "expired":
            type(release_item).objects.filter(pk=release_item.pk).update(
                expires_on=timezone.localdate() - datetime.timedelta(days=1)
            )
        if which == "revoked":
            type(release_item).objects.filter(pk=release_item.pk).update(status="revoked")
        release = release_item.pk
    response = api.get(url(plan, release=release))
    assert response.status_code == 422
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "42 CFR Part 2" in body["issue"][0]["diagnostics"]
    assert "Opioid" not in response.content.decode()


def test_an_outsider_gets_404_and_an_anonymous_caller_401(plan, outsider):
    client = APIClient()
    client.force_login(outsider)
    response = client.get(url(plan))
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
    assert APIClient().get(url(plan)).status_code == 401
    assert client.get("/fhir/Patient/not-a-uuid/careplan").status_code == 404


def test_a_token_reads_the_export_like_the_api(plan, nurse):
    _, raw = team_services.create_api_token(user=nurse, name="fhir")
    client = APIClient()
    response = client.get(url(plan), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert client.get(url(plan), HTTP_AUTHORIZATION="Bearer cw_wrong").status_code == 401


def test_html_and_script_in_a_goal_stay_text_in_the_json_and_are_escaped_in_the_narrative(api, care_plan):
    factories.GoalFactory(plan=care_plan, description='<script>alert("x")</script><b>bold</b>')
    care_plan.what_matters_most = "<img src=x onerror=alert(1)>"
    care_plan.save()
    bundle = export(api, care_plan)
    (goal,) = resources(bundle, "Goal")
    assert goal["description"]["text"] == '<script>alert("x")</script><b>bold</b>'
    (plan_resource,) = resources(bundle, "CarePlan")
    assert "<img" not in plan_resource["text"]["div"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in plan_resource["text"]["div"]


def test_the_export_takes_the_same_number_of_queries_for_a_small_and_a_large_plan(
    api, nurse, physician, team
):
    small = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    factories.GoalFactory(plan=small)
    large = full_plan(
        factories.CarePlanFactory(patient=factories.PatientFactory(team=team)),
        nurse=nurse,
        physician=physician,
    )
    for _ in range(5):
        goal = factories.GoalFactory(
            plan=large, responsible_party="team_member", responsible_member=physician
        )
        factories.ActionStepFactory(plan=large, goal=goal)
        factories.ProblemFactory(plan=large)
        factories.CommunityServiceFactory(plan=large)
    api.get(url(small))  # warm up the session and content types
    with CaptureQueriesContext(connection) as small_queries:
        export(api, small)
    with CaptureQueriesContext(connection) as large_queries:
        export(api, large)
    assert len(large_queries) == len(small_queries)


def test_the_plan_page_has_a_labelled_fhir_export_link_that_downloads_the_bundle(nurse, care_plan):
    from django.test import Client

    client = Client()
    client.force_login(nurse)
    page = client.get(f"/plans/{care_plan.pk}/").content.decode()
    link = f'href="/fhir/Patient/{care_plan.patient_id}/careplan"'
    assert link in page
    assert "FHIR export" in page.split(link, 1)[1].split("</a>", 1)[0]
    assert client.get(f"/fhir/Patient/{care_plan.patient_id}/careplan").json()["resourceType"] == "Bundle"
