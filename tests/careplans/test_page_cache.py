"""The plan page's sections are rendered once and kept until anything they show changes (careplans.page_cache).

A cached page must be the page: every write to what the sections show, however it is made, shows on the
very next look; each viewer gets their own CSRF token; an emergency viewer never sees, nor leaves
behind, a team member's fragment.
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

from careplans import ccm, comments, page_cache, services
from careplans.ccm_models import ProgramEnrolment
from careplans.models import GoalMeasurement, Medication, PlanReview
from patients.models import RelatedPerson
from teams.models import CareRole, Team
from tests import factories

pytestmark = pytest.mark.django_db


def plan_url(plan):
    return reverse("careplans:plan-detail", args=[plan.pk])


def without_tokens(html: str) -> str:
    """The page with its per-request parts (CSRF tokens, CSP nonces) blanked out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    html = re.sub(r'"x-csrftoken": "[^"]+"', '"x-csrftoken": ""', html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def fill(plan, member, count):
    for n in range(count):
        factories.MedicationFactory(plan=plan, name=f"Medicine {n}")
        factories.ActionStepFactory(plan=plan, description=f"Step {n}", responsible_member=member)
        goal = factories.GoalFactory(plan=plan)
        GoalMeasurement.objects.create(goal=goal, value=Decimal(7), measured_on=timezone.localdate())


def test_a_second_look_is_the_same_page_served_from_the_cache(client, nurse, care_plan):
    fill(care_plan, nurse, 3)
    client.force_login(nurse)

    first = client.get(plan_url(care_plan))
    second = client.get(plan_url(care_plan))

    assert first.status_code == second.status_code == 200
    assert "Medicine 2" in second.text
    assert without_tokens(second.text) == without_tokens(first.text)


def test_a_cached_look_costs_the_same_few_queries_for_a_small_or_large_plan_and_reads_no_items(
    client, nurse, team
):
    small = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    large = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    fill(small, nurse, 2)
    fill(large, nurse, 60)
    client.force_login(nurse)
    client.get(reverse("home"))  # The first request after signing in also touches the session.
    counts = {}
    for name, plan in (("small", small), ("large", large)):
        with CaptureQueriesContext(connection) as miss:
            client.get(plan_url(plan))
        with CaptureQueriesContext(connection) as hit:
            assert "Medicine 1" in client.get(plan_url(plan)).text
        counts[name] = (len(miss), len(hit))
        assert not [q["sql"] for q in hit if "careplans_medication" in q["sql"]]

    assert counts["small"] == counts["large"]
    miss_count, hit_count = counts["small"]
    assert hit_count < miss_count - 10, counts


def _bump_medication_dose(plan, nurse):
    medication = plan.medications.get()
    services.update_plan_item(
        item=medication, expected_version=medication.version, actor=nurse, changes={"dose": "850 mg"}
    )
    return "850 mg"


def _end_medication(plan, nurse):
    medication = plan.medications.get()
    services.end_plan_item(
        item=medication, expected_version=medication.version, actor=nurse, status="stopped", reason="Nausea"
    )
    return "Ended (1)"


def _bulk_update(plan, nurse):
    Medication.objects.filter(plan=plan).update(dose="1,000 mg")  # no service: the database still notices
    return "1,000 mg"


def _measure(plan, nurse):
    goal = factories.GoalFactory(plan=plan, measure="HbA1c")
    services.record_goal_measurement(
        goal=goal,
        actor=nurse,
        value=Decimal("6.35"),
        measured_on=timezone.localdate(),
        source="lab",
    )
    return "6.35"


def _comment(plan, nurse):
    medication = plan.medications.get()
    comments.add_comment(
        plan=plan, actor=nurse, body="Check kidneys", item_kind="medication", item_id=medication.pk
    )
    return f'id="comment-count-medication-{medication.pk}">1<'


def _review(plan, nurse):
    PlanReview.objects.create(
        plan=plan,
        reviewer=nurse,
        reviewer_role=CareRole.NURSE_CARE_MANAGER,
        context=PlanReview.Context.choices[0][0],
        patient_present=True,
        summary="Reviewed with the daughter",
        next_review_due=timezone.localdate() + datetime.timedelta(days=90),
    )
    return "Reviewed with the daughter"


def _related_person(plan, nurse):
    RelatedPerson.objects.create(
        patient=plan.patient, name="Rosa Alvarez", relationship="Daughter", created_by=nurse, updated_by=nurse
    )
    return "Rosa Alvarez"


def _rename(plan, nurse):
    nurse.last_name = "Okafor-Reyes"
    nurse.save()
    return "Okafor-Reyes"


def _rename_team(plan, nurse):
    Team.objects.filter(pk=plan.patient.team_id).update(name="Riverside Team B")
    return "Riverside Team B"


def _not_applicable(plan, nurse):
    ccm.mark_element_not_applicable(
        plan=plan, actor=nurse, element="community_services", reason="Declines all services"
    )
    return "Declines all services"


def _copy_given(plan, nurse):
    ccm.record_plan_copy_given(plan=plan, actor=nurse, how="paper")
    return "Last copy:"


def _enrol(plan, nurse):
    # Written directly, as an import or a data fix would: the trigger sees it all the same.
    ProgramEnrolment.objects.create(
        patient=plan.patient,
        program="ccm",
        started_on=timezone.localdate(),
        consent_method="verbal",
        consent_obtained_by=nurse,
        consent_obtained_at=timezone.now(),
        billing_practitioner=nurse,
        informed_cost_sharing=True,
        informed_one_practitioner=True,
        informed_right_to_stop=True,
        created_by=nurse,
        updated_by=nurse,
    )
    return "The patient is enrolled in care management"


@pytest.mark.parametrize(
    "change",
    [
        _bump_medication_dose,
        _end_medication,
        _bulk_update,
        _measure,
        _comment,
        _review,
        _related_person,
        _rename,
        _rename_team,
        _not_applicable,
        _copy_given,
        _enrol,
    ],
)
def test_every_change_to_what_the_sections_show_is_on_the_next_look(client, nurse, care_plan, change):
    factories.MedicationFactory(plan=care_plan, name="Metformin", dose="500 mg")
    factories.ActionStepFactory(plan=care_plan, description="Walk daily", responsible_member=nurse)
    client.force_login(nurse)
    client.get(plan_url(care_plan))
    key = page_cache.cache_key(care_plan)

    shown = change(care_plan, nurse)

    assert page_cache.cache_key(care_plan) != key
    assert shown in client.get(plan_url(care_plan)).text


def test_every_table_the_sections_read_is_watched_by_the_stamp(client, nurse, care_plan):
    """A new section reading a new table fails here until the stamp's triggers cover that table."""
    fill(care_plan, nurse, 1)
    client.force_login(nurse)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as miss:
        client.get(plan_url(care_plan))
    with CaptureQueriesContext(connection) as hit:
        client.get(plan_url(care_plan))
    read = {table for q in miss for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])}
    read -= {table for q in hit for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'careweave_page_stamp_%%'"
        )
        watched = {row[0] for row in cursor.fetchall()}
    # Names of people, teams and the practice are watched by the "directory" stamp.
    assert {"teams_user", "teams_team", "teams_organization"} <= watched
    assert read, "the cached look should read less than the first"
    assert read <= watched, read - watched


def test_a_new_day_renders_afresh(client, nurse, care_plan):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    factories.ActionStepFactory(plan=care_plan, description="Book eye exam", due_date=tomorrow)
    client.force_login(nurse)
    assert "Overdue" not in client.get(plan_url(care_plan)).text

    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        client.force_login(nurse)  # sessions end after 12 hours
        assert "Overdue" in client.get(plan_url(care_plan)).text


@pytest.mark.parametrize(
    "changed",
    [
        "templates/careplans/plan_detail.html",
        "careplans/views/plan.py",
        "static/css/ccm.css",
        "static/js/app.js",
    ],
)
def test_a_deploy_that_changes_a_template_code_or_a_static_file_keys_the_fragments_afresh(
    settings, tmp_path, changed
):
    """A cached fragment links its stylesheets by content hash: after a deploy it must not name old files."""
    for path in [changed, "templates/base.html", "careplans/models.py", "static/css/app.css"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("as deployed")
    settings.BASE_DIR = tmp_path
    before = page_cache.code_digest.__wrapped__()

    (tmp_path / changed).write_text("as deployed, then changed")

    assert page_cache.code_digest.__wrapped__() != before


def test_each_viewer_gets_a_working_csrf_token_of_their_own_in_the_cached_forms(nurse, physician, care_plan):
    tokens = []
    for user in (nurse, physician):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        page = client.get(plan_url(care_plan)).text
        token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token and page_cache.CSRF_PLACEHOLDER not in page
        tokens.append(token[-1])
        response = client.post(
            reverse("careplans:copy-given", args=[care_plan.pk]),
            {"csrfmiddlewaretoken": token[-1], "recipient": "patient", "how": "paper"},
        )
        assert response.status_code != 403, response.content[:300]
    assert tokens[0] != tokens[1]


def test_an_emergency_viewer_never_gets_the_teams_cached_sections(client, nurse, care_plan):
    care_plan.patient.mrn = "MRN-7777"
    care_plan.patient.save()
    factories.MedicationFactory(plan=care_plan, name="Metformin")
    factories.MedicationFactory(plan=care_plan, name="Buprenorphine", part2_protected=True)
    er_doctor = factories.UserFactory(username="ed.er")
    other = factories.TeamFactory(name="Urgent Care", organization=care_plan.patient.team.organization)
    factories.MembershipFactory(user=er_doctor, team=other, role=CareRole.PHYSICIAN)
    client.force_login(nurse)
    assert "Buprenorphine" in client.get(plan_url(care_plan)).text  # now cached, Part 2 item included

    client.force_login(er_doctor)
    client.post(
        reverse("emergency-access"),
        {"mrn": "MRN-7777", "reason": "Patient arrived unconscious in urgent care; need medication list."},
    )
    page = client.get(plan_url(care_plan)).text

    assert "Metformin" in page
    assert "Buprenorphine" not in page
    client.force_login(nurse)
    assert "Buprenorphine" in client.get(plan_url(care_plan)).text


def test_the_discussion_is_kept_per_viewer_so_only_authors_see_retract_on_their_comments(
    client, nurse, physician, care_plan
):
    comments.add_comment(plan=care_plan, actor=nurse, body="Daughter prefers morning calls")
    for _ in range(2):  # the first look renders the fragments, the second is served from the cache
        client.force_login(physician)
        seen_by_physician = client.get(plan_url(care_plan)).text
        client.force_login(nurse)
        seen_by_author = client.get(plan_url(care_plan)).text

        assert "Daughter prefers morning calls" in seen_by_physician
        assert "Retract…" not in seen_by_physician
        assert "Retract…" in seen_by_author


def test_a_new_comment_in_the_discussion_is_on_the_next_look(client, nurse, care_plan):
    client.force_login(nurse)
    client.get(plan_url(care_plan))

    comments.add_comment(plan=care_plan, actor=nurse, body="Ask about the new inhaler")

    assert "Ask about the new inhaler" in client.get(plan_url(care_plan)).text
