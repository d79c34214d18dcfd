"""Editing the plan's own fields in place: summary, strengths and preferences, additional information, status.

Like items: HTMX requests get the part of the page (the form, 422 with errors, 409 with both
versions, or the part as saved); without JavaScript the same URLs serve the whole page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from careplans import services
from careplans.models import CarePlan
from tests.history import latest_context

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def edit_url(plan: CarePlan, part: str) -> str:
    return reverse("careplans:plan-part-edit", args=[plan.pk, part])


def status_url(plan: CarePlan) -> str:
    return reverse("careplans:plan-status", args=[plan.pk])


def summary_data(plan: CarePlan, **changes) -> dict[str, str]:
    data = {
        "version": str(plan.version),
        "what_matters_most": plan.what_matters_most,
        "responsible_member": str(plan.responsible_member_id or ""),
        "risk_tier": plan.risk_tier,
        "review_interval_days": str(plan.review_interval_days or ""),
    }
    return {**data, **changes}


def test_the_edit_form_opens_in_place_of_the_summary(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.get(edit_url(care_plan, "summary"), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<header class="plan-header" id="plan-summary"')
    assert 'id="plan-summary-form"' in html
    assertContains(
        response, '<label for="plan-summary-what_matters_most">What matters most to the patient', html=False
    )


def test_without_javascript_the_edit_url_is_the_whole_page_with_the_form_open(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.get(edit_url(care_plan, "strengths-and-preferences"))

    assertContains(response, "<h1>")
    assertContains(response, 'id="plan-strengths-and-preferences-form"')
    assertContains(response, 'id="problems"')


def test_saving_the_summary_shows_it_as_saved_and_records_who(client, nurse, care_plan):
    client.force_login(nurse)
    words = "Dance at my granddaughter's wedding in June"

    response = client.post(
        edit_url(care_plan, "summary"),
        summary_data(care_plan, what_matters_most=words, responsible_member=str(nurse.pk)),
        headers=HTMX,
    )

    assert response.status_code == 200
    assertContains(response, escape(words))
    assertNotContains(response, "<form id=")
    assertContains(response, "data-focus")
    care_plan.refresh_from_db()
    assert (care_plan.what_matters_most, care_plan.responsible_member, care_plan.version) == (words, nurse, 2)
    assert latest_context(care_plan)["user"] == nurse.pk


def test_without_javascript_a_save_goes_back_to_the_part_of_the_page(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(
        edit_url(care_plan, "additional-information"),
        {"version": "1", "additional_information": "Cares for her husband after his stroke."},
    )

    assertRedirects(
        response,
        f"{reverse('careplans:plan-detail', args=[care_plan.pk])}#additional-information",
        fetch_redirect_response=False,
    )
    care_plan.refresh_from_db()
    assert care_plan.additional_information == "Cares for her husband after his stroke."


def test_someone_off_the_team_cannot_be_made_responsible_and_nothing_typed_is_lost(
    client, nurse, outsider, care_plan
):
    client.force_login(nurse)
    words = "Keep my own home"
    before = care_plan.what_matters_most

    response = client.post(
        edit_url(care_plan, "summary"),
        summary_data(care_plan, what_matters_most=words, responsible_member=str(outsider.pk)),
        headers=HTMX,
    )

    assert response.status_code == 422
    assertContains(response, 'id="plan-summary-responsible_member_error"', status_code=422)
    assertContains(response, escape(words), status_code=422)
    care_plan.refresh_from_db()
    assert care_plan.what_matters_most == before


def test_a_negative_review_interval_is_refused_beside_the_field(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(
        edit_url(care_plan, "summary"), summary_data(care_plan, review_interval_days="-5"), headers=HTMX
    )

    assert response.status_code == 422
    assertContains(response, 'id="plan-summary-review_interval_days_error"', status_code=422)


def test_a_stale_save_shows_both_versions_and_keeps_theirs_and_yours(client, nurse, physician, care_plan):
    client.force_login(nurse)
    services.update_care_plan(
        plan=care_plan,
        expected_version=1,
        actor=physician,
        changes={"strengths": "Walks daily with a friend"},
    )

    response = client.post(
        edit_url(care_plan, "strengths-and-preferences"),
        {"version": "1", "strengths": "", "care_preferences": "No appointments before 10 am"},
        headers=HTMX,
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Phil Physician" in html
    assert "Walks daily with a friend" in html
    assert "No appointments before 10 am" in html
    assert 'name="version" value="2"' in html
    care_plan.refresh_from_db()
    assert care_plan.care_preferences == ""


def test_putting_the_plan_on_hold_needs_a_reason(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(status_url(care_plan), {"version": "1", "status": "on_hold"}, headers=HTMX)

    assert response.status_code == 422
    assertContains(response, "plan-status-reason_error", status_code=422)
    care_plan.refresh_from_db()
    assert care_plan.status == CarePlan.Status.ACTIVE


def test_changing_the_status_with_a_reason_shows_it_in_the_header(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.post(
        status_url(care_plan),
        {"version": "1", "status": "on_hold", "reason": "In hospital for two weeks"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assertContains(response, "On hold")
    assertContains(response, "In hospital for two weeks")
    care_plan.refresh_from_db()
    assert (care_plan.status, latest_context(care_plan)["reason"]) == ("on_hold", "In hospital for two weeks")


def test_cancel_puts_the_part_back_as_it_was(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.get(reverse("careplans:plan-part", args=[care_plan.pk, "summary"]), headers=HTMX)

    assert response.status_code == 200
    assertContains(response, "Edit summary")
    assertNotContains(response, "<form id=")


@pytest.mark.parametrize("part", ["summary", "strengths-and-preferences", "additional-information"])
def test_an_outsider_gets_not_found(client, outsider, care_plan, part):
    client.force_login(outsider)

    assert client.get(edit_url(care_plan, part), headers=HTMX).status_code == 404
    assert client.post(edit_url(care_plan, part), {"version": "1"}, headers=HTMX).status_code == 404
    assert client.post(status_url(care_plan), {"version": "1", "status": "active"}).status_code == 404


def test_an_unknown_part_is_not_found(client, nurse, care_plan):
    client.force_login(nurse)

    assert client.get(edit_url(care_plan, "status-reason")).status_code == 404
    assert client.get(reverse("careplans:plan-part", args=[care_plan.pk, "nothing"])).status_code == 404
