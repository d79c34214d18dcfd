"""The Django admin: every model is there for a superuser, and patient data cannot be deleted from it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from pghistory.models import Event

from careplans.models import Problem
from teams.models import User
from teams.records import VersionedRecord
from tests.factories import ITEM_FACTORIES

pytestmark = pytest.mark.django_db

PHI_APPS = {"patients", "careplans"}


def admin_url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def never_deleted(model: type[models.Model]) -> bool:
    return model._meta.app_label in PHI_APPS or issubclass(model, VersionedRecord | User)


@pytest.fixture
def filled_plan(care_plan, nurse):
    for factory in ITEM_FACTORIES.values():
        factory(plan=care_plan)
    return care_plan


def test_every_model_of_ours_is_registered(db):
    from django.apps import apps

    for label in ("teams", "patients", "careplans"):
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model


def test_the_changelist_of_every_registered_model_loads(admin_client, filled_plan):
    for model in admin.site._registry:
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model


def test_change_forms_load_and_link_to_the_history(admin_client, filled_plan):
    records = [filled_plan, filled_plan.patient, filled_plan.patient.team, *Problem.objects.all()]
    for record in records:
        response = admin_client.get(admin_url(type(record), "change", record.pk))
        assert response.status_code == 200, record
        assert "Every change to this record" in response.content.decode()
    history = admin_client.get(
        reverse("admin:pghistory_events_changelist"),
        {"method": "tracks", "obj": f"careplans.CarePlan:{filled_plan.pk}"},
    )
    assert history.status_code == 200


def test_delete_is_not_permitted_for_patient_data(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if never_deleted(model) or issubclass(model, Event):
            assert not model_admin.has_delete_permission(request), model
            assert "delete_selected" not in model_admin.get_actions(request), model
            checked += 1
    assert checked > 30


def test_the_delete_page_is_refused(admin_client, filled_plan):
    problem = Problem.objects.get()
    assert admin_client.get(admin_url(Problem, "delete", problem.pk)).status_code == 403
    assert (
        admin_client.get(admin_url(type(filled_plan.patient), "delete", filled_plan.patient.pk)).status_code
        == 403
    )


def test_an_admin_edit_is_attributed_and_bumps_the_version(admin_client, admin_user, care_plan):
    team = care_plan.patient.team
    data = {
        "organization": team.organization_id,
        "name": "Birch Team",
        "approach": team.approach,
        "phone": "",
        "review_interval_days": 60,
        "high_risk_review_interval_days": 30,
        "escalate_after_days": 14,
        "sign_off_roles": "physician,np_pa",
    }
    response = admin_client.post(admin_url(type(team), "change", team.pk), data)
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.version, team.updated_by) == ("Birch Team", 2, admin_user)


def test_history_events_are_read_only(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    event_admins = [a for m, a in admin.site._registry.items() if issubclass(m, Event)]
    assert event_admins
    for event_admin in event_admins:
        assert not event_admin.has_add_permission(request)
        assert not event_admin.has_change_permission(request)


def test_nothing_is_deleted_through_the_bulk_action(admin_client, filled_plan):
    problem = Problem.objects.get()
    admin_client.post(
        admin_url(Problem, "changelist"),
        {"action": "delete_selected", "_selected_action": [problem.pk], "post": "yes"},
    )
    assert Problem.objects.filter(pk=problem.pk).exists()


def test_the_user_admin_shows_care_team_fields(admin_client, nurse):
    response = admin_client.get(admin_url(User, "change", nurse.pk))
    assert response.status_code == 200
    assert 'name="credentials"' in response.content.decode()


def test_patient_data_is_view_only_in_the_admin_so_every_change_goes_through_the_services(
    admin_client, filled_plan
):
    patient_admin_models = [
        m for m in admin.site._registry if m._meta.app_label in PHI_APPS and not issubclass(m, Event)
    ]
    assert len(patient_admin_models) >= 14
    for model in patient_admin_models:
        assert admin_client.get(admin_url(model, "add")).status_code == 403, model
    problem = Problem.objects.get()
    response = admin_client.post(admin_url(Problem, "change", problem.pk), {"condition": "Changed in admin"})
    assert response.status_code == 403
    problem.refresh_from_db()
    assert problem.condition != "Changed in admin"
