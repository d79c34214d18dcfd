"""`manage.py seed_demo`: the synthetic demo practice, its logins and its 30 complete care plans."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from pghistory.models import Context

from careplans import demo
from careplans.history import plan_timeline
from careplans.models import (
    PLAN_ITEM_MODELS,
    ActionStep,
    CarePlan,
    CareTeamMember,
    Comment,
    CommentMention,
    CommunityService,
    Goal,
    GoalMeasurement,
    InformationRelease,
    Medication,
    PlanReview,
    PlanVersion,
)
from careplans.worklist import worklist_for
from patients.models import Patient
from teams.models import CareRole, Membership, Organization, Team, User
from tests.careplans.ccm_cast import code_rules  # noqa: F401

pytestmark = pytest.mark.django_db

COUNTED = [Organization, Team, User, Membership, Patient, CarePlan, GoalMeasurement, PlanReview, PlanVersion]
COUNTED += [Context]
COUNTED += list(PLAN_ITEM_MODELS.values())


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Seed once for the whole module (it takes seconds), in a transaction rolled back afterwards.

    Seeded with DEBUG off and --force, so this is also the forced run.
    """
    with django_db_blocker.unblock(), override_settings(DEBUG=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("seed_demo", "--force", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def plans() -> list[CarePlan]:
    return list(CarePlan.objects.select_related("patient__team").order_by("patient__mrn"))


def test_seed_demo_builds_thirty_patients_with_complete_plans(seeded):
    assert "30 synthetic patients" in seeded
    patients = Patient.objects.order_by("mrn")
    assert [p.mrn for p in patients] == [f"D{n:05d}" for n in range(1, 31)]
    assert {p.organization.slug for p in patients} == {"lakeside"}
    ages = {spec.family_name: spec.age for spec in demo.PATIENTS}
    assert all(p.age() == ages[p.family_name] for p in patients)
    per_team = {team.name: team.patients.count() for team in Team.objects.all()}
    assert set(per_team) == {"Maple Team", "Cedar Team"}
    assert all(count >= 10 for count in per_team.values())
    for plan in plans():
        assert plan.status in {CarePlan.Status.ACTIVE, CarePlan.Status.ON_HOLD}
        assert plan.what_matters_most and plan.strengths and plan.care_preferences
        assert plan.responsible_member is not None
        assert plan.last_reviewed_at is not None and plan.next_review_due is not None


def test_demo_plans_have_every_section(seeded):
    today = timezone.localdate()
    for plan in plans():
        label = plan.patient.mrn
        problems = plan.problems.filter(status="active")
        assert problems, label
        assert all(p.expected_outcome and p.prognosis for p in problems), label

        goals = list(plan.goals.prefetch_related("measurements", "problems"))
        assert goals, label
        for goal in goals:
            assert goal.description and goal.is_measurable, label
            assert goal.baseline_value is not None and goal.baseline_date and goal.target_date, label
            assert goal.responsible_label, label
            assert len(goal.measurements.all()) >= 2, label
            assert all(m.measured_on <= today for m in goal.measurements.all()), label
        assert any(goal.problems.all() for goal in goals), label

        steps = list(plan.action_steps.all())
        assert steps and all(step.due_date and step.responsible_label for step in steps), label
        assert any(step.status == "done" for step in steps), label

        medications = plan.medications.filter(status="active")
        assert medications, label
        for medication in medications:
            assert medication.formulation and medication.dose and medication.frequency, label
            assert medication.prescriber and medication.indication and medication.patient_instructions, label

        symptom_plans = list(plan.symptom_plans.all())
        assert symptom_plans, label
        for zones in symptom_plans:
            assert zones.green_signs and zones.yellow_signs and zones.red_signs and zones.red_actions, label
            assert zones.whom_to_call and zones.call_phone, label

        assert plan.community_services.exists(), label
        care_team = list(plan.care_team.all())
        assert any(member.user_id for member in care_team), label
        assert any(not member.user_id and member.name for member in care_team), label
        assert sum(member.is_primary_contact for member in care_team) == 1, label
        education = list(plan.education.all())
        assert education and any(topic.teach_back_confirmed for topic in education), label
        assert plan.reviews.exists(), label


def test_demo_plans_show_progress_and_work_that_is_late(seeded):
    today = timezone.localdate()
    assert ActionStep.objects.filter(status="planned", due_date__lt=today).count() >= 10
    assert ActionStep.objects.filter(status="done").exclude(status_reason="").count() >= 10
    assert Goal.objects.filter(achievement_status="achieved", status="active").exists()
    completed = Goal.objects.filter(status="completed")
    assert completed and all(g.achievement_status == "achieved" and g.status_reason for g in completed)
    assert Goal.objects.filter(kind=Goal.Kind.LIFE).exists()
    in_error = GoalMeasurement.objects.filter(status="entered_in_error")
    assert in_error.count() >= 20 and all(m.status_reason.startswith("Typing mistake") for m in in_error)
    assert Medication.objects.filter(status="stopped").exclude(status_reason="").exists()

    overdue = CarePlan.objects.filter(status="active", next_review_due__lt=today)
    assert 3 <= overdue.count() <= 10
    assert all(plan.is_review_overdue() and plan.next_review_reason for plan in overdue)
    assert CarePlan.objects.filter(status="active", next_review_due__gte=today).count() >= 15


def test_the_opioid_use_disorder_patient_has_part2_consents_and_protected_items(seeded):
    plan = CarePlan.objects.get(problems__code="F11.20")
    releases = list(plan.information_releases.all())
    assert len(releases) >= 1
    assert all(r.covers_part2 and r.part2_protected and r.risks_and_benefits_discussed for r in releases)
    assert all(r.is_in_force() for r in releases)

    film = plan.medications.get(name__startswith="Buprenorphine")
    assert film.formulation == "sublingual film"
    assert film.part2_protected and film.dose and film.frequency and film.prescriber

    recovery = plan.community_services.get(category=CommunityService.Category.RECOVERY_SUPPORT)
    assert recovery.part2_protected
    assert recovery.permission_to_exchange
    assert recovery.release.covers_part2 and recovery.release.plan_id == plan.pk

    assert plan.problems.get(code="F11.20").part2_protected
    assert plan.goals.filter(part2_protected=True).exists()
    assert plan.action_steps.filter(part2_protected=True).exists()
    assert plan.symptom_plans.filter(part2_protected=True).exists()
    assert plan.education.filter(part2_protected=True).exists()
    # Only items about the substance use disorder are protected: the depression care is not.
    assert plan.problems.filter(code="F33.1", part2_protected=False).exists()
    # No other patient has Part 2 records.
    assert not InformationRelease.objects.exclude(plan=plan).filter(covers_part2=True).exists()


def test_the_demo_covers_the_required_scenarios(seeded):
    def has_plan_with(*codes: str) -> bool:
        return any({p.code for p in plan.problems.all()} >= set(codes) for plan in plans())

    assert has_plan_with("E11.65", "I10", "N18.31")  # diabetes, hypertension, kidney disease
    assert has_plan_with("I50.22", "J44.9")  # heart failure with COPD
    assert has_plan_with("F33.1", "M54.50")  # depression with chronic pain
    assert has_plan_with("F11.20")  # opioid use disorder
    assert has_plan_with("J45.40")  # asthma

    spanish = Patient.objects.get(preferred_language="es")
    assert spanish.interpreter_needed
    assert "familia" in spanish.care_plan.what_matters_most
    assert Patient.objects.filter(large_print=True).exists()


def test_demo_users_cover_every_role_and_show_team_scoping(seeded):
    active = Membership.objects.filter(ended_on__isnull=True)
    assert set(active.values_list("role", flat=True)) == set(CareRole.values)
    for team in Team.objects.all():
        assert active.filter(team=team, is_team_lead=True).count() == 1
    assert {t.approach for t in Team.objects.all()} == {
        Team.Approach.DISTRIBUTED_TASKS,
        Team.Approach.HEALTH_COACHING,
    }

    cedar_nurse = User.objects.get(username="cedar.nurse")
    assert list(active.filter(user=cedar_nurse).values_list("team__name", flat=True)) == ["Cedar Team"]
    nurse = User.objects.get(username="nurse")
    assert list(active.filter(user=nurse).values_list("team__name", flat=True)) == ["Maple Team"]

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert all(user.check_password(demo.DEMO_PASSWORD) for user in User.objects.all())
    assert len(demo.DEMO_PASSWORD) >= 15


def test_seed_demo_prints_the_logins_and_the_password(seeded):
    for username, role, team in demo.login_rows():
        assert username in seeded and role in seeded and team in seeded
    assert "cedar.nurse" in seeded
    assert f"Password for every demo login: {demo.DEMO_PASSWORD}" in seeded


def test_running_seed_demo_twice_adds_nothing(seeded, settings):
    settings.DEBUG = True
    before = counts()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert counts() == before
    assert "Demo data already loaded" in out.getvalue()
    assert demo.DEMO_PASSWORD in out.getvalue()


def test_seed_demo_is_refused_when_debug_is_off_unless_forced(seeded, settings):
    settings.DEBUG = False
    before = counts()

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())

    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)  # the module's data was itself loaded with --force
    assert "Demo data already loaded" in out.getvalue()
    assert counts() == before


def test_seed_demo_refuses_demo_usernames_taken_outside_the_demo_practice(seeded, settings):
    settings.DEBUG = True
    Organization.objects.filter(slug="lakeside").update(slug="elsewhere")

    with pytest.raises(CommandError, match="admin"):
        call_command("seed_demo", stdout=StringIO())


def test_every_demo_change_is_recorded_with_its_actor_and_the_command(seeded):
    contexts = Context.objects.all()
    assert contexts.exists()
    assert {c.metadata.get("command") for c in contexts} == {"seed_demo"}
    # Each change has its own context naming the team member who made it.
    for model in (Goal, CareTeamMember, CarePlan):
        events = model.pgh_event_model.objects.select_related("pgh_context")
        assert events.exists()
        assert all(e.pgh_context.metadata["user"] == e.updated_by_id for e in events)
    ended = Goal.pgh_event_model.objects.filter(status="completed").select_related("pgh_context")
    assert ended and all(e.pgh_context.metadata.get("reason") for e in ended)


def test_the_demo_nurses_have_reminders_waiting(seeded):
    from careplans.models import Notification

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"overdue", "escalation"} <= kinds
    nurses = User.objects.filter(memberships__role=CareRole.NURSE_CARE_MANAGER)
    assert Notification.objects.filter(recipient__in=nurses).exists()


def test_demo_plans_have_a_history_of_changes_with_names_and_reasons(seeded):
    entries = [entry for plan in plans()[:5] for entry in plan_timeline(plan).entries]
    assert {"added", "ended"} <= {entry.action for entry in entries}
    ended = [entry for entry in entries if entry.action == "ended"]
    assert all(entry.reason and entry.who and entry.role for entry in ended)
    assert any(entry.changes for entry in entries)


def test_demo_plans_are_signed_by_physicians_and_some_changed_since(seeded):
    from careplans.snapshots import build_snapshot, diff_snapshots

    versions = list(PlanVersion.objects.select_related("plan"))
    assert len(versions) >= 20
    assert {v.signer_role for v in versions} == {CareRole.PHYSICIAN}
    changed = [v for v in versions if diff_snapshots(v.snapshot, build_snapshot(v.plan))]
    assert 5 <= len(changed) < len(versions)


def test_the_demo_shows_priorities_decisions_measures_and_social_needs(seeded):
    from careplans.models import ActionStep, InstrumentResponse, SharedDecision

    assert all(plan.one_thing and plan.priority_values for plan in plans())
    assert SharedDecision.objects.filter(decision="").exists()  # one still being discussed
    assert SharedDecision.objects.exclude(decision="").exists()
    phq9 = InstrumentResponse.objects.filter(instrument="phq9")
    assert phq9.values("plan").distinct().count() >= 2 and phq9.filter(band="Severe").count() == 0
    assert InstrumentResponse.objects.filter(instrument="gad7").exists()
    assert phq9.filter(urgent=True).count() == 1
    assert ActionStep.objects.filter(is_urgent=True, description__contains="item 9").count() == 1
    assert InstrumentResponse.objects.filter(instrument="ahc").count() == len(plans())
    assert InstrumentResponse.objects.filter(instrument="ahc").exclude(positive_domains=[]).exists()


def test_the_demo_teams_have_survey_answers_some_below_the_minimum_and_an_improvement_goal(seeded):
    from careplans import experience
    from careplans.models import ImprovementGoal, SurveyResponse

    for team in Team.objects.all():
        months = experience.monthly_results(SurveyResponse.objects.filter(team=team))
        assert any(cell.shown for cell in months) and any(not cell.shown for cell in months)
        assert ImprovementGoal.objects.filter(team=team).exists()


def test_the_demo_has_team_comments_and_mentions_on_the_physicians_worklist(seeded):
    physician = User.objects.get(username="physician")
    assert Comment.objects.filter(item_kind="goal").count() >= 5
    assert Comment.objects.filter(item_kind="").exists()
    assert Comment.objects.filter(retracted_at__isnull=False, body="").exists()
    worklist = worklist_for(physician)
    assert (
        len(worklist.mentions.rows)
        == min(CommentMention.objects.filter(mentioned=physician).count(), 20)
        >= 5
    )
    assert len(worklist.changed_plans.rows) >= 5


@pytest.mark.usefixtures("code_rules")
def test_the_demo_enrols_patients_in_ccm_with_minutes_and_suggested_codes(seeded):
    from careplans.ccm_models import CareTimeEntry, ProgramEnrolment
    from careplans.ccm_selectors import patient_months

    enrolments = list(ProgramEnrolment.objects.all())
    assert len(enrolments) == 4
    assert all(e.informed_cost_sharing and e.billing_practitioner.username == "physician" for e in enrolments)
    last_month = min(e.started_on for e in enrolments)
    months = patient_months([e.patient_id for e in enrolments], last_month)
    assert CareTimeEntry.objects.filter(staff_type="non_clinical").exists()
    assert {months[e.patient_id].suggestion.summary for e in enrolments} >= {"99490", "99487 + 99489"}
