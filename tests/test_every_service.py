"""Two promises every service keeps, checked for each one in a table:

- an outsider (a member of another team) is refused and nothing changes;
- a change from a stale version is refused (for services that edit an existing record).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from careplans import services as plans
from patients import services as patients
from teams import services as teams
from teams.models import Membership
from teams.records import StaleVersionError
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def world(care_plan, nurse):
    """One record of each kind the services act on, all on the nurse's team."""
    goal = factories.GoalFactory(plan=care_plan)
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
    }


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
    "request_printout",
}


def test_the_table_names_every_public_service():
    import inspect

    from careplans import services as careplan_services

    public = {
        name
        for module in (careplan_services, patients, teams)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_") and name != "editable_fields"
    }
    # Own specs: reopen; and the ones a task calls, with no actor.
    untested_here = {"reopen_plan_item", "expire_information_releases", "store_printout", "fail_printout"}
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


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_team_member_succeeds_and_history_names_them(name, world, nurse):
    from pghistory.models import Context

    actor = nurse
    if name in {"add_team_member", "end_membership"}:
        actor = factories.UserFactory()
        factories.MembershipFactory(user=actor, team=world["team"], is_team_lead=True)
    version = {} if name in CREATING else {"expected_version": 1}
    earlier = set(
        Context.objects.values_list("id", flat=True)
    )  # now() is fixed within the test's transaction

    CALLS[name](world, {"actor": actor, **version})

    changed = Context.objects.exclude(id__in=earlier)
    assert changed.exists()
    assert {c.metadata.get("user") for c in changed} == {actor.pk}
