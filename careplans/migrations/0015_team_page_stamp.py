"""Stamps per team ("team-<id>") and per user ("user-<id>") in careplans_pagestamp, for the home page.

The home page's worklist sections and patient list show a team's plans, so they are cached
(careplans.page_cache.home_keys) under the stamps of the viewer's teams. The plan triggers of migration
0013 now bump, in the same statement, the stamp of each team whose plans they touched; a new trigger
on patients bumps the team a patient joins and the team they leave, with or without a plan; the
plan's latest activity is watched too. A user's own sections (their action steps, mentions of them,
plans changed since they looked) are also keyed on their stamp, bumped when a mention of them is
written or read, or when they open a plan in a way that changes "changed since you looked".

Each writing transaction holds its team's stamp row until it commits, as it already holds its plan's:
writes to one team's plans commit one after another. Care-plan writes are short (one service call),
so the wait is that of a commit.
"""

from django.db import migrations

BUMP = """
    INSERT INTO careplans_pagestamp (key, seq)
    SELECT DISTINCT {key}, 1 FROM ({rows}) AS touched WHERE {not_null} ORDER BY 1
    ON CONFLICT (key) DO UPDATE SET seq = careplans_pagestamp.seq + 1;"""

# As in 0013: how to find the plans a table's changed rows belong to; `changed` is the transition table.
PLAN_OF = {
    "by_plan": "SELECT plan_id FROM changed",
    "by_id": "SELECT id AS plan_id FROM changed",
    "by_goal": "SELECT g.plan_id FROM changed JOIN careplans_goal g ON g.id = changed.goal_id",
    "by_patient": "SELECT p.id AS plan_id FROM changed JOIN careplans_careplan p ON p.patient_id = changed.patient_id",
    "by_patient_id": "SELECT p.id AS plan_id FROM changed JOIN careplans_careplan p ON p.patient_id = changed.id",
}


def _plans_and_teams(plan_ids: str) -> str:
    """Bump each plan `plan_ids` yields, then each of their teams (0013 bumped the plans only)."""
    teams_of_plans = (
        f"SELECT pt.team_id FROM ({plan_ids}) AS plans "
        "JOIN careplans_careplan p ON p.id = plans.plan_id JOIN patients_patient pt ON pt.id = p.patient_id"
    )
    plans = BUMP.format(key="plan_id::text", rows=plan_ids, not_null="plan_id IS NOT NULL")
    teams = BUMP.format(key="'team-' || team_id", rows=teams_of_plans, not_null="team_id IS NOT NULL")
    return f"{plans}{teams} RETURN NULL;"


def _plans_only(plan_ids: str) -> str:
    return BUMP.format(key="plan_id::text", rows=plan_ids, not_null="plan_id IS NOT NULL") + " RETURN NULL;"


def _function(name: str, body: str) -> str:
    return f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END; $$;"


def _on_update_or_insert(name: str, *, update: str, insert: str) -> str:
    """A function for INSERT and UPDATE triggers that runs `update` or `insert` by the operation."""
    return _function(name, f"IF TG_OP = 'UPDATE' THEN {update} ELSE {insert} END IF; RETURN NULL;")


# A patient's own row: the team they are on now and, on an update, the team they were on.
PATIENT_TEAMS = _on_update_or_insert(
    "careweave_stamp_patient_teams",
    update=BUMP.format(
        key="'team-' || team_id",
        rows="SELECT team_id FROM changed UNION SELECT team_id FROM old_rows",
        not_null="team_id IS NOT NULL",
    ),
    insert=BUMP.format(
        key="'team-' || team_id", rows="SELECT team_id FROM changed", not_null="team_id IS NOT NULL"
    ),
)

# A user's own stamp ("user-<id>"), for the home page's "mentions of you": a mention of them written
# or read.
MENTIONS = _function(
    "careweave_stamp_users_careplans_commentmention",
    BUMP.format(key="'user-' || mentioned_id", rows="SELECT mentioned_id FROM changed", not_null="TRUE")
    + " RETURN NULL;",
)
# ... and for "plans changed since you looked": a visit to a plan someone else changed after the
# visit before (which takes it off the list) or after this one (which puts it on, or moves the "you
# last looked" it shows). Any other visit changes nothing the home page shows, and bumps nothing:
# a plan is opened far more often than the list changes.
CHANGED_SINCE = """
    SELECT visit.user_id FROM {visits}
    JOIN careplans_planactivity activity ON activity.plan_id = visit.plan_id
    WHERE activity.changed_at > {seen} AND activity.changed_by_id IS DISTINCT FROM visit.user_id"""
VISITS = _on_update_or_insert(
    "careweave_stamp_users_careplans_planvisit",
    update=BUMP.format(
        key="'user-' || user_id",
        rows=CHANGED_SINCE.format(
            visits="changed visit JOIN old_rows previous ON previous.id = visit.id",
            seen="LEAST(previous.last_seen_at, visit.last_seen_at)",
        ),
        not_null="TRUE",
    ),
    insert=BUMP.format(
        key="'user-' || user_id",
        rows=CHANGED_SINCE.format(visits="changed visit", seen="visit.last_seen_at"),
        not_null="TRUE",
    ),
)
USER_TABLES = ("careplans_planvisit", "careplans_commentmention")


def _trigger(name: str, event: str, table: str, function: str, tables: str = "NEW TABLE AS changed") -> str:
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    )


CREATE = [
    *(_function(f"careweave_stamp_{kind}", _plans_and_teams(rows)) for kind, rows in PLAN_OF.items()),
    PATIENT_TEAMS,
    _trigger(
        "careweave_page_stamp_teams_insert", "INSERT", "patients_patient", "careweave_stamp_patient_teams"
    ),
    _trigger(
        "careweave_page_stamp_teams_update",
        "UPDATE",
        "patients_patient",
        "careweave_stamp_patient_teams",
        tables="OLD TABLE AS old_rows NEW TABLE AS changed",
    ),
    # The plan's latest activity ("changed since you looked"), written with the change it describes.
    *(
        _trigger(
            f"careweave_page_stamp_{event.lower()}",
            event,
            "careplans_planactivity",
            "careweave_stamp_by_plan",
        )
        for event in ("INSERT", "UPDATE")
    ),
    MENTIONS,
    VISITS,
    *(
        _trigger("careweave_page_stamp_user_insert", "INSERT", table, f"careweave_stamp_users_{table}")
        for table in USER_TABLES
    ),
    _trigger(
        "careweave_page_stamp_user_update",
        "UPDATE",
        "careplans_commentmention",
        "careweave_stamp_users_careplans_commentmention",
    ),
    _trigger(
        "careweave_page_stamp_user_update",
        "UPDATE",
        "careplans_planvisit",
        "careweave_stamp_users_careplans_planvisit",
        tables="OLD TABLE AS old_rows NEW TABLE AS changed",
    ),
]
DROP = [
    *(
        f"DROP TRIGGER IF EXISTS careweave_page_stamp_user_{event} ON {table};"
        for table in USER_TABLES
        for event in ("insert", "update")
    ),
    *(f"DROP FUNCTION IF EXISTS careweave_stamp_users_{table}();" for table in USER_TABLES),
    "DROP TRIGGER IF EXISTS careweave_page_stamp_insert ON careplans_planactivity;",
    "DROP TRIGGER IF EXISTS careweave_page_stamp_update ON careplans_planactivity;",
    "DROP TRIGGER IF EXISTS careweave_page_stamp_teams_update ON patients_patient;",
    "DROP TRIGGER IF EXISTS careweave_page_stamp_teams_insert ON patients_patient;",
    "DROP FUNCTION IF EXISTS careweave_stamp_patient_teams();",
    *(_function(f"careweave_stamp_{kind}", _plans_only(rows)) for kind, rows in PLAN_OF.items()),
]


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0014_open_steps_in_worklist_order"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
