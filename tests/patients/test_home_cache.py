"""The home page's worklist and patient list are kept in the cache until anything they show changes.

A cached home page must be the page: every write to what its sections or its list show, however it
is made, shows on the very next look; what a team shares is shared only by people on exactly the same
teams, and a user's own sections are theirs alone.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from careplans import comments, services
from careplans.models import ActionStep, CarePlan, CommunityService, Goal
from patients import services as patient_services
from patients.models import AccessEvent, Patient
from teams.models import Membership, Team, User
from tests import factories

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def tables_read(queries) -> set[str]:
    return {table for query in queries for table in re.findall(r'(?:FROM|JOIN) "?(\w+)"?', query["sql"])}


def without_tokens(html: str) -> str:
    """The page with its per-request parts (CSRF tokens, CSP nonces) blanked out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    html = re.sub(r'"x-csrftoken": "[^"]+"', '"x-csrftoken": ""', html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def one_of_everything(team: Team, member: User, family_name: str) -> CarePlan:
    """A patient who is on every section of `member`'s worklist."""
    patient = factories.PatientFactory(team=team, family_name=family_name, given_name="Pat")
    plan = factories.CarePlanFactory(patient=patient, next_review_due=days(-2))
    factories.ActionStepFactory(
        plan=plan,
        description=f"Call {family_name} about the inhaler",
        due_date=days(-1),
        responsible_party="team_member",
        responsible_member=member,
    )
    factories.GoalFactory(
        plan=plan, description=f"{family_name} walks to the mailbox", achievement_status="worsening"
    )
    factories.CommunityServiceFactory(
        plan=plan, organization_name=f"{family_name} Food Bank", status="referred", referred_on=days(-9)
    )
    return plan


@pytest.fixture
def plan(team, nurse) -> CarePlan:
    return one_of_everything(team, nurse, "Lovelace")


@pytest.fixture
def seen(client, nurse, plan) -> Client:
    """The nurse, signed in, with her home page looked at once (so it is in the cache)."""
    client.force_login(nurse)
    client.get(HOME)
    return client


def test_a_second_look_is_the_same_page_served_from_the_cache(seen, plan):
    first = seen.get(HOME)
    with CaptureQueriesContext(connection) as hit:
        second = seen.get(HOME)

    assert second.status_code == 200
    assert without_tokens(second.text) == without_tokens(first.text)
    for shown in ("Call Lovelace about the inhaler", "Lovelace walks to the mailbox", "Lovelace Food Bank"):
        assert shown in second.text
    # Neither the worklist's tables nor the patient list's plans are read on a cached look (patients are,
    # by the team lead's list of emergency access grants).
    assert not tables_read(hit) & {
        "careplans_careplan",
        "careplans_actionstep",
        "careplans_goal",
        "careplans_communityservice",
        "careplans_commentmention",
        "careplans_planvisit",
    }, tables_read(hit)


def test_a_cached_look_costs_the_same_few_queries_for_a_panel_of_1_or_30(client, nurse, team):
    one_of_everything(team, nurse, "Small")
    client.force_login(nurse)
    client.get(HOME)
    with CaptureQueriesContext(connection) as small:
        client.get(HOME)
    for n in range(29):
        one_of_everything(team, nurse, f"Large{n}")
    client.get(HOME)
    with CaptureQueriesContext(connection) as large:
        response = client.get(HOME)

    assert response.context["worklist"]["action_steps"].count_label == "20+"
    assert len(large) == len(small) <= 8, [query["sql"] for query in large.captured_queries]


def test_each_look_is_recorded_in_the_access_log_with_the_number_of_patients_listed(seen, nurse, plan):
    seen.get(HOME)
    event = AccessEvent.objects.filter(agent=nurse).latest("recorded", "pk")
    assert event.get_subtype_display() == "Search"
    assert event.result_count == 1


def _complete_step(plan, nurse):
    step = plan.action_steps.get()
    services.end_plan_item(
        item=step, expected_version=step.version, actor=nurse, status="done", reason="Done"
    )
    return "Call Lovelace about the inhaler", False


def _new_step(plan, nurse):
    factories.ActionStepFactory(
        plan=plan, description="Book the eye exam", responsible_party="team_member", responsible_member=nurse
    )
    return "Book the eye exam", True


def _review_moved(plan, nurse):
    plan.refresh_from_db()
    services.set_next_review_date(
        plan=plan, expected_version=plan.version, actor=nurse, next_review_due=days(60), reason="Stable"
    )
    return f'href="/plans/{plan.pk}/#reviews"', False


def _goal_improving(plan, nurse):
    goal = plan.goals.get()
    services.update_plan_item(
        item=goal, expected_version=goal.version, actor=nurse, changes={"achievement_status": "improving"}
    )
    return "Lovelace walks to the mailbox", False


def _referral_started(plan, nurse):
    service = plan.community_services.get()
    services.move_plan_item(item=service, expected_version=service.version, actor=nurse, status="active")
    return "Lovelace Food Bank", False


def _bulk_update(plan, nurse):
    # No service: the database notices all the same.
    Goal.objects.filter(plan=plan).update(description="Walks to the corner shop")
    return "Walks to the corner shop", True


def _plan_ended(plan, nurse):
    CarePlan.objects.filter(pk=plan.pk).update(status=CarePlan.Status.COMPLETED)
    return "Lovelace Food Bank", False


def _patient_renamed(plan, nurse):
    patient = plan.patient
    patient_services.update_patient(
        patient=patient, expected_version=patient.version, actor=nurse, changes={"family_name": "Byron"}
    )
    return "Byron, Pat", True


def _new_patient(plan, nurse):
    factories.PatientFactory(team=plan.patient.team, family_name="Hopper", given_name="Grace")
    return "Hopper, Grace", True


def _patient_left_the_team(plan, nurse):
    elsewhere = factories.TeamFactory(name="Birch Team", organization=plan.patient.team.organization)
    Patient.objects.filter(pk=plan.patient_id).update(team=elsewhere)
    return "Lovelace", False


def _responsible_renamed(plan, nurse):
    service = plan.community_services.get()
    CommunityService.objects.filter(pk=service.pk).update(
        responsible_party="team_member", responsible_member=nurse
    )
    nurse.last_name = "Okafor-Reyes"
    nurse.save()
    return "Okafor-Reyes", True


def _mentioned(plan, nurse):
    author = factories.UserFactory(username="sam.social", first_name="Sam", last_name="Social")
    factories.MembershipFactory(user=author, team=plan.patient.team)
    comments.add_comment(plan=plan, actor=author, body="@nina.nurse can you call the food bank?")
    return "can you call the food bank?", True


@pytest.mark.parametrize(
    "change",
    [
        _complete_step,
        _new_step,
        _review_moved,
        _goal_improving,
        _referral_started,
        _bulk_update,
        _plan_ended,
        _patient_renamed,
        _new_patient,
        _patient_left_the_team,
        _responsible_renamed,
        _mentioned,
    ],
)
def test_every_change_to_what_the_home_page_shows_is_on_the_next_look(seen, nurse, plan, change):
    text, now_shown = change(plan, nurse)
    html = seen.get(HOME).text
    assert (text in html) is now_shown, text


def test_opening_a_plan_marks_its_mentions_read_and_the_next_look_says_so(seen, nurse, plan):
    _mentioned(plan, nurse)
    assertContains(seen.get(HOME), "can you call the food bank?")

    seen.get(reverse("careplans:plan-detail", args=[plan.pk]))

    assertNotContains(seen.get(HOME), "can you call the food bank?")


def test_a_plan_someone_else_changed_since_i_looked_is_on_the_next_look(seen, nurse, physician, plan):
    seen.get(reverse("careplans:plan-detail", args=[plan.pk]))
    assertContains(seen.get(HOME), "No plan has changed since you last looked.")

    step = plan.action_steps.get()
    services.update_plan_item(
        item=step, expected_version=step.version, actor=physician, changes={"description": "Call at noon"}
    )

    response = seen.get(HOME)
    assertNotContains(response, "No plan has changed since you last looked.")
    assert response.context["worklist"]["changed_plans"].count_label == "1"

    seen.get(reverse("careplans:plan-detail", args=[plan.pk]))  # she looks at the change

    assertContains(seen.get(HOME), "No plan has changed since you last looked.")


def test_opening_a_plan_nobody_else_changed_since_keeps_the_home_page_cached(seen, nurse, physician, plan):
    step = plan.action_steps.get()
    services.update_plan_item(  # a change by someone else, before she first looks
        item=step, expected_version=step.version, actor=physician, changes={"description": "Call at noon"}
    )
    seen.get(reverse("careplans:plan-detail", args=[plan.pk]))
    seen.get(HOME)
    seen.get(reverse("careplans:plan-detail", args=[plan.pk]))  # a second visit: an update, not an insert

    with CaptureQueriesContext(connection) as look:
        seen.get(HOME)

    assert not tables_read(look) & {"careplans_planvisit", "careplans_actionstep", "careplans_comment"}


def test_the_team_shares_its_sections_but_each_member_has_their_own_steps(seen, nurse, physician, plan):
    other = Client()
    other.force_login(physician)
    with CaptureQueriesContext(connection) as look:
        response = other.get(HOME)

    # Reviews, goals, referrals and the list: rendered for the nurse, served to the physician.
    assert not tables_read(look) & {"careplans_goal", "careplans_communityservice"}
    assertContains(response, "Lovelace Food Bank")
    # The steps are the nurse's.
    assertNotContains(response, "Call Lovelace about the inhaler")
    assert response.context["worklist"]["action_steps"].count_label == "0"


def test_joining_or_leaving_a_team_changes_what_is_shown_at_once(seen, nurse, team):
    other_team = factories.TeamFactory(name="Cedar Team", organization=team.organization)
    one_of_everything(other_team, factories.UserFactory(), "Cedarwood")
    assertNotContains(seen.get(HOME), "Cedarwood")

    factories.MembershipFactory(user=nurse, team=other_team)
    assertContains(seen.get(HOME), "Cedarwood Food Bank")

    Membership.objects.filter(user=nurse, team=other_team).update(ended_on=days(0))
    assertNotContains(seen.get(HOME), "Cedarwood")


def test_an_outsider_never_gets_the_teams_fragments(seen, outsider, plan):
    other = Client()
    other.force_login(outsider)
    response = other.get(HOME)
    assertNotContains(response, "Lovelace")


def test_a_new_day_renders_afresh(client, nurse, team):
    plan = one_of_everything(team, nurse, "Lovelace")
    ActionStep.objects.filter(plan=plan).update(due_date=days(1))
    client.force_login(nurse)
    steps = str(client.get(HOME).context["worklist"]["action_steps"])
    assert "Overdue" not in steps

    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        client.force_login(nurse)  # sessions end after 12 hours
        steps = str(client.get(HOME).context["worklist"]["action_steps"])
        assert "Overdue" in steps


def test_a_search_is_never_served_from_the_cache(seen, nurse, team):
    factories.PatientFactory(team=team, family_name="Hopper", given_name="Grace")
    assertContains(seen.get(HOME, {"q": "Hopper"}), "Hopper, Grace")
    assertContains(seen.get(HOME, {"q": "Hopper"}, headers={"HX-Request": "true"}), "Hopper, Grace")
    rows = seen.get(HOME, {"q": ""}, headers={"HX-Request": "true"})
    assertContains(rows, "Hopper, Grace")
    assertContains(rows, 'hx-swap-oob="innerHTML"')


def test_every_table_the_home_page_reads_is_watched_by_a_stamp(client, nurse, team):
    """A new section reading a new table fails here until the stamps' triggers cover that table."""
    one_of_everything(team, nurse, "Lovelace")
    client.force_login(nurse)
    client.get(HOME)
    Team.objects.filter(pk=team.pk).update(name="Maple Team B")  # the next look renders everything
    with CaptureQueriesContext(connection) as miss:
        client.get(HOME)
    with CaptureQueriesContext(connection) as hit:
        client.get(HOME)
    read = tables_read(miss) - tables_read(hit)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'careweave_page_stamp_%%'"
        )
        watched = {row[0] for row in cursor.fetchall()}
    assert {"careplans_goal", "careplans_planvisit", "careplans_commentmention", "careplans_careplan"} <= read
    assert read <= watched, read - watched


def test_writes_bump_the_stamp_of_the_team_they_touch_and_no_other(nurse, team, plan):
    other_team = factories.TeamFactory(organization=team.organization)
    other_plan = one_of_everything(other_team, factories.UserFactory(), "Elsewhere")

    def stamp(team_id):
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq FROM careplans_pagestamp WHERE key = %s", [f"team-{team_id}"])
            row = cursor.fetchone()
        return row[0] if row else 0

    before = stamp(team.pk), stamp(other_team.pk)
    services.record_goal_measurement(
        goal=plan.goals.get(), actor=nurse, value=Decimal("7.1"), measured_on=days(0), source="clinic"
    )
    after = stamp(team.pk), stamp(other_team.pk)
    assert after[0] > before[0]
    assert after[1] == before[1]

    # A patient moving team: both teams' lists change.
    Patient.objects.filter(pk=other_plan.patient_id).update(team=team)
    assert stamp(team.pk) > after[0]
    assert stamp(other_team.pk) > after[1]
