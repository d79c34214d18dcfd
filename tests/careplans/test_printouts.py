"""Asking for a printout, the task that makes it, and the print page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplans import services, tasks
from careplans.models import PlanPrintout
from patients.models import Language
from tests import factories

pytestmark = pytest.mark.django_db
OPTIONS = {"language": "en", "recipient": "patient", "delivery": "printed"}


def stored_files() -> set[str]:
    return set(default_storage.listdir("printouts")[1]) if default_storage.exists("printouts") else set()


@pytest.fixture
def plan(care_plan):
    factories.MedicationFactory(plan=care_plan, name="Lisinopril")
    return care_plan


def test_a_printout_is_recorded_and_its_pdf_made_after_the_commit(
    plan, nurse, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        printout = services.request_printout(plan=plan, actor=nurse, values={**OPTIONS, "delivery": "mailed"})

    printout.refresh_from_db()
    assert printout.status == PlanPrintout.Status.READY
    assert (printout.requested_by, printout.plan_version, printout.delivery) == (
        nurse,
        plan.version,
        "mailed",
    )
    assert printout.file.read(4) == b"%PDF"
    assert printout.page_count >= 1


def test_the_task_run_twice_stores_once(plan, nurse):
    before = stored_files()
    printout = services.request_printout(plan=plan, actor=nurse, values=OPTIONS)

    tasks.render_printout(printout.pk)
    first = PlanPrintout.objects.get(pk=printout.pk)
    tasks.render_printout(printout.pk)
    second = PlanPrintout.objects.get(pk=printout.pk)

    assert len(stored_files() - before) == 1
    assert (second.file.name, second.version, second.rendered_at) == (
        first.file.name,
        first.version,
        first.rendered_at,
    )


def test_a_second_print_with_the_same_content_reuses_the_stored_file(plan, nurse, physician):
    before = stored_files()
    one = services.request_printout(plan=plan, actor=nurse, values=OPTIONS)
    two = services.request_printout(plan=plan, actor=physician, values={**OPTIONS, "delivery": "handed_over"})
    spanish = services.request_printout(plan=plan, actor=nurse, values={**OPTIONS, "language": "es"})
    for printout in (one, two, spanish):
        tasks.render_printout(printout.pk)

    one, two, spanish = (PlanPrintout.objects.get(pk=p.pk) for p in (one, two, spanish))
    assert one.file.name == two.file.name != spanish.file.name
    assert len(stored_files() - before) == 2
    assert PlanPrintout.objects.filter(plan=plan).count() == 3


def test_a_changed_plan_is_printed_afresh(plan, nurse):
    first = services.request_printout(plan=plan, actor=nurse, values=OPTIONS)
    tasks.render_printout(first.pk)
    factories.MedicationFactory(plan=plan, name="Atorvastatin")
    second = services.request_printout(plan=plan, actor=nurse, values=OPTIONS)
    tasks.render_printout(second.pk)

    assert PlanPrintout.objects.get(pk=first.pk).file.name != PlanPrintout.objects.get(pk=second.pk).file.name


def test_part2_needs_a_reason_and_another_recipient_needs_a_name(plan, nurse):
    with pytest.raises(ValidationError) as error:
        services.request_printout(
            plan=plan, actor=nurse, values={**OPTIONS, "include_part2": True, "recipient": "other"}
        )
    assert set(error.value.message_dict) == {"part2_reason", "recipient_name"}


def test_a_printout_that_cannot_be_made_is_marked_failed(plan, nurse, settings):
    printout = services.request_printout(plan=plan, actor=nurse, values=OPTIONS)
    PlanPrintout.objects.filter(pk=printout.pk).update(document="no_such_document")

    with pytest.raises(KeyError):
        tasks.render_printout(printout.pk)

    printout.refresh_from_db()
    assert printout.status == PlanPrintout.Status.FAILED
    assert "KeyError" in printout.failure


def test_the_task_returns_quietly_when_the_printout_is_gone(db):
    assert tasks.render_printout(999_999) is None


# The page


def test_the_print_page_defaults_to_the_patients_language_and_print_size(client, plan, nurse):
    plan.patient.preferred_language = Language.SPANISH
    plan.patient.large_print = True
    plan.patient.save()
    client.force_login(nurse)

    response = client.get(reverse("careplans:plan-print", args=[plan.pk]))

    assert response.status_code == 200
    form = response.context["form"]
    assert (form["language"].value(), form["large_print"].value()) == ("es", True)
    assert "This plan has not been printed yet." in response.text


def test_an_outsider_gets_404_for_the_page_the_status_and_the_download(client, plan, nurse, outsider):
    printout = services.request_printout(plan=plan, actor=nurse, values=OPTIONS)
    tasks.render_printout(printout.pk)
    client.force_login(outsider)

    for url in (
        reverse("careplans:plan-print", args=[plan.pk]),
        reverse("careplans:printout-status", args=[plan.pk, printout.pk]),
        reverse("careplans:printout-download", args=[plan.pk, printout.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("careplans:plan-print", args=[plan.pk]), OPTIONS).status_code == 404
    assert not PlanPrintout.objects.exclude(pk=printout.pk).exists()


def test_asking_for_a_print_polls_until_ready_then_offers_the_download(client, plan, nurse):
    client.force_login(nurse)
    data = {**OPTIONS, "document": "patient_plan"}

    response = client.post(
        reverse("careplans:plan-print", args=[plan.pk]), data, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    printout = PlanPrintout.objects.get(plan=plan)
    status_url = reverse("careplans:printout-status", args=[plan.pk, printout.pk])
    assert f'hx-get="{status_url}" hx-trigger="every 1s"' in response.text
    assert "Making the PDF" in response.text

    tasks.render_printout(printout.pk)
    polled = client.get(status_url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in polled.text
    download = reverse("careplans:printout-download", args=[plan.pk, printout.pk])
    assert f'href="{download}"' in polled.text

    pdf = client.get(download)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_part2_without_confirmation_is_refused_with_422_and_keeps_what_was_typed(client, plan, nurse):
    client.force_login(nurse)
    data = {
        **OPTIONS,
        "document": "patient_plan",
        "include_part2": "on",
        "part2_reason": "Patient asked for the full plan",
        "recipient": "other",
        "recipient_name": "Dr. Rivera",
    }

    response = client.post(
        reverse("careplans:plan-print", args=[plan.pk]), data, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    assert "Confirm before including Part 2 information." in response.text
    assert 'value="Dr. Rivera"' in response.text
    assert not PlanPrintout.objects.exists()


def test_earlier_prints_list_who_when_version_for_whom_and_how_in_constant_queries(client, plan, nurse):
    client.force_login(nurse)
    url = reverse("careplans:plan-print", args=[plan.pk])

    def queries_with(count: int) -> int:
        while PlanPrintout.objects.count() < count:
            services.request_printout(
                plan=plan,
                actor=nurse,
                values={**OPTIONS, "recipient": "other", "recipient_name": "Dr. Rivera"},
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.text.count("Dr. Rivera") == count
        return len(queries)

    assert queries_with(2) == queries_with(8)
    response = client.get(url)
    assert "Nina Nurse" in response.text
    assert "Printed" in response.text


def test_the_plan_page_links_to_printing(client, plan, nurse):
    client.force_login(nurse)

    response = client.get(reverse("careplans:plan-detail", args=[plan.pk]))

    assert reverse("careplans:plan-print", args=[plan.pk]) in response.text
