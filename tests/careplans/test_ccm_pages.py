"""The care-management pages: the eligibility panel, enrolment, the time log and timer, the
completeness checklist on the plan page, and the billing office's monthly CSV."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans import ccm
from careplans.ccm_models import CareTimeEntry, PlanCopyGiven, PlanElementNotApplicable, ProgramEnrolment
from careplans.views.ccm import REPORT_HEADER
from tests import factories
from tests.careplans.ccm_cast import code_rules, enrol  # noqa: F401 (code_rules is a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("code_rules")]
HTMX = {"HX-Request": "true"}


def chronic_patient(team, family_name, *, problems=2, **problem_fields):
    plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team, family_name=family_name))
    for n in range(problems):
        factories.ProblemFactory(plan=plan, condition=f"Condition {n}", **problem_fields)
    return plan


def panel_names(client, **params) -> str:
    response = client.get(reverse("careplans:ccm-panel"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_lists_patients_with_two_lasting_chronic_problems_only(client, nurse, team):
    chronic_patient(team, "Twoproblems")
    chronic_patient(team, "Oneproblem", problems=1)
    short = chronic_patient(team, "Shortlived", problems=1)
    factories.ProblemFactory(plan=short, condition="Back strain", expected_to_last_12_months=False)
    acute = chronic_patient(team, "Acuteone", problems=1)
    factories.ProblemFactory(plan=acute, condition="Pneumonia", is_chronic=False)
    resolved = chronic_patient(team, "Resolvedone", problems=1)
    factories.ProblemFactory(plan=resolved, condition="Anemia", status="resolved", status_reason="Treated")
    chronic_patient(factories.TeamFactory(), "Otherteam")
    client.force_login(nurse)

    html = panel_names(client)
    assert "Twoproblems" in html
    for name in ("Oneproblem", "Shortlived", "Acuteone", "Resolvedone", "Otherteam"):
        assert name not in html
    everyone = panel_names(client, show="all")
    assert "Oneproblem" in everyone and "Otherteam" not in everyone


def test_the_panel_shows_enrolment_minutes_and_suggested_codes_and_filters_on_enrolment(
    client, nurse, physician, team
):
    enrolled = chronic_patient(team, "Enrolledone")
    chronic_patient(team, "Notyet")
    enrol(enrolled.patient, actor=nurse, practitioner=physician)
    ccm.log_care_time(patient=enrolled.patient, actor=nurse, minutes=40, activity="phone")
    client.force_login(nurse)

    html = panel_names(client, enrolled="yes")
    assert "Enrolledone" in html and "Notyet" not in html
    assert "99490 + 99439" in html
    assert "Enrolledone" not in panel_names(client, enrolled="no")


def test_the_panel_costs_the_same_queries_for_2_patients_as_for_12(client, nurse, physician, team):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            panel_names(client)
        return len(queries)

    client.force_login(nurse)
    for n in range(2):
        plan = chronic_patient(team, f"Small{n}")
        enrol(plan.patient, actor=nurse, practitioner=physician)
        ccm.log_care_time(patient=plan.patient, actor=nurse, minutes=20, activity="phone")
    small = count()
    for n in range(10):
        plan = chronic_patient(team, f"Large{n}")
        enrol(plan.patient, actor=nurse, practitioner=physician)
        ccm.log_care_time(patient=plan.patient, actor=nurse, minutes=25, activity="phone")
    assert count() == small


def test_program_and_time_pages_are_404_for_an_outsider(client, outsider, care_plan):
    client.force_login(outsider)
    for name in ("plan-program", "plan-time"):
        assert client.get(reverse(f"careplans:{name}", args=[care_plan.pk])).status_code == 404
        assert client.post(reverse(f"careplans:{name}", args=[care_plan.pk]), {}).status_code == 404


def enrol_data(nurse, physician, **changes) -> dict[str, str]:
    return {
        "program": "ccm",
        "consent_method": "verbal",
        "consent_obtained_by": str(nurse.pk),
        "consent_obtained_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "informed_cost_sharing": "on",
        "informed_one_practitioner": "on",
        "informed_right_to_stop": "on",
        "billing_practitioner": str(physician.pk),
        **changes,
    }


def test_enrolling_without_every_consent_element_is_422_and_keeps_what_was_typed(
    client, nurse, physician, care_plan
):
    client.force_login(nurse)
    data = enrol_data(nurse, physician, program="pcm")
    del data["informed_right_to_stop"]
    response = client.post(reverse("careplans:plan-program", args=[care_plan.pk]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "may stop at any time" in html
    assert 'value="pcm" selected' in html
    assert not ProgramEnrolment.objects.exists()


def test_enrolling_and_ending_at_month_end_from_the_program_page(client, nurse, physician, care_plan):
    client.force_login(nurse)
    url = reverse("careplans:plan-program", args=[care_plan.pk])
    assert client.post(url, enrol_data(nurse, physician)).status_code == 302
    enrolment = ProgramEnrolment.objects.get()
    end_url = reverse("careplans:enrolment-end", args=[care_plan.pk, enrolment.pk])
    assert client.post(end_url, {"version": "1", "reason": ""}).status_code == 422
    assert client.post(end_url, {"version": "0", "reason": "Moved away"}).status_code == 409
    assert client.post(end_url, {"version": "1", "reason": "Moved away"}).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.ends_on.day >= 28 and enrolment.ends_on.month == timezone.localdate().month
    assert "Moved away" in client.get(url).content.decode()


def test_logging_time_by_hand_answers_the_time_log_partial(client, nurse, physician, care_plan):
    enrol(care_plan.patient, actor=nurse, practitioner=physician)
    client.force_login(nurse)
    url = reverse("careplans:plan-time", args=[care_plan.pk])
    today = timezone.localdate().isoformat()
    bad = client.post(url, {"minutes": "0", "performed_on": today, "activity": "phone"}, headers=HTMX)
    assert bad.status_code == 422
    response = client.post(url, {"minutes": "21", "performed_on": today, "activity": "phone"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="time-log">')
    assert "Logged 21 minutes" in html and "99490" in html


def test_the_timer_keeps_its_start_on_the_server_and_fills_in_the_minutes(
    client, nurse, physician, care_plan
):
    enrol(care_plan.patient, actor=nurse, practitioner=physician)
    client.force_login(nurse)
    url = reverse("careplans:plan-timer", args=[care_plan.pk])
    assert "Stop the timer" in client.post(url, {"action": "start"}, headers=HTMX).content.decode()
    session = client.session
    key = f"ccm-timer-{care_plan.pk}"
    session[key] = (timezone.now() - datetime.timedelta(minutes=12, seconds=10)).isoformat()
    session.save()
    html = client.post(url, {"action": "stop"}, headers=HTMX).content.decode()
    assert "Timer stopped at 13 minutes" in html
    assert 'name="minutes" value="13"' in html
    assert key not in client.session
    assert not CareTimeEntry.objects.exists()  # nothing is logged until the user saves the form


def test_marking_time_in_error_needs_a_reason(client, nurse, physician, care_plan):
    enrol(care_plan.patient, actor=nurse, practitioner=physician)
    entry = ccm.log_care_time(patient=care_plan.patient, actor=nurse, minutes=30, activity="phone")
    client.force_login(nurse)
    url = reverse("careplans:time-entry-error", args=[care_plan.pk, entry.pk])
    assert client.post(url, {"version": "1", "reason": ""}, headers=HTMX).status_code == 422
    assert client.post(url, {"version": "1", "reason": "Wrong chart"}, headers=HTMX).status_code == 200
    entry.refresh_from_db()
    assert entry.status == "entered_in_error"


def test_the_plan_page_shows_the_checklist_and_marks_an_element_not_applicable(client, nurse, care_plan):
    client.force_login(nurse)
    html = client.get(reverse("careplans:plan-detail", args=[care_plan.pk])).content.decode()
    assert 'id="completeness"' in html and "Community and social services" in html
    url = reverse("careplans:element-na", args=[care_plan.pk])
    missing_reason = client.post(url, {"element": "community_services", "reason": ""}, headers=HTMX)
    assert missing_reason.status_code == 422
    response = client.post(url, {"element": "community_services", "reason": "Declines"}, headers=HTMX)
    assert response.status_code == 200
    assert "not applicable (Declines)" in response.content.decode()
    assert PlanElementNotApplicable.objects.get().reason == "Declines"


def test_recording_a_copy_given_from_the_plan_page(client, nurse, care_plan):
    client.force_login(nurse)
    url = reverse("careplans:copy-given", args=[care_plan.pk])
    response = client.post(url, {"recipient": "patient", "how": "paper"}, headers=HTMX)
    assert response.status_code == 200
    assert "Last copy" in response.content.decode()
    assert PlanCopyGiven.objects.get().plan_version == care_plan.version


def read_csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == REPORT_HEADER
    return [dict(zip(REPORT_HEADER, row, strict=True)) for row in rows[1:]]


def test_the_monthly_csv_has_one_row_per_enrolled_patient_with_minutes_by_staff_type(
    client, nurse, physician, team
):
    march = datetime.date(2026, 3, 1)
    first = chronic_patient(team, "Alpha")
    second = chronic_patient(team, "Beta")
    chronic_patient(team, "Notenrolled")
    elsewhere = chronic_patient(factories.TeamFactory(), "Elsewhere")
    enrol(first.patient, actor=nurse, practitioner=physician, started_on=march)
    enrol(second.patient, actor=nurse, practitioner=physician, started_on=march, complex_care=True)
    for day, minutes in ((3, 25), (20, 20)):
        ccm.log_care_time(
            patient=first.patient,
            actor=nurse,
            minutes=minutes,
            activity="phone",
            performed_on=march.replace(day=day),
        )
    ccm.log_care_time(
        patient=first.patient, actor=physician, minutes=12, activity="review", performed_on=march
    )
    ccm.log_care_time(
        patient=first.patient,
        actor=nurse,
        minutes=40,
        activity="phone",
        performed_on=datetime.date(2026, 4, 1),
    )
    ccm.log_care_time(
        patient=second.patient, actor=nurse, minutes=90, activity="care_planning", performed_on=march
    )
    client.force_login(nurse)

    response = client.get(reverse("careplans:ccm-report"), {"team": team.pk, "month": "2026-03"})
    rows = read_csv(response)
    assert f'filename="ccm-{team.pk}-2026-03.csv"' in response["Content-Disposition"]
    assert [row["patient"].split(",")[0] for row in rows] == ["Alpha", "Beta"]
    alpha, beta = rows
    assert (
        alpha["clinical_staff_minutes"],
        alpha["billing_practitioner_minutes"],
        alpha["counted_minutes"],
    ) == (
        "45",
        "12",
        "57",
    )
    assert alpha["suggested_codes"] == "99490 + 99439"
    assert alpha["programs"] == "CCM" and alpha["billing_practitioner"] == str(physician)
    assert beta["suggested_codes"] == "99487 + 99489"
    assert "Elsewhere" not in response.content.decode()
    assert elsewhere.patient.mrn not in response.content.decode()


def test_the_csv_is_404_for_another_teams_report_and_422_without_a_month(client, nurse, team):
    client.force_login(nurse)
    other = factories.TeamFactory()
    assert (
        client.get(reverse("careplans:ccm-report"), {"team": other.pk, "month": "2026-03"}).status_code == 404
    )
    assert client.get(reverse("careplans:ccm-report"), {"team": team.pk, "month": "March"}).status_code == 422


def test_a_csv_cell_cannot_start_a_spreadsheet_formula(client, nurse, physician, team):
    plan = chronic_patient(team, "=HYPERLINK(1)")
    enrol(plan.patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 3, 1))
    client.force_login(nurse)
    rows = read_csv(client.get(reverse("careplans:ccm-report"), {"team": team.pk, "month": "2026-03"}))
    assert rows[0]["patient"].startswith("'=")


def test_a_review_or_plan_edit_offers_to_log_time_with_its_activity_chosen(client, nurse, care_plan):
    client.force_login(nurse)
    plan_page = client.get(reverse("careplans:plan-detail", args=[care_plan.pk])).content.decode()
    time_url = reverse("careplans:plan-time", args=[care_plan.pk])
    assert f"{time_url}?activity=review" in plan_page
    html = client.get(time_url, {"activity": "review"}).content.decode()
    assert '<option value="review" selected>' in html


def test_the_time_page_costs_the_same_queries_for_2_entries_as_for_20(client, nurse, physician, care_plan):
    enrol(care_plan.patient, actor=nurse, practitioner=physician)
    client.force_login(nurse)
    url = reverse("careplans:plan-time", args=[care_plan.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        ccm.log_care_time(patient=care_plan.patient, actor=nurse, minutes=5, activity="phone")
    small = count()
    for _ in range(18):
        ccm.log_care_time(patient=care_plan.patient, actor=physician, minutes=5, activity="review")
    assert count() == small


def test_correcting_minutes_from_the_time_page_needs_a_reason_and_is_audited(
    client, nurse, physician, care_plan
):
    enrol(care_plan.patient, actor=nurse, practitioner=physician)
    entry = ccm.log_care_time(patient=care_plan.patient, actor=nurse, minutes=30, activity="phone")
    client.force_login(nurse)
    url = reverse("careplans:time-entry-correct", args=[care_plan.pk, entry.pk])
    refused = client.post(url, {"version": "1", "minutes": "18", "reason": ""}, headers=HTMX)
    assert refused.status_code == 422
    assert 'value="18"' in refused.content.decode()
    assert (
        client.post(url, {"version": "0", "minutes": "18", "reason": "Typo"}, headers=HTMX).status_code == 409
    )
    assert (
        client.post(url, {"version": "1", "minutes": "18", "reason": "Typo"}, headers=HTMX).status_code == 200
    )
    events = CareTimeEntry.pgh_event_model.objects.filter(pgh_obj_id=entry.pk).order_by("pgh_id")
    assert [e.minutes for e in events] == [30, 18]
    assert events.last().pgh_context.metadata["reason"] == "Typo"
