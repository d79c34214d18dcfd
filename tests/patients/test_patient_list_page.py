"""The home page: the signed-in user's patients, and finding one by name, MRN or date of birth."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from careplans.models import CarePlan
from patients import views
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def grace(team):
    return factories.CarePlanFactory(
        patient=factories.PatientFactory(
            team=team,
            given_name="Grace",
            family_name="Hopper",
            mrn="GH1906",
            date_of_birth=datetime.date(1946, 12, 9),
        )
    ).patient


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assertRedirects(client.get("/"), f"{reverse('login')}?next=/")


def test_the_sign_in_page_labels_every_field(client):
    response = client.get(reverse("login"))
    assertContains(response, '<label for="id_login">')
    assertContains(response, '<label for="id_password">')


def test_a_nurse_sees_her_teams_patients_with_links_to_their_plans(client, nurse, care_plan):
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(response, "Lovelace, Ada")
    assertContains(response, care_plan.patient.mrn)
    assertContains(response, "Maple Team")
    assertContains(response, reverse("careplans:plan-detail", args=[care_plan.id]))
    assertNotContains(response, str(care_plan.patient.id))


def test_patients_of_other_teams_are_not_listed(client, nurse, care_plan, outsider):
    other_team = outsider.memberships.get().team
    factories.CarePlanFactory(patient=factories.PatientFactory(team=other_team, family_name="Stranger"))
    client.force_login(nurse)
    assertNotContains(client.get(reverse("home")), "Stranger")


def test_the_outsider_does_not_see_our_patients(client, outsider, care_plan):
    client.force_login(outsider)
    assertNotContains(client.get(reverse("home")), "Lovelace")


def test_a_user_on_no_team_gets_a_friendly_message(client):
    client.force_login(factories.UserFactory())
    response = client.get(reverse("home"))
    assertContains(response, "You are not on a care team yet")
    assertNotContains(response, "Find a patient")


@pytest.mark.parametrize("query", ["Hopper", "hopp", "Grace", "GH1906", "gh1906", "1946-12-09"])
def test_a_patient_is_found_by_name_mrn_or_date_of_birth(client, nurse, care_plan, grace, query):
    client.force_login(nurse)
    response = client.get(reverse("home"), {"q": query})
    assertContains(response, "Hopper, Grace")
    assertNotContains(response, "Lovelace")


def test_a_search_that_matches_no_one_says_so(client, nurse, care_plan):
    client.force_login(nurse)
    assertContains(client.get(reverse("home"), {"q": "Zzyzx"}), "No patients match")


def test_the_search_field_has_a_visible_label_and_searches_as_you_type(client, nurse, care_plan):
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(response, '<label for="patient-search">Find a patient</label>', html=True)
    assertContains(response, 'hx-target="#patient-rows"')
    assertContains(response, '<tbody id="patient-rows">')


def test_an_htmx_search_returns_only_the_rows(client, nurse, care_plan, grace):
    client.force_login(nurse)
    response = client.get(reverse("home"), {"q": "Hopper"}, headers=HTMX)
    content = response.content.decode()
    assert "Hopper, Grace" in content
    assert "Lovelace" not in content
    assert content.lstrip().startswith("<tr>")
    assert "<html" not in content
    assert "Find a patient" not in content


def test_the_number_of_patients_found_is_announced_in_a_live_region(client, nurse, care_plan, grace):
    client.force_login(nurse)
    assertContains(
        client.get(reverse("home"), {"q": "Hopper"}),
        '<p id="patient-count" class="result-count" role="status">1 patient matches “Hopper”.</p>',
        html=True,
    )
    assertContains(client.get(reverse("home")), "2 active patients on your teams’ panels.")


def test_an_htmx_search_updates_the_announced_count_out_of_band(client, nurse, care_plan, grace):
    client.force_login(nurse)
    response = client.get(reverse("home"), {"q": "Zzyzx"}, headers=HTMX)
    assertContains(
        response,
        '<template><p id="patient-count" hx-swap-oob="innerHTML">0 patients match “Zzyzx”.</p></template>',
        html=True,
    )


def test_enter_in_the_search_box_searches_in_place_so_focus_stays_there(client, nurse, care_plan):
    client.force_login(nurse)
    html = client.get(reverse("home")).content.decode()
    start = html.index('<form class="search"')
    form = html[start : html.index("</form>", start)]
    assert 'hx-get="/"' in form[: form.index(">")]
    assert form.count('hx-target="#patient-rows"') == 2
    assert 'aria-controls="patient-results"' in form


def test_restoring_history_gets_the_whole_page(client, nurse, care_plan):
    client.force_login(nurse)
    response = client.get(reverse("home"), headers={**HTMX, "HX-History-Restore-Request": "true"})
    assertContains(response, "<html")


def test_an_overdue_review_is_flagged(client, nurse, care_plan):
    care_plan.next_review_due = timezone.localdate() - datetime.timedelta(days=1)
    care_plan.save()
    client.force_login(nurse)
    assertContains(client.get(reverse("home")), "Overdue")


def test_a_review_due_today_shows_its_date_and_status_and_is_not_flagged(client, nurse, care_plan):
    care_plan.next_review_due = timezone.localdate()
    care_plan.status = CarePlan.Status.ACTIVE
    care_plan.save()
    client.force_login(nurse)
    response = client.get(reverse("home"), {"q": "Lovelace"}, headers=HTMX)
    row = re.search(r"<tr>.*?</tr>", response.content.decode(), re.S).group()
    assert date_format(care_plan.next_review_due, "j M Y") in row
    assert "<td>Active</td>" in row
    assert "Overdue" not in row


def test_a_long_panel_is_capped_with_a_note(client, nurse, team, monkeypatch):
    monkeypatch.setattr(views, "ROW_LIMIT", 2)
    factories.CarePlanFactory.create_batch(3, patient__team=team)
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(response, "Showing the first 2 patients")
    assert response.context["shown"] == 2


def test_a_patient_without_a_plan_is_listed_without_a_link(client, nurse, team):
    factories.PatientFactory(team=team, given_name="Alan", family_name="Turing")
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assertContains(response, "Turing, Alan")
    assertContains(response, "No plan yet")


def test_every_row_is_shown_from_one_query_however_many_patients_match(
    client, nurse, team, django_assert_num_queries
):
    """The list loads only the columns it shows; touching any other would cost a query per row."""
    client.force_login(nurse)
    factories.CarePlanFactory(patient=factories.PatientFactory(team=team, family_name="Hopper"))
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("home"), {"q": "Hopper"}, headers=HTMX)
    due = timezone.localdate() - datetime.timedelta(days=3)
    for number in range(6):
        factories.CarePlanFactory(
            patient=factories.PatientFactory(
                team=team, family_name="Hopper", preferred_name=f"Nick {number}"
            ),
            next_review_due=due,
        )

    with django_assert_num_queries(len(one_row.captured_queries)):
        response = client.get(reverse("home"), {"q": "Hopper"}, headers=HTMX)

    assertContains(response, "<tr>", count=7)
    for plan in CarePlan.objects.filter(next_review_due=due).select_related("patient"):
        patient = plan.patient
        assertContains(response, f"{patient.display_name}</a>")
        assertContains(response, reverse("careplans:plan-detail", args=[plan.id]))
        assertContains(response, patient.mrn)
        assertContains(response, patient.date_of_birth.strftime("%Y-%m-%d"))
    assertContains(response, "Maple Team", count=7)
    assertContains(response, "Overdue", count=6)


def test_a_search_as_you_type_reads_the_matching_patients_and_no_list_of_teams(client, nurse, team):
    """Each keystroke is a request: it reads the rows it shows (with their team), not the page's team list."""
    factories.CarePlanFactory(patient=factories.PatientFactory(team=team, family_name="Hopper"))
    client.force_login(nurse)
    client.get(reverse("home"), {"q": "Hop"}, headers=HTMX)  # the session's first request

    with CaptureQueriesContext(connection) as search:
        client.get(reverse("home"), {"q": "Hopper"}, headers=HTMX)

    tables = [re.match(r'SELECT .*? FROM ("\w+")', query["sql"]) for query in search]
    tables = [found.group(1) for found in tables if found]
    assert tables.count('"patients_patient"') == 1, tables
    assert '"teams_team"' not in tables, tables
