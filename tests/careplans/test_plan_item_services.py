"""Adding, editing, ending and reopening items in every section of a plan.

Each spec runs for every item type (problems, goals, action steps, medications,
symptom plans, community services, care team, releases, education).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from careplans import services
from careplans.models import PLAN_ITEM_MODELS
from teams.records import RecordNotDeletable, StaleVersionError
from tests.factories import ITEM_FACTORIES
from tests.history import latest_context, latest_event

pytestmark = pytest.mark.django_db

ITEM_MODELS = list(PLAN_ITEM_MODELS.values())
# One harmless text edit per type: (field, new value).
EDITS = {
    "Problem": ("prognosis", "Fair; depends on kidney function."),
    "Goal": ("barriers", "Night shifts make mealtimes irregular."),
    "ActionStep": ("description", "Walk 30 minutes after dinner."),
    "Medication": ("dose", "1000 mg"),
    "SymptomPlan": ("whom_to_call", "After-hours nurse line"),
    "CommunityService": ("contact_name", "Rosa at the front desk"),
    "CareTeamMember": ("responsibilities", "Adjusts diuretics between visits."),
    "InformationRelease": ("purpose", "Coordinate counseling and medication."),
    "EducationTopic": ("material", "Hypoglycemia handout, large print"),
    "SharedDecision": ("participants", "Patient, daughter, Dr. Patel"),
}


def values_for(model, plan, nurse):
    """Field values for a new item, built from the factory without saving it."""
    item = ITEM_FACTORIES[model].build(plan=plan)
    values = {}
    for name in services.editable_fields(model):
        field = model._meta.get_field(name)
        value = getattr(item, name)
        if field.is_relation:
            value = nurse if value is not None else None
        if value is not None and value != field.get_default():
            values[name] = value
    return values


@pytest.fixture(params=ITEM_MODELS, ids=lambda m: m.__name__)
def item_model(request):
    return request.param


@pytest.fixture
def item(item_model, care_plan, nurse):
    return services.add_plan_item(
        plan=care_plan, model=item_model, actor=nurse, values=values_for(item_model, care_plan, nurse)
    )


def test_a_team_member_adds_an_item_and_history_records_who(item_model, care_plan, nurse):
    item = services.add_plan_item(
        plan=care_plan, model=item_model, actor=nurse, values=values_for(item_model, care_plan, nurse)
    )

    assert item.version == 1
    assert item.created_by == nurse
    assert item.status == item.OPEN_STATUS
    assert latest_event(item).pgh_label == "insert"
    assert latest_context(item)["user"] == nurse.pk


def test_an_edit_bumps_the_version_and_history_keeps_before_and_after(item, nurse):
    field, new_value = EDITS[type(item).__name__]
    before = getattr(item, field)

    updated = services.update_plan_item(
        item=item, expected_version=1, actor=nurse, changes={field: new_value}, reason="Visit on Monday"
    )

    assert updated.version == 2
    assert updated.updated_by == nurse
    event = latest_event(item)
    assert event.pgh_label == "update"
    assert getattr(event, field) == new_value
    previous = item.events.order_by("-pgh_id")[1]
    assert getattr(previous, field) == before
    assert event.pgh_context.metadata == {"user": nurse.pk, "reason": "Visit on Monday"}


def test_an_edit_from_a_stale_version_is_refused_and_changes_nothing(item, nurse, physician):
    field, new_value = EDITS[type(item).__name__]
    services.update_plan_item(item=item, expected_version=1, actor=physician, changes={field: new_value})

    with pytest.raises(StaleVersionError) as conflict:
        services.update_plan_item(
            item=item, expected_version=1, actor=nurse, changes={field: "my older edit"}
        )

    assert conflict.value.current.version == 2
    item.refresh_from_db()
    assert getattr(item, field) == new_value
    assert item.updated_by == physician


def test_an_outsider_cannot_add_edit_or_end_items(item_model, item, care_plan, nurse, outsider):
    with pytest.raises(PermissionDenied):
        services.add_plan_item(
            plan=care_plan, model=item_model, actor=outsider, values=values_for(item_model, care_plan, nurse)
        )
    field, new_value = EDITS[item_model.__name__]
    with pytest.raises(PermissionDenied):
        services.update_plan_item(item=item, expected_version=1, actor=outsider, changes={field: new_value})
    end_status = sorted(item.END_STATUSES)[0]
    with pytest.raises(PermissionDenied):
        services.end_plan_item(item=item, expected_version=1, actor=outsider, status=end_status, reason="x")

    item.refresh_from_db()
    assert item.version == 1
    assert item_model.objects.filter(plan=care_plan).count() == 1


def test_ending_an_item_keeps_it_with_its_reason(item, nurse):
    end_status = sorted(item.END_STATUSES)[0]

    ended = services.end_plan_item(
        item=item, expected_version=1, actor=nurse, status=end_status, reason="Patient and team agreed"
    )

    assert ended.is_ended
    assert ended.status_reason == "Patient and team agreed"
    assert ended.status_changed_at is not None
    assert type(item).objects.filter(pk=item.pk).exists()
    assert latest_context(item)["reason"] == "Patient and team agreed"


def test_ending_needs_a_reason_and_an_ending_status(item, nurse):
    end_status = sorted(item.END_STATUSES)[0]
    with pytest.raises(ValidationError) as no_reason:
        services.end_plan_item(item=item, expected_version=1, actor=nurse, status=end_status, reason="  ")
    assert "status_reason" in no_reason.value.message_dict

    with pytest.raises(ValidationError) as not_an_end:
        services.end_plan_item(
            item=item, expected_version=1, actor=nurse, status=item.OPEN_STATUS, reason="x"
        )
    assert "status" in not_an_end.value.message_dict


def test_an_ended_item_can_be_reopened_with_a_reason(item, nurse):
    end_status = sorted(item.END_STATUSES)[0]
    services.end_plan_item(
        item=item, expected_version=1, actor=nurse, status=end_status, reason="Done for now"
    )

    reopened = services.reopen_plan_item(
        item=item, expected_version=2, actor=nurse, reason="Symptoms came back"
    )

    assert reopened.status == item.OPEN_STATUS
    assert reopened.version == 3
    assert reopened.status_reason == "Symptoms came back"


def test_items_are_never_deleted(item):
    with pytest.raises(RecordNotDeletable):
        item.delete()


def test_an_item_cannot_name_someone_outside_the_patients_team(care_plan, nurse, outsider):
    from careplans.models import ActionStep

    with pytest.raises(ValidationError) as error:
        services.add_plan_item(
            plan=care_plan,
            model=ActionStep,
            actor=nurse,
            values={
                "description": "Call the patient",
                "due_date": "2030-01-01",
                "responsible_party": "team_member",
                "responsible_member": outsider,
            },
        )
    assert "responsible_member" in error.value.message_dict


def test_the_plan_and_status_cannot_be_set_through_an_edit(item, nurse):
    with pytest.raises(ValueError):
        services.update_plan_item(item=item, expected_version=1, actor=nurse, changes={"status": "anything"})


MOVABLE = [m for m in ITEM_MODELS if len(set(m.Status.values) - m.END_STATUSES) > 1]


@pytest.mark.parametrize("model", MOVABLE, ids=lambda m: m.__name__)
def test_an_item_moves_along_its_open_statuses_without_ending(model, care_plan, nurse):
    item = services.add_plan_item(
        plan=care_plan, model=model, actor=nurse, values=values_for(model, care_plan, nurse)
    )
    next_status = sorted(set(model.Status.values) - model.END_STATUSES - {model.OPEN_STATUS})[0]

    moved = services.move_plan_item(item=item, expected_version=1, actor=nurse, status=next_status)

    assert moved.status == next_status
    assert not moved.is_ended
    assert moved.version == 2


def test_the_sections_with_a_workflow_can_move(db):
    assert {m.__name__ for m in MOVABLE} == {"Goal", "ActionStep", "Medication", "CommunityService"}


def test_moving_cannot_end_an_item_or_skip_the_reason(item, nurse):
    end_status = sorted(item.END_STATUSES)[0]
    with pytest.raises(ValidationError):
        services.move_plan_item(item=item, expected_version=1, actor=nurse, status=end_status)
    item.refresh_from_db()
    assert item.version == 1


def test_an_item_can_start_in_another_open_status_but_not_ended(care_plan, nurse):
    from careplans.models import CommunityService

    values = values_for(CommunityService, care_plan, nurse)
    referred = services.add_plan_item(
        plan=care_plan, model=CommunityService, actor=nurse, values={**values, "status": "referred"}
    )
    assert referred.status == "referred"
    with pytest.raises(ValidationError):
        services.add_plan_item(
            plan=care_plan, model=CommunityService, actor=nurse, values={**values, "status": "completed"}
        )
