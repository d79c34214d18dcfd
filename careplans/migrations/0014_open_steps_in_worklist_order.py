"""A member's open action steps indexed in the worklist's order (careplans.worklist.STEP_ORDER).

Built before the old index goes and without locking out writes (CONCURRENTLY, so outside a transaction):
on a practice of 100,000 patients the table has about 1.8 million steps.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("careplans", "0013_page_stamp"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="actionstep",
            index=models.Index(
                models.F("responsible_member"),
                models.OrderBy(models.F("is_urgent"), descending=True),
                models.F("due_date"),
                models.F("id"),
                condition=models.Q(("status__in", ["planned", "in_progress"])),
                name="open_steps_of_member",
            ),
        ),
        RemoveIndexConcurrently(model_name="actionstep", name="open_steps_by_member"),
    ]
