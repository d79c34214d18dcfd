"""Adding, editing, ending and reopening plan items in place, for every item type.

HTMX requests get a partial of the plan page: the form (200), the form with errors beside
its fields (422), the form with both versions after a conflict (409), or the item's whole
section after a save. Without JavaScript the same URLs serve the whole page.
"""

from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from careplans import services
from careplans.models import PLAN_ITEM_MODELS, CarePlan, Goal, InformationRelease
from teams.models import User
from tests import factories
from tests.factories import ITEM_FACTORIES
from tests.history import latest_context

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
KINDS = list(PLAN_ITEM_MODELS)
# The field whose text identifies an item of each kind on the page, and a new value for it.
TEXT = {
    "problem": ("condition", "Chronic kidney disease, stage 3"),
    "goal": ("description", "Walk to the corner shop without stopping"),
    "action-step": ("description", "Call the pharmacy about refills"),
    "medication": ("name", "Lisinopril"),
    "symptom-plan": ("symptom", "Shortness of breath"),
    "community-service": ("organization_name", "Northside Meals on Wheels"),
    "care-team-member": ("name", "Dr. Kidney Specialist"),
    "information-release": ("recipient_name", "Lakeside Home Health"),
    "education": ("topic", "Reading food labels for salt"),
    "decision": ("question", "Try a CPAP machine for sleep apnea?"),
}
SECTION_IDS = {
    "problem": "problems",
    "goal": "goals",
    "action-step": "action-steps",
    "medication": "medications",
    "symptom-plan": "symptom-plans",
    "community-service": "community-services",
    "care-team-member": "care-team",
    "information-release": "information-releases",
    "education": "education",
    "decision": "decisions",
}


def url(name: str, plan: CarePlan, kind: str, item=None) -> str:
    args = [plan.pk, kind] if item is None else [plan.pk, kind, item.pk]
    return reverse(f"careplans:{name}", args=args)


def form_data(kind: str, plan: CarePlan, person: User, **changes) -> dict[str, str]:
    """What a browser would post to add an item like the factory's, with `changes`."""
    model = PLAN_ITEM_MODELS[kind]
    item = ITEM_FACTORIES[model].build(plan=plan)
    data = {}
    for name in services.editable_fields(model):
        field = model._meta.get_field(name)
        value = changes.get(name, getattr(item, field.attname))
        if field.is_relation and name not in changes:
            value = "" if field.blank else person.pk
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return data


def edit_data(item, **changes) -> dict[str, str]:
    """What a browser posts from the edit form of `item` as it is now, with `changes`."""
    data = {"version": str(item.version)}
    for name in services.editable_fields(type(item)):
        field = type(item)._meta.get_field(name)
        value = changes.get(name, getattr(item, field.attname))
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return data


def focuses(response, dom_id: str) -> bool:
    """Whether the page script will move focus to the element `dom_id` after the swap."""
    return bool(re.search(rf'id="{dom_id}"[^>]*tabindex="-1" data-focus', response.content.decode()))


def field_error(response, field_id: str) -> str:
    """The error shown beside a field, which its control points to with aria-describedby."""
    html = response.content.decode()
    match = re.search(rf'<p class="field-error" id="{field_id}_error">(.*?)</p>', html, re.S)
    assert match, f"no error beside {field_id}"
    assert re.search(
        rf'aria-invalid="true" aria-describedby="[^"]*{field_id}_error"[^>]*id="{field_id}"', html
    )
    return match.group(1)


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def item(kind, care_plan):
    return ITEM_FACTORIES[PLAN_ITEM_MODELS[kind]](plan=care_plan)


@pytest.fixture
def ended_item(kind, care_plan):
    model = PLAN_ITEM_MODELS[kind]
    return ITEM_FACTORIES[model](plan=care_plan, status=sorted(model.END_STATUSES)[0], status_reason="Done")


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    return client


# Opening the forms


def test_the_add_form_is_a_partial_for_htmx(signed_in, care_plan, kind):
    response = signed_in.get(url("item-new", care_plan, kind), headers=HTMX)
    assertContains(response, f'<div id="{kind}-new" class="item-add">')
    assertContains(response, f'id="{kind}-new-form"')
    assertContains(response, 'method="post"')
    assertNotContains(response, "<html")


def test_without_javascript_the_add_form_opens_in_the_whole_page(signed_in, care_plan, kind):
    response = signed_in.get(url("item-new", care_plan, kind))
    assertContains(response, "<html")
    assertContains(response, f'id="{kind}-new-form"')
    assertContains(response, f'href="{reverse("careplans:plan-detail", args=[care_plan.pk])}#{kind}-new"')


def test_the_edit_form_is_a_partial_holding_the_current_values_and_version(signed_in, care_plan, item, kind):
    field, _ = TEXT[kind]
    response = signed_in.get(url("item-edit", care_plan, kind, item), headers=HTMX)
    assertContains(response, f'id="{kind}-{item.pk}"')
    assertContains(response, escape(getattr(item, field)))
    assertContains(response, f'name="version" value="{item.version}"')
    assertNotContains(response, "<html")


def test_without_javascript_the_edit_form_opens_in_place_in_the_whole_page(signed_in, care_plan, item, kind):
    response = signed_in.get(url("item-edit", care_plan, kind, item))
    assertContains(response, "<html")
    assertContains(response, f'id="{kind}-{item.pk}-form"')


def test_every_control_has_a_visible_label_and_dates_are_date_inputs(signed_in, care_plan, kind):
    html = signed_in.get(url("item-new", care_plan, kind), headers=HTMX).content.decode()
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    assert ids
    for control_id in ids:
        assert f'<label for="{control_id}">' in html, control_id
    model = PLAN_ITEM_MODELS[kind]
    for name in services.editable_fields(model):
        if type(model._meta.get_field(name)).__name__ == "DateField":
            assert f'type="date" name="{name}"' in html


def test_forms_and_the_page_are_not_cached(signed_in, care_plan, item, kind):
    for address in [
        reverse("careplans:plan-detail", args=[care_plan.pk]),
        url("item-new", care_plan, kind),
        url("item-edit", care_plan, kind, item),
        url("item-end", care_plan, kind, item),
        url("item-detail", care_plan, kind, item),
    ]:
        assert "no-store" in signed_in.get(address, headers=HTMX)["Cache-Control"], address


# Adding


def test_adding_an_item_answers_with_its_section_and_history_names_who(signed_in, nurse, care_plan, kind):
    field, text = TEXT[kind]
    data = form_data(kind, care_plan, nurse, **{field: text})

    response = signed_in.post(url("item-new", care_plan, kind), data, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#{SECTION_IDS[kind]}"
    assert response["HX-Reswap"] == "outerHTML"
    assertContains(response, f'<section id="{SECTION_IDS[kind]}"')
    assertContains(response, escape(text))
    item = PLAN_ITEM_MODELS[kind].objects.get(**{field: text})
    assert focuses(response, f"{kind}-{item.pk}")
    assert item.created_by == nurse
    assert latest_context(item)["user"] == nurse.pk


def test_without_javascript_adding_goes_back_to_the_section(signed_in, nurse, care_plan):
    response = signed_in.post(
        url("item-new", care_plan, "medication"), form_data("medication", care_plan, nurse)
    )
    assertRedirects(response, f"{reverse('careplans:plan-detail', args=[care_plan.pk])}#medications")
    assert care_plan.medications.count() == 1


def test_an_invalid_goal_comes_back_422_with_the_error_beside_the_field_and_what_was_typed(
    signed_in, nurse, care_plan
):
    data = form_data(
        "goal",
        care_plan,
        nurse,
        description="Sleep through the night",
        baseline_date=datetime.date(2026, 3, 1),
        target_date=datetime.date(2026, 1, 1),
    )

    response = signed_in.post(url("item-new", care_plan, "goal"), data, headers=HTMX)

    assert response.status_code == 422
    assert (
        field_error(response, "goal-new-target_date") == "The target date cannot be before the baseline date."
    )
    assertContains(response, "Sleep through the night", status_code=422)
    assertContains(response, 'value="2026-01-01"', status_code=422)
    assertNotContains(response, "<html", status_code=422)
    assert not care_plan.goals.exists()


def test_a_missing_required_field_is_refused_beside_it(signed_in, nurse, care_plan):
    data = form_data("medication", care_plan, nurse, dose="")
    response = signed_in.post(url("item-new", care_plan, "medication"), data, headers=HTMX)
    assert response.status_code == 422
    assert field_error(response, "medication-new-dose") == "This field is required."
    assertContains(response, 'value="Metformin"', status_code=422)


def test_without_javascript_an_invalid_form_comes_back_in_the_whole_page(signed_in, nurse, care_plan):
    data = form_data("medication", care_plan, nurse, name="Atorvastatin", dose="")
    response = signed_in.post(url("item-new", care_plan, "medication"), data)
    assertContains(response, "<html", status_code=422)
    assertContains(response, 'value="Atorvastatin"', status_code=422)
    assertContains(response, "This field is required.", status_code=422)


# Editing


def test_editing_an_item_answers_with_its_section_showing_the_change(signed_in, nurse, care_plan, item, kind):
    field, text = TEXT[kind]

    response = signed_in.post(
        url("item-edit", care_plan, kind, item), edit_data(item, **{field: text}), headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#{SECTION_IDS[kind]}"
    assertContains(response, escape(text))
    item.refresh_from_db()
    assert getattr(item, field) == text
    assert item.version == 2
    assert item.updated_by == nurse
    assert latest_context(item)["user"] == nurse.pk


def test_an_invalid_edit_is_refused_and_keeps_what_was_typed(signed_in, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    data = edit_data(
        goal, description="Lose 5 kg by summer", target_date=goal.baseline_date - datetime.timedelta(1)
    )
    response = signed_in.post(url("item-edit", care_plan, "goal", goal), data, headers=HTMX)
    assert response.status_code == 422
    assert field_error(response, f"goal-{goal.pk}-target_date") == (
        "The target date cannot be before the baseline date."
    )
    assertContains(response, "Lose 5 kg by summer", status_code=422)
    goal.refresh_from_db()
    assert goal.version == 1


def test_a_stale_version_is_refused_with_both_versions_and_nothing_typed_is_lost(
    signed_in, physician, care_plan
):
    medication = factories.MedicationFactory(plan=care_plan, dose="500 mg", frequency="twice a day")
    opened = edit_data(medication)
    services.update_plan_item(
        item=medication, expected_version=1, actor=physician, changes={"frequency": "once a day"}
    )

    response = signed_in.post(
        url("item-edit", care_plan, "medication", medication), {**opened, "dose": "750 mg"}, headers=HTMX
    )

    assert response.status_code == 409
    assertContains(response, "Phil Physician, MD changed this medication", status_code=409)
    html = response.content.decode()
    # What they changed, and what you typed, side by side; the form holds both, on the new version.
    assert re.search(
        r"Frequency</th>\s*<td>twice a day</td>\s*<td>once a day</td>\s*<td>twice a day</td>", html
    )
    assert re.search(r"Dose</th>\s*<td>500 mg</td>\s*<td>500 mg</td>\s*<td>750 mg</td>", html)
    assert 'name="dose" value="750 mg"' in html
    assert 'name="frequency" value="once a day"' in html
    assert 'name="version" value="2"' in html
    medication.refresh_from_db()
    assert (medication.dose, medication.frequency, medication.version) == ("500 mg", "once a day", 2)


def test_after_a_conflict_saving_again_applies_yours_on_the_latest_version(signed_in, physician, care_plan):
    medication = factories.MedicationFactory(plan=care_plan)
    services.update_plan_item(item=medication, expected_version=1, actor=physician, changes={"route": "oral"})
    medication.refresh_from_db()

    response = signed_in.post(
        url("item-edit", care_plan, "medication", medication),
        edit_data(medication, dose="750 mg"),
        headers=HTMX,
    )

    assert response.status_code == 200
    medication.refresh_from_db()
    assert (medication.dose, medication.route, medication.version) == ("750 mg", "oral", 3)


def test_without_javascript_a_conflict_comes_back_in_the_whole_page(signed_in, physician, care_plan):
    medication = factories.MedicationFactory(plan=care_plan)
    opened = edit_data(medication)
    services.update_plan_item(item=medication, expected_version=1, actor=physician, changes={"dose": "1 g"})
    response = signed_in.post(
        url("item-edit", care_plan, "medication", medication), {**opened, "dose": "2 g"}
    )
    assertContains(response, "<html", status_code=409)
    assertContains(response, "changed this medication", status_code=409)


# Ending and reopening


def test_the_end_form_offers_only_the_end_statuses(signed_in, care_plan, item, kind):
    html = signed_in.get(url("item-end", care_plan, kind, item), headers=HTMX).content.decode()
    offered = set(re.findall(r'<option value="([^"]*)"', html))
    assert offered == {str(status) for status in item.END_STATUSES}


def test_ending_without_a_reason_is_refused(signed_in, care_plan, item, kind):
    status = sorted(item.END_STATUSES)[0]
    data = {"version": item.version, "status": status, "reason": "  "}
    response = signed_in.post(url("item-end", care_plan, kind, item), data, headers=HTMX)
    assert response.status_code == 422
    assert field_error(response, f"{kind}-{item.pk}-reason") == "This field is required."
    item.refresh_from_db()
    assert not item.is_ended


def test_ending_with_a_reason_moves_the_item_to_the_ended_list(signed_in, nurse, care_plan, item, kind):
    status = sorted(item.END_STATUSES)[0]
    data = {"version": item.version, "status": status, "reason": "Patient moved to another clinic"}

    response = signed_in.post(url("item-end", care_plan, kind, item), data, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    ended = html[html.index('<details class="ended" open>') :]
    assert f'<li id="{kind}-{item.pk}" tabindex="-1" data-focus>' in ended
    assert "Reason: Patient moved to another clinic" in ended
    assert "Ended (1)" in ended
    item.refresh_from_db()
    assert (item.status, item.status_reason) == (status, "Patient moved to another clinic")
    assert latest_context(item)["user"] == nurse.pk
    assert latest_context(item)["reason"] == "Patient moved to another clinic"


def test_ending_an_item_someone_just_edited_is_a_conflict(signed_in, physician, care_plan):
    service = factories.CommunityServiceFactory(plan=care_plan, contact_name="")
    services.update_plan_item(
        item=service, expected_version=1, actor=physician, changes={"contact_name": "Rosa"}
    )
    data = {"version": 1, "status": "declined", "reason": "Patient prefers her church pantry"}

    response = signed_in.post(url("item-end", care_plan, "community-service", service), data, headers=HTMX)

    assert response.status_code == 409
    assertContains(response, "Phil Physician, MD changed this community service", status_code=409)
    assertContains(response, "Rosa", status_code=409)
    assertContains(response, "Patient prefers her church pantry", status_code=409)
    assertContains(response, 'name="version" value="2"', status_code=409)
    service.refresh_from_db()
    assert not service.is_ended


def test_reopening_brings_an_ended_item_back(signed_in, nurse, care_plan, ended_item, kind):
    data = {"version": ended_item.version, "reason": "Symptoms came back"}

    response = signed_in.post(url("item-reopen", care_plan, kind, ended_item), data, headers=HTMX)

    assert response.status_code == 200
    assertNotContains(response, "Ended (")
    ended_item.refresh_from_db()
    assert ended_item.status == ended_item.OPEN_STATUS
    assert latest_context(ended_item)["reason"] == "Symptoms came back"
    assert latest_context(ended_item)["user"] == nurse.pk


def test_reopening_needs_a_reason(signed_in, care_plan):
    problem = factories.ProblemFactory(plan=care_plan, status="resolved", status_reason="Healed")
    response = signed_in.post(
        url("item-reopen", care_plan, "problem", problem), {"version": 1, "reason": ""}, headers=HTMX
    )
    assert response.status_code == 422
    assert field_error(response, f"problem-{problem.pk}-reason") == "This field is required."


def test_ended_items_offer_reopen_and_current_items_edit_and_end(signed_in, care_plan):
    current = factories.MedicationFactory(plan=care_plan)
    ended = factories.MedicationFactory(
        plan=care_plan, name="Aspirin", status="stopped", status_reason="Bleeding"
    )
    response = signed_in.get(reverse("careplans:plan-detail", args=[care_plan.pk]))
    assertContains(response, url("item-edit", care_plan, "medication", current))
    assertContains(response, url("item-end", care_plan, "medication", current))
    assertContains(response, url("item-reopen", care_plan, "medication", ended))
    assertNotContains(response, url("item-edit", care_plan, "medication", ended))
    assertContains(response, "Add medication")


# Cancel


def test_cancel_puts_the_row_back(signed_in, care_plan, item, kind):
    response = signed_in.get(url("item-detail", care_plan, kind, item), headers=HTMX)
    assert focuses(response, f"{kind}-{item.pk}")
    assertContains(response, url("item-edit", care_plan, kind, item))
    assertNotContains(response, "<form")


def test_cancel_puts_an_ended_item_back_in_its_list(signed_in, care_plan, ended_item, kind):
    response = signed_in.get(url("item-detail", care_plan, kind, ended_item), headers=HTMX)
    assertContains(response, f'<li id="{kind}-{ended_item.pk}"')
    assertContains(response, url("item-reopen", care_plan, kind, ended_item))


def test_without_javascript_cancel_goes_back_to_the_item_on_the_page(signed_in, care_plan):
    problem = factories.ProblemFactory(plan=care_plan)
    response = signed_in.get(url("item-detail", care_plan, "problem", problem))
    assertRedirects(response, f"{reverse('careplans:plan-detail', args=[care_plan.pk])}#problem-{problem.pk}")


# Who may be named, and what may be linked


def test_only_members_of_the_patients_team_are_offered_as_people(
    signed_in, nurse, physician, outsider, care_plan
):
    for kind, field in [
        ("goal", "responsible_member"),
        ("care-team-member", "user"),
        ("education", "delivered_by"),
    ]:
        html = signed_in.get(url("item-new", care_plan, kind), headers=HTMX).content.decode()
        select = re.search(rf'<select name="{field}".*?</select>', html, re.S).group(0)
        assert f'value="{nurse.pk}"' in select
        assert f'value="{physician.pk}"' in select
        assert f'value="{outsider.pk}"' not in select, kind


def test_a_person_not_on_the_team_is_refused_as_responsible(signed_in, nurse, outsider, care_plan):
    data = form_data(
        "action-step", care_plan, nurse, responsible_party="team_member", responsible_member=outsider.pk
    )
    response = signed_in.post(url("item-new", care_plan, "action-step"), data, headers=HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in field_error(response, "action-step-new-responsible_member")
    assert not care_plan.action_steps.exists()


def test_a_person_who_left_the_team_is_refused_when_editing(signed_in, nurse, physician, care_plan):
    step = factories.ActionStepFactory(plan=care_plan)
    physician.memberships.update(ended_on=timezone.localdate())
    data = edit_data(step, responsible_party="team_member", responsible_member=physician.pk)
    response = signed_in.post(url("item-edit", care_plan, "action-step", step), data, headers=HTMX)
    assert response.status_code == 422
    step.refresh_from_db()
    assert step.responsible_member is None


def test_goals_and_releases_on_offer_are_this_plans_only(signed_in, nurse, team, care_plan):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    ours = factories.GoalFactory(plan=care_plan, description="Our goal")
    theirs = factories.GoalFactory(plan=other_plan, description="Their goal")
    our_release = factories.InformationReleaseFactory(plan=care_plan)
    their_release = factories.InformationReleaseFactory(plan=other_plan)

    steps = signed_in.get(url("item-new", care_plan, "action-step"), headers=HTMX)
    assertContains(steps, f'<option value="{ours.pk}">Our goal</option>')
    assertNotContains(steps, "Their goal")
    services_form = signed_in.get(url("item-new", care_plan, "community-service"), headers=HTMX)
    assertContains(services_form, f'<option value="{our_release.pk}">')
    assertNotContains(services_form, f'<option value="{their_release.pk}">')

    data = form_data("action-step", care_plan, nurse, goal=theirs.pk)
    response = signed_in.post(url("item-new", care_plan, "action-step"), data, headers=HTMX)
    assert response.status_code == 422
    assert not care_plan.action_steps.exists()
    assert Goal.objects.count() == 2 and InformationRelease.objects.count() == 2


# Access


@pytest.mark.parametrize("name", ["item-new", "item-edit", "item-end", "item-reopen", "item-detail"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_not_found_from_every_view(client, outsider, care_plan, name, method):
    medication = factories.MedicationFactory(plan=care_plan, status="stopped", status_reason="x")
    client.force_login(outsider)
    address = url(name, care_plan, "medication", None if name == "item-new" else medication)
    data = {"version": 1, "reason": "x", "status": "stopped", "name": "Aspirin"}
    response = getattr(client, method)(address, data, headers=HTMX)
    expected = 405 if (name, method) == ("item-detail", "post") else 404
    assert response.status_code == expected
    assertNotContains(response, "Lovelace", status_code=expected)
    medication.refresh_from_db()
    assert medication.version == 1


@pytest.mark.parametrize("name", ["item-edit", "item-end", "item-reopen", "item-detail"])
def test_an_item_of_another_plan_is_not_found_through_this_plans_urls(signed_in, team, care_plan, name):
    other = factories.MedicationFactory(
        plan=factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    )
    assert signed_in.get(url(name, care_plan, "medication", other), headers=HTMX).status_code == 404
    response = signed_in.post(url(name, care_plan, "medication", other), {"version": 1, "reason": "x"})
    assert response.status_code in {404, 405}
    other.refresh_from_db()
    assert other.version == 1


def test_an_unknown_kind_is_not_found(signed_in, care_plan):
    problem = factories.ProblemFactory(plan=care_plan)
    assert signed_in.get(url("item-new", care_plan, "diagnosis")).status_code == 404
    assert signed_in.get(url("item-edit", care_plan, "diagnosis", problem)).status_code == 404


def test_an_unknown_plan_is_not_found(signed_in, care_plan):
    address = reverse("careplans:item-new", args=[uuid.uuid4(), "goal"])
    assert signed_in.get(address, headers=HTMX).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, care_plan):
    address = url("item-new", care_plan, "goal")
    assertRedirects(client.get(address), f"{reverse('login')}?next={address}")


# Speed


def fill(plan: CarePlan, count: int) -> None:
    for model, factory in ITEM_FACTORIES.items():
        factory.create_batch(count, plan=plan)
        factory.create_batch(count, plan=plan, status=sorted(model.END_STATUSES)[0], status_reason="Old")


def test_saving_takes_the_same_number_of_queries_however_large_the_plan_grows(signed_in, team):
    counts = []
    for size in [1, 20]:
        plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
        fill(plan, size)
        medication = plan.medications.filter(status="active").first()
        signed_in.get(url("item-edit", plan, "medication", medication), headers=HTMX)
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.post(
                url("item-edit", plan, "medication", medication),
                edit_data(medication, dose=f"{size} mg"),
                headers=HTMX,
            )
        assert response.status_code == 200
        assertContains(response, f"Ended ({size})")
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_decimals_and_dates_round_trip_through_the_form(signed_in, nurse, care_plan):
    data = form_data("goal", care_plan, nurse, target_value=Decimal("7.5"), target_comparator="<=")
    assert signed_in.post(url("item-new", care_plan, "goal"), data, headers=HTMX).status_code == 200
    goal = care_plan.goals.get()
    assert goal.target_value == Decimal("7.5")
    html = signed_in.get(url("item-edit", care_plan, "goal", goal), headers=HTMX).content.decode()
    assert 'name="target_value" value="7.50"' in html
    assert f'name="baseline_date" value="{goal.baseline_date.isoformat()}"' in html
