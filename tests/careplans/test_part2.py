"""42 CFR Part 2: which releases allow a disclosure, the notice it carries, and revocation at once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from careplans import part2, services, tasks
from careplans.models import InformationRelease, PlanPrintout
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
FOR_DR_AWAY = {
    "language": "en",
    "delivery": "mailed",
    "include_part2": True,
    "part2_reason": "Coordinating treatment",
    "recipient": "other",
    "recipient_name": "Dr. Away",
}


def pdf_text(printout: PlanPrintout) -> str:
    printout.refresh_from_db()
    pages = PdfReader(io.BytesIO(printout.file.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def plan(care_plan):
    factories.MedicationFactory(plan=care_plan, name="Metformin")
    factories.MedicationFactory(plan=care_plan, name="Buprenorphine", part2_protected=True)
    return care_plan


@pytest.fixture
def part2_release(plan):
    return factories.InformationReleaseFactory(plan=plan, recipient_name="Dr. Away", covers_part2=True)


@pytest.fixture
def general_release(plan):
    return factories.InformationReleaseFactory(plan=plan, recipient_name="Dr. Away", covers_part2=False)


def test_a_release_that_covers_part2_in_force_allows_disclosure(part2_release):
    assert part2.may_disclose_part2(part2_release)


def test_a_general_release_is_not_enough(general_release):
    decision = part2.may_disclose_part2(general_release)

    assert not decision
    assert "general release" in decision.reason


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"status": "expired", "expires_on": TODAY - datetime.timedelta(days=1)}, "not in force"),
        ({"expires_on": TODAY - datetime.timedelta(days=1)}, "not in force"),
        ({"status": "revoked", "revoked_on": TODAY}, "revoked"),
        ({"recipient_name": " "}, "recipient"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_an_expired_revoked_or_incomplete_release_allows_nothing(part2_release, changes, words):
    InformationRelease.objects.filter(pk=part2_release.pk).update(**changes)

    decision = part2.may_disclose_part2(part2_release)

    assert not decision
    assert words in decision.reason


def test_no_release_allows_nothing():
    assert not part2.may_disclose_part2(None)


def test_the_notice_is_the_federal_wording():
    assert part2.PART2_NOTICE.startswith("This record which has been disclosed to you is protected")
    assert "A general authorization for the release of medical or other information is NOT sufficient" in (
        part2.PART2_NOTICE
    )


def test_revoking_records_the_day_and_status_in_history(part2_release, nurse):
    revoked = part2.revoke_release(release=part2_release, actor=nurse, reason="Patient asked by phone")

    assert (revoked.revoked_on, revoked.status) == (TODAY, InformationRelease.Status.REVOKED)
    last = revoked.events.order_by("pgh_id").last()
    assert (last.status, last.revoked_on) == ("revoked", TODAY)
    assert last.pgh_context.metadata["reason"] == "Patient asked by phone"


def test_revoking_needs_a_reason_a_team_member_and_is_done_once(part2_release, nurse, outsider):
    with pytest.raises(ValidationError):
        part2.revoke_release(release=part2_release, actor=nurse, reason=" ")
    with pytest.raises(PermissionDenied):
        part2.revoke_release(release=part2_release, actor=outsider, reason="Asked")
    part2.revoke_release(release=part2_release, actor=nurse, reason="Asked")
    part2_release.refresh_from_db()
    with pytest.raises(ValidationError, match="already been revoked"):
        part2.revoke_release(release=part2_release, actor=nurse, reason="Asked again")


def test_a_printout_for_someone_else_with_part2_carries_the_notice(
    plan, part2_release, nurse, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        printout = services.request_printout(
            plan=plan, actor=nurse, values={**FOR_DR_AWAY, "release": part2_release}
        )

    text = pdf_text(printout)
    assert "Buprenorphine" in text
    assert " ".join(part2.PART2_NOTICE.split()) in text


def test_the_visit_summary_with_part2_carries_the_same_notice(
    plan, part2_release, nurse, django_capture_on_commit_callbacks
):
    values = {**FOR_DR_AWAY, "document": "visit_summary", "release": part2_release}
    with django_capture_on_commit_callbacks(execute=True):
        printout = services.request_printout(plan=plan, actor=nurse, values=values)

    assert "prohibit you from making any further disclosure" in pdf_text(printout)


def test_a_general_release_cannot_be_used_to_print_part2_for_someone_else(plan, general_release, nurse):
    with pytest.raises(ValidationError) as error:
        services.request_printout(plan=plan, actor=nurse, values={**FOR_DR_AWAY, "release": general_release})

    assert "general release" in str(error.value.message_dict["release"])
    assert not PlanPrintout.objects.exists()


def test_part2_for_someone_else_without_any_release_is_refused(plan, nurse):
    with pytest.raises(ValidationError) as error:
        services.request_printout(plan=plan, actor=nurse, values=FOR_DR_AWAY)

    assert "needs a signed release" in str(error.value.message_dict["release"])


def test_a_release_of_another_patient_cannot_be_used(plan, nurse, team):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    other = factories.InformationReleaseFactory(plan=other_plan, covers_part2=True)

    with pytest.raises(ValidationError, match="this plan"):
        services.request_printout(plan=plan, actor=nurse, values={**FOR_DR_AWAY, "release": other})


def test_after_revocation_the_next_printout_is_refused_at_once(plan, part2_release, nurse):
    services.request_printout(plan=plan, actor=nurse, values={**FOR_DR_AWAY, "release": part2_release})

    part2.revoke_release(release=part2_release, actor=nurse, reason="Patient revoked in clinic")

    with pytest.raises(ValidationError) as error:
        services.request_printout(plan=plan, actor=nurse, values={**FOR_DR_AWAY, "release": part2_release})
    assert "was revoked" in str(error.value.message_dict["release"])


def test_a_printout_queued_before_revocation_is_not_made_after_it(plan, part2_release, nurse):
    printout = services.request_printout(
        plan=plan, actor=nurse, values={**FOR_DR_AWAY, "release": part2_release}
    )
    part2.revoke_release(release=part2_release, actor=nurse, reason="Patient revoked")

    tasks.render_printout(printout.pk)

    printout.refresh_from_db()
    assert printout.status == PlanPrintout.Status.FAILED
    assert "was revoked" in printout.failure
    assert not printout.file


def test_the_patients_own_copy_needs_no_release_and_no_notice(
    plan, nurse, django_capture_on_commit_callbacks
):
    values = {**FOR_DR_AWAY, "recipient": "patient", "recipient_name": ""}
    with django_capture_on_commit_callbacks(execute=True):
        printout = services.request_printout(plan=plan, actor=nurse, values=values)

    text = pdf_text(printout)
    assert "Buprenorphine" in text
    assert "prohibit you from making any further disclosure" not in text


def test_the_print_page_refuses_a_revoked_release_with_422_and_a_clear_message(
    client, plan, part2_release, nurse
):
    client.force_login(nurse)
    data = {
        **FOR_DR_AWAY,
        "document": "patient_plan",
        "include_part2": "on",
        "confirm_part2": "on",
        "release": part2_release.pk,
    }
    url = reverse("careplans:plan-print", args=[plan.pk])
    # The page offered the release; the patient revoked it before the nurse pressed the button.
    part2.revoke_release(release=part2_release, actor=nurse, reason="Patient revoked")

    response = client.post(url, data, headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert "The release to Dr. Away was revoked." in response.text
    assert 'value="Dr. Away"' in response.text
    assert not PlanPrintout.objects.exists()


def test_the_print_page_shows_the_general_release_refusal_beside_the_field(
    client, plan, general_release, nurse
):
    client.force_login(nurse)
    data = {**FOR_DR_AWAY, "document": "patient_plan", "include_part2": "on", "confirm_part2": "on"}

    response = client.post(
        reverse("careplans:plan-print", args=[plan.pk]),
        {**data, "release": general_release.pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert "is a general release" in response.text
    assert not PlanPrintout.objects.exists()


def test_ending_a_release_as_revoked_on_the_plan_page_records_the_revocation_too(part2_release, nurse):
    services.end_plan_item(
        item=part2_release,
        expected_version=part2_release.version,
        actor=nurse,
        status="revoked",
        reason="Asked",
    )

    part2_release.refresh_from_db()
    assert (part2_release.status, part2_release.revoked_on) == ("revoked", TODAY)
    assert "was revoked" in part2.may_disclose_part2(part2_release).reason
