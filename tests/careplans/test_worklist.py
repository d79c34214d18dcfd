"""The worklist on the home page: what the signed-in user should do next, across their teams."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from careplans import services
from careplans.models import ActionStep, CarePlan, CommunityService, Goal, GoalMeasurement
from careplans.worklist import (
    SECTION_ROW_LIMIT,
    action_steps_assigned_to,
    goals_off_track,
    referrals_waiting,
    reviews_due,
    worklist_for,
)
from patients import services as patient_services
from patients.models import Patient
from teams.models import Team, User
from tests import factories

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    """Today plus `n` days (minus, when `n` is negative)."""
    return timezone.localdate() + datetime.timedelta(days=n)


def ago(n: int) -> datetime.datetime:
    """Noon, local time, `n` days ago.

    Not `now - n days`: across a change of daylight saving time, that lands on the local day before or
    after near midnight, and the worklist counts local days.
    """
    return timezone.make_aware(datetime.datetime.combine(days(-n), datetime.time(12)))


def plan_for(team: Team, family_name: str, **plan_fields) -> CarePlan:
    patient = factories.PatientFactory(team=team, family_name=family_name, given_name="Pat")
    return factories.CarePlanFactory(patient=patient, **plan_fields)


def step_for(member: User | None, plan: CarePlan, **fields) -> ActionStep:
    if member is not None:
        fields |= {"responsible_party": "team_member", "responsible_member": member}
    return factories.ActionStepFactory(plan=plan, **fields)


def stale_goal(plan: CarePlan, **fields) -> Goal:
    """A measurable goal set and last measured long ago."""
    fields = {"baseline_date": days(-200), "created_at": ago(200), **fields}
    return factories.GoalFactory(plan=plan, **fields)


def measure(goal: Goal, on: datetime.date, *, in_error: bool = False) -> GoalMeasurement:
    """Record a value the way the team does, through the services (they keep `goal.last_measured_on`)."""
    member = User.objects.filter(memberships__team=goal.plan.patient.team_id).first()
    measurement = services.record_goal_measurement(
        goal=goal, actor=member, value=Decimal("8.2"), measured_on=on, source="clinic"
    )
    if in_error:
        services.mark_measurement_in_error(
            measurement=measurement,
            expected_version=measurement.version,
            actor=member,
            reason="Wrong patient",
        )
    return measurement


def sections_of(worklist):
    """The sections of a `Worklist`, or of the home page's context (each section as the page shows it)."""
    names = ("reviews_due", "action_steps", "goals_off_track", "referrals_waiting")
    if isinstance(worklist, dict):
        return [worklist[name] for name in names]
    return [getattr(worklist, name) for name in names]


@pytest.fixture
def other_team(outsider) -> Team:
    return outsider.memberships.get().team


# Reviews


def test_reviews_overdue_or_due_within_two_weeks_are_listed_overdue_first(nurse, team):
    soon = plan_for(team, "Soon", next_review_due=days(14))
    overdue = plan_for(team, "Overdue", next_review_due=days(-3))
    today = plan_for(team, "Today", next_review_due=days(0))
    assert list(reviews_due(nurse, today=days(0))) == [overdue, today, soon]


def test_reviews_due_later_or_not_scheduled_are_not_listed(nurse, team):
    plan_for(team, "Later", next_review_due=days(15))
    plan_for(team, "Unscheduled", next_review_due=None)
    assert list(reviews_due(nurse, today=days(0))) == []


@pytest.mark.parametrize("status", ["draft", "on_hold", "completed", "revoked"])
def test_only_active_plans_are_listed_for_review(nurse, team, status):
    plan_for(team, "Paused", status=status, next_review_due=days(-1))
    assert list(reviews_due(nurse, today=days(0))) == []


def test_reviews_of_another_teams_patients_are_not_listed(nurse, other_team):
    plan_for(other_team, "Stranger", next_review_due=days(-1))
    assert list(reviews_due(nurse, today=days(0))) == []


def test_a_patient_who_left_the_panel_drops_off_the_worklist(nurse, team):
    plan = plan_for(team, "Moved", next_review_due=days(-1))
    step_for(nurse, plan, due_date=days(-1))
    stale_goal(plan)
    factories.CommunityServiceFactory(plan=plan, status="referred")
    Patient.objects.filter(pk=plan.patient_id).update(status=Patient.Status.TRANSFERRED)
    worklist = worklist_for(nurse)
    assert [section.count_label for section in sections_of(worklist)] == ["0"] * 4


# A patient moving to another team (the team is copied onto plans, goals and services by the database)


@pytest.fixture
def birch(team) -> Team:
    return factories.TeamFactory(organization=team.organization, name="Birch Team")


@pytest.fixture
def birch_nurse(birch) -> User:
    user = factories.UserFactory(username="bea.birch", first_name="Bea", last_name="Birch")
    factories.MembershipFactory(user=user, team=birch)
    return user


def overdue_everything(team: Team, family_name: str) -> tuple[CarePlan, Goal, CommunityService]:
    plan = plan_for(team, family_name, status="active", next_review_due=days(-1))
    goal = stale_goal(plan, achievement_status="worsening")
    service = factories.CommunityServiceFactory(plan=plan, status="referred", referred_on=days(-9))
    return plan, goal, service


def listed(user: User) -> tuple[list, list, list]:
    """What `user` has in the three sections that find rows by their team: reviews, goals, referrals."""
    today = days(0)
    return (
        list(reviews_due(user, today=today)),
        list(goals_off_track(user, today=today)),
        list(referrals_waiting(user, today=today)),
    )


def test_a_patient_moved_to_another_team_takes_their_worklist_rows_along(nurse, team, birch, birch_nurse):
    plan, goal, service = overdue_everything(team, "Mover")
    assert listed(nurse) == ([plan], [goal], [service])
    assert listed(birch_nurse) == ([], [], [])
    lead = factories.UserFactory(username="lee.lead")
    for each in (team, birch):
        factories.MembershipFactory(user=lead, team=each, is_team_lead=True)

    patient_services.update_patient(
        patient=plan.patient,
        expected_version=plan.patient.version,
        actor=lead,
        changes={"team": birch},
        reason="Moved nearer the Birch clinic",
    )

    assert listed(nurse) == ([], [], [])
    assert listed(birch_nurse) == ([plan], [goal], [service])


def test_the_team_on_plans_and_items_is_kept_by_the_database_whatever_writes_them(team, birch, birch_nurse):
    plan, goal, service = overdue_everything(team, "Saved")
    for record in (plan, goal, service):
        assert record.worklist_team_id is None  # created in Python: the copy is the database's alone
        record.save()  # ... and a save that sends NULL for it leaves it as it was
    Patient.objects.filter(pk=plan.patient_id).update(team=birch)  # a bulk update, no service
    later = stale_goal(plan, achievement_status="worsening")

    copies = [
        *CarePlan.objects.filter(pk=plan.pk).values_list("worklist_team_id", flat=True),
        *Goal.objects.filter(plan=plan).values_list("worklist_team_id", flat=True),
        *CommunityService.objects.filter(plan=plan).values_list("worklist_team_id", flat=True),
    ]
    assert copies == [birch.pk] * 4
    assert listed(birch_nurse) == ([plan], [goal, later], [service])


def test_a_move_adds_no_history_to_the_plan_or_its_items(team, birch):
    plan, goal, service = overdue_everything(team, "Quiet")
    events = [
        type(record).pgh_event_model.objects.filter(pgh_obj_id=record.pk) for record in (plan, goal, service)
    ]
    before = [each.count() for each in events]
    Patient.objects.filter(pk=plan.patient_id).update(team=birch)
    assert [each.count() for each in events] == before


# Action steps assigned to me


def my_steps(user: User) -> list[ActionStep]:
    """The steps on `user`'s worklist, which are the first rows of `action_steps_assigned_to`."""
    rows = worklist_for(user).action_steps.rows
    assert rows == list(action_steps_assigned_to(user)[:SECTION_ROW_LIMIT])
    return rows


def test_my_open_steps_are_listed_overdue_first_then_by_due_date(nurse, care_plan):
    later = step_for(nurse, care_plan, due_date=days(20))
    overdue = step_for(nurse, care_plan, due_date=days(-10), status="in_progress")
    soon = step_for(nurse, care_plan, due_date=days(2))
    just_overdue = step_for(nurse, care_plan, due_date=days(-1))
    urgent = step_for(nurse, care_plan, due_date=days(30), is_urgent=True)
    assert my_steps(nurse) == [urgent, overdue, just_overdue, soon, later]


def test_steps_for_other_people_or_the_patient_are_not_mine(nurse, physician, care_plan):
    step_for(physician, care_plan, due_date=days(-1))
    step_for(None, care_plan, due_date=days(-1), responsible_party="patient")
    step_for(None, care_plan, due_date=days(-1), responsible_party="caregiver")
    assert my_steps(nurse) == []
    assert len(my_steps(physician)) == 1


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_finished_steps_are_not_listed(nurse, care_plan, status):
    step_for(nurse, care_plan, due_date=days(-1), status=status, status_reason="Finished")
    assert my_steps(nurse) == []


def test_my_steps_for_a_team_i_have_left_are_not_listed(nurse, care_plan):
    step_for(nurse, care_plan, due_date=days(-1))
    nurse.memberships.update(ended_on=days(0))
    assert my_steps(nurse) == []


def test_my_steps_on_plans_i_may_not_see_do_not_crowd_out_the_ones_i_may(nurse, team, other_team):
    """Her section is read a page at a time in due order; pages of steps she may not see are skipped."""
    hidden_plan = plan_for(other_team, "Elsewhere")  # a team she is not on (say she left it)
    closed_plan = plan_for(team, "Closed", status="completed")
    for day in range(SECTION_ROW_LIMIT * 3):  # more than a page, all due before hers
        step_for(nurse, hidden_plan if day % 2 else closed_plan, due_date=days(-100 + day))
    mine = [step_for(nurse, plan_for(team, f"Mine{n}"), due_date=days(n)) for n in range(3)]

    worklist = worklist_for(nurse)

    assert worklist.action_steps.rows == mine
    assert worklist.action_steps.count_label == "3"
    assert my_steps(nurse) == mine


def test_a_full_section_of_steps_says_there_are_more(nurse, care_plan):
    steps = [step_for(nurse, care_plan, due_date=days(n)) for n in range(SECTION_ROW_LIMIT + 1)]
    section = worklist_for(nurse).action_steps
    assert section.rows == steps[:SECTION_ROW_LIMIT]
    assert section.count_label == f"{SECTION_ROW_LIMIT}+"


@pytest.mark.parametrize("status", ["completed", "revoked"])
def test_items_on_a_closed_plan_are_not_listed(nurse, team, status):
    plan = plan_for(team, "Closed", status=status)
    step_for(nurse, plan, due_date=days(-1))
    stale_goal(plan)
    factories.CommunityServiceFactory(plan=plan, status="referred")
    worklist = worklist_for(nurse)
    assert [section.count_label for section in sections_of(worklist)] == ["0"] * 4


# Goals off track


def test_a_measurable_goal_with_nothing_recorded_in_90_days_is_off_track(nurse, care_plan):
    goal = stale_goal(care_plan)
    measure(goal, days(-91))
    [listed] = goals_off_track(nurse, today=days(0))
    assert listed == goal
    assert listed.unmeasured and not listed.worsening
    assert listed.last_measured_on == days(-91)


def test_a_goal_measured_within_90_days_is_on_track(nurse, care_plan):
    measure(stale_goal(care_plan), days(-90))
    measure(stale_goal(care_plan), days(-3))
    assert list(goals_off_track(nurse, today=days(0))) == []


def test_a_measurement_entered_in_error_does_not_count(nurse, care_plan):
    goal = stale_goal(care_plan)
    measure(goal, days(-3), in_error=True)
    [listed] = goals_off_track(nurse, today=days(0))
    assert listed == goal
    assert listed.last_measured_on is None


def test_a_goal_set_or_baselined_recently_is_not_yet_unmeasured(nurse, care_plan):
    factories.GoalFactory(plan=care_plan, baseline_date=days(-30))
    factories.GoalFactory(plan=care_plan, baseline_date=None, baseline_value=None)
    assert list(goals_off_track(nurse, today=days(0))) == []


def test_a_goal_is_unmeasured_only_once_its_start_its_baseline_and_its_last_value_are_all_over_90_days_old(
    nurse, care_plan
):
    never_measured = stale_goal(care_plan, baseline_date=None, baseline_value=None, created_at=ago(91))
    stale_goal(care_plan, baseline_date=None, baseline_value=None, created_at=ago(89))
    stale_goal(care_plan, baseline_date=days(-90))
    measure(stale_goal(care_plan, baseline_date=days(-120)), days(-90))
    old_everything = stale_goal(care_plan, baseline_date=days(-100))
    measure(old_everything, days(-95))
    assert set(goals_off_track(nurse, today=days(0))) == {never_measured, old_everything}


def test_a_goal_without_a_measure_is_off_track_only_when_worsening(nurse, care_plan):
    unmeasurable = {"measure": "", "unit": "", "baseline_value": None, "target_value": None}
    stale_goal(care_plan, **unmeasurable, target_comparator="")
    worsening = stale_goal(care_plan, **unmeasurable, target_comparator="", achievement_status="worsening")
    assert list(goals_off_track(nurse, today=days(0))) == [worsening]


def test_worsening_goals_come_first_even_when_recently_measured(nurse, care_plan):
    unmeasured = stale_goal(care_plan)
    worsening = stale_goal(care_plan, achievement_status="worsening")
    measure(worsening, days(-2))
    listed = list(goals_off_track(nurse, today=days(0)))
    assert listed == [worsening, unmeasured]
    assert listed[0].worsening and not listed[0].unmeasured


@pytest.mark.parametrize("status", ["proposed", "on_hold", "completed", "cancelled"])
def test_only_active_goals_are_listed(nurse, care_plan, status):
    stale_goal(care_plan, status=status, achievement_status="worsening", status_reason="Changed")
    assert list(goals_off_track(nurse, today=days(0))) == []


def test_goals_of_another_teams_patients_are_not_listed(nurse, other_team):
    stale_goal(plan_for(other_team, "Stranger"), achievement_status="worsening")
    assert list(goals_off_track(nurse, today=days(0))) == []


# Referrals waiting on a next step


def test_recommended_and_referred_services_are_listed_longest_waiting_first(nurse, care_plan):
    recent = factories.CommunityServiceFactory(plan=care_plan, status="referred", referred_on=days(-5))
    oldest = factories.CommunityServiceFactory(plan=care_plan, status="referred", referred_on=days(-40))
    recommended = factories.CommunityServiceFactory(plan=care_plan, status="recommended", created_at=ago(12))
    listed = list(referrals_waiting(nurse, today=days(0)))
    assert listed == [oldest, recommended, recent]
    assert [service.waited.days for service in listed] == [40, 12, 5]
    assert listed[0].waiting_since == days(-40)


@pytest.mark.parametrize("status", ["active", "completed", "declined"])
def test_services_under_way_or_ended_are_not_waiting(nurse, care_plan, status):
    factories.CommunityServiceFactory(plan=care_plan, status=status, status_reason="Moved on")
    assert list(referrals_waiting(nurse, today=days(0))) == []


def test_referrals_of_another_teams_patients_are_not_listed(nurse, other_team):
    factories.CommunityServiceFactory(plan=plan_for(other_team, "Stranger"), status="referred")
    assert list(referrals_waiting(nurse, today=days(0))) == []


# The page


def give_a_patient_one_of_everything(team: Team, nurse: User, family_name: str) -> CarePlan:
    plan = plan_for(team, family_name, next_review_due=days(-2))
    step_for(nurse, plan, description=f"Call {family_name} about the new inhaler", due_date=days(-1))
    goal = stale_goal(plan, description=f"{family_name} walks to the mailbox", achievement_status="worsening")
    measure(goal, days(-120))
    factories.CommunityServiceFactory(
        plan=plan, organization_name=f"{family_name} Food Bank", status="referred", referred_on=days(-9)
    )
    return plan


def test_every_section_links_each_row_to_its_section_of_the_plan(client, nurse, team):
    plan = give_a_patient_one_of_everything(team, nurse, "Lovelace")
    client.force_login(nurse)
    response = client.get(reverse("home"))
    plan_url = reverse("careplans:plan-detail", args=[plan.id])
    for anchor in ("#reviews", "#action-steps", "#goals", "#community-services"):
        assertContains(response, f'href="{plan_url}{anchor}"', count=1)
    assertContains(response, "Call Lovelace about the new inhaler")
    assertContains(response, "Lovelace walks to the mailbox")
    assertContains(response, "Worsening")
    assertContains(response, "Not measured in 90 days")
    assertContains(response, "Lovelace Food Bank")
    assertContains(response, "9 days")


def test_each_section_is_a_labelled_region_of_tables_with_row_and_column_headers(client, nurse, team):
    give_a_patient_one_of_everything(team, nurse, "Lovelace")
    client.force_login(nurse)
    html = client.get(reverse("home")).content.decode()
    for name in ("reviews-due", "my-action-steps", "goals-off-track", "referrals-waiting"):
        assert (
            f'<section id="{name}" class="plan-section worklist-section" aria-labelledby="{name}-heading">'
            in html
        )
        assert f'<h2 id="{name}-heading">' in html
    assert html.count('<th scope="row">') >= 4
    assert '<th scope="col">Review due</th>' in html


def test_empty_sections_say_so(client, nurse, care_plan):
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(response, "No reviews are overdue or due in the next two weeks.")
    assertContains(response, "No open action steps are assigned to you.")
    assertContains(response, "No goals are off track.")
    assertContains(response, "No referrals are waiting on a next step.")


def test_a_long_section_shows_the_most_urgent_rows_and_says_there_are_more_without_counting(
    client, nurse, care_plan
):
    for n in range(22):
        step_for(nurse, care_plan, description=f"Step number {n}", due_date=days(n - 5))
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(response, "Showing the 20 most urgent; there are more.")
    assertContains(
        response, '<h2 id="my-action-steps-heading">Your action steps <span class="badge">20+</span></h2>'
    )
    assertContains(response, "Step number 0<")
    assertNotContains(response, "Step number 21<")
    assert response.context["worklist"]["action_steps"].count_label == "20+"


def test_a_section_that_fits_shows_its_exact_number_and_no_note(client, nurse, care_plan):
    for n in range(20):
        step_for(nurse, care_plan, description=f"Step number {n}", due_date=days(n - 5))
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(
        response, '<h2 id="my-action-steps-heading">Your action steps <span class="badge">20</span></h2>'
    )
    assertNotContains(response, "there are more")
    assert response.context["worklist"]["action_steps"].count_label == "20"


def test_each_worklist_section_is_one_query(nurse, care_plan, django_assert_num_queries):
    step_for(nurse, care_plan, description="Phone the pharmacy", due_date=days(1))
    with django_assert_num_queries(6):  # one per section; the user's teams are a subquery of each
        worklist_for(nurse)


def test_a_section_can_be_rendered_on_its_own(nurse, care_plan, rf):
    step_for(nurse, care_plan, description="Phone the pharmacy", due_date=days(1))
    request = rf.get("/")
    request.user = nurse
    html = render_to_string(
        "patients/patient_list.html#my-action-steps",
        {"worklist": worklist_for(nurse), "teams": [care_plan.patient.team]},
        request=request,
    )
    assert html.strip().startswith('<section id="my-action-steps"')
    assert "Phone the pharmacy" in html
    assert "<html" not in html


def test_the_home_page_costs_the_same_queries_for_2_patients_as_for_30(client, nurse, physician, team):
    client.force_login(nurse)
    client.get(reverse("home"))  # the first request after signing in also touches the session
    for n in range(2):
        give_a_patient_one_of_everything(team, nurse, f"Small{n}")

    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse("home"))
    assert [section.count_label for section in sections_of(response.context["worklist"])] == ["2"] * 4

    for n in range(28):
        give_a_patient_one_of_everything(team, nurse, f"Large{n}")
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("home"))
    assert [section.count_label for section in sections_of(response.context["worklist"])] == ["20+"] * 4

    assert len(large) == len(small), [query["sql"] for query in large.captured_queries]


def test_the_worklist_spans_all_of_my_teams_and_names_the_team(client, physician, team):
    second_team = factories.TeamFactory(name="Cedar Team", organization=team.organization)
    factories.MembershipFactory(user=physician, team=second_team)
    plan_for(team, "Maple", next_review_due=days(-1))
    plan_for(second_team, "Cedar", next_review_due=days(1))
    client.force_login(physician)
    response = client.get(reverse("home"))
    reviews = str(response.context["worklist"]["reviews_due"])
    assert 0 < reviews.index("Maple") < reviews.index("Cedar")
    assertContains(response, '<span class="sub">Cedar Team</span>', html=True)


def test_the_outsider_sees_none_of_our_patients_on_the_worklist(client, outsider, nurse, team):
    give_a_patient_one_of_everything(team, outsider, "Lovelace")  # even a step assigned to her by mistake
    client.force_login(outsider)
    response = client.get(reverse("home"))
    assert [section.count_label for section in sections_of(response.context["worklist"])] == ["0"] * 4
    assertNotContains(response, "Lovelace")


def test_an_htmx_search_does_not_build_the_worklist(client, nurse, team):
    give_a_patient_one_of_everything(team, nurse, "Lovelace")
    client.force_login(nurse)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"), {"q": "Lovelace"}, headers={"HX-Request": "true"})
    assert "Lovelace" in response.content.decode()
    assert "Your action steps" not in response.content.decode()
    tables = ("careplans_actionstep", "careplans_goal", "careplans_communityservice")
    assert not [query for query in queries.captured_queries if any(table in query["sql"] for table in tables)]


def test_the_home_page_needs_no_query_per_row_for_a_member_of_two_teams(client, nurse, team):
    """Every shown field of every row (team names, responsible people, targets): 2 rows or 12, the same queries."""
    second_team = factories.TeamFactory(name="Cedar Team", organization=team.organization)
    factories.MembershipFactory(user=nurse, team=second_team)
    client.force_login(nurse)
    client.get(reverse("home"))

    def add(count, prefix):
        for n in range(count):
            plan = give_a_patient_one_of_everything(team if n % 2 else second_team, nurse, f"{prefix}{n}")
            plan.responsible_member = nurse
            plan.save()
            plan.community_services.update(responsible_party="team_member", responsible_member=nurse)

    add(2, "Small")
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse("home"))
    add(10, "Large")
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("home"))

    assert len(large) == len(small), [query["sql"] for query in large.captured_queries]
    html = response.content.decode()
    assert html.count('<span class="sub">Cedar Team</span>') >= 4 * 6  # six rows per section there
    assert nurse.get_full_name() in html
    assert "target less than 8 %" in html
