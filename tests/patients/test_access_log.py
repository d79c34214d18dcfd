"""The access log: every read, search, print, export and download of a patient's record is one event."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, transaction
from django.urls import reverse
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent

from patients.access_log import record_access
from patients.models import AccessEvent

pytestmark = pytest.mark.django_db
BROWSER = {"HTTP_USER_AGENT": "Firefox/140", "REMOTE_ADDR": "10.1.2.3"}


def plan_url(plan, name="plan-detail"):
    return reverse(f"careplans:{name}", args=[plan.pk])


def test_reading_the_plan_page_is_one_read_event_with_who_what_and_where(client, nurse, care_plan):
    client.force_login(nurse)

    assert client.get(plan_url(care_plan), **BROWSER).status_code == 200

    event = AccessEvent.objects.get()
    assert (event.agent, event.patient, event.subtype, event.action, event.outcome) == (
        nurse,
        care_plan.patient,
        "read",
        "R",
        0,
    )
    assert (event.source_address, event.user_agent, event.agent_role) == ("10.1.2.3", "Firefox/140", "RN")
    assert (event.url_name, event.what, event.purpose) == (
        "careplans:plan-detail",
        plan_url(care_plan),
        "TREAT",
    )


@pytest.mark.parametrize("page", ["plan-history", "plan-review", "plan-versions", "plan-print"])
def test_each_page_of_the_plan_is_logged_as_a_read(client, nurse, care_plan, page):
    client.force_login(nurse)

    assert client.get(plan_url(care_plan, page)).status_code == 200

    assert list(AccessEvent.objects.values_list("patient", "subtype", "url_name")) == [
        (care_plan.patient.pk, "read", f"careplans:{page}")
    ]


def test_an_outsider_refused_the_plan_is_logged_as_denied_against_that_patient(client, outsider, care_plan):
    client.force_login(outsider)

    assert client.get(plan_url(care_plan)).status_code == 404

    event = AccessEvent.objects.get()
    assert (event.agent, event.patient, event.outcome) == (outsider, care_plan.patient, 4)


def test_a_signed_out_visitor_is_not_logged(client, care_plan):
    assert client.get(plan_url(care_plan)).status_code == 302
    assert not AccessEvent.objects.exists()


def test_an_htmx_reload_of_a_patient_just_read_is_not_logged_again(client, nurse, care_plan):
    client.force_login(nurse)
    client.get(plan_url(care_plan))

    client.get(plan_url(care_plan, "plan-history"), HTTP_HX_REQUEST="true")

    assert AccessEvent.objects.count() == 1


def test_an_htmx_request_for_a_patient_not_read_lately_is_logged(client, nurse, care_plan):
    client.force_login(nurse)

    client.get(plan_url(care_plan, "plan-history"), HTTP_HX_REQUEST="true")

    assert AccessEvent.objects.get().url_name == "careplans:plan-history"


def test_the_log_refuses_updates_and_deletes(nurse, care_plan):
    event = record_access(None, care_plan.patient, subtype="read", agent=nurse)

    for change in (
        lambda: AccessEvent.objects.filter(pk=event.pk).update(outcome=4),
        lambda: AccessEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
            change()
    assert AccessEvent.objects.get().outcome == 0


def test_an_event_is_a_valid_fhir_audit_event(nurse, care_plan):
    event = record_access(
        None,
        care_plan.patient,
        subtype="disclosure",
        agent=nurse,
        what="PlanPrintout/7",
        recipient="Dr. Rivera, cardiology",
        purpose=AccessEvent.Purpose.EMERGENCY,
    )
    search = record_access(None, None, subtype="search", agent=nurse, query="lovelace", result_count=1)

    resource = FhirAuditEvent.model_validate(event.as_fhir())
    assert (resource.action, resource.outcome, resource.entity[0].what.reference) == (
        "E",
        "0",
        f"Patient/{care_plan.patient.pk}",
    )
    assert resource.agent[0].purposeOfUse[0].coding[0].code == "ETREAT"
    assert FhirAuditEvent.model_validate(search.as_fhir()).entity[0].query
