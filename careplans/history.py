"""A plan's timeline, read from the history django-pghistory records on every insert and update.

Each entry says when, who (name and role on the team), what (the item's kind and label), the action
(added, changed, ended, reopened, measurement recorded, marked in error, ...), the fields that changed
with their labels and before -> after values as people read them, and the reason given.

The events come from pghistory's aggregate `Events` query, which computes each event's diff from
the previous snapshot of the same row in SQL. One query per group of event tables (the plan and its
items; goal measurements and goal-problem links; the patient's related people), newest first and cut
at the page asked for, then a fixed number of look-ups for names: the number of queries does not grow
with the number of events or items.
"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import Truncator, capfirst
from pghistory.models import Events

from careplans.models import (
    PLAN_ITEM_MODELS,
    CarePlan,
    CareTeamMember,
    Goal,
    GoalMeasurement,
    GoalProblem,
    InformationRelease,
    Problem,
)
from patients.models import RelatedPerson
from teams.models import Membership, User

PAGE_SIZE = 50

#: Written by every change; they say nothing a reader of the timeline needs.
BOOKKEEPING = frozenset(
    {"id", "plan", "patient", "version", "created_at", "created_by", "updated_at", "updated_by"}
    | {"status_changed_at", "status_reason"}  # the reason is shown from the history context
)

RELATED_PERSON = "related-person"
PLAN = "plan"
#: Every kind of record on the timeline, keyed as in URLs, with the label the filter shows.
KINDS: dict[str, str] = {
    PLAN: "The plan itself",
    **{kind: capfirst(model._meta.verbose_name_plural) for kind, model in PLAN_ITEM_MODELS.items()},
    RELATED_PERSON: "Related people",
}
TRACKED_MODELS: dict[str, type[models.Model]] = {
    PLAN: CarePlan,
    **PLAN_ITEM_MODELS,
    RELATED_PERSON: RelatedPerson,
}
#: The records that have an item history page of their own.
ITEM_MODELS = frozenset({*PLAN_ITEM_MODELS.values(), RelatedPerson})
MODEL_KINDS: dict[type[models.Model], str] = {model: kind for kind, model in TRACKED_MODELS.items()}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One line of the timeline."""

    when: datetime.datetime
    who: str
    role: str
    kind: str
    what: str
    action: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    item_id: str = ""
    part2: bool = False


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    number: int
    has_next: bool


@dataclass(frozen=True)
class _Source:
    """Some event tables and the rows their events must reference (pghistory's `references()`)."""

    models: tuple[type[models.Model], ...]
    references: tuple[models.Model, ...] = ()
    tracks: models.Model | None = None

    def events(self, *, user_id: int | None, limit: int) -> list[Events]:
        events = Events.objects.across(*[model.pgh_event_model for model in self.models])
        events = events.tracks(self.tracks) if self.tracks is not None else events.references(self.references)
        if user_id is not None:
            events = events.filter(pgh_context__user=user_id)
        return list(events.order_by("-pgh_created_at", "-pgh_id")[:limit])


def plan_timeline(plan: CarePlan, *, kind: str = "", user_id: int | None = None, page: int = 1) -> Page:
    """The plan's timeline, newest first: everything, or one kind of record, or one person's changes."""
    goals = list(Goal.objects.filter(plan=plan).only("pk", "description"))
    sources = []
    plan_models = [model for key, model in TRACKED_MODELS.items() if key != RELATED_PERSON]
    if kind in TRACKED_MODELS and kind != RELATED_PERSON:
        plan_models = [TRACKED_MODELS[kind]]
    if kind != RELATED_PERSON:
        sources.append(_Source(models=tuple(plan_models), references=(plan,)))
    if goals and kind in ("", "goal"):
        sources.append(_Source(models=(GoalMeasurement, GoalProblem), references=tuple(goals)))
    if kind in ("", RELATED_PERSON):
        sources.append(_Source(models=(RelatedPerson,), references=(plan.patient,)))
    return _page(plan, sources, goals=goals, user_id=user_id, page=page)


def item_timeline(plan: CarePlan, item: models.Model, *, page: int = 1) -> Page:
    """One item's timeline; a goal's includes its measurements and the problems it was linked to."""
    sources = [_Source(models=(type(item),), tracks=item)]
    goals = list(Goal.objects.filter(plan=plan).only("pk", "description"))
    if isinstance(item, Goal):
        sources.append(_Source(models=(GoalMeasurement, GoalProblem), references=(item,)))
    elif isinstance(item, Problem):
        sources.append(_Source(models=(GoalProblem,), references=(item,)))
    return _page(plan, sources, goals=goals, user_id=None, page=page)


def _page(
    plan: CarePlan, sources: list[_Source], *, goals: list[Goal], user_id: int | None, page: int
) -> Page:
    page = max(page, 1)
    end = page * PAGE_SIZE
    # Each source is newest first; the page is the newest `end + 1` of them all, merged.
    streams = [source.events(user_id=user_id, limit=end + 1) for source in sources]
    merged = list(heapq.merge(*streams, key=lambda event: (event.pgh_created_at, event.pgh_id), reverse=True))
    events = merged[end - PAGE_SIZE : end]
    names = _Names.load(plan, events, goals=goals)
    return Page(entries=[names.entry(event) for event in events], number=page, has_next=len(merged) > end)


class _Names:
    """Display names for the people and records an event page mentions, loaded in a fixed number of queries."""

    def __init__(
        self,
        users: dict[int, User],
        roles: dict[int, str],
        goals: dict[int, str],
        problems: dict[int, str],
        releases: dict[int, str],
    ) -> None:
        self.users = users
        self.roles = roles
        self.labels: dict[type[models.Model], dict[int, str]] = {
            Goal: goals,
            Problem: problems,
            InformationRelease: releases,
        }

    @classmethod
    def load(cls, plan: CarePlan, events: list[Events], *, goals: list[Goal]) -> _Names:
        user_ids: set[int] = set()
        for event in events:
            context = event.pgh_context or {}
            if isinstance(context.get("user"), int):
                user_ids.add(context["user"])
            model = _tracked_model(event)
            for column, pair in (event.pgh_diff or {}).items():
                related = _field(model, column)
                if related is not None and related.is_relation and related.related_model is User:
                    user_ids.update(value for value in pair if isinstance(value, int))
            if model is CareTeamMember and isinstance(event.pgh_data.get("user_id"), int):
                user_ids.add(event.pgh_data["user_id"])
        # The same queries for every page, whatever it shows, so the count never depends on the data.
        users = {user.pk: user for user in User.objects.filter(pk__in=user_ids)}
        memberships = Membership.objects.filter(team_id=plan.patient.team_id, user_id__in=user_ids)
        roles = {m.user_id: m.get_role_display() for m in memberships.order_by("started_on")}
        problems = dict(Problem.objects.filter(plan=plan).values_list("pk", "condition"))
        releases = dict(InformationRelease.objects.filter(plan=plan).values_list("pk", "recipient_name"))
        return cls(
            users=users,
            roles=roles,
            goals={goal.pk: _short(goal.description) for goal in goals},
            problems=problems,
            releases={pk: f"Release to {name}" for pk, name in releases.items()},
        )

    def user_name(self, user_id: Any) -> str:
        user = self.users.get(user_id) if isinstance(user_id, int) else None
        return str(user) if user else ""

    def entry(self, event: Events) -> Entry:
        model = _tracked_model(event)
        context = event.pgh_context or {}
        data = event.pgh_data or {}
        user_id = context.get("user")
        who = self.user_name(user_id) or ("Careweave (automatic)" if context.get("task") else "Careweave")
        changes = self.changes(model, event.pgh_diff or {}) if event.pgh_label == "update" else []
        return Entry(
            when=event.pgh_created_at,
            who=who,
            role=self.roles.get(user_id, "") if isinstance(user_id, int) else "",
            kind=_kind_of(model),
            what=self.what(model, data),
            action=_action(model, event),
            changes=changes,
            reason=str(context.get("reason") or ""),
            item_id=str(event.pgh_obj_id) if model in ITEM_MODELS else "",
            part2=bool(data.get("part2_protected")),
        )

    def what(self, model: type[models.Model], data: dict[str, Any]) -> str:
        noun = capfirst(model._meta.verbose_name)
        if model is CarePlan:
            return "Care plan"
        if model is GoalMeasurement:
            goal = self.labels[Goal].get(data.get("goal_id"), "a goal")
            return f"Measurement of {goal}: {_number(data.get('value'))} on {_date(data.get('measured_on'))}"
        if model is GoalProblem:
            goal = self.labels[Goal].get(data.get("goal_id"), "a goal")
            problem = self.labels[Problem].get(data.get("problem_id"), "a problem")
            return f"Goal {goal} addresses problem {problem}"
        return f"{noun}: {_short(self.label(model, data))}"

    def label(self, model: type[models.Model], data: dict[str, Any]) -> str:
        kind = _kind_of(model)
        if kind == "medication":
            return f"{data.get('name', '')} {data.get('dose', '')}".strip()
        if kind == "care-team-member":
            return self.user_name(data.get("user_id")) or data.get("name") or ""
        if kind == "information-release":
            return f"Release to {data.get('recipient_name', '')}"
        if kind == RELATED_PERSON:
            return f"{data.get('name', '')} ({data.get('relationship', '')})"
        for name in ("condition", "description", "symptom", "organization_name", "topic", "name"):
            if name in data:
                return str(data[name])
        return ""

    def changes(self, model: type[models.Model], diff: dict[str, list[Any]]) -> list[Change]:
        changes = []
        for model_field in model._meta.concrete_fields:
            if model_field.name in BOOKKEEPING or model_field.column not in diff:
                continue
            before, after = diff[model_field.column]
            changes.append(
                Change(
                    label=capfirst(model_field.verbose_name),
                    before=self.value(model_field, before),
                    after=self.value(model_field, after),
                )
            )
        return changes

    def value(self, model_field: models.Field, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if model_field.is_relation:
            if model_field.related_model is User:
                return self.user_name(value) or "A former user"
            return self.labels.get(model_field.related_model, {}).get(value, f"#{value}")
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.BooleanField):
            return "Yes" if value else "No"
        if isinstance(model_field, models.DateTimeField):
            moment = parse_datetime(str(value))
            return dateformat.format(timezone.localtime(moment), "j M Y, H:i") if moment else str(value)
        if isinstance(model_field, models.DateField):
            return _date(value)
        if isinstance(model_field, models.DecimalField):
            return _number(value)
        return str(value)


def _tracked_model(event: Events) -> type[models.Model]:
    return apps.get_model(event.pgh_obj_model)


def _kind_of(model: type[models.Model]) -> str:
    if model in (GoalMeasurement, GoalProblem):
        return "goal"
    return MODEL_KINDS.get(model, "")


def _field(model: type[models.Model], column: str) -> models.Field | None:
    for model_field in model._meta.concrete_fields:
        if model_field.column == column:
            return model_field
    return None


def _action(model: type[models.Model], event: Events) -> str:
    if model is GoalMeasurement:
        if event.pgh_label == "insert":
            return "measurement recorded"
        status = (event.pgh_diff or {}).get("status")
        if status and status[1] == GoalMeasurement.Status.ENTERED_IN_ERROR:
            return "marked in error"
        return "changed"
    if model is GoalProblem:
        return "linked" if event.pgh_label == "insert" else "unlinked"
    if event.pgh_label == "insert":
        return "added"
    status = (event.pgh_diff or {}).get("status")
    ends = getattr(model, "END_STATUSES", None)
    if status and ends is not None:
        before, after = status
        if after == "entered_in_error":
            return "marked in error"
        if after in ends and before not in ends:
            return "ended"
        if before in ends and after not in ends:
            return "reopened"
    if status and model is CarePlan:
        return "status changed"
    return "changed"


def _short(text: Any) -> str:
    return Truncator(str(text or "").replace("\n", " ")).chars(80)


def _date(value: Any) -> str:
    day = parse_date(str(value)) if value else None
    return dateformat.format(day, "j M Y") if day else str(value or "—")


def _number(value: Any) -> str:
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return str(value)
