"""`worklist_team`: the patient's team on plans, goals and community services, for three worklist sections.

"Reviews due", "Goals off track" and "Referrals waiting" walk an index of the whole practice's rows in
the section's order until they have a page of the viewer's. A nurse on one team of 40 passes about 40
rows for each of hers, and without the team on the row, each of them was joined to its plan and
patient to learn the team: 8-16 ms a section at 100,000 patients. With the team on the row it is
tested on the row itself: 2-3 ms (docs/benchmarks.md run 11).

The database keeps the column, whatever writes the row (services, the API, bulk updates, the scale
seeder with its triggers on): a BEFORE trigger sets it from the plan's patient (plans) or from the plan
(goals, services) on every INSERT and UPDATE, and a trigger on patients rewrites it on their plan, goals
and services when they move team. Code never sets it. In those sections, who may see a row is decided
by the plan's copy, which is exact (its patient's team): a new plan reads its patient's team under a
share lock, so it waits for a move in progress. An item's copy is only the way into its index: a goal
added in the same instant as its patient's move could keep the old team until it is next written (its
plan's copy, checked with it, keeps it off the old team's list; it would be missing from the new
team's until then).
"""

import django.db.models.deletion
import django.db.models.functions.comparison
import django.db.models.functions.datetime
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

ITEM_TABLES = ("careplans_goal", "careplans_communityservice")
MODELS = ("careplan", "goal", "communityservice")


def _team_field(*, null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        db_index=False,
        editable=False,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="teams.team",
    )


# A plan's team is its patient's; an item's is its plan's. Read on every write of the row: the code
# never sets the column (a model saved after its INSERT sends NULL for it, which this replaces).
PLAN_TEAM = """
    CREATE FUNCTION careweave_team_of_plan() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            -- FOR SHARE waits for a move of this patient in progress, then reads the team it committed:
            -- the move's own update of plans cannot see a plan not yet committed.
            SELECT team_id INTO NEW.worklist_team_id FROM patients_patient WHERE id = NEW.patient_id FOR SHARE;
        ELSE
            -- Each statement of the function reads what is committed when it runs (READ COMMITTED), and a
            -- move updates the plan after the patient: a plan written during a move ends on the new team.
            SELECT team_id INTO NEW.worklist_team_id FROM patients_patient WHERE id = NEW.patient_id;
        END IF;
        RETURN NEW;
    END; $$;
    CREATE TRIGGER careweave_team_of_plan BEFORE INSERT OR UPDATE ON careplans_careplan
    FOR EACH ROW EXECUTE FUNCTION careweave_team_of_plan();"""
ITEM_TEAM = """
    CREATE FUNCTION careweave_team_of_item() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT worklist_team_id INTO NEW.worklist_team_id FROM careplans_careplan WHERE id = NEW.plan_id;
        RETURN NEW;
    END; $$;"""
# A patient moving team takes their plan and its goals and services along, in the same statement.
PATIENT_MOVED = """
    CREATE FUNCTION careweave_patient_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE careplans_careplan SET worklist_team_id = NEW.team_id WHERE patient_id = NEW.id;
        UPDATE careplans_goal SET worklist_team_id = NEW.team_id
        WHERE plan_id IN (SELECT id FROM careplans_careplan WHERE patient_id = NEW.id);
        UPDATE careplans_communityservice SET worklist_team_id = NEW.team_id
        WHERE plan_id IN (SELECT id FROM careplans_careplan WHERE patient_id = NEW.id);
        RETURN NULL;
    END; $$;
    CREATE TRIGGER careweave_patient_moved AFTER UPDATE OF team_id ON patients_patient
    FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id) EXECUTE FUNCTION careweave_patient_moved();"""
CREATE = [
    PLAN_TEAM,
    ITEM_TEAM,
    *(
        f"CREATE TRIGGER careweave_team_of_item BEFORE INSERT OR UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION careweave_team_of_item();"
        for table in ITEM_TABLES
    ),
    PATIENT_MOVED,
]
DROP = [
    "DROP TRIGGER careweave_patient_moved ON patients_patient",
    "DROP FUNCTION careweave_patient_moved()",
    *(f"DROP TRIGGER careweave_team_of_item ON {table}" for table in ITEM_TABLES),
    "DROP FUNCTION careweave_team_of_item()",
    "DROP TRIGGER careweave_team_of_plan ON careplans_careplan",
    "DROP FUNCTION careweave_team_of_plan()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0015_team_page_stamp"),
        ("patients", "0006_emergency_access"),
        ("teams", "0006_user_is_privacy_officer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="careplan",
            name="update_update",
        ),
        # Added empty, filled from the patients, then required.
        *(
            migrations.AddField(model_name=model, name="worklist_team", field=_team_field(null=True))
            for model in MODELS
        ),
        migrations.RunSQL(
            [
                "UPDATE careplans_careplan plan SET worklist_team_id = patient.team_id "
                "FROM patients_patient patient WHERE patient.id = plan.patient_id",
                *(
                    f"UPDATE {table} item SET worklist_team_id = plan.worklist_team_id "
                    "FROM careplans_careplan plan WHERE plan.id = item.plan_id"
                    for table in ITEM_TABLES
                ),
            ],
            migrations.RunSQL.noop,
        ),
        *(
            migrations.AlterField(model_name=model, name="worklist_team", field=_team_field(null=False))
            for model in MODELS
        ),
        migrations.RunSQL(CREATE, DROP),
        pgtrigger.migrations.AddTrigger(
            model_name="careplan",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."additional_information" IS DISTINCT FROM (NEW."additional_information") OR OLD."burdensome_care" IS DISTINCT FROM (NEW."burdensome_care") OR OLD."care_preferences" IS DISTINCT FROM (NEW."care_preferences") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."created_by_id" IS DISTINCT FROM (NEW."created_by_id") OR OLD."helpful_care" IS DISTINCT FROM (NEW."helpful_care") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."last_reviewed_at" IS DISTINCT FROM (NEW."last_reviewed_at") OR OLD."next_review_due" IS DISTINCT FROM (NEW."next_review_due") OR OLD."next_review_reason" IS DISTINCT FROM (NEW."next_review_reason") OR OLD."one_thing" IS DISTINCT FROM (NEW."one_thing") OR OLD."patient_id" IS DISTINCT FROM (NEW."patient_id") OR OLD."priority_values" IS DISTINCT FROM (NEW."priority_values") OR OLD."responsible_member_id" IS DISTINCT FROM (NEW."responsible_member_id") OR OLD."review_interval_days" IS DISTINCT FROM (NEW."review_interval_days") OR OLD."risk_tier" IS DISTINCT FROM (NEW."risk_tier") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."status_reason" IS DISTINCT FROM (NEW."status_reason") OR OLD."strengths" IS DISTINCT FROM (NEW."strengths") OR OLD."updated_at" IS DISTINCT FROM (NEW."updated_at") OR OLD."updated_by_id" IS DISTINCT FROM (NEW."updated_by_id") OR OLD."version" IS DISTINCT FROM (NEW."version") OR OLD."what_matters_most" IS DISTINCT FROM (NEW."what_matters_most") OR OLD."willing_and_able" IS DISTINCT FROM (NEW."willing_and_able"))',
                    func='INSERT INTO "careplans_careplanevent" ("additional_information", "burdensome_care", "care_preferences", "created_at", "created_by_id", "helpful_care", "id", "last_reviewed_at", "next_review_due", "next_review_reason", "one_thing", "patient_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "priority_values", "responsible_member_id", "review_interval_days", "risk_tier", "status", "status_reason", "strengths", "updated_at", "updated_by_id", "version", "what_matters_most", "willing_and_able") VALUES (NEW."additional_information", NEW."burdensome_care", NEW."care_preferences", NEW."created_at", NEW."created_by_id", NEW."helpful_care", NEW."id", NEW."last_reviewed_at", NEW."next_review_due", NEW."next_review_reason", NEW."one_thing", NEW."patient_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."priority_values", NEW."responsible_member_id", NEW."review_interval_days", NEW."risk_tier", NEW."status", NEW."status_reason", NEW."strengths", NEW."updated_at", NEW."updated_by_id", NEW."version", NEW."what_matters_most", NEW."willing_and_able"); RETURN NULL;',
                    hash="5cc4ba0e26e47d18a56bbeedc1382d729e8eedd4",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_a53bf",
                    table="careplans_careplan",
                    when="AFTER",
                ),
            ),
        ),
    ]
