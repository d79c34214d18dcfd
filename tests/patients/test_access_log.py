"""The access log: every read, search, print, export and download of a patient's record is one event."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test import Client, modify_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from rest_framework.test import APIClient

from careplans import services, tasks
from careplans.models import PlanPrintout
from patients.access_log import record_access
from patients.models import AccessEvent
from teams import services as team_services
from teams.models import CareRole
from tests import factories

pytestmark = pytest.mark.django_db
BROWSER = {"HTTP_USER_AGENT": "Firefox/140", "REMOTE_ADDR": "10.1.2.3"}
PRINT = {"document": "patient_plan", "language": "en", "recipient": "patient", "delivery": "printed"}


@pytest.fixture
def privacy_officer(team):
    """The practice's privacy officer, on another team of the same practice."""
    user = factories.UserFactory(username="priya.privacy", first_name="Priya", last_name="Privacy")
    user.is_privacy_officer = True
    user.save()
    other_team = factories.TeamFactory(organization=team.organization, name="Front office")
    factories.MembershipFactory(user=user, team=other_team, role=CareRole.OTHER)
    return user


def report_url(patient, **query):
    url = reverse("patient-access-report", args=[patient.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


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


def test_a_search_is_one_event_with_its_text_and_how_many_patients_it_found(client, nurse, care_plan):
    client.force_login(nurse)
    factories.PatientFactory(team=care_plan.patient.team, family_name="Lovelock")

    client.get(reverse("home"), {"q": "Lovel"}, HTTP_HX_REQUEST="true")

    event = AccessEvent.objects.get()
    assert (event.subtype, event.action, event.patient, event.query, event.result_count) == (
        "search",
        "E",
        None,
        "Lovel",
        2,
    )


def test_asking_for_a_print_for_someone_else_is_one_print_event_naming_the_recipient(
    client, nurse, care_plan
):
    client.force_login(nurse)
    data = {**PRINT, "recipient": "other", "recipient_name": "Dr. Rivera", "delivery": "mailed"}

    client.post(plan_url(care_plan, "plan-print"), data, HTTP_HX_REQUEST="true")

    printout = PlanPrintout.objects.get()
    event = AccessEvent.objects.get()
    assert (event.subtype, event.patient, event.what, event.recipient) == (
        "print",
        care_plan.patient,
        f"PlanPrintout/{printout.pk}",
        "Dr. Rivera",
    )


def test_downloading_the_pdf_is_one_download_event(client, nurse, care_plan):
    printout = services.request_printout(plan=care_plan, actor=nurse, values=PRINT)
    tasks.render_printout(printout.pk)
    client.force_login(nurse)

    response = client.get(reverse("careplans:printout-download", args=[care_plan.pk, printout.pk]))

    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AccessEvent.objects.get()
    assert (event.subtype, event.patient, event.url_name) == (
        "download",
        care_plan.patient,
        "careplans:printout-download",
    )


def test_an_api_read_with_a_token_is_one_event_naming_the_token(nurse, care_plan):
    token, raw = team_services.create_api_token(user=nurse, name="population script")
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get(f"/api/v1/plans/{care_plan.pk}/").status_code == 200

    event = AccessEvent.objects.get()
    assert (event.agent, event.api_token, event.patient, event.subtype, event.url_name) == (
        nurse,
        token,
        care_plan.patient,
        "read",
        "api:plan-detail",
    )


def test_an_api_list_is_one_search_event_with_its_filters_and_count(nurse, care_plan):
    api = APIClient()
    api.force_login(nurse)

    api.get("/api/v1/plans/", {"patient": str(care_plan.patient.pk)})

    event = AccessEvent.objects.get()
    assert (event.subtype, event.patient, event.query, event.result_count) == (
        "search",
        care_plan.patient,
        f"patient={care_plan.patient.pk}",
        1,
    )


@pytest.mark.django_db(transaction=True)
def test_an_api_search_for_a_patient_id_that_does_not_exist_is_logged_without_a_patient(nurse, care_plan):
    api = APIClient()
    api.force_login(nurse)
    unknown = "00000000-0000-4000-8000-000000000000"

    response = api.get("/api/v1/plans/", {"patient": unknown})

    assert response.status_code == 200
    event = AccessEvent.objects.get()  # committed: the access row's foreign key held
    assert (event.subtype, event.patient, event.query, event.result_count) == (
        "search",
        None,
        f"patient={unknown}",
        0,
    )


def test_an_outsider_refused_by_the_api_is_logged_as_denied(outsider, care_plan):
    api = APIClient()
    api.force_login(outsider)

    assert api.get(f"/api/v1/plans/{care_plan.pk}/").status_code == 404

    assert list(AccessEvent.objects.values_list("agent", "outcome")) == [(outsider.pk, 4)]


def test_the_privacy_officer_sees_reads_and_outside_disclosures_in_separate_sections(
    client, nurse, privacy_officer, care_plan
):
    patient = care_plan.patient
    record_access(None, patient, subtype="read", agent=nurse, what="/plans/x/")
    services.request_printout(
        plan=care_plan,
        actor=nurse,
        values={**PRINT, "recipient": "other", "recipient_name": "Dr. Rivera", "delivery": "mailed"},
    )
    services.request_printout(plan=care_plan, actor=nurse, values=PRINT)  # for the patient: no disclosure
    record_access(
        None, patient, subtype="disclosure", agent=nurse, what="Bundle/1", recipient="Health Info Exchange"
    )
    client.force_login(privacy_officer)

    response = client.get(report_url(patient))

    assert response.status_code == 200
    report = response.context["report"]
    assert [row.recipient for row in report.disclosures] == ["Health Info Exchange", "Dr. Rivera"]
    assert [(event.agent, event.subtype) for event in report.reads] == [(nurse, "read")]
    assert "Given to people outside the care team" in response.text
    assert "Read, printed or exported by staff" in response.text
    assert '<label for="id_since">From</label>' in response.text


def test_the_report_filters_by_date(client, nurse, privacy_officer, care_plan):
    recent = record_access(None, care_plan.patient, subtype="read", agent=nurse)
    AccessEvent.objects.create(
        subtype="read",
        agent=nurse,
        patient=care_plan.patient,
        recorded=timezone.now() - datetime.timedelta(days=40),
    )
    client.force_login(privacy_officer)
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()

    report = client.get(report_url(care_plan.patient, since=since)).context["report"]

    assert [event.pk for event in report.reads] == [recent.pk]


def test_a_period_ending_before_it_starts_is_refused_with_422_and_the_form_kept(
    client, privacy_officer, care_plan
):
    client.force_login(privacy_officer)

    response = client.get(report_url(care_plan.patient, since="2026-03-01", until="2026-02-01"))

    assert response.status_code == 422
    assert "The end of the period cannot be before its start." in response.text
    assert 'value="2026-03-01"' in response.text


def test_the_csv_download_lists_every_row_and_is_itself_logged_as_an_export(
    client, nurse, privacy_officer, care_plan
):
    record_access(None, care_plan.patient, subtype="read", agent=nurse, what="=HYPERLINK(1)")
    client.force_login(privacy_officer)

    response = client.get(report_url(care_plan.patient, format="csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Section", "When (UTC)", "Who"]
    # Newest first: the export itself, then the read (its formula-like text defused for spreadsheets).
    assert [(row[0], row[7]) for row in rows[1:]] == [
        ("Access", "access-report.csv"),
        ("Access", "'=HYPERLINK(1)"),
    ]
    export = AccessEvent.objects.get(subtype="export")
    assert (export.agent, export.patient, export.what) == (
        privacy_officer,
        care_plan.patient,
        "access-report.csv",
    )


def test_a_nurse_on_the_team_is_refused_the_report_and_an_outsider_does_not_learn_the_patient_exists(
    client, nurse, outsider, care_plan
):
    client.force_login(nurse)
    assert client.get(report_url(care_plan.patient)).status_code == 403
    client.force_login(outsider)
    assert client.get(report_url(care_plan.patient)).status_code == 404
    assert list(AccessEvent.objects.values_list("agent", "outcome")) == [(outsider.pk, 4), (nurse.pk, 4)]


def test_a_privacy_officer_of_another_practice_gets_404(client, care_plan):
    officer = factories.UserFactory(is_privacy_officer=True)
    factories.MembershipFactory(user=officer, role=CareRole.OTHER)  # a team in another practice
    client.force_login(officer)

    assert client.get(report_url(care_plan.patient)).status_code == 404


def test_the_plan_page_links_to_the_report_for_privacy_officers_only(
    client, nurse, privacy_officer, care_plan
):
    factories.MembershipFactory(user=privacy_officer, team=care_plan.patient.team, role=CareRole.OTHER)
    link = f'href="{report_url(care_plan.patient)}"'

    client.force_login(privacy_officer)
    assert link in client.get(plan_url(care_plan)).text
    client.force_login(nurse)
    assert link not in client.get(plan_url(care_plan)).text


def test_the_access_log_adds_one_query_to_the_plan_page(nurse, care_plan):
    def queries_of_a_plan_page_read() -> CaptureQueriesContext:
        client = Client()  # a new client loads the middleware as the settings are now
        client.force_login(nurse)
        client.get(plan_url(care_plan))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            client.get(plan_url(care_plan))
        return queries

    with modify_settings(MIDDLEWARE={"remove": "config.middleware.AccessLogMiddleware"}):
        unlogged = queries_of_a_plan_page_read()
    logged = queries_of_a_plan_page_read()

    assert len(logged) == len(unlogged) + 1
    inserts = [
        q["sql"] for q in logged.captured_queries if q["sql"].startswith('INSERT INTO "patients_accessevent"')
    ]
    assert len(inserts) == 1
