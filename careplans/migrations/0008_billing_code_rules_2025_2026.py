"""The CCM and PCM time rules for 2025 and 2026 (docs/ccm.md; ../shared/requirements-clinical.md 1.4).

Next year's rules are added as new rows with their own `effective_from`, never by editing these.
"""

import datetime

from django.db import migrations

FROM = datetime.date(2025, 1, 1)
TO = datetime.date(2026, 12, 31)
STAFF, PRACTITIONER = "clinical_staff", "practitioner"

# code, program, label, performed_by, complex_required, min_minutes, addon_of, per_unit_minutes, max_units
RULES = [
    ("99490", "ccm", "CCM, clinical staff, first 20 min", STAFF, False, 20, "", None, None),
    ("99439", "ccm", "CCM, clinical staff, each further 20 min", STAFF, False, None, "99490", 20, 2),
    ("99487", "ccm", "Complex CCM, clinical staff, first 60 min", STAFF, True, 60, "", None, None),
    (
        "99489",
        "ccm",
        "Complex CCM, clinical staff, each further 30 min",
        STAFF,
        True,
        None,
        "99487",
        30,
        None,
    ),
    ("99491", "ccm", "CCM by the practitioner, first 30 min", PRACTITIONER, False, 30, "", None, None),
    (
        "99437",
        "ccm",
        "CCM by the practitioner, each further 30 min",
        PRACTITIONER,
        False,
        None,
        "99491",
        30,
        None,
    ),
    ("99424", "pcm", "PCM by the practitioner, first 30 min", PRACTITIONER, False, 30, "", None, None),
    (
        "99425",
        "pcm",
        "PCM by the practitioner, each further 30 min",
        PRACTITIONER,
        False,
        None,
        "99424",
        30,
        None,
    ),
    ("99426", "pcm", "PCM, clinical staff, first 30 min", STAFF, False, 30, "", None, None),
    ("99427", "pcm", "PCM, clinical staff, each further 30 min", STAFF, False, None, "99426", 30, None),
]
FIELDS = (
    "code",
    "program",
    "label",
    "performed_by",
    "complex_required",
    "min_minutes",
    "addon_of",
    "per_unit_minutes",
    "max_units",
)


def load_rules(apps, schema_editor):
    Rule = apps.get_model("careplans", "BillingCodeRule")
    for row in RULES:
        values = dict(zip(FIELDS, row, strict=True))
        Rule.objects.update_or_create(
            code=values.pop("code"), effective_from=FROM, defaults={**values, "effective_to": TO}
        )


def unload_rules(apps, schema_editor):
    apps.get_model("careplans", "BillingCodeRule").objects.filter(effective_from=FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("careplans", "0007_chronic_care_management")]
    operations = [migrations.RunPython(load_rules, unload_rules)]
