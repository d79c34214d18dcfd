"""Code suggestions from a month's minutes: each threshold at its boundary, rule dates and conflicts.

The rules are the rows the data migration loads (2025-2026), read from the real database.
"""

from __future__ import annotations

import datetime

import pytest

from careplans.billing import (
    APCM_CONFLICT,
    BOTH_KINDS,
    MORE_THAN_ONE_PRACTITIONER,
    MORE_THAN_ONE_PROGRAM,
    MonthMinutes,
    suggest_codes,
)
from careplans.ccm_models import BillingCodeRule
from tests.careplans.ccm_cast import code_rules  # noqa: F401

pytestmark = pytest.mark.django_db
MARCH_2026 = datetime.date(2026, 3, 1)


@pytest.fixture
def rules(request):
    request.getfixturevalue("code_rules")
    return list(BillingCodeRule.objects.all())


def codes(rules, *, staff=0, practitioner=0, program="ccm", complex_care=False, month=MARCH_2026):
    suggestion = suggest_codes(
        minutes=MonthMinutes(clinical_staff=staff, practitioner=practitioner),
        rules=rules,
        month=month,
        programs={program},
        complex_care=complex_care,
    )
    return suggestion.summary


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, ""),
        (19, ""),
        (20, "99490"),
        (39, "99490"),
        (40, "99490 + 99439"),
        (59, "99490 + 99439"),
        (60, "99490 + 99439 x2"),
        (61, "99490 + 99439 x2"),
        (200, "99490 + 99439 x2"),
    ],
)
def test_clinical_staff_ccm_minutes_suggest_99490_and_at_most_two_99439(rules, minutes, expected):
    assert codes(rules, staff=minutes) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (19, ""),
        (20, "99490"),
        (59, "99490 + 99439"),
        (60, "99487"),
        (89, "99487"),
        (90, "99487 + 99489"),
        (119, "99487 + 99489"),
        (120, "99487 + 99489 x2"),
    ],
)
def test_complex_ccm_starts_at_60_minutes_and_adds_99489_per_further_30(rules, minutes, expected):
    assert codes(rules, staff=minutes, complex_care=True) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(29, "99490"), (30, "99491"), (59, "99491"), (60, "99491 + 99437"), (90, "99491 + 99437 x2")],
)
def test_the_practitioners_own_minutes_suggest_99491_from_30_and_99437_per_further_full_30(
    rules, minutes, expected
):
    assert codes(rules, practitioner=minutes) == expected


def test_practitioner_minutes_below_30_count_as_clinical_staff_time(rules):
    assert codes(rules, staff=10, practitioner=10) == "99490"
    assert codes(rules, staff=19, practitioner=0) == ""


def test_practitioner_minutes_used_for_99491_are_not_counted_again_for_99490(rules):
    suggestion = suggest_codes(
        minutes=MonthMinutes(clinical_staff=10, practitioner=30),
        rules=rules,
        month=MARCH_2026,
        programs={"ccm"},
    )
    assert suggestion.summary == "99491"
    both = suggest_codes(
        minutes=MonthMinutes(clinical_staff=20, practitioner=30),
        rules=rules,
        month=MARCH_2026,
        programs={"ccm"},
    )
    assert both.summary == "99491 + 99490"
    assert BOTH_KINDS in both.flags


@pytest.mark.parametrize(
    ("staff", "practitioner", "expected"),
    [
        (29, 0, ""),
        (30, 0, "99426"),
        (59, 0, "99426"),
        (60, 0, "99426 + 99427"),
        (0, 29, ""),
        (0, 30, "99424"),
        (0, 59, "99424"),
        (0, 60, "99424 + 99425"),
    ],
)
def test_pcm_codes_start_at_30_minutes_with_add_ons_per_further_30(rules, staff, practitioner, expected):
    assert codes(rules, staff=staff, practitioner=practitioner, program="pcm") == expected


def test_no_rule_is_in_effect_before_2025_or_after_2026(rules):
    assert codes(rules, staff=60, month=datetime.date(2024, 12, 1)) == ""
    assert codes(rules, staff=60, month=datetime.date(2027, 1, 1)) == ""
    assert codes(rules, staff=60, month=datetime.date(2026, 12, 1)) == "99490 + 99439 x2"


def test_next_years_rules_are_new_rows_that_take_over_on_their_effective_date(rules):
    rule_2027 = BillingCodeRule.objects.create(
        code="99490",
        program="ccm",
        label="CCM, clinical staff, first 25 min (hypothetical)",
        performed_by="clinical_staff",
        min_minutes=25,
        effective_from=datetime.date(2027, 1, 1),
    )
    rules = [*rules, rule_2027]
    assert codes(rules, staff=20, month=datetime.date(2026, 12, 1)) == "99490"
    assert codes(rules, staff=20, month=datetime.date(2027, 1, 1)) == ""
    assert codes(rules, staff=25, month=datetime.date(2027, 1, 1)) == "99490"


def test_apcm_in_the_month_blocks_every_ccm_and_pcm_suggestion(rules):
    suggestion = suggest_codes(
        minutes=MonthMinutes(clinical_staff=60), rules=rules, month=MARCH_2026, programs={"ccm", "apcm"}
    )
    assert suggestion.codes == []
    assert suggestion.flags == [APCM_CONFLICT]


def test_two_programs_in_one_month_are_flagged_and_not_suggested(rules):
    suggestion = suggest_codes(
        minutes=MonthMinutes(clinical_staff=60), rules=rules, month=MARCH_2026, programs={"ccm", "pcm"}
    )
    assert suggestion.codes == []
    assert MORE_THAN_ONE_PROGRAM in suggestion.flags


def test_two_billing_practitioners_in_one_month_are_flagged(rules):
    suggestion = suggest_codes(
        minutes=MonthMinutes(clinical_staff=20),
        rules=rules,
        month=MARCH_2026,
        programs={"ccm"},
        billing_practitioners=2,
    )
    assert suggestion.summary == "99490"
    assert MORE_THAN_ONE_PRACTITIONER in suggestion.flags


def test_without_an_enrolment_nothing_is_suggested(rules):
    suggestion = suggest_codes(
        minutes=MonthMinutes(clinical_staff=60), rules=rules, month=MARCH_2026, programs=set()
    )
    assert suggestion.codes == []


@pytest.mark.usefixtures("code_rules")
def test_the_migration_loads_every_ccm_and_pcm_code_for_2025_and_2026():
    loaded = set(
        BillingCodeRule.objects.filter(effective_from=datetime.date(2025, 1, 1)).values_list(
            "code", flat=True
        )
    )
    assert loaded == {
        "99490",
        "99439",
        "99487",
        "99489",
        "99491",
        "99437",
        "99424",
        "99425",
        "99426",
        "99427",
    }
