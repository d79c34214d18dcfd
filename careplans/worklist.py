"""The signed-in user's worklist: what needs doing next, across every team they are on.

Each selector is one query scoped to the user's teams (through `plans_visible_to`, `visible_plan_rule`,
or the team copied onto the rows: `_open_plan_on_teams`), ordered most urgent first, and only looks at
active patients and plans that are still open. `worklist_for` caps every section at `SECTION_ROW_LIMIT`
rows and reads one row more to know whether there are more ("20+"), so the home page costs one query
per section however large the panel is. (The action steps are read a page at a time: one page, unless pages of steps the user may no
longer see come first.)

Why "20+" and not the full count: a worklist is a to-do list, and nobody acts on its 98,987th row. Counting
every off-track goal of a 100,000-patient panel means finding the latest measurement of every one of its
million goals (9 s measured, docs/benchmarks.md); "20+" says the same thing to the reader: more than fits.

The two sections that rank by a date found elsewhere sort on a stored copy of it instead, kept by the
services in the same transaction: `Goal.last_measured_on` and `CommunityService.waiting_since`. Each has an
index in the section's order, so PostgreSQL reads the first rows of the index rather than sorting the panel.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BooleanField,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from careplans.models import (
    ActionStep,
    CarePlan,
    CommentMention,
    CommunityService,
    Goal,
    PlanVisit,
    ResponsibleParty,
)
from careplans.selectors import plans_visible_to, visible_plan_rule
from patients.models import Patient
from teams.models import User
from teams.selectors import team_ids_of

T = TypeVar("T")

#: Reviews due within this many days are listed along with the overdue ones.
REVIEW_HORIZON_DAYS = 14
#: A measurable goal with nothing recorded for this long is off track: no one knows how it is going.
MEASUREMENT_STALE_DAYS = 90
#: Rows shown per section; the heading gives their number, or "20+" when there are more.
SECTION_ROW_LIMIT = 20

OPEN_PLAN_STATUSES = (CarePlan.Status.DRAFT, CarePlan.Status.ACTIVE, CarePlan.Status.ON_HOLD)
OPEN_STEP_STATUSES = (ActionStep.Status.PLANNED, ActionStep.Status.IN_PROGRESS)
WAITING_REFERRAL_STATUSES = (CommunityService.Status.RECOMMENDED, CommunityService.Status.REFERRED)


def _open_plan(user: User, via: str = "") -> Q:
    """An open plan of an active patient that `user` may see, tested through `via` (see visible_plan_rule)."""
    return visible_plan_rule(user, via) & Q(
        **{f"{via}status__in": OPEN_PLAN_STATUSES, f"{via}patient__status": Patient.Status.ACTIVE}
    )


def _open_plan_on_teams(user: User, via: str = "") -> Q:
    """`_open_plan` for rows that carry their team (`worklist_team`: plans, goals, services; migration 0016).

    The plan's copy of its team, kept by the database and exact, says who may see the row, as the
    patient's team does. The sections walk an index of the whole practice's rows in their order; testing
    the team on the row itself, not on its plan's patient, passes another team's row without joining
    anything (2-3 ms a section for a nurse on one team of 40, against 8-16 ms: docs/benchmarks.md run 11).
    """
    team_ids = ArraySubquery(team_ids_of(user))
    rule = Q(_AnyOf(F("worklist_team_id"), team_ids)) & Q(
        **{f"{via}status__in": OPEN_PLAN_STATUSES, f"{via}patient__status": Patient.Status.ACTIVE}
    )
    return rule & Q(_AnyOf(F(f"{via}worklist_team_id"), team_ids)) if via else rule


class _AnyOf(Lookup):
    """`column = ANY(ARRAY(SELECT ...))`: the ids are read once, before the scan, as a list of values.

    `IN (SELECT ...)` on a column of the row is planned as a join: PostgreSQL starts from the team's plans
    and sorts all their rows. `= ANY(array)` is a filter on each row, so the index walk in the section's
    order stays, and stops at its last row. One query either way.
    """

    lookup_name = "any_of"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def _open_plans_of(user: User) -> QuerySet[CarePlan]:
    return CarePlan.objects.filter(_open_plan(user))


def reviews_due(user: User, *, today: datetime.date) -> QuerySet[CarePlan]:
    """Active plans whose review is overdue or due within `REVIEW_HORIZON_DAYS`, overdue (earliest) first."""
    return (
        CarePlan.objects.filter(
            _open_plan_on_teams(user),
            status=CarePlan.Status.ACTIVE,
            next_review_due__lte=today + datetime.timedelta(days=REVIEW_HORIZON_DAYS),
        )
        .select_related("patient__team", "responsible_member")
        .order_by("next_review_due", "patient__family_name", "patient__given_name")
    )


STEP_ORDER = ("-is_urgent", "due_date", "id")  # the order of the `open_steps_of_member` index


def _open_steps_of(user: User) -> QuerySet[ActionStep]:
    return ActionStep.objects.filter(
        responsible_party=ResponsibleParty.TEAM_MEMBER, responsible_member=user, status__in=OPEN_STEP_STATUSES
    )


def action_steps_assigned_to(user: User) -> QuerySet[ActionStep]:
    """Open steps a team member is responsible for and that member is `user`; urgent, then overdue, first."""
    return (
        _open_steps_of(user)
        .filter(plan__in=_open_plans_of(user))
        .select_related("plan__patient__team")
        .order_by(*STEP_ORDER)
    )


def action_steps_in_index_order(user: User) -> QuerySet[ActionStep]:
    """`user`'s open steps in the order of their index, each marked `shown` when on a plan they may see.

    Filtered as `action_steps_assigned_to` is, PostgreSQL cannot know that a member's steps are nearly all
    on her own teams' plans: on one team of 40, it expects 1 in 40 to be, so it joins every open step of
    hers to its plan, patient and team, then sorts them (1,515 steps and 20 ms for the scale nurse). Here
    the same test is a column of each row (`shown`, on the plan and patient the row joins anyway), so
    PostgreSQL reads the `open_steps_of_member` index from the start and stops where the slice ends.
    """
    return (
        _open_steps_of(user)
        .annotate(shown=ExpressionWrapper(_open_plan(user, via="plan__"), output_field=BooleanField()))
        .select_related("plan__patient__team")
        .only(*COLUMNS["action_steps"])
        .order_by(*STEP_ORDER)
    )


def _action_steps_section(user: User, limit: int) -> Section[ActionStep]:
    """The first `limit` rows of `action_steps_assigned_to(user)`, read a page at a time.

    Each page is a slice of `action_steps_in_index_order`. Rows the user may not see are dropped, and while
    a page holds too few of the others, the next page is read. The scale nurse's section is one page: 2 ms
    with its rows, against 20 ms through `action_steps_assigned_to` (docs/benchmarks.md, run 9).
    """
    steps = action_steps_in_index_order(user)
    rows: list[ActionStep] = []
    start, page = 0, 2 * limit + 1
    while True:
        batch = list(steps[start : start + page])
        rows += [step for step in batch if step.shown]
        if len(rows) > limit or len(batch) < page:
            return Section(rows=rows[:limit], more=len(rows) > limit)
        start += page


def goals_off_track(user: User, *, today: datetime.date) -> QuerySet[Goal]:
    """Active goals that are worsening, or have a measure and no value for `MEASUREMENT_STALE_DAYS`.

    Each goal is annotated with `checked_on` (the latest of its `last_measured_on`, the baseline date and
    the day the goal was set, so a goal set last week is not reported as unmeasured), and the reasons it
    is listed: `worsening` and `unmeasured`. Worsening goals come first, then the longest unchecked: the
    order of the `goal_off_track` index, which PostgreSQL walks until it has the rows it needs.
    """
    stale_before = today - datetime.timedelta(days=MEASUREMENT_STALE_DAYS)
    return (
        Goal.objects.filter(_open_plan_on_teams(user, via="plan__"), status=Goal.Status.ACTIVE)
        .annotate(
            # PostgreSQL's GREATEST ignores NULLs: a goal never measured is judged by its baseline or start.
            checked_on=Greatest("last_measured_on", "baseline_date", TruncDate("created_at")),
            worsening=ExpressionWrapper(
                Q(achievement_status=Goal.Achievement.WORSENING), output_field=BooleanField()
            ),
            unmeasured=ExpressionWrapper(
                ~Q(measure="") & Q(checked_on__lt=stale_before), output_field=BooleanField()
            ),
        )
        .filter(Q(worsening=True) | Q(unmeasured=True))
        .select_related("plan__patient__team")
        .order_by("-worsening", "checked_on", "id")
    )


def referrals_waiting(user: User, *, today: datetime.date) -> QuerySet[CommunityService]:
    """Community services recommended or referred but not yet started, the longest waiting first.

    Sorted on the stored `waiting_since` (the referral date, else when it reached its status, else when
    it was added; index `service_waiting`), and annotated with `waited` (a timedelta up to `today`).
    """
    return (
        CommunityService.objects.filter(
            _open_plan_on_teams(user, via="plan__"), status__in=WAITING_REFERRAL_STATUSES
        )
        .annotate(
            waited=ExpressionWrapper(
                Value(today, output_field=DateField()) - F("waiting_since"), output_field=DurationField()
            ),
        )
        .select_related("plan__patient__team", "responsible_member")
        .order_by("waiting_since", "id")
    )


def plans_changed_since_seen(user: User) -> QuerySet[CarePlan]:
    """Open plans someone else changed since `user` last opened them, most recently changed first.

    Only plans `user` has opened before: a plan never looked at has nothing to compare with. Annotated
    with `last_seen_at`; `plan.activity` says when, by whom and what.
    """
    last_seen = PlanVisit.objects.filter(user=user, plan=OuterRef("pk")).values("last_seen_at")[:1]
    return (
        _open_plans_of(user)
        .annotate(last_seen_at=Subquery(last_seen))
        .filter(activity__changed_at__gt=F("last_seen_at"))
        .exclude(activity__changed_by=user)
        .select_related("patient__team", "activity__changed_by")
        .order_by("-activity__changed_at", "pk")
    )


def unread_mentions(user: User) -> QuerySet[CommentMention]:
    """Comments that mention `user` and that they have not seen (opening the plan marks them read), newest first."""
    return (
        CommentMention.objects.filter(
            mentioned=user,
            read_at__isnull=True,
            comment__retracted_at__isnull=True,
            comment__plan__in=plans_visible_to(user),
        )
        .select_related("comment__author", "comment__plan__patient__team")
        .order_by("-comment__created_at", "-pk")
    )


@dataclass(frozen=True)
class Section(Generic[T]):
    """The first rows of a worklist section, and whether it has more than those."""

    rows: list[T]
    more: bool

    @property
    def count_label(self) -> str:
        """The number of rows shown, with a "+" when the section has more: "3", "20+"."""
        return f"{len(self.rows)}+" if self.more else str(len(self.rows))


@dataclass(frozen=True)
class Worklist:
    today: datetime.date
    reviews_due: Section[CarePlan]
    action_steps: Section[ActionStep]
    goals_off_track: Section[Goal]
    referrals_waiting: Section[CommunityService]
    changed_plans: Section[CarePlan]
    mentions: Section[CommentMention]


def _person(prefix: str) -> tuple[str, ...]:
    """The columns `str(user)` reads: the name a row shows for a responsible member or an author."""
    return tuple(f"{prefix}{name}" for name in ("first_name", "last_name", "username", "credentials"))


def _patient(prefix: str) -> tuple[str, ...]:
    """The columns a row shows of its patient: the name, and the team for a member of several."""
    return tuple(
        f"{prefix}patient__{name}" for name in ("family_name", "given_name", "preferred_name", "team__name")
    )


#: What each section's rows show (`patients/patient_list.html`, `careplans/partials/worklist_activity.html`),
#: and nothing more: a row then loads about 15 columns of its item, plan, patient and team, not about 120.
#: Reading any other field of a row would cost a query per row (tests/careplans/test_worklist.py).
COLUMNS = {
    "reviews_due": ("next_review_due", "risk_tier", *_patient(""), *_person("responsible_member__")),
    "action_steps": ("plan", "is_urgent", "description", "due_date", "status", *_patient("plan__")),
    "goals_off_track": (
        *("plan", "description", "measure", "target_value", "target_comparator", "unit", "last_measured_on"),
        *_patient("plan__"),
    ),
    "referrals_waiting": (
        *("plan", "organization_name", "category", "status", "waiting_since", "responsible_party"),
        *_person("responsible_member__"),
        *_patient("plan__"),
    ),
    "changed_plans": (
        *("activity__changed_at", "activity__summary", *_person("activity__changed_by__")),
        *_patient(""),
    ),
    "mentions": (
        *("comment__plan", "comment__body", "comment__created_at", "comment__item_kind", "comment__item_id"),
        *_person("comment__author__"),
        *_patient("comment__plan__"),
    ),
}


def _section(queryset: QuerySet[T], limit: int) -> Section[T]:
    # One query: the row past the limit only tells whether there are more.
    rows = list(queryset[: limit + 1])
    return Section(rows=rows[:limit], more=len(rows) > limit)


#: Each section's query, but the action steps' (read a page at a time by `_action_steps_section`).
QUERIES: dict[str, Callable[[User, datetime.date], QuerySet[Any]]] = {
    "reviews_due": lambda user, today: reviews_due(user, today=today),
    "goals_off_track": lambda user, today: goals_off_track(user, today=today),
    "referrals_waiting": lambda user, today: referrals_waiting(user, today=today),
    "changed_plans": lambda user, today: plans_changed_since_seen(user),
    "mentions": lambda user, today: unread_mentions(user),
}
SECTIONS = (
    "reviews_due",
    "action_steps",
    "goals_off_track",
    "referrals_waiting",
    "changed_plans",
    "mentions",
)


def worklist_section(
    name: str, user: User, *, today: datetime.date, limit: int = SECTION_ROW_LIMIT
) -> Section[Any]:
    """One section of `user`'s worklist (a name in `SECTIONS`): its first `limit` rows, in one query."""
    if name == "action_steps":
        return _action_steps_section(user, limit)
    return _section(QUERIES[name](user, today).only(*COLUMNS[name]), limit)


def worklist_for(
    user: User, *, today: datetime.date | None = None, limit: int = SECTION_ROW_LIMIT
) -> Worklist:
    """Every section of `user`'s worklist, `limit` rows each, in one query per section."""
    today = today or timezone.localdate()
    return Worklist(
        today=today, **{name: worklist_section(name, user, today=today, limit=limit) for name in SECTIONS}
    )
