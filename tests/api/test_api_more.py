"""API v1, the rest of issue 7: goal measurements, plan reviews and sign-off, item status, and who sees the docs."""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from careplans.models import GoalMeasurement, PlanVersion
from tests import factories
from tests.test_deployment import production_env, run

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def api(nurse) -> APIClient:
    return client_for(nurse)


@pytest.fixture
def goal(care_plan):
    return factories.GoalFactory(plan=care_plan)


def measure(api, goal, **values):
    body = {
        "goal": goal.pk,
        "value": "8.4",
        "measured_on": timezone.localdate().isoformat(),
        "source": "lab",
        **values,
    }
    return api.post("/api/v1/goal-measurements/", body, format="json")


# ---- Goal measurements.


def test_a_nurse_records_a_measurement_and_gets_201_with_location_and_etag(api, goal, nurse):
    response = measure(api, goal)
    assert response.status_code == 201, response.content
    measurement = GoalMeasurement.objects.get()
    assert (measurement.value, measurement.source, measurement.created_by) == (Decimal("8.40"), "lab", nurse)
    assert response["Location"].endswith(f"/api/v1/goal-measurements/{measurement.pk}/")
    assert response["ETag"] == '"1"'
    listed = api.get(f"/api/v1/goal-measurements/?goal={goal.pk}").json()
    assert [m["id"] for m in listed["results"]] == [measurement.pk]


def test_a_measurement_dated_in_the_future_is_a_400_naming_the_field(api, goal):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = measure(api, goal, measured_on=tomorrow)
    assert response.status_code == 400
    assert "measured_on" in response.json()["errors"]
    assert not GoalMeasurement.objects.exists()


def test_a_goal_without_a_measure_cannot_take_a_value(api, care_plan):
    goal = factories.GoalFactory(
        plan=care_plan, measure="", unit="", baseline_value=None, target_comparator="", target_value=None
    )
    response = measure(api, goal)
    assert response.status_code == 400
    assert "value" in response.json()["errors"]


def test_marking_a_measurement_in_error_needs_the_version_and_a_reason(api, goal):
    measurement_id = measure(api, goal).json()["id"]
    path = f"/api/v1/goal-measurements/{measurement_id}/entered-in-error/"
    assert api.post(path, {"reason": "Wrong patient"}, format="json").status_code == 428
    assert api.post(path, {"reason": "Wrong patient"}, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    assert api.post(path, {"reason": ""}, format="json", HTTP_IF_MATCH='"1"').status_code == 400
    response = api.post(path, {"reason": "Wrong patient"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "entered_in_error"
    assert response["ETag"] == '"2"'
    assert GoalMeasurement.objects.get().status_reason == "Wrong patient"


def test_an_outsider_cannot_see_or_add_measurements_of_another_team(outsider, goal, nurse):
    measurement_id = measure(client_for(nurse), goal).json()["id"]
    client = client_for(outsider)
    assert client.get(f"/api/v1/goal-measurements/{measurement_id}/").status_code == 404
    assert client.get("/api/v1/goal-measurements/").json()["count"] == 0
    response = measure(client, goal)  # another team's goal is "does not exist", like an unknown id
    assert response.status_code == 400
    assert response.json()["errors"]["goal"] == [f'Invalid pk "{goal.pk}" - object does not exist.']
    response = client.post(
        f"/api/v1/goal-measurements/{measurement_id}/entered-in-error/",
        {"reason": "x"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 404
    assert GoalMeasurement.objects.count() == 1


def test_anonymous_callers_get_401(goal):
    assert APIClient().get("/api/v1/goal-measurements/").status_code == 401


# ---- Plan reviews and sign-off.


def review_body(**values):
    return {"context": "visit", "patient_present": True, "summary": "Sugars improving.", **values}


def sign_off(client, plan, body=None, *, version=None):
    """POST a sign-off naming the plan version read (If-Match), as every API write does."""
    plan.refresh_from_db()
    return client.post(
        f"/api/v1/plans/{plan.pk}/reviews/",
        body or review_body(),
        format="json",
        HTTP_IF_MATCH=f'"{plan.version if version is None else version}"',
    )


def test_a_physician_signs_off_the_plan_and_it_freezes_a_version(physician, care_plan):
    client = client_for(physician)
    response = sign_off(client, care_plan)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reviewer"] == physician.pk and body["reviewer_role"] == "physician"
    assert PlanVersion.objects.get(plan=care_plan).signed_by == physician
    listed = client.get(f"/api/v1/plans/{care_plan.pk}/reviews/").json()
    assert [r["id"] for r in listed] == [body["id"]]


def test_a_nurse_may_not_sign_off_on_a_team_where_physicians_sign(api, care_plan):
    response = sign_off(api, care_plan)
    assert response.status_code == 403
    assert "signed off by" in response.json()["detail"]
    assert not care_plan.reviews.exists()


def test_a_sign_off_needs_the_version_read_and_a_stale_one_signs_nothing(physician, care_plan):
    client = client_for(physician)
    missing = client.post(f"/api/v1/plans/{care_plan.pk}/reviews/", review_body(), format="json")
    assert missing.status_code == 428
    stale = sign_off(client, care_plan, version=care_plan.version - 1)
    assert stale.status_code == 412
    assert stale.json()["current"]["version"] == care_plan.version
    assert stale["ETag"] == f'"{care_plan.version}"'
    assert not care_plan.reviews.exists() and not PlanVersion.objects.filter(plan=care_plan).exists()


def test_a_review_without_a_summary_is_a_400(physician, care_plan):
    response = sign_off(client_for(physician), care_plan, review_body(summary=""))
    assert response.status_code == 400
    assert "summary" in response.json()["errors"]


def test_an_outsider_gets_404_for_another_teams_reviews(outsider, care_plan):
    client = client_for(outsider)
    assert client.get(f"/api/v1/plans/{care_plan.pk}/reviews/").status_code == 404
    assert (
        client.post(f"/api/v1/plans/{care_plan.pk}/reviews/", review_body(), format="json").status_code == 404
    )
    assert sign_off(client, care_plan).status_code == 404
    assert client.get("/api/v1/plans/not-a-plan/reviews/").status_code == 404


# ---- Item status.


def test_a_referral_moves_to_active_with_if_match(api, care_plan):
    service = factories.CommunityServiceFactory(plan=care_plan)
    path = f"/api/v1/community-services/{service.pk}/status/"
    assert api.post(path, {"status": "active"}, format="json").status_code == 428
    response = api.post(path, {"status": "active"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    assert api.post(path, {"status": "referred"}, format="json", HTTP_IF_MATCH='"1"').status_code == 412


def test_moving_to_an_end_status_is_refused_it_needs_end_with_a_reason(api, care_plan):
    service = factories.CommunityServiceFactory(plan=care_plan)
    response = api.post(
        f"/api/v1/community-services/{service.pk}/status/",
        {"status": "completed"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_an_outsider_cannot_move_an_item(outsider, care_plan):
    service = factories.CommunityServiceFactory(plan=care_plan)
    response = client_for(outsider).post(
        f"/api/v1/community-services/{service.pk}/status/",
        {"status": "active"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 404


# ---- The schema and its docs.

DOCS_PROBE = """
import json, django
django.setup()
from django.conf import settings
# Production serves hashed static names from collectstatic's manifest, which tests do not build;
# the names of the Swagger UI's files do not change who may open the page.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.test import APIRequestFactory, force_authenticate
from teams.models import User
views = {"/api/schema/": SpectacularAPIView.as_view(), "/api/docs/": SpectacularSwaggerView.as_view(url_name="api-schema")}
people = {"anonymous": None, "member": User(pk=1, username="m"), "staff": User(pk=2, username="s", is_staff=True)}
out = {}
for path, view in views.items():
    for who, user in people.items():
        request = APIRequestFactory().get(path, HTTP_HOST="careweave.example.org", secure=True)
        if user is not None:
            force_authenticate(request, user=user)
        out[f"{path} {who}"] = view(request).status_code
print(json.dumps(out))
"""


def probe_docs(**env: str) -> dict[str, int]:
    result = run(sys.executable, "-c", DOCS_PROBE, env={**production_env(), **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_schema_and_docs_are_staff_only_with_production_settings():
    codes = probe_docs()
    for path in ("/api/schema/", "/api/docs/"):
        assert codes[f"{path} anonymous"] == 401
        assert codes[f"{path} member"] == 403
        assert codes[f"{path} staff"] == 200


def test_while_debugging_any_signed_in_user_reads_the_schema():
    codes = probe_docs(DEBUG="true")
    assert codes["/api/schema/ member"] == 200
    assert codes["/api/schema/ anonymous"] == 401
