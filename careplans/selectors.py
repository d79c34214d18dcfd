"""Reads of care plans and their items, always scoped to the teams of the user asking."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Count, Model, Prefetch, Q, QuerySet

from careplans.models import (
    ActionStep,
    CarePlan,
    CareTeamMember,
    Comment,
    CommentMention,
    CommunityService,
    EducationTopic,
    Goal,
    GoalMeasurement,
    InformationRelease,
    InstrumentResponse,
    Medication,
    Notification,
    PlanItem,
    PlanPrintout,
    PlanReview,
    Problem,
    SharedDecision,
    SymptomPlan,
)
from patients.access_log import note_patient
from patients.models import Patient
from patients.selectors import emergency_access_exists, patients_on_teams_of
from teams.models import User
from teams.rules import not_found
from teams.selectors import team_ids_of

I = TypeVar("I", bound=PlanItem)  # noqa: E741


def visible_plan_rule(user: User, via: str = "") -> Q:
    """Which plans `user` may see, as a filter on rows that reach their plan through `via`.

    `via` is "" for plans themselves, or the path from another row to its plan ("plan__" for an item),
    so a query can test the rule on the plan it already joins rather than through a subquery of plans.
    """
    return Q(**{f"{via}patient__team_id__in": team_ids_of(user)})


def plans_visible_to(user: User) -> QuerySet[CarePlan]:
    return CarePlan.objects.filter(visible_plan_rule(user))


def records_visible_to(user: User, model: type[Model]) -> QuerySet:
    """The rows of `model` that `user` may see or point a foreign key at; none of an unknown model.

    The one scoping rule for links given as ids (API foreign keys): plans and their items of the
    user's teams, the patients on their panels, and the people on their teams.
    """
    if model is CarePlan:
        return plans_visible_to(user)
    if model is Patient:
        return patients_on_teams_of(user)
    if model is User:
        return User.objects.filter(
            memberships__team_id__in=team_ids_of(user), memberships__ended_on__isnull=True
        ).distinct()
    if issubclass(model, PlanItem) or any(f.name == "plan" for f in model._meta.concrete_fields):
        return model.objects.filter(plan__in=plans_visible_to(user))
    return model.objects.none()


def get_plan_for_user(user: User, plan_id: uuid.UUID | str, *, emergency: bool = False) -> CarePlan:
    """The plan, or 404 when it does not exist or its patient is not on one of the user's teams.

    With `emergency`, a current emergency grant (break-the-glass) opens the plan too, and
    `on_team` says which it was. Only the plan page passes it: it is the one page that hides
    Part 2 items from someone not on the team; every other page stays a 404 for them.
    """
    if not user.is_authenticated:
        raise not_found(user, "No such care plan", target=plan_id)
    plans = CarePlan.objects.select_related("patient__team", "responsible_member")
    # The team first, alone: it is nearly every look, and testing a grant with it cost the plan page
    # about 1 ms of ORM on each (docs/benchmarks.md run 11). A grant is looked for only when it matters.
    plan = _first(plans.filter(patient__team_id__in=team_ids_of(user)), plan_id)
    if plan is not None:
        plan.on_team = True
    elif emergency and (plan := _first(plans.filter(emergency_access_exists(user, "patient_id")), plan_id)):
        plan.on_team = False
    else:
        raise not_found(user, "No such care plan", target=plan_id)
    note_patient(plan.patient_id)  # for the access log (patients/access_log.py)
    return plan


def _first(plans: QuerySet[CarePlan], plan_id: uuid.UUID | str) -> CarePlan | None:
    try:
        return plans.get(pk=plan_id)
    except (CarePlan.DoesNotExist, ValueError, ValidationError):
        return None


def get_plan_with_sections(user: User, plan_id: uuid.UUID | str) -> CarePlan:
    """The plan with every section loaded in a fixed number of queries, however large the plan is.

    Someone not on the patient's team (emergency access) gets no Part 2 items (42 CFR Part 2):
    they are left out of every section and counted in `part2_hidden`.
    """
    return with_sections(get_plan_for_user(user, plan_id, emergency=True))


def with_sections(found: CarePlan) -> CarePlan:
    """`found` (from `get_plan_for_user`) loaded again with every section, as `get_plan_with_sections`."""

    def items(queryset: QuerySet[I]) -> QuerySet[I]:
        return queryset if found.on_team else queryset.filter(part2_protected=False)

    plan = (
        CarePlan.objects.select_related("patient__team__organization", "responsible_member")
        .prefetch_related(
            Prefetch("problems", items(Problem.objects.all())),
            Prefetch(
                "goals",
                items(Goal.objects.all())
                .select_related("responsible_member")
                .prefetch_related(
                    Prefetch("problems", items(Problem.objects.all())),
                    Prefetch(
                        "measurements", GoalMeasurement.objects.filter(status=GoalMeasurement.Status.FINAL)
                    ),
                ),
            ),
            Prefetch("action_steps", items(ActionStep.objects.select_related("responsible_member", "goal"))),
            Prefetch("medications", items(Medication.objects.all())),
            Prefetch("symptom_plans", items(SymptomPlan.objects.all())),
            Prefetch(
                "community_services",
                items(CommunityService.objects.select_related("responsible_member", "release")),
            ),
            Prefetch("care_team", items(CareTeamMember.objects.select_related("user"))),
            Prefetch("information_releases", items(InformationRelease.objects.all())),
            Prefetch("education", items(EducationTopic.objects.select_related("delivered_by"))),
            Prefetch("reviews", PlanReview.objects.select_related("reviewer")),
            "patient__related_people",
            Prefetch("decisions", items(SharedDecision.objects.select_related("goal", "problem"))),
            Prefetch(
                "instrument_responses",
                InstrumentResponse.objects.filter(status=InstrumentResponse.Status.FINAL),
            ),
        )
        .get(pk=found.pk)
    )
    plan.on_team = found.on_team
    plan.part2_hidden = 0
    if not found.on_team:
        plan.part2_hidden = part2_item_count(plan)
        _unlink_part2(plan)
    return plan


# Links from a shown item to another item, which may be a Part 2 one: (section, link).
PART2_LINKS = (
    ("action_steps", "goal"),
    ("community_services", "release"),
    ("decisions", "goal"),
    ("decisions", "problem"),
)


def _unlink_part2(plan: CarePlan) -> None:
    """For someone not on the team: a shown item does not reveal the Part 2 item it links to."""
    for section, link in PART2_LINKS:
        for item in getattr(plan, section).all():
            linked = getattr(item, link)
            if linked is not None and linked.part2_protected:
                setattr(item, link, None)


def part2_item_count(plan: CarePlan) -> int:
    """How many items of the plan are protected under 42 CFR Part 2 (one query)."""
    from careplans.models import PLAN_ITEM_MODELS

    counts = [
        m.objects.filter(plan=plan, part2_protected=True).values("pk") for m in PLAN_ITEM_MODELS.values()
    ]
    return counts[0].union(*counts[1:], all=True).count()


def get_item_for_user(
    user: User, model: type[I], item_id: int | str, *, plan_id: uuid.UUID | str | None = None
) -> I:
    """A plan item of type `model`, or 404 when its patient is not on one of the user's teams.

    With `plan_id`, an item of any other plan is a 404 as well, so a URL cannot pair
    one plan with another plan's item.
    """
    items = model.objects.select_related("plan__patient").filter(plan__in=plans_visible_to(user))
    try:
        if plan_id is not None:
            items = items.filter(plan_id=plan_id)
        item = items.get(pk=item_id)
    except (model.DoesNotExist, ValueError, ValidationError):
        raise not_found(user, "No such item", target=item_id) from None
    note_patient(item.plan.patient_id)
    return item


def item_as_of_version(item: PlanItem, version: int) -> Any:
    """The item as it was at `version`, from its recorded history (None when there is no record of it)."""
    return item.events.filter(version=version).order_by("-pgh_id").first()


def get_goal_measurement_for_user(
    user: User, measurement_id: int | str, *, goal_id: int | None = None
) -> GoalMeasurement:
    """A measurement, or 404 for outsiders; with `goal_id`, also for a measurement of another goal."""
    measurements = GoalMeasurement.objects.select_related("goal__plan__patient")
    if goal_id is not None:
        measurements = measurements.filter(goal_id=goal_id)
    try:
        measurement = measurements.get(pk=measurement_id, goal__plan__in=plans_visible_to(user))
    except (GoalMeasurement.DoesNotExist, ValueError):
        raise not_found(user, "No such measurement", target=measurement_id) from None
    note_patient(measurement.goal.plan.patient_id)
    return measurement


def get_notification_for_user(user: User, notification_id: int | str) -> Notification:
    """One of the user's own notifications; anyone else's is a 404."""
    notification = Notification.objects.filter(recipient_id=user.pk, pk=notification_id).first()
    if notification is None:
        raise not_found(user, "No such notification", target=notification_id)
    return notification


def comment_thread(plan: CarePlan, *, item_kind: str = "", item_id: int | None = None) -> list[Comment]:
    """The comments on the plan as a whole (no `item_kind`) or on one item, oldest first, in two queries."""
    return list(
        Comment.objects.filter(plan=plan, item_kind=item_kind, item_id=item_id)
        .select_related("author")
        .prefetch_related(Prefetch("mentions", CommentMention.objects.select_related("mentioned")))
    )


def comment_counts(plan: CarePlan) -> dict[str, int]:
    """How many comments (not retracted) each item of the plan has, keyed "<kind>-<item id>": one query."""
    rows = (
        Comment.objects.filter(plan=plan, retracted_at__isnull=True)
        .exclude(item_kind="")
        .values_list("item_kind", "item_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {f"{kind}-{item_id}": count for kind, item_id, count in rows}


def get_comment_for_user(user: User, comment_id: int | str, *, plan_id: uuid.UUID | str) -> Comment:
    try:
        comment = Comment.objects.select_related("author", "plan__patient").get(
            pk=comment_id, plan_id=plan_id, plan__in=plans_visible_to(user)
        )
    except (Comment.DoesNotExist, ValueError):
        raise not_found(user, "No such comment", target=comment_id) from None
    note_patient(comment.plan.patient_id)
    return comment


def printouts_of(plan: CarePlan) -> QuerySet[PlanPrintout]:
    """Every print of a plan the caller already may see, newest first."""
    return plan.printouts.select_related("requested_by", "plan__patient")


def get_printout_for_user(user: User, printout_id: int | str, *, plan_id: uuid.UUID | str) -> PlanPrintout:
    try:
        printout = PlanPrintout.objects.select_related("plan__patient", "requested_by").get(
            pk=printout_id, plan_id=plan_id, plan__in=plans_visible_to(user)
        )
    except (PlanPrintout.DoesNotExist, ValueError):
        raise not_found(user, "No such printout", target=printout_id) from None
    note_patient(printout.plan.patient_id)
    return printout
