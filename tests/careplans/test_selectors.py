"""Scoped reads of plan items."""

from __future__ import annotations

import pytest
from django.http import Http404

from careplans import services
from careplans.models import Medication
from careplans.selectors import get_item_for_user, item_as_of_version
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_item_is_found_only_through_its_own_plan(team, nurse, care_plan):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    medication = factories.MedicationFactory(plan=care_plan)

    assert get_item_for_user(nurse, Medication, medication.pk, plan_id=care_plan.pk) == medication
    with pytest.raises(Http404):
        get_item_for_user(nurse, Medication, medication.pk, plan_id=other_plan.pk)
    with pytest.raises(Http404):
        get_item_for_user(nurse, Medication, medication.pk, plan_id="not-a-uuid")


def test_an_outsider_gets_404_for_an_item(outsider, care_plan):
    medication = factories.MedicationFactory(plan=care_plan)
    with pytest.raises(Http404):
        get_item_for_user(outsider, Medication, medication.pk, plan_id=care_plan.pk)


def test_an_item_can_be_read_as_it_was_at_an_earlier_version(care_plan, nurse):
    medication = services.add_plan_item(
        plan=care_plan,
        model=Medication,
        actor=nurse,
        values={"name": "Metformin", "dose": "500 mg", "frequency": "twice a day", "indication": "Diabetes"},
    )
    services.update_plan_item(item=medication, expected_version=1, actor=nurse, changes={"dose": "1000 mg"})

    assert item_as_of_version(medication, 1).dose == "500 mg"
    assert item_as_of_version(medication, 2).dose == "1000 mg"
    assert item_as_of_version(medication, 9) is None
