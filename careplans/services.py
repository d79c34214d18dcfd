"""Every change to a care plan goes through one of these functions.

Each runs in one transaction, checks that the actor is on the patient's team,
re-reads the row under a lock and refuses a stale version
(`teams.records.StaleVersionError`), validates (django `ValidationError` per
field) and records who and why in the history context. Pages, the API and
Celery tasks call these and only translate their input and output.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from careplans import experience, measures, reminders, team_approach
from careplans.activity import note_plan_activity
from careplans.completeness import refuse_activation_if_incomplete
from careplans.models import (
    ActionStep,
    CarePlan,
    CommunityService,
    Goal,
    GoalMeasurement,
    GoalProblem,
    ImprovementGoal,
    InformationRelease,
    InstrumentResponse,
    PlanItem,
    PlanPrintout,
    PlanReview,
    PlanVersion,
    Problem,
    ReviewCorrection,
    SurveyResponse,
    SurveyToken,
)
from careplans.snapshots import build_snapshot
from teams import selectors as teams
from teams.models import CareRole, Team, User
from teams.records import StaleVersionError, apply_changes, create_record, history_context, lock_at_version
from teams.rules import can_edit_plan, can_see_part2, can_sign_off, is_on_patients_team, require

I = TypeVar("I", bound=PlanItem)  # noqa: E741

# Fields that say who did something; they must name someone on the patient's team.
PERSON_FIELDS = ("responsible_member", "user", "delivered_by")
# Fields no edit form may set: the plan, and the status, which only end/reopen change.
NOT_EDITABLE = {"id", "plan", "status", "status_reason", "status_changed_at"}
PLAN_EDITABLE = (
    "what_matters_most",
    "strengths",
    "care_preferences",
    "additional_information",
    "priority_values",
    "one_thing",
    "willing_and_able",
    "helpful_care",
    "burdensome_care",
    "risk_tier",
    "review_interval_days",
    "responsible_member",
)


def editable_fields(model: type[PlanItem]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if f.editable and f.name not in NOT_EDITABLE)


def _require_member(actor: User, plan: CarePlan) -> None:
    require(can_edit_plan, actor, plan, "You are not on this patient's team.")


def _check_people(plan: CarePlan, values: Mapping[str, Any]) -> None:
    """A plan item can only name people who are on the patient's team."""
    team_members = None
    for name in PERSON_FIELDS:
        person = values.get(name)
        if person is None:
            continue
        if team_members is None:
            team_members = set(teams.team_members(plan.patient.team_id).values_list("pk", flat=True))
        if person.pk not in team_members:
            raise ValidationError({name: "Choose someone who is on this patient's team."})


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"status_reason": "Give a reason."})
    return reason.strip()


@transaction.atomic
def add_plan_item(*, plan: CarePlan, model: type[I], actor: User, values: Mapping[str, Any]) -> I:
    """Add an item to one section of `plan`, in its open status or another status that is not an end."""
    _require_member(actor, plan)
    editable = {*editable_fields(model), "status"}
    refused = set(values) - editable
    if refused:
        raise ValueError(f"Not editable here: {', '.join(sorted(refused))}")
    if values.get("status") in model.END_STATUSES:
        raise ValidationError({"status": "A new item cannot start out ended."})
    _check_people(plan, values)
    with history_context(actor=actor):
        note_plan_activity(plan=plan, actor=actor, summary=f"added a {model._meta.verbose_name}")
        item = create_record(model, actor=actor, values={**values, "plan": plan})
    _keep_waiting_since(item)
    return item


@transaction.atomic
def update_plan_item(
    *, item: I, expected_version: int, actor: User, changes: Mapping[str, Any], reason: str = ""
) -> I:
    """Change the fields of an item; the status only changes by ending or reopening it."""
    _require_member(actor, item.plan)
    _check_people(item.plan, changes)
    locked = lock_at_version(item, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        if apply_changes(locked, actor=actor, changes=changes, editable=editable_fields(type(item))):
            note_plan_activity(
                plan=locked.plan_id, actor=actor, summary=f"changed a {locked._meta.verbose_name}"
            )
    _keep_waiting_since(locked)
    reminders.notify_responsible_of_change(item=locked, actor=actor, what="changed")
    return locked


@transaction.atomic
def end_plan_item(*, item: I, expected_version: int, actor: User, status: str, reason: str) -> I:
    """End, resolve or retire an item: it stays on record, with the reason."""
    _require_member(actor, item.plan)
    reason = _require_reason(reason)
    if status not in item.END_STATUSES:
        allowed = ", ".join(sorted(str(s) for s in item.END_STATUSES))
        raise ValidationError({"status": f"An item is ended with one of: {allowed}."})
    locked = lock_at_version(item, expected_version=expected_version)
    if locked.is_ended:
        raise ValidationError({"status": "This item has already ended."})
    if isinstance(locked, InformationRelease) and status == InformationRelease.Status.REVOKED:
        from careplans import part2

        # Revoking a release also records the day, and stops the next disclosure (42 CFR Part 2).
        return part2.revoke_release(release=locked, actor=actor, reason=reason)
    _set_status(locked, actor=actor, status=status, reason=reason)
    reminders.notify_responsible_of_change(item=locked, actor=actor, what="ended")
    return locked


@transaction.atomic
def move_plan_item(*, item: I, expected_version: int, actor: User, status: str, reason: str = "") -> I:
    """Move an item along its open statuses: a referral becomes active, a step is in progress, a goal on hold.

    Ending goes through `end_plan_item` (it needs a reason), bringing an ended item back
    through `reopen_plan_item`.
    """
    _require_member(actor, item.plan)
    open_statuses = set(type(item).Status.values) - item.END_STATUSES
    if status not in open_statuses:
        allowed = ", ".join(sorted(open_statuses))
        raise ValidationError({"status": f"Choose one of: {allowed}."})
    locked = lock_at_version(item, expected_version=expected_version)
    if locked.is_ended:
        raise ValidationError({"status": "This item has ended; reopen it first."})
    return _set_status(locked, actor=actor, status=status, reason=reason.strip())


@transaction.atomic
def reopen_plan_item(*, item: I, expected_version: int, actor: User, reason: str) -> I:
    """Bring an ended item back into the living plan."""
    _require_member(actor, item.plan)
    reason = _require_reason(reason)
    locked = lock_at_version(item, expected_version=expected_version)
    if not locked.is_ended:
        raise ValidationError({"status": "This item is not ended."})
    _set_status(locked, actor=actor, status=locked.OPEN_STATUS, reason=reason)
    reminders.notify_responsible_of_change(item=locked, actor=actor, what="reopened")
    return locked


def _set_status(item: I, *, actor: User, status: str, reason: str) -> I:
    with history_context(actor=actor, reason=reason):
        apply_changes(
            item,
            actor=actor,
            changes={"status": status, "status_reason": reason, "status_changed_at": timezone.now()},
            editable=("status", "status_reason", "status_changed_at"),
        )
        summary = f"set a {item._meta.verbose_name} to {item.get_status_display().lower()}"
        note_plan_activity(plan=item.plan_id, actor=actor, summary=summary)
    _keep_waiting_since(item)
    return item


def _keep_waiting_since(item: PlanItem) -> None:
    """Store a community service's `waiting_since` after a change to its referral date or status.

    Call inside the transaction of the change. An UPDATE of this column alone records no history event
    (it is left out of CommunityService's history).
    """
    if not isinstance(item, CommunityService):
        return
    waiting_since = item.waiting_since_from_fields()
    if waiting_since != item.waiting_since:
        CommunityService.objects.filter(pk=item.pk).update(waiting_since=waiting_since)
        item.waiting_since = waiting_since


def _keep_last_measured_on(goal_id: int) -> None:
    """Store the date of the goal's latest final measurement on the goal (None when it has none).

    Call inside the transaction that records a measurement or marks one in error. The UPDATE records no
    goal history event: `last_measured_on` is left out of Goal's history, the measurement has its own.
    """
    latest = (
        GoalMeasurement.objects.filter(goal=OuterRef("pk"), status=GoalMeasurement.Status.FINAL)
        .order_by("-measured_on")
        .values("measured_on")[:1]
    )
    Goal.objects.filter(pk=goal_id).update(last_measured_on=Subquery(latest))


@transaction.atomic
def set_goal_problems(*, goal: Goal, problems: Iterable[Problem], actor: User) -> Goal:
    """Link a goal to exactly these problems of the same plan."""
    _require_member(actor, goal.plan)
    wanted = {p.pk for p in problems}
    if Problem.objects.filter(pk__in=wanted).exclude(plan_id=goal.plan_id).exists():
        raise ValidationError({"problems": "Choose problems from this patient's plan."})
    with history_context(actor=actor):
        current = set(GoalProblem.objects.filter(goal=goal).values_list("problem_id", flat=True))
        GoalProblem.objects.filter(goal=goal, problem_id__in=current - wanted).delete()
        GoalProblem.objects.bulk_create([GoalProblem(goal=goal, problem_id=pk) for pk in wanted - current])
        if wanted != current:
            note_plan_activity(plan=goal.plan_id, actor=actor, summary="linked a goal to problems")
    return goal


@transaction.atomic
def add_goal(*, plan: CarePlan, actor: User, values: Mapping[str, Any], problems: Iterable[Problem]) -> Goal:
    """Add a goal to `plan` linked to the problems it addresses, all or nothing."""
    goal = add_plan_item(plan=plan, model=Goal, actor=actor, values=values)
    return set_goal_problems(goal=goal, problems=problems, actor=actor)


@transaction.atomic
def update_goal(
    *, goal: Goal, expected_version: int, actor: User, changes: Mapping[str, Any], problems: Iterable[Problem]
) -> Goal:
    """Change a goal's fields and the problems it addresses, all or nothing, refusing a stale version."""
    updated = update_plan_item(item=goal, expected_version=expected_version, actor=actor, changes=changes)
    return set_goal_problems(goal=updated, problems=problems, actor=actor)


@transaction.atomic
def record_goal_measurement(
    *, goal: Goal, actor: User, value: Decimal, measured_on: datetime.date, source: str, note: str = ""
) -> GoalMeasurement:
    """Record a value of the goal's measure."""
    _require_member(actor, goal.plan)
    if not goal.measure:
        raise ValidationError({"value": "This goal has no measure to record a value for."})
    with history_context(actor=actor):
        note_plan_activity(plan=goal.plan_id, actor=actor, summary="recorded a measurement")
        measurement = create_record(
            GoalMeasurement,
            actor=actor,
            values={"goal": goal, "value": value, "measured_on": measured_on, "source": source, "note": note},
        )
    _keep_last_measured_on(goal.pk)
    return measurement


@transaction.atomic
def mark_measurement_in_error(
    *, measurement: GoalMeasurement, expected_version: int, actor: User, reason: str
) -> GoalMeasurement:
    _require_member(actor, measurement.goal.plan)
    reason = _require_reason(reason)
    locked = lock_at_version(measurement, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked,
            actor=actor,
            changes={"status": GoalMeasurement.Status.ENTERED_IN_ERROR, "status_reason": reason},
            editable=("status", "status_reason"),
        )
        note_plan_activity(
            plan=measurement.goal.plan_id, actor=actor, summary="marked a measurement in error"
        )
    _keep_last_measured_on(locked.goal_id)
    return locked


@transaction.atomic
def update_care_plan(
    *, plan: CarePlan, expected_version: int, actor: User, changes: Mapping[str, Any], reason: str = ""
) -> CarePlan:
    """Change the plan's own fields: what matters most, preferences, review interval, who keeps it."""
    _require_member(actor, plan)
    _check_people(plan, changes)
    locked = lock_at_version(plan, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        if apply_changes(locked, actor=actor, changes=changes, editable=PLAN_EDITABLE):
            note_plan_activity(plan=locked, actor=actor, summary="changed the plan")
    return locked


@transaction.atomic
def change_plan_status(
    *, plan: CarePlan, expected_version: int, actor: User, status: str, reason: str = ""
) -> CarePlan:
    """Activate, hold, complete or revoke the plan. Anything but activating needs a reason."""
    _require_member(actor, plan)
    if status not in CarePlan.Status.values:
        raise ValidationError({"status": "Choose a plan status."})
    if status != CarePlan.Status.ACTIVE:
        reason = _require_reason(reason)
    locked = lock_at_version(plan, expected_version=expected_version)
    if status == CarePlan.Status.ACTIVE:
        refuse_activation_if_incomplete(locked)
    changes: dict[str, Any] = {"status": status, "status_reason": reason}
    if status == CarePlan.Status.ACTIVE and locked.next_review_due is None:
        changes["next_review_due"] = timezone.localdate() + locked.review_interval()
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked, actor=actor, changes=changes, editable=("status", "status_reason", "next_review_due")
        )
        note_plan_activity(
            plan=locked, actor=actor, summary=f"set the plan to {locked.get_status_display().lower()}"
        )
    return locked


@transaction.atomic
def record_plan_review(
    *,
    plan: CarePlan,
    actor: User,
    context: str,
    patient_present: bool,
    summary: str,
    decisions: str = "",
    expected_version: int | None = None,
) -> PlanReview:
    """Sign off the whole plan: record the review, freeze a `PlanVersion`, schedule the next review.

    With `expected_version` (the API's If-Match), a plan changed since the caller read it is
    refused with StaleVersionError rather than signed unseen.

    Only a team member whose role is in the team's `sign_off_roles` may sign. The next
    review is today plus the plan's interval in days (day arithmetic: no month-end
    clamping, a leap day is just a day). Editing continues on the living plan.
    """
    _require_member(actor, plan)
    membership = teams.membership_in(actor, plan.patient.team_id)
    locked = CarePlan.objects.select_for_update().select_related("patient__team").get(pk=plan.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersionError(locked)
    allowed = ", ".join(str(CareRole(role).label).lower() for role in locked.patient.team.sign_off_roles)
    require(can_sign_off, actor, locked, f"On this team a plan is signed off by: {allowed}.")
    now = timezone.now()
    next_due = timezone.localdate(now) + locked.review_interval()
    with history_context(actor=actor):
        review = PlanReview(
            plan=locked,
            reviewed_at=now,
            reviewer=actor,
            reviewer_role=membership.role,
            context=context,
            patient_present=patient_present,
            summary=summary.strip(),
            decisions=decisions.strip(),
            next_review_due=next_due,
        )
        review.full_clean()
        review.save()
        apply_changes(
            locked,
            actor=actor,
            changes={"last_reviewed_at": now, "next_review_due": next_due, "next_review_reason": ""},
            editable=("last_reviewed_at", "next_review_due", "next_review_reason"),
        )
        last = PlanVersion.objects.filter(plan=locked).order_by("-number").values_list("number", flat=True)
        PlanVersion.objects.create(
            plan=locked,
            number=(last.first() or 0) + 1,
            review=review,
            snapshot=build_snapshot(locked),
            signed_by=actor,
            signer_role=membership.role,
            created_at=now,
        )
        note_plan_activity(plan=locked, actor=actor, summary="reviewed the plan")
    return review


@transaction.atomic
def add_review_correction(*, review: PlanReview, actor: User, note: str) -> ReviewCorrection:
    """Append a correcting note to a signed review; the review itself never changes."""
    _require_member(actor, review.plan)
    if not note.strip():
        raise ValidationError({"note": "Write the correction."})
    membership = teams.membership_in(actor, review.plan.patient.team_id)
    with history_context(actor=actor):
        return ReviewCorrection.objects.create(
            review=review, author=actor, author_role=membership.role, note=note.strip()
        )


@transaction.atomic
def set_next_review_date(
    *, plan: CarePlan, expected_version: int, actor: User, next_review_due: datetime.date, reason: str
) -> CarePlan:
    """Override the computed next review date, with a reason the plan keeps beside it."""
    _require_member(actor, plan)
    if not reason.strip():
        raise ValidationError({"next_review_reason": "Give a reason for setting the date by hand."})
    reason = reason.strip()
    if next_review_due < timezone.localdate():
        raise ValidationError({"next_review_due": "Choose today or a later date."})
    locked = lock_at_version(plan, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked,
            actor=actor,
            changes={"next_review_due": next_review_due, "next_review_reason": reason},
            editable=("next_review_due", "next_review_reason"),
        )
    return locked


@transaction.atomic
def expire_information_releases(*, today: datetime.date) -> int:
    """Mark releases whose expiry date has passed as expired; returns how many.

    Safe to run any number of times: it only touches releases still active.
    """
    with history_context(actor=None, reason="The expiry date has passed."):
        return InformationRelease.objects.filter(
            status=InformationRelease.Status.ACTIVE, expires_on__lt=today
        ).update(
            status=InformationRelease.Status.EXPIRED,
            status_reason="The expiry date has passed.",
            status_changed_at=timezone.now(),
            updated_at=timezone.now(),
            version=F("version") + 1,
        )


# What a positive AHC domain suggests: a referral of this community-service category.
AHC_REFERRALS = {
    "housing": CommunityService.Category.HOUSING,
    "food": CommunityService.Category.FOOD,
    "transportation": CommunityService.Category.TRANSPORTATION,
    "utilities": CommunityService.Category.UTILITIES,
    "safety": CommunityService.Category.OTHER,
}


@transaction.atomic
def record_instrument_response(
    *,
    plan: CarePlan,
    actor: User,
    instrument: str,
    answers: Mapping[str, Any],
    answered_on: datetime.date,
    goal: Goal | None = None,
) -> InstrumentResponse:
    """Score a PHQ-9, GAD-7 or AHC screen on the server and store it with its item answers.

    Also, in the same transaction: PHQ-9 item 9 above zero adds an urgent action step for the
    team (whatever the total); each positive AHC domain becomes a social-needs problem and a
    recommended community referral of the matching category, unless the plan already has an
    open one; a hurt or threat answer adds a safety follow-up step; with `goal`, a complete
    total is recorded as one of the goal's measurements.
    """
    _require_member(actor, plan)
    if instrument not in measures.INSTRUMENTS:
        raise ValidationError({"instrument": "Choose PHQ-9, GAD-7 or the AHC social needs screen."})
    if goal is not None and goal.plan_id != plan.pk:
        raise ValidationError({"goal": "Choose a goal from this patient's plan."})
    try:
        result = measures.score(instrument, answers)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    if goal is not None and not result.is_complete:
        raise ValidationError({"goal": "Only a complete response can be recorded as a goal measurement."})
    with history_context(actor=actor):
        response = create_record(
            InstrumentResponse,
            actor=actor,
            values={
                "plan": plan,
                "instrument": instrument,
                "answered_on": answered_on,
                "answers": dict(answers),
                "total": result.total,
                "band": result.band,
                "urgent": result.urgent,
                "positive_domains": list(result.positive_domains),
                "goal": goal,
            },
        )
        if result.urgent:
            _urgent_step(
                plan,
                actor,
                "PHQ-9 item 9 was answered above zero: a clinician contacts the patient today "
                "to assess safety.",
            )
        if "safety" in result.follow_up:
            _urgent_step(
                plan,
                actor,
                "Safety follow-up (local policy): the social needs screen reports being hurt or threatened.",
            )
        for domain in result.positive_domains:
            _add_social_need(plan, actor, domain)
    if goal is not None and goal.measure:
        record_goal_measurement(
            goal=goal,
            actor=actor,
            value=Decimal(result.total),
            measured_on=answered_on,
            source=GoalMeasurement.Source.PATIENT,
            note=f"{response.get_instrument_display()} total",
        )
    return response


def _urgent_step(plan: CarePlan, actor: User, description: str) -> ActionStep:
    """An urgent step, first on the worklist of the plan's keeper; without one, of the member the team's
    approach sends urgent measures to (careplans.team_approach), else of whoever recorded the response.
    """
    team = plan.patient.team
    member = (
        plan.responsible_member
        or team_approach.default_member(team, team_approach.reminder_role(team, "urgent_measure"))
        or actor
    )
    return create_record(
        ActionStep,
        actor=actor,
        values={
            "plan": plan,
            "description": description,
            "due_date": timezone.localdate(),
            "is_urgent": True,
            "responsible_party": "team_member",
            "responsible_member": member,
        },
    )


def _add_social_need(plan: CarePlan, actor: User, domain: str) -> None:
    label = measures.AHC_DOMAINS[domain]
    condition = f"Social need: {label.lower()}"
    if not plan.problems.filter(condition=condition, status=Problem.Status.ACTIVE).exists():
        create_record(
            Problem,
            actor=actor,
            values={
                "plan": plan,
                "condition": condition,
                "is_chronic": False,
                "expected_to_last_12_months": False,
                "expected_outcome": "The need is met through a community service the patient chooses.",
                "prognosis": "To be judged with the patient at the next review.",
            },
        )
    category = AHC_REFERRALS[domain]
    open_referrals = plan.community_services.exclude(status__in=CommunityService.END_STATUSES)
    if not open_referrals.filter(category=category, barrier_addressed=label).exists():
        create_record(
            CommunityService,
            actor=actor,
            values={
                "plan": plan,
                "category": category,
                "organization_name": "To be chosen with the patient",
                "barrier_addressed": label,
                "service_details": "Suggested by a positive AHC social needs screen.",
            },
        )


@transaction.atomic
def mark_instrument_response_in_error(
    *, response: InstrumentResponse, expected_version: int, actor: User, reason: str
) -> InstrumentResponse:
    """Take a response out of the trend, with a reason; it stays on record."""
    _require_member(actor, response.plan)
    reason = _require_reason(reason)
    locked = lock_at_version(response, expected_version=expected_version)
    with history_context(actor=actor, reason=reason):
        apply_changes(
            locked,
            actor=actor,
            changes={"status": InstrumentResponse.Status.ENTERED_IN_ERROR, "status_reason": reason},
            editable=("status", "status_reason"),
        )
    return locked


class SurveyTokenUsed(Exception):
    """The survey invitation was already used: each one answers once."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_survey_tokens(*, team: Team, actor: User, count: int, month: datetime.date) -> list[str]:
    """Create `count` one-use survey invitations for the team's month; returns the secrets.

    The secrets exist only in the answer (to print or send); the database keeps their hashes.
    """
    require(is_on_patients_team, actor, team, "You are not on this team.")
    if not 1 <= count <= 200:
        raise ValidationError({"count": "Print between 1 and 200 invitations at a time."})
    tokens = [secrets.token_urlsafe(16) for _ in range(count)]
    SurveyToken.objects.bulk_create(
        SurveyToken(team=team, month=experience.first_of_month(month), token_hash=_token_hash(token))
        for token in tokens
    )
    return tokens


@transaction.atomic
def submit_survey_response(*, token: str, answers: Mapping[str, Any]) -> SurveyResponse:
    """Record an anonymous answer with a survey invitation, once; no one is signed in.

    Raises `SurveyToken.DoesNotExist` for an unknown token and `SurveyTokenUsed` for a used one.
    """
    invitation = SurveyToken.objects.select_for_update().get(token_hash=_token_hash(token))
    if invitation.is_used:
        raise SurveyTokenUsed
    allowed = {value for value, _label in experience.SCALE}
    kept = {name: str(answers.get(name)) for name, _text in experience.QUESTIONS if answers.get(name)}
    if any(value not in allowed for value in kept.values()):
        raise ValidationError("Choose one of the answers offered.")
    if not kept:
        raise ValidationError("Answer at least one question.")
    SurveyToken.objects.filter(pk=invitation.pk).update(is_used=True)
    return SurveyResponse.objects.create(team_id=invitation.team_id, month=invitation.month, answers=kept)


@transaction.atomic
def record_improvement_goal(*, team: Team, actor: User, month: datetime.date, goal: str) -> ImprovementGoal:
    """Record what the team will improve this month."""
    require(is_on_patients_team, actor, team, "You are not on this team.")
    if not goal.strip():
        raise ValidationError({"goal": "Say what the team will improve."})
    with history_context(actor=actor):
        return create_record(
            ImprovementGoal,
            actor=actor,
            values={"team": team, "month": experience.first_of_month(month), "goal": goal.strip()},
        )


@transaction.atomic
def request_printout(*, plan: CarePlan, actor: User, values: Mapping[str, Any]) -> PlanPrintout:
    """Record a print of `plan` (who, for whom, how delivered) and make its PDF after the commit.

    `values` are the options: document, language, large_print, include_part2 (with
    part2_reason), recipient, recipient_name, release, delivery. Part 2 information for anyone
    but the patient needs a release of this plan that `part2.may_disclose_part2` allows.
    """
    from careplans import part2, tasks

    _require_member(actor, plan)
    if values.get("include_part2"):
        require(can_see_part2, actor, plan, "Only the patient's treating team may print Part 2 information.")
    values = {**values, "plan": plan, "plan_version": plan.version, "requested_by": actor}
    with history_context(actor=actor, reason=values.get("part2_reason", "")):
        printout = create_record(PlanPrintout, actor=actor, values=values)
        if printout.include_part2 and printout.recipient != PlanPrintout.Recipient.PATIENT:
            if printout.release is not None and printout.release.plan_id != plan.pk:
                raise ValidationError({"release": "Choose a release signed for this plan."})
            part2.require_part2_release(printout.release)
    tasks.render_printout.delay_on_commit(printout.pk)
    return printout


@transaction.atomic
def store_printout(*, printout_id: int) -> PlanPrintout | None:
    """Render a queued printout and store its PDF; a printout with the same content reuses the file.

    Idempotent: a printout that is already ready is left alone, so running it twice stores once.
    Returns None when the printout is gone.
    """
    from django.core.files.base import ContentFile

    from careplans import part2, pdf
    from careplans.selectors import get_plan_with_sections

    printout = PlanPrintout.objects.select_for_update().filter(pk=printout_id).first()
    if printout is None or printout.status == PlanPrintout.Status.READY:
        return printout
    if printout.include_part2 and printout.recipient != PlanPrintout.Recipient.PATIENT:
        # A release revoked between the request and the rendering stops this disclosure too.
        decision = part2.may_disclose_part2(printout.release)
        if not decision:
            fail_printout(printout_id=printout.pk, failure=decision.reason, why="Part 2 disclosure refused")
            printout.refresh_from_db()
            return printout
    plan = get_plan_with_sections(printout.requested_by, printout.plan_id)
    html = pdf.printout_html(plan, pdf.Options.of(printout))
    key = pdf.cache_key(html)
    same = (
        PlanPrintout.objects.filter(cache_key=key, status=PlanPrintout.Status.READY).exclude(file="").first()
    )
    with history_context(actor=None, reason="PDF made"):
        if same is not None:
            printout.file.name = same.file.name
            printout.page_count = same.page_count
        else:
            data, printout.page_count = pdf.render_pdf(html)
            printout.file.save(f"{key}.pdf", ContentFile(data), save=False)
        printout.cache_key = key
        printout.status = PlanPrintout.Status.READY
        printout.rendered_at = timezone.now()
        printout.version += 1
        printout.save()
    return printout


@transaction.atomic
def fail_printout(*, printout_id: int, failure: str, why: str = "PDF failed") -> None:
    """Mark a printout whose PDF could not be made, so the page stops waiting and says so."""
    with history_context(actor=None, reason=why):
        PlanPrintout.objects.filter(pk=printout_id, status=PlanPrintout.Status.QUEUED).update(
            status=PlanPrintout.Status.FAILED, failure=failure[:300], version=F("version") + 1
        )
