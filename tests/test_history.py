"""History is kept by the database itself, whatever path a change takes."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction

from careplans.models import Goal, Medication
from tests import factories
from tests.history import latest_context, latest_event

pytestmark = pytest.mark.django_db


def test_a_queryset_update_is_recorded_in_history(care_plan):
    medication = factories.MedicationFactory(plan=care_plan, dose="500 mg")

    Medication.objects.filter(plan=care_plan).update(dose="850 mg")

    event = latest_event(medication)
    assert event.pgh_label == "update"
    assert event.dose == "850 mg"
    assert medication.events.count() == 2


def test_raw_sql_is_recorded_in_history_with_its_context(care_plan, nurse):
    import pghistory

    goal = factories.GoalFactory(plan=care_plan)
    with pghistory.context(user=nurse.pk, reason="Data fix"), connection.cursor() as cursor:
        cursor.execute("update careplans_goal set barriers = 'Cost of test strips' where id = %s", [goal.pk])

    assert latest_event(goal).barriers == "Cost of test strips"
    assert latest_context(goal) == {"user": nurse.pk, "reason": "Data fix"}


def test_the_database_refuses_to_delete_patient_data(care_plan):
    goal = factories.GoalFactory(plan=care_plan)

    with pytest.raises(ProgrammingError, match="Cannot delete"), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).delete()
    with (
        pytest.raises(ProgrammingError, match="Cannot delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("delete from patients_patient where id = %s", [care_plan.patient_id])

    assert Goal.objects.filter(pk=goal.pk).exists()
    assert care_plan.patient.__class__.objects.filter(pk=care_plan.patient_id).exists()


def test_history_cannot_be_rewritten(care_plan):
    medication = factories.MedicationFactory(plan=care_plan)
    event = latest_event(medication)

    with pytest.raises(ProgrammingError), transaction.atomic():
        type(event).objects.filter(pk=event.pk).update(dose="tampered")
    with pytest.raises(ProgrammingError), transaction.atomic():
        type(event).objects.filter(pk=event.pk).delete()


def test_a_page_request_records_the_signed_in_user_and_url(client, care_plan, nurse):
    """HistoryMiddleware puts the request's user and path into the context of every write."""
    from django.test import override_settings
    from django.urls import path

    from careplans import services

    def touch(request):
        services.update_care_plan(
            plan=care_plan,
            expected_version=care_plan.version,
            actor=request.user,
            changes={"strengths": "Sings"},
        )
        from django.http import HttpResponse

        return HttpResponse("ok")

    urlpatterns = [path("touch/", touch)]
    client.force_login(nurse)
    with override_settings(ROOT_URLCONF=type("urls", (), {"urlpatterns": urlpatterns})):
        assert client.post("/touch/").status_code == 200

    assert latest_context(care_plan) == {"user": nurse.pk, "url": "/touch/"}


def test_two_changes_in_one_request_keep_their_own_actor_and_reason(care_plan, nurse, physician):
    """pghistory shares one context row between nested contexts; each service change gets its own."""
    import pghistory

    from careplans import services

    medication = factories.MedicationFactory(plan=care_plan)
    goal = factories.GoalFactory(plan=care_plan)
    with pghistory.context(url="/some/page/"):
        services.update_plan_item(
            item=medication, expected_version=1, actor=nurse, changes={"dose": "1 g"}, reason="Kidneys fine"
        )
        services.update_plan_item(
            item=goal, expected_version=1, actor=physician, changes={"barriers": "Cost"}
        )

    assert latest_context(medication) == {"user": nurse.pk, "url": "/some/page/", "reason": "Kidneys fine"}
    assert latest_context(goal) == {"user": physician.pk, "url": "/some/page/"}
