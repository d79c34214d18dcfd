"""Break-the-glass: emergency access to a patient outside one's teams, for a stated reason, for a while."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from careplans import services as plan_services
from careplans.models import Notification
from patients import services
from patients.models import EmergencyAccess
from patients.selectors import patients_visible_to
from teams.models import CareRole
from tests import factories

pytestmark = pytest.mark.django_db
REASON = "Patient arrived unconscious in urgent care; need medication list."
PAGE = reverse("emergency-access")


@pytest.fixture
def lead(team):
    user = factories.UserFactory(username="lena.lead", first_name="Lena", last_name="Lead")
    factories.MembershipFactory(user=user, team=team, role=CareRole.PHYSICIAN, is_team_lead=True)
    return user


@pytest.fixture
def er_doctor(team):
    """A physician on another team of the same practice: the patient is not theirs."""
    user = factories.UserFactory(username="ed.er", first_name="Ed", last_name="Urgent")
    other = factories.TeamFactory(name="Urgent Care", organization=team.organization)
    factories.MembershipFactory(user=user, team=other, role=CareRole.PHYSICIAN)
    return user


@pytest.fixture
def plan(care_plan):
    care_plan.patient.mrn = "MRN-4242"
    care_plan.patient.save()
    factories.MedicationFactory(plan=care_plan, name="Metformin")
    factories.MedicationFactory(plan=care_plan, name="Buprenorphine", part2_protected=True)
    factories.ProblemFactory(plan=care_plan, condition="Opioid use disorder", part2_protected=True)
    return care_plan


def plan_url(plan):
    return reverse("careplans:plan-detail", args=[plan.pk])


def grant(client, mrn="MRN-4242", reason=REASON):
    return client.post(PAGE, {"mrn": mrn, "reason": reason})


def test_a_patient_outside_ones_teams_is_a_404_until_emergency_access_is_granted(client, plan, er_doctor):
    client.force_login(er_doctor)
    assert client.get(plan_url(plan)).status_code == 404

    response = grant(client)

    assert response.status_code == 302
    assert response["Location"] == plan_url(plan)
    page = client.get(plan_url(plan))
    assert page.status_code == 200
    assert "Metformin" in page.text


def test_only_an_exact_mrn_finds_the_patient_and_only_name_and_birth_date_are_shown(client, plan, er_doctor):
    client.force_login(er_doctor)
    patient = plan.patient

    prefix = client.get(PAGE, {"mrn": "MRN-42"})
    exact = client.get(PAGE, {"mrn": "MRN-4242"})
    by_name = client.get(reverse("home"), {"q": patient.family_name})

    assert "No patient with exactly this MRN" in prefix.text
    assert patient.display_name not in prefix.text
    assert patient.display_name in exact.text
    assert patient.date_of_birth.isoformat() in exact.text
    assert plan.what_matters_most not in exact.text
    assert "Metformin" not in exact.text
    assert plan_url(plan) not in by_name.text
    assert EmergencyAccess.objects.count() == 0


def test_a_reason_is_required_and_the_form_comes_back_with_422_keeping_what_was_typed(
    client, plan, er_doctor
):
    client.force_login(er_doctor)

    empty = grant(client, reason="")
    short = grant(client, reason="need it")

    assert empty.status_code == 422
    assert "Say why you need emergency access." in empty.text
    assert short.status_code == 422
    assert ">\nneed it</textarea>" in short.text
    assert 'value="MRN-4242"' in short.text
    assert EmergencyAccess.objects.count() == 0
    assert client.get(plan_url(plan)).status_code == 404


def test_access_lasts_one_hour_then_the_patient_is_a_404_again(client, plan, er_doctor, settings):
    settings.BREAK_GLASS_MINUTES = 60
    start = datetime.datetime(2026, 12, 5, 14, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(er_doctor)
        grant(client)
        assert client.get(plan_url(plan)).status_code == 200
    # Signed in afresh each time: the session's own idle timeout is shorter than the grant.
    with time_machine.travel(start + datetime.timedelta(minutes=59), tick=False):
        client.force_login(er_doctor)
        assert client.get(plan_url(plan)).status_code == 200
        assert patients_visible_to(er_doctor).filter(pk=plan.patient.pk).exists()
    with time_machine.travel(start + datetime.timedelta(minutes=60), tick=False):
        client.force_login(er_doctor)
        assert client.get(plan_url(plan)).status_code == 404
        assert not patients_visible_to(er_doctor).filter(pk=plan.patient.pk).exists()


def test_every_page_of_the_patient_says_until_when_access_lasts(client, plan, er_doctor):
    client.force_login(er_doctor)
    grant(client)
    access = EmergencyAccess.objects.get()

    page = client.get(plan_url(plan))

    until = timezone.localtime(access.expires_at).strftime("%H:%M")
    assert f"Emergency access until {until}." in page.text


def test_part2_items_are_hidden_from_the_emergency_user_with_a_notice(client, plan, er_doctor, nurse):
    client.force_login(er_doctor)
    grant(client)

    page = client.get(plan_url(plan))

    assert "Metformin" in page.text
    assert "Buprenorphine" not in page.text
    assert "Opioid use disorder" not in page.text
    assert "2 items protected under 42 CFR Part 2 are hidden." in page.text
    client.force_login(nurse)
    team_page = client.get(plan_url(plan))
    assert "Buprenorphine" in team_page.text
    assert "protected under 42 CFR Part 2 are hidden" not in team_page.text


def test_an_item_linked_to_a_part2_item_does_not_reveal_it(client, plan, er_doctor):
    goal = factories.GoalFactory(plan=plan, description="Stay in recovery for my kids.", part2_protected=True)
    factories.ActionStepFactory(plan=plan, description="Walk after dinner.", goal=goal)
    client.force_login(er_doctor)
    grant(client)

    page = client.get(plan_url(plan))

    assert "Walk after dinner." in page.text
    assert "Stay in recovery" not in page.text
    assert "3 items protected under 42 CFR Part 2 are hidden." in page.text


def test_the_team_lead_is_notified_and_sees_the_grant_on_the_worklist(client, plan, er_doctor, lead, nurse):
    client.force_login(er_doctor)
    grant(client)

    notification = Notification.objects.get(kind=Notification.Kind.EMERGENCY_ACCESS)
    assert notification.recipient == lead
    assert REASON in notification.text
    assert not Notification.objects.filter(recipient=nurse).exists()
    client.force_login(lead)
    worklist = client.get(reverse("home"))
    assert 'id="emergency-grants"' in worklist.text
    assert REASON in worklist.text
    client.force_login(nurse)
    assert 'id="emergency-grants"' not in client.get(reverse("home")).text


def test_the_grant_and_each_look_at_the_plan_are_logged_for_treatment(client, plan, er_doctor, caplog):
    caplog.set_level("INFO", logger="careweave.security")
    client.force_login(er_doctor)
    grant(client)
    client.get(plan_url(plan))

    records = [r for r in caplog.records if r.name == "careweave.security"]
    assert [r.getMessage() for r in records] == ["emergency access granted", "emergency access view"]
    assert {(r.user_id, r.patient_id, r.purpose) for r in records} == {
        (er_doctor.pk, str(plan.patient.pk), "ETREAT")
    }


def test_the_grant_is_recorded_in_history_with_who_and_why(plan, er_doctor):
    access = services.grant_emergency_access(user=er_doctor, patient=plan.patient, reason=REASON)

    event = access.events.get()
    assert (event.user_id, event.patient_id, event.reason) == (er_doctor.pk, plan.patient.pk, REASON)
    assert event.pgh_context.metadata["reason"] == REASON
    assert access.expires_at - access.granted_at == datetime.timedelta(minutes=60)


def test_someone_from_another_practice_cannot_break_the_glass(client, plan, outsider):
    client.force_login(outsider)

    assert "No patient with exactly this MRN" in client.get(PAGE, {"mrn": "MRN-4242"}).text
    assert grant(client).status_code == 422
    with pytest.raises(PermissionDenied):
        services.grant_emergency_access(user=outsider, patient=plan.patient, reason=REASON)
    assert client.get(plan_url(plan)).status_code == 404


def test_a_team_member_needs_no_emergency_access(plan, nurse):
    with pytest.raises(ValidationError, match="on this patient's team"):
        services.grant_emergency_access(user=nurse, patient=plan.patient, reason=REASON)


def test_emergency_access_is_to_read_not_to_change_the_plan(plan, er_doctor):
    services.grant_emergency_access(user=er_doctor, patient=plan.patient, reason=REASON)
    item = plan.medications.get(name="Metformin")

    with pytest.raises(PermissionDenied):
        plan_services.update_plan_item(
            item=item, expected_version=item.version, actor=er_doctor, changes={"dose": "1000 mg"}
        )


def test_the_emergency_patient_is_not_on_the_users_own_panel(client, plan, er_doctor):
    client.force_login(er_doctor)
    grant(client)

    worklist = client.get(reverse("home"), {"q": plan.patient.family_name})

    assert plan_url(plan) not in worklist.text


def test_emergency_access_opens_the_plan_page_only_not_its_history_or_printing(client, plan, er_doctor):
    client.force_login(er_doctor)
    grant(client)

    assert client.get(plan_url(plan)).status_code == 200
    assert client.get(reverse("careplans:plan-history", args=[plan.pk])).status_code == 404
    assert client.get(reverse("careplans:plan-print", args=[plan.pk])).status_code == 404


def test_an_mrn_with_a_nul_byte_finds_no_one_and_says_so(client, er_doctor):
    client.force_login(er_doctor)

    looked_up = client.get(reverse("emergency-access"), {"mrn": "\x00"})
    response = client.post(reverse("emergency-access"), {"mrn": "GH\x001906", "reason": "x" * 30})

    assert looked_up.status_code == 200
    assert response.status_code == 422
    assert "No patient with exactly this MRN in your practice." in response.text
