"""Two promises every service keeps, checked for each one in a table:

- an outsider (a member of another team) is refused and nothing changes;
- a change from a stale version is refused (for services that edit an existing record).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from careplans import ccm, comments
from careplans import services as plans
from careplans.models import PlanReview
from patients import services as patients
from teams import services as teams
from teams.models import Membership
from teams.records import StaleVersionError
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def world(care_plan, nurse, physician):
    """One record of each kind the services act on, all on the nurse's team."""
    from tests.careplans.ccm_cast import enrol

    goal = factories.GoalFactory(plan=care_plan)
    enrolment = enrol(care_plan.patient, actor=nurse, practitioner=physician)
    return {
        "plan": care_plan,
        "patient": care_plan.patient,
        "team": care_plan.patient.team,
        "goal": goal,
        "problem": factories.ProblemFactory(plan=care_plan),
        "step": factories.ActionStepFactory(plan=care_plan),
        "measurement": plans.record_goal_measurement(
            goal=goal, actor=nurse, value=Decimal("8.5"), measured_on=TODAY, source="lab"
        ),
        "person": patients.add_related_person(
            patient=care_plan.patient, actor=nurse, values={"name": "Sam", "relationship": "son"}
        ),
        "membership": Membership.objects.get(user=nurse),
        # Made directly: signing through the service would move the plan's version.
        "review": PlanReview.objects.create(
            plan=care_plan,
            reviewer=physician,
            reviewer_role="physician",
            context="visit",
            patient_present=True,
            summary="Fine",
            next_review_due=TODAY,
        ),
        "response": plans.record_instrument_response(
            plan=care_plan, actor=nurse, instrument="gad7", answers=GAD7_ALL_ONES, answered_on=TODAY
        ),
        "comment": comments.add_comment(plan=care_plan, actor=nurse, body="Call her Friday"),
        # Unread, so that the nurse opening the plan reads it: a change with history.
        "mention": comments.add_comment(plan=care_plan, actor=physician, body="@nina.nurse can you call?"),
        "enrolment": enrolment,
        "time": ccm.log_care_time(
            patient=care_plan.patient,
            actor=nurse,
            minutes=20,
            activity="phone",
            performed_on=timezone.localdate(),
        ),
        "physician": physician,
        "unenrolled": factories.PatientFactory(team=care_plan.patient.team),
    }


GAD7_ALL_ONES = {f"gad{n}": 1 for n in range(1, 8)}


# Each entry: service call with every argument but the actor, given the world and a version.
CALLS = {
    "register_patient": lambda w, v: patients.register_patient(
        team=w["team"],
        values={"mrn": "X1", "given_name": "A", "family_name": "B", "date_of_birth": TODAY},
        **v,
    ),
    "update_patient": lambda w, v: patients.update_patient(
        patient=w["patient"], changes={"pronouns": "he"}, **v
    ),
    "add_related_person": lambda w, v: patients.add_related_person(
        patient=w["patient"], values={"name": "Kim", "relationship": "friend"}, **v
    ),
    "update_related_person": lambda w, v: patients.update_related_person(
        person=w["person"], changes={"phone": "555"}, **v
    ),
    "end_related_person": lambda w, v: patients.end_related_person(person=w["person"], reason="Moved", **v),
    "add_team_member": lambda w, v: teams.add_team_member(
        team=w["team"], user=factories.UserFactory(), role="other", **v
    ),
    "end_membership": lambda w, v: teams.end_membership(membership=w["membership"], reason="Left", **v),
    "add_plan_item": lambda w, v: plans.add_plan_item(
        plan=w["plan"], model=type(w["problem"]), values={"condition": "Gout"}, **v
    ),
    "update_plan_item": lambda w, v: plans.update_plan_item(
        item=w["problem"], changes={"prognosis": "Fair"}, **v
    ),
    "end_plan_item": lambda w, v: plans.end_plan_item(
        item=w["problem"], status="resolved", reason="Better", **v
    ),
    "move_plan_item": lambda w, v: plans.move_plan_item(item=w["step"], status="in_progress", **v),
    "add_goal": lambda w, v: plans.add_goal(
        plan=w["plan"], values={"description": "Walk daily"}, problems=[w["problem"]], **v
    ),
    "update_goal": lambda w, v: plans.update_goal(
        goal=w["goal"], changes={"barriers": "Rain"}, problems=[w["problem"]], **v
    ),
    "set_goal_problems": lambda w, v: plans.set_goal_problems(goal=w["goal"], problems=[w["problem"]], **v),
    "record_goal_measurement": lambda w, v: plans.record_goal_measurement(
        goal=w["goal"], value=Decimal("7.9"), measured_on=TODAY, source="lab", **v
    ),
    "mark_measurement_in_error": lambda w, v: plans.mark_measurement_in_error(
        measurement=w["measurement"], reason="Wrong patient", **v
    ),
    "update_care_plan": lambda w, v: plans.update_care_plan(
        plan=w["plan"], changes={"strengths": "Grit"}, **v
    ),
    "change_plan_status": lambda w, v: plans.change_plan_status(
        plan=w["plan"], status="on_hold", reason="Away", **v
    ),
    "record_plan_review": lambda w, v: plans.record_plan_review(
        plan=w["plan"], context="visit", patient_present=True, summary="Fine", **v
    ),
    "add_review_correction": lambda w, v: plans.add_review_correction(
        review=w["review"], note="The visit was by video.", **v
    ),
    "set_next_review_date": lambda w, v: plans.set_next_review_date(
        plan=w["plan"], next_review_due=TODAY + datetime.timedelta(days=7), reason="Hospital discharge", **v
    ),
    "record_instrument_response": lambda w, v: plans.record_instrument_response(
        plan=w["plan"], instrument="gad7", answers=GAD7_ALL_ONES, answered_on=TODAY, **v
    ),
    "mark_instrument_response_in_error": lambda w, v: plans.mark_instrument_response_in_error(
        response=w["response"], reason="Wrong patient", **v
    ),
    "issue_survey_tokens": lambda w, v: plans.issue_survey_tokens(team=w["team"], count=2, month=TODAY, **v),
    "record_improvement_goal": lambda w, v: plans.record_improvement_goal(
        team=w["team"], month=TODAY, goal="Answer the phone faster", **v
    ),
    "add_comment": lambda w, v: comments.add_comment(
        plan=w["plan"], body="On it", item_kind="goal", item_id=w["goal"].pk, **v
    ),
    "retract_comment": lambda w, v: comments.retract_comment(comment=w["comment"], reason="Wrong plan", **v),
    "record_plan_visit": lambda w, v: comments.record_plan_visit(plan=w["plan"], **v),
    "enrol_patient": lambda w, v: ccm.enrol_patient(
        patient=w["unenrolled"],
        program="pcm",
        consent_method="written",
        consent_obtained_by=w["physician"],
        consent_obtained_at=datetime.datetime.now(datetime.UTC),
        informed_cost_sharing=True,
        informed_one_practitioner=True,
        informed_right_to_stop=True,
        billing_practitioner=w["physician"],
        **v,
    ),
    "end_enrolment": lambda w, v: ccm.end_enrolment(enrolment=w["enrolment"], reason="Declined", **v),
    "log_care_time": lambda w, v: ccm.log_care_time(
        patient=w["patient"], minutes=5, activity="messaging", **v
    ),
    "correct_care_time": lambda w, v: ccm.correct_care_time(
        entry=w["time"], changes={"minutes": 25}, reason="Typo", **v
    ),
    "mark_time_entry_in_error": lambda w, v: ccm.mark_time_entry_in_error(
        entry=w["time"], reason="Wrong patient", **v
    ),
    "mark_element_not_applicable": lambda w, v: ccm.mark_element_not_applicable(
        plan=w["plan"], element="community_services", reason="Declines", **v
    ),
    "record_plan_copy_given": lambda w, v: ccm.record_plan_copy_given(plan=w["plan"], how="paper", **v),
    "request_printout": lambda w, v: plans.request_printout(
        plan=w["plan"], values={"language": "es", "delivery": "mailed"}, **v
    ),
}
# Services that create records, or reopen ended ones (tested in their own files), take no version.
CREATING = {
    "register_patient",
    "add_related_person",
    "add_team_member",
    "add_plan_item",
    "add_goal",
    "set_goal_problems",
    "record_goal_measurement",
    "record_plan_review",
    "add_review_correction",
    "record_instrument_response",
    "issue_survey_tokens",
    "record_improvement_goal",
    "add_comment",
    "record_plan_visit",
    "enrol_patient",
    "log_care_time",
    "mark_element_not_applicable",
    "record_plan_copy_given",
    "request_printout",
}


def test_the_table_names_every_public_service():
    import inspect

    from careplans import services as careplan_services

    public = {
        name
        for module in (careplan_services, comments, patients, teams, ccm)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__
        and not name.startswith("_")
        and name not in {"editable_fields", "mentioned_usernames", "enrolment_on"}
    }
    # Own specs: reopen, and the services with no actor (a task; an anonymous patient with a survey link).
    untested_here = {"reopen_plan_item", "expire_information_releases", "submit_survey_response"}
    # Called by the printout task, with no actor: tests/careplans/test_printouts.py.
    untested_here |= {"store_printout", "fail_printout"}
    # A person's own API tokens belong to no team and have no version: tests/api/test_api_tokens.py.
    untested_here |= {"hash_api_token", "create_api_token", "revoke_api_token"}
    # Break-the-glass is for users outside the patient's team by design: tests/patients/test_break_glass.py.
    untested_here |= {"grant_emergency_access"}
    assert public - untested_here == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_outsider_is_refused_and_nothing_changes(name, world, outsider):
    from django.db import connection

    def snapshot():
        with connection.cursor() as cursor:
            cursor.execute(
                "select (select count(*) from pghistory_context)"
                " + (select count(*) from careplans_goalmeasurement)"
                " + (select count(*) from teams_membership)"
            )
            return cursor.fetchone()[0]

    before = snapshot()
    version = {} if name in CREATING else {"expected_version": 1}
    with pytest.raises(PermissionDenied):
        CALLS[name](world, {"actor": outsider, **version})
    assert snapshot() == before


@pytest.mark.parametrize("name", sorted(set(CALLS) - CREATING))
def test_a_stale_version_is_refused(name, world, nurse):
    if name == "end_membership":
        lead = factories.UserFactory()
        factories.MembershipFactory(user=lead, team=world["team"], is_team_lead=True)
        nurse = lead
    with pytest.raises(StaleVersionError):
        CALLS[name](world, {"actor": nurse, "expected_version": 0})


# Survey invitations keep no history on purpose: a history row would time-stamp them (docs/partnering.md).
WITHOUT_HISTORY = {"issue_survey_tokens"}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_team_member_succeeds_and_history_names_them(name, world, nurse, physician):
    from pghistory.models import Context

    actor = physician if name == "record_plan_review" else nurse
    if name in {"add_team_member", "end_membership"}:
        actor = factories.UserFactory()
        factories.MembershipFactory(user=actor, team=world["team"], is_team_lead=True)
    version = {} if name in CREATING else {"expected_version": 1}
    earlier = set(
        Context.objects.values_list("id", flat=True)
    )  # now() is fixed within the test's transaction

    CALLS[name](world, {"actor": actor, **version})

    changed = Context.objects.exclude(id__in=earlier)
    if name in WITHOUT_HISTORY:
        assert not changed.exists()
        return
    assert changed.exists()
    assert {c.metadata.get("user") for c in changed} == {actor.pk}
