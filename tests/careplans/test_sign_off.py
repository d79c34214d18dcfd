"""Sign-off: a review freezes an immutable plan version; versions compare with each other and with today."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import ProgrammingError, transaction
from django.utils import timezone

from careplans import services
from careplans.models import PLAN_ITEM_MODELS, CarePlan, PlanVersion, ReviewCorrection
from careplans.snapshots import build_snapshot, diff_snapshots
from teams.models import CareRole
from teams.records import StaleVersionError
from tests import factories

pytestmark = pytest.mark.django_db

ITEM_FACTORIES = {
    "problem": factories.ProblemFactory,
    "goal": factories.GoalFactory,
    "action-step": factories.ActionStepFactory,
}


def sign(plan, physician, **kwargs):
    values = {"context": "visit", "patient_present": True, "summary": "Reviewed together."} | kwargs
    return services.record_plan_review(plan=plan, actor=physician, **values)


def test_signing_freezes_a_version_with_the_signer_and_their_role(care_plan, physician):
    review = sign(care_plan, physician, decisions="Keep metformin.")

    version = PlanVersion.objects.get(plan=care_plan)
    assert version.number == 1
    assert version.review == review
    assert version.signed_by == physician
    assert version.signer_role == CareRole.PHYSICIAN
    assert review.decisions == "Keep metformin."
    assert sign(care_plan, physician).plan_version.number == 2


def test_the_snapshot_holds_every_section_and_every_field(care_plan, physician):
    problem = factories.ProblemFactory(plan=care_plan)
    goal = factories.GoalFactory(plan=care_plan)
    step = factories.ActionStepFactory(plan=care_plan, goal=goal)
    services.set_goal_problems(goal=goal, problems=[problem], actor=physician)

    snapshot = sign(care_plan, physician).plan_version.snapshot

    assert set(snapshot["sections"]) == set(PLAN_ITEM_MODELS)
    for kind, item in {"problem": problem, "goal": goal, "action-step": step}.items():
        stored = snapshot["sections"][kind][str(item.pk)]
        assert {f.attname for f in type(item)._meta.concrete_fields} <= set(stored)
    assert snapshot["sections"]["goal"][str(goal.pk)]["problems"] == [problem.pk]
    assert snapshot["sections"]["problem"][str(problem.pk)]["condition"] == problem.condition
    assert {f.attname for f in CarePlan._meta.concrete_fields} <= set(snapshot["plan"])


def test_a_version_can_never_be_changed_or_deleted(care_plan, physician):
    version = sign(care_plan, physician).plan_version
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        PlanVersion.objects.filter(pk=version.pk).update(snapshot={})
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        PlanVersion.objects.filter(pk=version.pk).delete()


def test_a_nurse_care_manager_cannot_sign_by_default(care_plan, nurse):
    with pytest.raises(PermissionDenied, match="signed off by: physician"):
        sign(care_plan, nurse)
    assert not PlanVersion.objects.exists()


def test_a_team_can_let_its_nurse_care_managers_sign(care_plan, nurse):
    team = care_plan.patient.team
    team.sign_off_roles = [CareRole.PHYSICIAN, CareRole.NURSE_CARE_MANAGER]
    team.save()

    assert sign(care_plan, nurse).reviewer_role == CareRole.NURSE_CARE_MANAGER


def test_an_outsider_cannot_sign(care_plan, outsider):
    with pytest.raises(PermissionDenied):
        sign(care_plan, outsider)


def test_a_sign_off_is_corrected_by_a_note_never_by_an_edit(care_plan, physician, nurse):
    review = sign(care_plan, physician)

    correction = services.add_review_correction(review=review, actor=nurse, note="It was a video visit.")

    assert correction.author_role == CareRole.NURSE_CARE_MANAGER
    assert list(review.corrections.all()) == [correction]
    with pytest.raises(ProgrammingError, match="Cannot update"), transaction.atomic():
        ReviewCorrection.objects.filter(pk=correction.pk).update(note="Rewritten")
    with pytest.raises(ValidationError):
        services.add_review_correction(review=review, actor=nurse, note="  ")


def test_the_diff_lists_added_changed_ended_and_reopened_items(care_plan, physician, nurse):
    kept = factories.ProblemFactory(plan=care_plan, condition="Diabetes", prognosis="Good")
    ended = factories.ProblemFactory(plan=care_plan, condition="Back pain")
    reopened = factories.ProblemFactory(plan=care_plan, condition="Gout")
    services.end_plan_item(item=reopened, expected_version=1, actor=nurse, status="resolved", reason="Better")
    old = sign(care_plan, physician).plan_version.snapshot

    services.update_plan_item(item=kept, expected_version=1, actor=nurse, changes={"prognosis": "Fair"})
    services.end_plan_item(item=ended, expected_version=1, actor=nurse, status="resolved", reason="Healed")
    services.reopen_plan_item(item=reopened, expected_version=2, actor=nurse, reason="Flare")
    added = services.add_plan_item(
        plan=care_plan, model=type(kept), actor=nurse, values={"condition": "COPD"}
    )
    plan = CarePlan.objects.get(pk=care_plan.pk)
    services.update_care_plan(
        plan=plan, expected_version=plan.version, actor=nurse, changes={"strengths": "Walks daily"}
    )

    diff = diff_snapshots(old, build_snapshot(care_plan))

    problems = diff.sections["problem"]
    assert [i.label for i in problems.added] == [str(added)]
    assert [i.label for i in problems.changed] == [str(kept)]
    change = problems.changed[0]
    assert [(f.name, f.before, f.after) for f in change.fields] == [("prognosis", "Good", "Fair")]
    assert change.changed_by == str(nurse)
    assert [i.label for i in problems.ended] == [str(ended)]
    assert [i.label for i in problems.reopened] == [str(reopened)]
    assert [(f.name, f.after) for f in diff.plan_fields] == [("strengths", "Walks daily")]
    assert not diff.sections["goal"]


def test_a_plan_unchanged_since_sign_off_shows_no_difference(care_plan, physician):
    factories.GoalFactory(plan=care_plan)
    old = sign(care_plan, physician).plan_version.snapshot

    assert not diff_snapshots(old, build_snapshot(care_plan))


def test_without_an_earlier_version_every_item_counts_as_added(care_plan):
    factories.GoalFactory(plan=care_plan)

    diff = diff_snapshots(None, build_snapshot(care_plan))

    assert len(diff.sections["goal"].added) == 1


@pytest.mark.parametrize(
    ("signed_on", "days", "expected"),
    [
        (datetime.date(2027, 1, 31), 30, datetime.date(2027, 3, 2)),  # across a short February
        (datetime.date(2028, 1, 31), 30, datetime.date(2028, 3, 1)),  # leap year: February has 29 days
        (datetime.date(2028, 2, 29), 365, datetime.date(2029, 2, 28)),  # from a leap day
        (datetime.date(2027, 11, 30), 90, datetime.date(2028, 2, 28)),  # across a year end
    ],
)
def test_the_next_review_is_the_sign_off_day_plus_the_interval_in_days(
    care_plan, physician, signed_on, days, expected, monkeypatch
):
    CarePlan.objects.filter(pk=care_plan.pk).update(review_interval_days=days)
    noon = datetime.datetime.combine(signed_on, datetime.time(12), tzinfo=timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: noon)

    review = sign(care_plan, physician)

    assert review.next_review_due == expected
    assert CarePlan.objects.get(pk=care_plan.pk).next_review_due == expected


def test_the_next_review_date_can_be_set_by_hand_with_a_reason(care_plan, nurse):
    wanted = timezone.localdate() + datetime.timedelta(days=7)

    plan = services.set_next_review_date(
        plan=care_plan, expected_version=1, actor=nurse, next_review_due=wanted, reason="Discharged home"
    )

    assert (plan.next_review_due, plan.next_review_reason) == (wanted, "Discharged home")
    with pytest.raises(ValidationError):
        services.set_next_review_date(
            plan=plan, expected_version=2, actor=nurse, next_review_due=wanted, reason=""
        )
    with pytest.raises(StaleVersionError):
        services.set_next_review_date(
            plan=plan, expected_version=1, actor=nurse, next_review_due=wanted, reason="Again"
        )
