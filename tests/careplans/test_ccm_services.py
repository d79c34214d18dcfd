"""The care-management services: consent, ending at month end, minutes by local date, corrections,
not-applicable elements, copies given, and refusing to activate an enrolled patient's incomplete plan."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from careplans import ccm, services
from careplans.ccm_models import CareTimeEntry, PlanCopyGiven, ProgramEnrolment, StaffType
from careplans.ccm_selectors import patient_months
from careplans.completeness import checklist, missing_elements
from teams.models import CareRole
from tests import factories
from tests.careplans.ccm_cast import enrol

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture
def patient(care_plan):
    return care_plan.patient


def test_consent_needs_every_information_element(patient, nurse, physician):
    with pytest.raises(ValidationError) as error:
        ccm.enrol_patient(
            patient=patient,
            actor=nurse,
            program="ccm",
            consent_method="written",
            consent_obtained_by=nurse,
            consent_obtained_at=timezone.now(),
            informed_cost_sharing=True,
            informed_one_practitioner=False,
            informed_right_to_stop=True,
            billing_practitioner=physician,
        )
    assert "only one practitioner" in str(error.value)
    assert not ProgramEnrolment.objects.exists()


def test_the_billing_practitioner_must_be_a_physician_np_or_pa_on_the_team(patient, nurse):
    with pytest.raises(ValidationError, match="billing practitioner must be"):
        enrol(patient, actor=nurse, practitioner=nurse)


def test_a_patient_has_one_open_enrolment_at_a_time(patient, nurse, physician):
    enrol(patient, actor=nurse, practitioner=physician)
    with pytest.raises(ValidationError, match="already enrolled"):
        enrol(patient, actor=nurse, practitioner=physician, program="pcm")


def test_ending_on_the_10th_takes_effect_on_the_last_day_of_that_month(patient, nurse, physician):
    enrolment = enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 1, 5))
    ended = ccm.end_enrolment(
        enrolment=enrolment,
        expected_version=1,
        actor=nurse,
        reason="Patient chose to stop",
        requested_on=datetime.date(2026, 2, 10),
    )
    assert ended.ends_on == datetime.date(2026, 2, 28)
    assert ended.is_active_on(datetime.date(2026, 2, 28))
    assert not ended.is_active_on(datetime.date(2026, 3, 1))


def test_a_new_billing_practitioner_needs_a_new_enrolment_with_new_consent(patient, nurse, physician, team):
    first = enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 1, 1))
    ccm.end_enrolment(
        enrolment=first,
        expected_version=1,
        actor=nurse,
        reason="New PCP",
        requested_on=datetime.date(2026, 1, 20),
    )
    np = factories.UserFactory()
    factories.MembershipFactory(user=np, team=team, role=CareRole.NP_PA)
    second = enrol(patient, actor=nurse, practitioner=np, started_on=datetime.date(2026, 2, 1))
    assert second.billing_practitioner == np
    assert second.pk != first.pk


def test_minutes_count_on_the_practice_date_not_the_utc_date(patient, nurse, physician):
    enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 1, 1))
    # 03:30 UTC on 1 February is 22:30 on 31 January in New York (the practice's time zone).
    entry = ccm.log_care_time(
        patient=patient,
        actor=nurse,
        minutes=20,
        activity="phone",
        started_at=datetime.datetime(2026, 2, 1, 3, 30, tzinfo=UTC),
    )
    assert entry.performed_on == datetime.date(2026, 1, 31)
    months = patient_months([patient.pk], datetime.date(2026, 1, 1))
    assert months[patient.pk].clinical_staff == 20
    assert patient_months([patient.pk], datetime.date(2026, 2, 1))[patient.pk].counted == 0


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_the_same_moment_falls_in_the_next_month_for_a_practice_east_of_utc(patient, nurse, physician):
    enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 1, 1))
    entry = ccm.log_care_time(
        patient=patient,
        actor=nurse,
        minutes=20,
        activity="phone",
        started_at=datetime.datetime(2026, 1, 31, 15, 30, tzinfo=UTC),
    )
    assert entry.performed_on == datetime.date(2026, 2, 1)


def test_time_before_the_enrolment_or_after_it_ends_is_refused(patient, nurse, physician):
    enrolment = enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 3, 2))
    with pytest.raises(ValidationError, match="not enrolled"):
        ccm.log_care_time(
            patient=patient, actor=nurse, minutes=5, activity="phone", performed_on=datetime.date(2026, 3, 1)
        )
    ccm.end_enrolment(
        enrolment=enrolment,
        expected_version=1,
        actor=nurse,
        reason="Moved",
        requested_on=datetime.date(2026, 3, 9),
    )
    ccm.log_care_time(
        patient=patient, actor=nurse, minutes=5, activity="phone", performed_on=datetime.date(2026, 3, 31)
    )
    with pytest.raises(ValidationError, match="not enrolled"):
        ccm.log_care_time(
            patient=patient, actor=nurse, minutes=5, activity="phone", performed_on=datetime.date(2026, 4, 1)
        )


def test_who_logs_decides_the_staff_type_and_only_clinical_time_counts(patient, nurse, physician, team):
    enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 5, 1))
    coach = factories.UserFactory()
    factories.MembershipFactory(user=coach, team=team, role=CareRole.HEALTH_COACH)
    day = datetime.date(2026, 5, 12)
    by_nurse = ccm.log_care_time(patient=patient, actor=nurse, minutes=10, activity="phone", performed_on=day)
    by_coach = ccm.log_care_time(patient=patient, actor=coach, minutes=15, activity="phone", performed_on=day)
    by_doctor = ccm.log_care_time(
        patient=patient, actor=physician, minutes=7, activity="review", performed_on=day
    )
    ccm.log_care_time(
        patient=patient, actor=nurse, minutes=30, activity="review", performed_on=day, face_to_face=True
    )
    assert (by_nurse.staff_type, by_coach.staff_type, by_doctor.staff_type) == (
        StaffType.CLINICAL_STAFF,
        StaffType.NON_CLINICAL,
        StaffType.BILLING_PRACTITIONER,
    )
    month = patient_months([patient.pk], day)[patient.pk]
    assert (month.clinical_staff, month.practitioner, month.non_clinical, month.face_to_face) == (
        10,
        7,
        15,
        30,
    )
    assert month.counted == 17


def test_a_correction_is_audited_with_the_value_before_who_and_why(patient, nurse, physician):
    enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 5, 1))
    entry = ccm.log_care_time(
        patient=patient, actor=nurse, minutes=25, activity="phone", performed_on=datetime.date(2026, 5, 3)
    )
    ccm.correct_care_time(
        entry=entry, expected_version=1, actor=physician, changes={"minutes": 15}, reason="Typo"
    )
    events = list(CareTimeEntry.pgh_event_model.objects.filter(pgh_obj_id=entry.pk).order_by("pgh_id"))
    assert [e.minutes for e in events] == [25, 15]
    assert events[-1].pgh_context.metadata == {
        **events[-1].pgh_context.metadata,
        "user": physician.pk,
        "reason": "Typo",
    }
    with pytest.raises(ValidationError):
        ccm.correct_care_time(
            entry=entry, expected_version=2, actor=nurse, changes={"minutes": 5}, reason=" "
        )


def test_an_entry_in_error_leaves_the_months_total_but_stays_on_record(patient, nurse, physician):
    enrol(patient, actor=nurse, practitioner=physician, started_on=datetime.date(2026, 5, 1))
    day = datetime.date(2026, 5, 3)
    entry = ccm.log_care_time(patient=patient, actor=nurse, minutes=25, activity="phone", performed_on=day)
    ccm.mark_time_entry_in_error(entry=entry, expected_version=1, actor=nurse, reason="Wrong patient")
    assert patient_months([patient.pk], day)[patient.pk].counted == 0
    assert CareTimeEntry.objects.get(pk=entry.pk).status_reason == "Wrong patient"


def _complete_plan(plan):
    for factory in (
        factories.ProblemFactory,
        factories.GoalFactory,
        factories.SymptomPlanFactory,
        factories.ActionStepFactory,
        factories.MedicationFactory,
        factories.CareTeamMemberFactory,
    ):
        factory(plan=plan)


def test_each_element_is_satisfied_by_real_content(care_plan):
    assert {e.key for e in missing_elements(care_plan)} >= {"problem_list", "measurable_goals", "medications"}
    _complete_plan(care_plan)
    care_plan.next_review_due = datetime.date(2027, 1, 1)
    assert [e.key for e in missing_elements(care_plan)] == ["community_services"]


def test_a_goal_without_a_target_or_a_problem_without_prognosis_does_not_count(care_plan):
    factories.GoalFactory(
        plan=care_plan, measure="", target_value=None, target_comparator="", baseline_value=None
    )
    factories.ProblemFactory(plan=care_plan, prognosis="")
    done = {e.key for e in checklist(care_plan) if e.satisfied}
    assert "measurable_goals" not in done
    assert "outcome_prognosis" not in done
    assert "problem_list" in done


def test_an_element_marked_not_applicable_with_a_reason_is_complete(care_plan, nurse):
    with pytest.raises(ValidationError):
        ccm.mark_element_not_applicable(plan=care_plan, actor=nurse, element="community_services", reason="")
    ccm.mark_element_not_applicable(
        plan=care_plan, actor=nurse, element="community_services", reason="Declines all community services"
    )
    element = next(e for e in checklist(care_plan) if e.key == "community_services")
    assert element.complete and not element.satisfied


def test_an_enrolled_patients_incomplete_plan_cannot_be_made_active(team, nurse, physician):
    plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), status="draft")
    enrol(plan.patient, actor=nurse, practitioner=physician)
    _complete_plan(plan)
    with pytest.raises(ValidationError) as error:
        services.change_plan_status(plan=plan, expected_version=1, actor=nurse, status="active")
    assert "Missing: Community and social services" in str(error.value)
    factories.CommunityServiceFactory(plan=plan)
    activated = services.change_plan_status(plan=plan, expected_version=1, actor=nurse, status="active")
    assert activated.status == "active"


def test_a_patient_who_is_not_enrolled_can_have_an_active_plan_while_incomplete(team, nurse):
    plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team), status="draft")
    assert (
        services.change_plan_status(plan=plan, expected_version=1, actor=nurse, status="active").status
        == "active"
    )


def test_a_copy_given_records_the_plan_version_who_and_how(care_plan, nurse):
    copy = ccm.record_plan_copy_given(plan=care_plan, actor=nurse, how="paper")
    assert (copy.plan_version, copy.given_by, copy.recipient) == (care_plan.version, nurse, "patient")
    assert PlanCopyGiven.objects.count() == 1
