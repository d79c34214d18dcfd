"""When a plan last changed, and when each user last looked at it: the worklist's "changed since you looked".

Both are one row per plan (per user and plan for visits), overwritten with a PostgreSQL upsert; who
changed what in detail is in the records' history, not here.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from careplans.models import CarePlan, PlanActivity, PlanVisit
from teams.models import User


def note_plan_activity(*, plan: CarePlan | int | str, actor: User | None, summary: str) -> None:
    """Record that `actor` just changed `plan` (for example "changed a goal").

    Called by the services inside their transaction, so it is rolled back with the change.
    """
    plan_id = plan.pk if isinstance(plan, CarePlan) else plan
    PlanActivity.objects.bulk_create(
        [PlanActivity(plan_id=plan_id, changed_at=timezone.now(), changed_by=actor, summary=summary[:200])],
        update_conflicts=True,
        unique_fields=["plan"],
        update_fields=["changed_at", "changed_by", "summary"],
    )


def note_plan_visit(*, plan: CarePlan, user: User, at: datetime.datetime | None = None) -> None:
    PlanVisit.objects.bulk_create(
        [PlanVisit(plan=plan, user=user, last_seen_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "plan"],
        update_fields=["last_seen_at"],
    )
