"""Team comments: adding them with @mentions, retracting them, and reading mentions by opening the plan."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import ProgrammingError, transaction
from django.urls import reverse

from careplans import reminders
from careplans.comments import add_comment, mentioned_usernames, record_plan_visit, retract_comment
from careplans.models import Comment, CommentMention, Notification, PlanActivity, PlanVisit
from teams import services as team_services
from teams.models import Membership
from teams.records import RecordNotDeletable, StaleVersionError
from tests import factories
from tests.history import latest_context

pytestmark = pytest.mark.django_db


def test_a_comment_on_the_plan_is_saved_with_its_author(care_plan, nurse):
    comment = add_comment(plan=care_plan, actor=nurse, body="  Ada asked for a call on Fridays.  ")

    assert comment.body == "Ada asked for a call on Fridays."
    assert comment.author == nurse
    assert comment.item_kind == "" and comment.item_id is None
    assert latest_context(comment)["user"] == nurse.pk


def test_a_comment_on_an_item_names_the_item(care_plan, nurse):
    goal = factories.GoalFactory(plan=care_plan)

    comment = add_comment(
        plan=care_plan, actor=nurse, body="Good progress", item_kind="goal", item_id=goal.pk
    )

    assert (comment.item_kind, comment.item_id) == ("goal", goal.pk)


def test_an_item_of_another_plan_is_refused(care_plan, nurse, team):
    other_goal = factories.GoalFactory(
        plan=factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    )

    with pytest.raises(ValidationError) as error:
        add_comment(plan=care_plan, actor=nurse, body="Hi", item_kind="goal", item_id=other_goal.pk)
    assert "not on this plan" in str(error.value)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_comment_is_a_field_error(care_plan, nurse, body):
    with pytest.raises(ValidationError) as error:
        add_comment(plan=care_plan, actor=nurse, body=body)
    assert "body" in error.value.error_dict


def test_a_comment_longer_than_the_limit_is_a_field_error(care_plan, nurse):
    with pytest.raises(ValidationError) as error:
        add_comment(plan=care_plan, actor=nurse, body="x" * (Comment.BODY_MAX_LENGTH + 1))
    assert "body" in error.value.error_dict


def test_an_outsider_cannot_comment(care_plan, outsider):
    with pytest.raises(PermissionDenied):
        add_comment(plan=care_plan, actor=outsider, body="Hello")
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@phil.physician please look", ["phil.physician"]),
        ("Thanks, @phil.physician.", ["phil.physician"]),
        ("(@nina.nurse) and @phil.physician, @nina.nurse again", ["nina.nurse", "phil.physician"]),
        ("mail ada@example.org or @@nobody", []),
    ],
)
def test_mentions_are_read_from_the_text(body, names):
    assert mentioned_usernames(body) == names


def test_a_mention_of_a_team_member_is_recorded_unread(care_plan, nurse, physician):
    comment = add_comment(plan=care_plan, actor=nurse, body="@phil.physician can you sign off the new goal?")

    mention = CommentMention.objects.get()
    assert (mention.comment, mention.mentioned, mention.read_at) == (comment, physician, None)


def test_the_person_mentioned_is_notified_without_the_comment_text(care_plan, nurse, physician):
    goal = factories.GoalFactory(plan=care_plan)

    comment = add_comment(
        plan=care_plan, actor=nurse, body="@phil.physician private detail", item_kind="goal", item_id=goal.pk
    )

    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.subject) == (
        physician,
        "mention",
        "comment",
    )
    assert notification.text == "Nina Nurse, RN mentioned you in a comment on a goal for Lovelace, Ada"
    assert (notification.item_kind, notification.item_id, notification.actor) == ("goal", goal.pk, nurse)
    assert notification.key == f"mention:comment:comment-{comment.pk}::{physician.pk}"
    plan_url = reverse("careplans:plan-detail", args=[care_plan.pk])
    assert reminders.notification_link(notification, physician) == f"{plan_url}#comments-goal-{goal.pk}"


def test_a_mention_on_the_plan_links_to_the_team_discussion(care_plan, nurse, physician):
    add_comment(plan=care_plan, actor=nurse, body="@phil.physician see the plan")

    plan_url = reverse("careplans:plan-detail", args=[care_plan.pk])
    assert reminders.notification_link(Notification.objects.get(), physician) == f"{plan_url}#team-discussion"


def test_mentioning_oneself_records_no_mention(care_plan, nurse):
    add_comment(plan=care_plan, actor=nurse, body="Note to self, @nina.nurse: call Monday")

    assert not CommentMention.objects.exists()


@pytest.mark.parametrize("who", ["nobody.here", "olga.outsider", "former.member", "inactive.user"])
def test_mentioning_someone_not_active_on_the_patients_team_is_a_field_error(
    care_plan, nurse, outsider, team, who
):
    former = factories.UserFactory(username="former.member")
    membership = factories.MembershipFactory(user=former, team=team)
    lead = factories.UserFactory()
    factories.MembershipFactory(user=lead, team=team, is_team_lead=True)
    team_services.end_membership(membership=membership, expected_version=1, actor=lead, reason="Left")
    inactive = factories.UserFactory(username="inactive.user", is_active=False)
    factories.MembershipFactory(user=inactive, team=team)

    with pytest.raises(ValidationError) as error:
        add_comment(plan=care_plan, actor=nurse, body=f"Ask @{who} please")

    assert error.value.error_dict["body"][0].messages == [
        f"@{who}: no one on this patient's team has that username."
    ]
    assert not Comment.objects.exists()
    assert Membership.objects.filter(user=former).exists()


def test_the_author_retracts_a_comment_with_a_reason_and_the_text_stays_in_history(care_plan, nurse):
    comment = add_comment(plan=care_plan, actor=nurse, body="Wrong patient, sorry")

    retracted = retract_comment(
        comment=comment, expected_version=1, actor=nurse, reason="Posted on the wrong plan"
    )

    retracted.refresh_from_db()
    assert retracted.body == ""
    assert retracted.is_retracted
    assert retracted.retraction_reason == "Posted on the wrong plan"
    assert list(retracted.events.order_by("pgh_id").values_list("body", flat=True)) == [
        "Wrong patient, sorry",
        "",
    ]
    assert latest_context(retracted) == {
        **latest_context(retracted),
        "user": nurse.pk,
        "reason": "Posted on the wrong plan",
    }


def test_only_the_author_can_retract(care_plan, nurse, physician):
    comment = add_comment(plan=care_plan, actor=nurse, body="Mine")

    with pytest.raises(PermissionDenied):
        retract_comment(comment=comment, expected_version=1, actor=physician, reason="Not yours")
    comment.refresh_from_db()
    assert comment.body == "Mine"


def test_retracting_needs_a_reason(care_plan, nurse):
    comment = add_comment(plan=care_plan, actor=nurse, body="Mine")

    with pytest.raises(ValidationError):
        retract_comment(comment=comment, expected_version=1, actor=nurse, reason="  ")


def test_a_comment_is_retracted_only_once(care_plan, nurse):
    comment = add_comment(plan=care_plan, actor=nurse, body="Mine")
    retract_comment(comment=comment, expected_version=1, actor=nurse, reason="Oops")

    with pytest.raises(ValidationError):
        retract_comment(comment=comment, expected_version=2, actor=nurse, reason="Again")
    with pytest.raises(StaleVersionError):
        retract_comment(comment=comment, expected_version=1, actor=nurse, reason="From an old page")


def test_comments_and_mentions_are_never_deleted(care_plan, nurse, physician):
    comment = add_comment(plan=care_plan, actor=nurse, body="@phil.physician hello")

    with pytest.raises(RecordNotDeletable):
        comment.delete()
    for queryset in (Comment.objects.all(), CommentMention.objects.all()):
        with pytest.raises(ProgrammingError, match="Cannot delete"), transaction.atomic():
            queryset._raw_delete(queryset.db)
    assert Comment.objects.count() == CommentMention.objects.count() == 1


def test_opening_the_plan_records_the_visit_and_reads_my_mentions_there_only(
    care_plan, nurse, physician, team
):
    other_plan = factories.CarePlanFactory(patient=factories.PatientFactory(team=team))
    add_comment(plan=care_plan, actor=nurse, body="@phil.physician one")
    add_comment(plan=other_plan, actor=nurse, body="@phil.physician two")

    assert record_plan_visit(plan=care_plan, actor=physician) == 1
    assert record_plan_visit(plan=care_plan, actor=physician) == 0

    assert PlanVisit.objects.filter(user=physician, plan=care_plan).count() == 1
    read = CommentMention.objects.filter(read_at__isnull=False)
    assert [m.comment.plan for m in read] == [care_plan]
    assert latest_context(read.get())["user"] == physician.pk


def test_an_outsider_opening_the_plan_is_refused(care_plan, outsider):
    with pytest.raises(PermissionDenied):
        record_plan_visit(plan=care_plan, actor=outsider)
    assert not PlanVisit.objects.exists()


def test_commenting_and_retracting_are_plan_activity(care_plan, nurse):
    comment = add_comment(plan=care_plan, actor=nurse, body="Hello")
    assert PlanActivity.objects.get(plan=care_plan).summary == "commented"

    retract_comment(comment=comment, expected_version=1, actor=nurse, reason="Oops")
    activity = PlanActivity.objects.get(plan=care_plan)
    assert (activity.changed_by, activity.summary) == (nurse, "retracted a comment")
