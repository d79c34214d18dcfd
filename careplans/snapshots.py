"""Snapshots of a whole care plan, and the difference between two of them.

A snapshot is plain JSON: the plan's own fields, and every item of every section
with every field (values as JSON: dates and decimals as strings, people by id with
a readable `_label`). A signed-off `PlanVersion` stores one; comparing a version
with another version or with today's plan is `diff_snapshots(old, new)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from careplans.models import PLAN_ITEM_MODELS, CarePlan, GoalProblem

# Bookkeeping that changes with every edit; the diff shows the fields a reader cares about.
BOOKKEEPING = {"version", "created_at", "created_by", "updated_at", "updated_by", "status_changed_at", "plan"}


def _fields(obj: models.Model) -> dict[str, Any]:
    values = {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _name(user: Any) -> str:
    return str(user) if user is not None else ""


def build_snapshot(plan: CarePlan) -> dict[str, Any]:
    """Every section and every field of `plan` as it stands now, in a fixed number of queries."""
    plan = CarePlan.objects.select_related("updated_by").get(pk=plan.pk)
    links: dict[int, list[int]] = {}
    for goal_id, problem_id in GoalProblem.objects.filter(goal__plan=plan).values_list(
        "goal_id", "problem_id"
    ):
        links.setdefault(goal_id, []).append(problem_id)
    sections: dict[str, dict[str, Any]] = {}
    for kind, model in PLAN_ITEM_MODELS.items():
        items = model.objects.filter(plan=plan).select_related("updated_by").order_by("pk")
        section = {}
        for item in items:
            values = _fields(item)
            values["_label"] = str(item)
            values["_updated_by"] = _name(item.updated_by)
            if kind == "goal":
                values["problems"] = sorted(links.get(item.pk, []))
            section[str(item.pk)] = values
        sections[kind] = section
    plan_values = _fields(plan)
    plan_values["_updated_by"] = _name(plan.updated_by)
    return {"plan": plan_values, "sections": sections}


@dataclass
class FieldChange:
    name: str
    before: Any
    after: Any


@dataclass
class ItemChange:
    label: str
    changed_by: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class SectionDiff:
    added: list[ItemChange] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    ended: list[ItemChange] = field(default_factory=list)
    reopened: list[ItemChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.ended or self.reopened)


@dataclass
class PlanDiff:
    plan_fields: list[FieldChange]
    sections: dict[str, SectionDiff]

    def __bool__(self) -> bool:
        return bool(self.plan_fields) or any(self.sections.values())


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    names = [n for n in new if not n.startswith("_") and n.removesuffix("_id") not in BOOKKEEPING]
    return [FieldChange(n, old.get(n), new[n]) for n in names if old.get(n) != new[n]]


def diff_snapshots(old: dict[str, Any] | None, new: dict[str, Any]) -> PlanDiff:
    """What changed from `old` to `new`: items added, changed (field before → after), ended or reopened.

    `old` None means no earlier version: every item counts as added. A status change that
    ends an item lists it under ended, one that brings it back under reopened, each with
    any other fields that changed at the same time.
    """
    old = old or {"plan": {}, "sections": {}}
    sections: dict[str, SectionDiff] = {}
    for kind, model in PLAN_ITEM_MODELS.items():
        before_items = old["sections"].get(kind, {})
        diff = SectionDiff()
        for pk, after in new["sections"].get(kind, {}).items():
            item = ItemChange(label=after["_label"], changed_by=after["_updated_by"])
            before = before_items.get(pk)
            if before is None:
                diff.added.append(item)
                continue
            item.fields = _field_changes(before, after)
            was_ended = before["status"] in model.END_STATUSES
            is_ended = after["status"] in model.END_STATUSES
            if is_ended and not was_ended:
                diff.ended.append(item)
            elif was_ended and not is_ended:
                diff.reopened.append(item)
            elif item.fields:
                diff.changed.append(item)
        sections[kind] = diff
    plan_fields = _field_changes(old["plan"], new["plan"]) if old["plan"] else []
    return PlanDiff(plan_fields=plan_fields, sections=sections)
