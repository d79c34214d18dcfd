"""The plan's history: who changed what, when, from what to what, and why, newest first."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from careplans import history, services
from careplans.models import CarePlan, CommunityService, Goal, Medication, Problem
from patients import services as patient_services
from tests import factories
from tests.factories import ITEM_FACTORIES

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Events are ordered by time, and PostgreSQL's NOW() is the transaction's start: within one test's
# transaction, events of different tables tie. Tests comparing such events either look at one kind
# of record (events of one table keep their order) or commit each change (transaction=True).


def history_url(plan: CarePlan) -> str:
    return reverse("careplans:plan-history", args=[plan.pk])


def item_history_url(plan: CarePlan, kind: str, item) -> str:
    return reverse("careplans:item-history", args=[plan.pk, kind, item.pk])


def add(plan, model, actor, **values):
    return services.add_plan_item(plan=plan, model=model, actor=actor, values=values)


def medication(plan, actor, **values):
    values = {
        "name": "Metformin",
        "dose": "500 mg",
        "frequency": "twice a day",
        "indication": "Diabetes",
    } | values
    return add(plan, Medication, actor, **values)


def newest(plan, **filters) -> history.Entry:
    return history.plan_timeline(plan, **filters).entries[0]


def test_adding_an_item_says_who_added_what_with_her_role(care_plan, nurse):
    medication(care_plan, nurse)
    entry = newest(care_plan, kind="medication")
    assert (entry.action, entry.what) == ("added", "Medication: Metformin 500 mg")
    assert (entry.who, entry.role) == ("Nina Nurse, RN", "Nurse care manager")
    assert entry.changes == []


def test_a_change_lists_each_field_with_its_label_before_and_after_and_the_reason(care_plan, nurse):
    item = medication(care_plan, nurse)
    services.update_plan_item(
        item=item, expected_version=1, actor=nurse, changes={"dose": "1000 mg"}, reason="HbA1c still high"
    )
    entry = newest(care_plan, kind="medication")
    assert entry.action == "changed"
    assert entry.changes == [history.Change(label="Dose", before="500 mg", after="1000 mg")]
    assert entry.reason == "HbA1c still high"


def test_field_labels_come_from_verbose_names_choices_show_their_labels_and_dates_read_as_dates(
    care_plan, nurse
):
    item = medication(care_plan, nurse)
    services.update_plan_item(
        item=item,
        expected_version=1,
        actor=nurse,
        changes={"indication": "Type 2 diabetes", "start_date": datetime.date(2026, 3, 2)},
    )
    goal = add(care_plan, Goal, nurse, description="Walk more")
    services.update_plan_item(item=goal, expected_version=1, actor=nurse, changes={"priority": "high"})
    changes = {change.label: change for change in newest(care_plan, kind="medication").changes}
    assert changes["What it is for"] == history.Change("What it is for", "Diabetes", "Type 2 diabetes")
    assert changes["Start date"] == history.Change("Start date", "—", "2 Mar 2026")
    assert newest(care_plan, kind="goal").changes == [history.Change("Priority", "Medium", "High")]


def test_bookkeeping_fields_are_not_shown(care_plan, nurse):
    item = medication(care_plan, nurse)
    services.update_plan_item(item=item, expected_version=1, actor=nurse, changes={"dose": "750 mg"})
    services.end_plan_item(
        item=item, expected_version=2, actor=nurse, status="stopped", reason="Stomach upset"
    )
    labels = {change.label for entry in history.plan_timeline(care_plan).entries for change in entry.changes}
    assert labels == {"Dose", "Status"}


def test_ending_and_reopening_an_item_are_named_so_with_the_status_labels_and_the_reason(care_plan, nurse):
    service = add(care_plan, CommunityService, nurse, category="food", organization_name="Eastside Pantry")
    services.end_plan_item(
        item=service, expected_version=1, actor=nurse, status="declined", reason="Too far to travel"
    )
    ended = newest(care_plan, kind="community-service")
    assert (ended.action, ended.what, ended.reason) == (
        "ended",
        "Community service: Eastside Pantry",
        "Too far to travel",
    )
    assert ended.changes == [history.Change("Status", "Recommended", "Declined")]
    services.reopen_plan_item(item=service, expected_version=2, actor=nurse, reason="Got a bus pass")
    reopened = newest(care_plan, kind="community-service")
    assert (reopened.action, reopened.reason) == ("reopened", "Got a bus pass")
    assert reopened.changes == [history.Change("Status", "Declined", "Recommended")]


def test_an_item_entered_in_error_is_marked_in_error(care_plan, nurse):
    problem = add(care_plan, Problem, nurse, condition="Asthma")
    services.end_plan_item(
        item=problem, expected_version=1, actor=nurse, status="entered_in_error", reason="Wrong patient"
    )
    entry = newest(care_plan, kind="problem")
    assert (entry.action, entry.reason) == ("marked in error", "Wrong patient")


@pytest.mark.django_db(transaction=True)
def test_measurements_recorded_and_marked_in_error_appear_with_their_goal(care_plan, nurse):
    goal = add(care_plan, Goal, nurse, description="Lower my sugar", measure="HbA1c", unit="%")
    measurement = services.record_goal_measurement(
        goal=goal, actor=nurse, value=Decimal("8.20"), measured_on=timezone.localdate(), source="lab"
    )
    recorded = newest(care_plan)
    assert recorded.action == "measurement recorded"
    assert recorded.what.startswith("Measurement of Lower my sugar: 8.2 on ")
    services.mark_measurement_in_error(
        measurement=measurement, expected_version=1, actor=nurse, reason="Another patient's lab"
    )
    corrected = newest(care_plan)
    assert (corrected.action, corrected.reason) == ("marked in error", "Another patient's lab")
    assert corrected.changes == [history.Change("Status", "Final", "Entered in error")]


@pytest.mark.django_db(transaction=True)
def test_linking_a_goal_to_a_problem_and_unlinking_it_are_recorded(care_plan, nurse):
    goal = add(care_plan, Goal, nurse, description="Walk more")
    problem = add(care_plan, Problem, nurse, condition="Heart failure")
    services.set_goal_problems(goal=goal, problems=[problem], actor=nurse)
    linked = newest(care_plan)
    assert (linked.action, linked.what) == ("linked", "Goal Walk more addresses problem Heart failure")
    services.set_goal_problems(goal=goal, problems=[], actor=nurse)
    assert newest(care_plan).action == "unlinked"


def test_changes_to_the_plan_itself_and_to_related_people_are_on_the_timeline(care_plan, nurse):
    services.change_plan_status(
        plan=care_plan, expected_version=1, actor=nurse, status="on_hold", reason="In hospital"
    )
    status = newest(care_plan, kind="plan")
    assert (status.what, status.action, status.reason) == ("Care plan", "status changed", "In hospital")
    assert status.changes == [history.Change("Status", "Active", "On hold")]
    patient_services.add_related_person(
        patient=care_plan.patient, actor=nurse, values={"name": "Grace", "relationship": "daughter"}
    )
    person = newest(care_plan, kind="related-person")
    assert (person.kind, person.what, person.action) == (
        "related-person",
        "Related person: Grace (daughter)",
        "added",
    )


def test_the_newest_change_comes_first(care_plan, nurse):
    first = medication(care_plan, nurse, name="Aspirin")
    medication(care_plan, nurse, name="Lisinopril")
    services.update_plan_item(item=first, expected_version=1, actor=nurse, changes={"dose": "81 mg"})
    entries = history.plan_timeline(care_plan, kind="medication").entries
    assert [(entry.action, entry.what) for entry in entries] == [
        ("changed", "Medication: Aspirin 81 mg"),
        ("added", "Medication: Lisinopril 500 mg"),
        ("added", "Medication: Aspirin 500 mg"),
    ]


def test_the_timeline_comes_in_pages_of_fifty(care_plan, nurse):
    for number in range(history.PAGE_SIZE + 5):
        medication(care_plan, nurse, name=f"Drug {number:02d}")
    first = history.plan_timeline(care_plan, kind="medication")
    second = history.plan_timeline(care_plan, kind="medication", page=2)
    assert (len(first.entries), first.has_next) == (50, True)
    assert (len(second.entries), second.has_next) == (5, False)
    assert first.entries[0].what == "Medication: Drug 54 500 mg"
    assert second.entries[-1].what == "Medication: Drug 00 500 mg"


def test_older_changes_load_below_as_a_partial(client, care_plan, nurse):
    for number in range(history.PAGE_SIZE + 1):
        medication(care_plan, nurse, name=f"Drug {number:02d}")
    client.force_login(nurse)
    page = client.get(history_url(care_plan))
    assertContains(page, "Show older changes")
    assertContains(page, 'hx-get="?page=2"')
    # Medications only: events of different tables made in one transaction share a timestamp, and
    # their order between tables (by each table's own event id) is arbitrary.
    older = client.get(history_url(care_plan), {"kind": "medication", "page": 2}, headers=HTMX)
    assertContains(older, "Drug 00")
    assertNotContains(older, "Drug 01")
    assertNotContains(older, "<html")
    assertNotContains(older, "Show older changes")


def test_the_timeline_filters_by_kind_of_record_and_by_person(client, care_plan, nurse, physician):
    medication(care_plan, nurse, name="Metformin")
    add(care_plan, Problem, physician, condition="Hypertension")
    client.force_login(nurse)
    by_kind = client.get(history_url(care_plan), {"kind": "problem"}, headers=HTMX)
    assertContains(by_kind, "Hypertension")
    assertNotContains(by_kind, "Metformin")
    assertNotContains(by_kind, "<html")
    by_person = client.get(history_url(care_plan), {"kind": "", "person": nurse.pk})
    assertContains(by_person, "Metformin")
    assertNotContains(by_person, "Problem: Hypertension")
    assertContains(by_person, '<label for="history-kind">Show changes to</label>', html=True)
    assertContains(by_person, '<label for="history-person">Made by</label>', html=True)


def test_an_item_history_shows_only_that_item(client, care_plan, nurse):
    kept = medication(care_plan, nurse, name="Metformin")
    medication(care_plan, nurse, name="Lisinopril")
    services.update_plan_item(item=kept, expected_version=1, actor=nurse, changes={"dose": "850 mg"})
    client.force_login(nurse)
    response = client.get(item_history_url(care_plan, "medication", kept))
    assertContains(response, "History of medication: Metformin 850 mg")
    assertContains(response, "850 mg")
    assertNotContains(response, "Lisinopril")


def test_the_plan_page_links_to_the_plan_history_and_each_item_history(client, care_plan, nurse):
    item = medication(care_plan, nurse)
    client.force_login(nurse)
    response = client.get(reverse("careplans:plan-detail", args=[care_plan.pk]))
    assertContains(response, f'href="{history_url(care_plan)}"')
    assertContains(response, f'href="{item_history_url(care_plan, "medication", item)}"')


def test_outsiders_get_404_for_plan_and_item_history(client, care_plan, nurse, outsider):
    item = medication(care_plan, nurse)
    client.force_login(outsider)
    assert client.get(history_url(care_plan)).status_code == 404
    assert client.get(item_history_url(care_plan, "medication", item)).status_code == 404


def test_part2_items_show_in_history_to_the_team_as_on_the_plan_page_with_their_badge(
    client, care_plan, nurse
):
    medication(care_plan, nurse, name="Buprenorphine", part2_protected=True)
    client.force_login(nurse)
    response = client.get(history_url(care_plan))
    assertContains(response, "Buprenorphine")
    assertContains(response, "42 CFR Part 2")


def test_a_script_in_a_value_is_shown_as_text(client, care_plan, nurse):
    item = medication(care_plan, nurse, name="<script>alert(1)</script>")
    services.update_plan_item(
        item=item,
        expected_version=1,
        actor=nurse,
        changes={"dose": "<script>x()</script>"},
        reason="<b>why</b>",
    )
    client.force_login(nurse)
    response = client.get(history_url(care_plan))
    assertNotContains(response, "<script>alert(1)</script>")
    assertNotContains(response, "<script>x()</script>")
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")
    assertContains(response, "&lt;b&gt;why&lt;/b&gt;")


def fill_with_history(plan: CarePlan, *, member, count: int) -> None:
    """`count` items of every kind, each added and then changed, and a goal's measurement and problem link."""
    for factory in ITEM_FACTORIES.values():
        for item in factory.create_batch(count, plan=plan, created_by=member, updated_by=member):
            services.update_plan_item(
                item=item, expected_version=1, actor=member, changes={"part2_protected": True}, reason="Check"
            )
    goal = plan.goals.first()
    services.record_goal_measurement(
        goal=goal, actor=member, value=Decimal("8"), measured_on=timezone.localdate(), source="lab"
    )
    services.set_goal_problems(goal=goal, problems=[plan.problems.first()], actor=member)


def test_the_history_page_takes_the_same_number_of_queries_with_5_or_200_items_each_with_history(
    client, nurse, team
):
    small = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    large = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    fill_with_history(small, member=nurse, count=5)
    fill_with_history(large, member=nurse, count=200)
    client.force_login(nurse)
    client.get(history_url(small))  # The first request after signing in also touches the session.
    counts = []
    for plan, page in [(small, 1), (large, 1), (large, 3)]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(history_url(plan), {"page": page})
        assertContains(response, "Show older changes")
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
