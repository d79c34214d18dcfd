"""API v1: reading and changing the sections of a care plan over HTTP, through the same services as the pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from careplans.models import Goal, Problem
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(nurse) -> APIClient:
    client = APIClient()
    client.force_login(nurse)
    return client


@pytest.fixture
def problem(care_plan) -> Problem:
    return factories.ProblemFactory(plan=care_plan)


def assert_problem_body(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status
    return body


def test_a_nurse_reads_a_problem_of_her_team_with_its_version_as_etag(api, problem):
    response = api.get(f"/api/v1/problems/{problem.pk}/")
    assert response.status_code == 200
    assert response.json()["condition"] == "Type 2 diabetes"
    assert response["ETag"] == f'"{problem.version}"'


def test_an_outsider_gets_404_for_another_teams_problem_and_an_empty_list(outsider, problem):
    client = APIClient()
    client.force_login(outsider)
    assert_problem_body(client.get(f"/api/v1/problems/{problem.pk}/"), 404)
    assert client.get("/api/v1/problems/").json()["count"] == 0
    assert_problem_body(client.get(f"/api/v1/plans/{problem.plan_id}/"), 404)


def test_an_outsider_cannot_add_to_another_teams_plan(outsider, care_plan):
    client = APIClient()
    client.force_login(outsider)
    response = client.post(
        "/api/v1/problems/", {"plan": str(care_plan.pk), "condition": "Gout"}, format="json"
    )
    # The same field error as for a plan that exists nowhere: the answer does not confirm the plan exists.
    body = assert_problem_body(response, 400)
    assert body["errors"]["plan"] == [f'Invalid pk "{care_plan.pk}" - object does not exist.']
    assert not care_plan.problems.exists()


def test_anonymous_callers_are_refused(problem):
    response = APIClient().get(f"/api/v1/problems/{problem.pk}/")
    assert response.status_code in (401, 403)
    assert_problem_body(response, response.status_code)


def test_creating_a_goal_returns_201_with_location_and_etag(api, care_plan):
    response = api.post(
        "/api/v1/goals/",
        {"plan": str(care_plan.pk), "description": "Walk to the park and back."},
        format="json",
    )
    assert response.status_code == 201, response.content
    goal = Goal.objects.get()
    assert response["Location"].endswith(f"/api/v1/goals/{goal.pk}/")
    assert response["ETag"] == '"1"'
    assert goal.created_by is not None


def test_a_missing_field_is_a_400_with_the_field_named(api, care_plan):
    body = assert_problem_body(api.post("/api/v1/problems/", {"plan": str(care_plan.pk)}, format="json"), 400)
    assert "condition" in body["errors"]


def test_an_edit_without_if_match_is_428(api, problem):
    assert_problem_body(
        api.patch(f"/api/v1/problems/{problem.pk}/", {"prognosis": "Fair"}, format="json"), 428
    )
    problem.refresh_from_db()
    assert problem.prognosis != "Fair"


def test_an_edit_with_the_current_version_is_saved_and_answers_the_new_etag(api, problem):
    response = api.patch(
        f"/api/v1/problems/{problem.pk}/", {"prognosis": "Fair"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    problem.refresh_from_db()
    assert (problem.prognosis, problem.version) == ("Fair", 2)


def test_an_edit_with_a_stale_version_is_412_with_the_current_record(api, problem):
    api.patch(f"/api/v1/problems/{problem.pk}/", {"prognosis": "Fair"}, format="json", HTTP_IF_MATCH='"1"')
    response = api.patch(
        f"/api/v1/problems/{problem.pk}/", {"prognosis": "Poor"}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    body = assert_problem_body(response, 412)
    assert body["current"]["prognosis"] == "Fair"
    assert response["ETag"] == '"2"'
    problem.refresh_from_db()
    assert problem.prognosis == "Fair"


def test_ending_needs_a_reason_and_keeps_the_item_on_record(api, problem):
    url = f"/api/v1/problems/{problem.pk}/end/"
    body = assert_problem_body(api.post(url, {"status": "resolved"}, format="json", HTTP_IF_MATCH='"1"'), 400)
    assert "status_reason" in body["errors"]
    response = api.post(
        url, {"status": "resolved", "reason": "A1c normal"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    reopened = api.post(
        f"/api/v1/problems/{problem.pk}/reopen/", {"reason": "Back up"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert reopened.json()["status"] == "active"


def test_delete_is_not_allowed(api, problem):
    assert_problem_body(api.delete(f"/api/v1/problems/{problem.pk}/"), 405)
    assert Problem.objects.filter(pk=problem.pk).exists()


def test_the_status_cannot_be_set_by_an_edit(api, problem):
    api.patch(f"/api/v1/problems/{problem.pk}/", {"status": "resolved"}, format="json", HTTP_IF_MATCH='"1"')
    problem.refresh_from_db()
    assert problem.status == "active"


def test_a_step_cannot_point_at_a_goal_of_another_plan(api, care_plan):
    other_goal = factories.GoalFactory(plan=factories.CarePlanFactory(patient__team=care_plan.patient.team))
    body = assert_problem_body(
        api.post(
            "/api/v1/action-steps/",
            {
                "plan": str(care_plan.pk),
                "goal": other_goal.pk,
                "description": "Walk",
                "due_date": "2027-01-05",
            },
            format="json",
        ),
        400,
    )
    assert "goal" in body["errors"]


def test_lists_are_paginated_and_filtered_by_patient_and_status(api, care_plan, team):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    factories.ProblemFactory(plan=care_plan)
    factories.ProblemFactory(plan=care_plan, status="resolved")
    factories.ProblemFactory(plan=other_plan)
    body = api.get("/api/v1/problems/", {"patient": care_plan.patient_id, "status": "active"}).json()
    assert body["count"] == 1
    assert {"next", "previous", "results"} <= set(body)
    assert api.get("/api/v1/problems/", {"plan": str(other_plan.pk)}).json()["count"] == 1


def test_an_unknown_status_filter_is_a_400_not_an_empty_list(api):
    body = assert_problem_body(api.get("/api/v1/problems/", {"status": "bogus"}), 400)
    assert "status" in body["errors"]


def test_the_plan_itself_is_edited_with_if_match(api, care_plan):
    url = f"/api/v1/plans/{care_plan.pk}/"
    etag = api.get(url)["ETag"]
    response = api.patch(url, {"what_matters_most": "Seeing my grandson"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    care_plan.refresh_from_db()
    assert care_plan.what_matters_most == "Seeing my grandson"


def test_every_section_has_an_endpoint(api, care_plan):
    for segment in (
        "problems",
        "goals",
        "action-steps",
        "medications",
        "symptom-plans",
        "community-services",
        "care-team",
        "information-releases",
        "education",
    ):
        assert api.get(f"/api/v1/{segment}/").status_code == 200, segment


def test_a_plan_id_that_is_not_a_uuid_is_a_404(api):
    assert_problem_body(api.get("/api/v1/plans/0/"), 404)
