"""Review reminders, escalations, notifications and the daily digest: each happens once, whatever runs twice."""

from __future__ import annotations

import datetime
import threading

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans import reminders, services, tasks
from careplans.models import ActionStep, CareTeamMember, EmailDigest, Notification, ResponsibleParty
from teams.models import CareRole
from tests import factories

TODAY = datetime.date(2026, 3, 10)
MORNING = timezone.make_aware(datetime.datetime(2026, 3, 10, 8, 0))
NIGHT = timezone.make_aware(datetime.datetime(2026, 3, 10, 3, 0))


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def notifications(**filters) -> list[tuple[str, str, str]]:
    return sorted(
        Notification.objects.filter(**filters).values_list("recipient__username", "kind", "subject")
    )


@pytest.fixture
def lead(team):
    user = factories.UserFactory(username="lena.lead", first_name="Lena", last_name="Lead")
    factories.MembershipFactory(user=user, team=team, role=CareRole.SOCIAL_WORKER, is_team_lead=True)
    return user


# --- The sweep ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_review_due_within_two_weeks_reminds_the_member_responsible_for_the_plan(
    care_plan, nurse, physician
):
    care_plan.next_review_due = days(10)
    care_plan.responsible_member = physician
    care_plan.save()

    assert reminders.sweep_reminders(today=TODAY) == 1

    assert notifications() == [("phil.physician", "due_soon", "plan_review")]
    assert Notification.objects.get().message == "1 plan review due soon"


@pytest.mark.django_db
def test_with_no_one_responsible_the_reminder_goes_to_the_teams_nurse_care_manager(
    care_plan, nurse, physician
):
    care_plan.next_review_due = days(3)
    care_plan.save()

    reminders.sweep_reminders(today=TODAY)

    assert notifications() == [("nina.nurse", "due_soon", "plan_review")]


@pytest.mark.django_db
def test_nothing_is_reminded_outside_its_window_or_once_ended(care_plan, nurse):
    care_plan.next_review_due = days(15)
    care_plan.save()
    factories.ActionStepFactory(plan=care_plan, due_date=days(3))
    factories.ActionStepFactory(plan=care_plan, due_date=days(-3), status=ActionStep.Status.DONE)
    factories.GoalFactory(plan=care_plan, next_review_on=days(8))

    assert reminders.sweep_reminders(today=TODAY) == 0


@pytest.mark.django_db
def test_an_inactive_plan_is_not_reminded(care_plan, nurse):
    care_plan.status = "on_hold"
    care_plan.next_review_due = days(-30)
    care_plan.save()
    factories.ActionStepFactory(plan=care_plan, due_date=days(-3))

    assert reminders.sweep_reminders(today=TODAY) == 0


@pytest.mark.django_db
def test_goal_reviews_service_reviews_and_action_steps_remind_whoever_is_responsible(
    care_plan, nurse, physician
):
    factories.GoalFactory(plan=care_plan, next_review_on=days(7))
    factories.CommunityServiceFactory(
        plan=care_plan,
        next_review_on=days(-1),
        responsible_party=ResponsibleParty.TEAM_MEMBER,
        responsible_member=physician,
    )
    factories.ActionStepFactory(
        plan=care_plan,
        due_date=days(2),
        responsible_party=ResponsibleParty.TEAM_MEMBER,
        responsible_member=physician,
    )
    factories.ActionStepFactory(
        plan=care_plan, due_date=days(-20)
    )  # the patient is responsible: the nurse follows up

    assert reminders.sweep_reminders(today=TODAY) == 4

    assert notifications() == [
        ("nina.nurse", "due_soon", "goal_review"),
        ("nina.nurse", "overdue", "action_step"),
        ("phil.physician", "due_soon", "action_step"),
        ("phil.physician", "overdue", "service_review"),
    ]


@pytest.mark.django_db
def test_overdue_beyond_the_teams_limit_escalates_to_the_team_lead_and_the_patients_physician(
    care_plan, nurse, physician, lead, team
):
    team.escalate_after_days = 14
    team.save()
    factories.CareTeamMemberFactory(plan=care_plan, user=physician, role=CareRole.PHYSICIAN, name="")
    care_plan.next_review_due = days(-14)
    care_plan.save()

    reminders.sweep_reminders(today=TODAY)
    assert notifications(kind="escalation") == []

    reminders.sweep_reminders(today=days(1))

    assert notifications() == [
        ("lena.lead", "escalation", "plan_review"),
        ("nina.nurse", "overdue", "plan_review"),
        ("phil.physician", "escalation", "plan_review"),
    ]
    assert Notification.objects.get(recipient=lead).message == "1 plan review overdue past the team's limit"


@pytest.mark.django_db
def test_running_the_sweep_twice_or_on_later_days_creates_each_reminder_once(care_plan, nurse):
    care_plan.next_review_due = days(5)
    care_plan.save()

    assert reminders.sweep_reminders(today=TODAY) == 1
    assert reminders.sweep_reminders(today=TODAY) == 0
    assert reminders.sweep_reminders(today=days(1)) == 0
    # Once the date passes it becomes overdue: one more reminder, and only one.
    assert reminders.sweep_reminders(today=days(6)) == 1
    assert reminders.sweep_reminders(today=days(7)) == 0
    assert notifications() == [
        ("nina.nurse", "due_soon", "plan_review"),
        ("nina.nurse", "overdue", "plan_review"),
    ]


@pytest.mark.django_db
def test_the_sweep_takes_the_same_queries_however_many_patients_and_due_items_there_are(
    team, nurse, django_assert_num_queries
):
    def plans_with_due_steps(n: int) -> None:
        for _ in range(n):
            plan = factories.CarePlanFactory(
                patient=factories.PatientFactory(team=team), next_review_due=days(2)
            )
            factories.ActionStepFactory(plan=plan, due_date=days(1))
            factories.GoalFactory(plan=plan, next_review_on=days(-1))
            factories.CarePlanFactory(patient=factories.PatientFactory(team=team))  # nothing due

    reminders.sweep_reminders(today=days(-1))
    plans_with_due_steps(2)
    with CaptureQueriesContext(connection) as small:
        reminders.sweep_reminders(today=TODAY)
    plans_with_due_steps(30)
    with django_assert_num_queries(len(small.captured_queries)):
        reminders.sweep_reminders(today=days(1))
    # The sweep's row, teams, one statement per subject, saving the sweep's row, a savepoint's two.
    assert len(small.captured_queries) <= 12
    listed = [(note.subject, ref) for note in Notification.objects.all() for ref in note.item_refs]
    assert len(listed) == len(set(listed)) == 32 * 3  # each plan review, goal review and step, once


@pytest.mark.django_db
def test_a_moved_due_date_is_reminded_again_and_nothing_else_is(care_plan, nurse):
    step = factories.ActionStepFactory(plan=care_plan, due_date=days(-1))
    assert reminders.sweep_reminders(today=TODAY) == 1

    step = services.update_plan_item(
        item=step, expected_version=step.version, actor=nurse, changes={"description": "Call the pharmacy"}
    )
    assert reminders.sweep_reminders(today=TODAY) == 0

    services.update_plan_item(
        item=step, expected_version=step.version, actor=nurse, changes={"due_date": days(1)}
    )
    assert reminders.sweep_reminders(today=TODAY) == 1
    assert notifications() == [
        ("nina.nurse", "due_soon", "action_step"),
        ("nina.nurse", "overdue", "action_step"),
    ]


@pytest.mark.django_db
def test_the_sweep_writes_nothing_to_the_items_or_their_history(care_plan, nurse):
    step = factories.ActionStepFactory(plan=care_plan, due_date=days(-1))
    before = (step.events.count(), ActionStep.objects.values().get(pk=step.pk))

    reminders.sweep_reminders(today=TODAY)

    assert (step.events.count(), ActionStep.objects.values().get(pk=step.pk)) == before


@pytest.mark.django_db
def test_one_reminder_lists_every_item_of_a_kind_that_fell_due_together(care_plan, nurse):
    steps = [factories.ActionStepFactory(plan=care_plan, due_date=days(-n)) for n in (1, 2, 3)]

    reminders.sweep_reminders(today=TODAY)

    note = Notification.objects.get()
    assert note.message == "3 action steps now overdue"
    assert sorted(note.item_refs) == sorted(str(s.pk) for s in steps)
    listed = reminders.reminded_items(note, nurse)
    assert [(i.label, i.patient, i.due_on) for i in listed] == [
        ("Walk 20 minutes after dinner.", "Lovelace, Ada", days(-3)),
        ("Walk 20 minutes after dinner.", "Lovelace, Ada", days(-2)),
        ("Walk 20 minutes after dinner.", "Lovelace, Ada", days(-1)),
    ]


@pytest.mark.django_db
def test_an_item_without_a_responsible_member_falls_to_whoever_keeps_the_plan(
    care_plan, nurse, physician, team
):
    second_nurse = factories.UserFactory(username="ned.nurse", first_name="Ned", last_name="Zimmer")
    factories.MembershipFactory(user=second_nurse, team=team, role=CareRole.NURSE_CARE_MANAGER)
    factories.ActionStepFactory(plan=care_plan, due_date=days(1))
    reminders.sweep_reminders(today=TODAY)
    assert notifications() == [
        ("nina.nurse", "due_soon", "action_step")
    ]  # the team's first nurse care manager

    care_plan.responsible_member = physician
    care_plan.save()
    factories.ActionStepFactory(plan=care_plan, due_date=days(2))
    reminders.sweep_reminders(today=days(1))
    assert ("phil.physician", "due_soon", "action_step") in notifications()


@pytest.mark.django_db
def test_with_no_one_responsible_the_teams_approach_names_who_is_reminded(care_plan, nurse, team):
    team.approach = "health_coaching"
    team.save()
    coach = factories.UserFactory(username="hana.coach", first_name="Hana", last_name="Coach")
    factories.MembershipFactory(user=coach, team=team, role=CareRole.HEALTH_COACH)
    factories.ActionStepFactory(plan=care_plan, due_date=days(1))
    factories.CommunityServiceFactory(plan=care_plan, next_review_on=days(1))

    reminders.sweep_reminders(today=TODAY)

    # A health-coaching team's coach keeps the patient's self-management steps and services.
    assert notifications() == [
        ("hana.coach", "due_soon", "action_step"),
        ("hana.coach", "due_soon", "service_review"),
    ]


# --- Notifications from what people do -------------------------------------------------------------------


@pytest.mark.django_db
def test_changing_an_item_someone_else_is_responsible_for_notifies_them(care_plan, nurse, physician):
    step = factories.ActionStepFactory(
        plan=care_plan, responsible_party=ResponsibleParty.TEAM_MEMBER, responsible_member=physician
    )

    step = services.update_plan_item(
        item=step, expected_version=step.version, actor=nurse, changes={"description": "Walk 30 minutes"}
    )
    services.end_plan_item(
        item=step, expected_version=step.version, actor=nurse, status="done", reason="Walking daily now"
    )

    texts = list(Notification.objects.filter(recipient=physician).order_by("id").values_list("kind", "text"))
    assert texts == [
        ("item_changed", "Nina Nurse, RN changed action step “Walk 30 minutes”"),
        ("item_changed", "Nina Nurse, RN ended action step “Walk 30 minutes”"),
    ]


@pytest.mark.django_db
def test_no_one_is_notified_of_their_own_change_or_against_their_preference(care_plan, nurse, physician):
    step = factories.ActionStepFactory(
        plan=care_plan, responsible_party=ResponsibleParty.TEAM_MEMBER, responsible_member=physician
    )
    step = services.update_plan_item(
        item=step, expected_version=step.version, actor=physician, changes={"description": "Mine"}
    )
    physician.notify_on_changes = False
    physician.save()
    services.update_plan_item(
        item=step, expected_version=step.version, actor=nurse, changes={"description": "Theirs"}
    )

    assert Notification.objects.count() == 0


# --- The daily digest ------------------------------------------------------------------------------------


@pytest.fixture
def due_for_nurse(care_plan, nurse):
    care_plan.next_review_due = days(3)
    care_plan.save()
    factories.ActionStepFactory(plan=care_plan, due_date=days(-2))
    reminders.sweep_reminders(today=TODAY)
    return care_plan


@pytest.mark.django_db
def test_digests_wait_for_the_morning_then_one_per_person_holds_everything_not_yet_emailed(
    due_for_nurse, nurse
):
    assert reminders.digests_to_send(now=NIGHT) == []

    [digest_id] = reminders.digests_to_send(now=MORNING)
    assert reminders.digests_to_send(now=MORNING) == [digest_id]  # a second sweep finds the same one

    assert reminders.send_digest(digest_id=digest_id) == "sent"
    [email] = mail.outbox
    assert email.to == ["nina.nurse@example.org"]
    assert email.subject == "Careweave: 2 items for you on 10 Mar"
    assert "- 1 action step now overdue\n  http://127.0.0.1:8000/notifications/" in email.body
    assert "- 1 plan review due soon\n  http://127.0.0.1:8000/notifications/" in email.body
    html = email.alternatives[0][0]
    assert 'href="http://127.0.0.1:8000/notifications/' in html and "1 action step now overdue</a>" in html


@pytest.mark.django_db
def test_the_digest_names_no_patient(due_for_nurse):
    [digest_id] = reminders.digests_to_send(now=MORNING)
    reminders.send_digest(digest_id=digest_id)

    email = mail.outbox[0]
    for text in (email.subject, email.body, email.alternatives[0][0]):
        assert "Lovelace" not in text and "Ada" not in text


@pytest.mark.django_db
def test_a_digest_is_sent_once_however_often_it_is_sent(due_for_nurse):
    [digest_id] = reminders.digests_to_send(now=MORNING)

    assert reminders.send_digest(digest_id=digest_id) == "sent"
    assert reminders.send_digest(digest_id=digest_id) == "skipped"
    tasks.send_digest.delay(digest_id)

    assert len(mail.outbox) == 1
    assert reminders.digests_to_send(now=MORNING + datetime.timedelta(hours=1)) == []
    assert EmailDigest.objects.get().status == "sent"


@pytest.mark.django_db
def test_after_days_of_downtime_one_digest_carries_everything(care_plan, nurse):
    care_plan.next_review_due = days(-2)
    care_plan.save()
    for n in range(4):
        factories.ActionStepFactory(plan=care_plan, due_date=days(-n))
    reminders.sweep_reminders(today=days(-6))  # the last run before beat went down

    # Beat was down for six days: the first sweep back catches up in one go, one notification per kind.
    reminders.sweep_reminders(today=TODAY)
    for digest_id in reminders.digests_to_send(now=MORNING):
        reminders.send_digest(digest_id=digest_id)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Careweave: 4 items")
    assert "- 1 plan review due soon" in mail.outbox[0].body
    assert "- 3 action steps now overdue" in mail.outbox[0].body
    assert "- 1 action step due soon" in mail.outbox[0].body
    assert "- 1 plan review now overdue" in mail.outbox[0].body


@pytest.mark.django_db
def test_no_digest_for_people_who_turned_it_off_or_have_no_email(due_for_nurse, nurse):
    nurse.email_digest = False
    nurse.save()
    assert reminders.digests_to_send(now=MORNING) == []
    nurse.email_digest = True
    nurse.email = ""
    nurse.save()
    assert reminders.digests_to_send(now=MORNING) == []


@pytest.mark.django_db
@override_settings(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9
)
def test_a_mail_server_that_cannot_be_reached_leaves_the_digest_to_be_retried(due_for_nurse):
    [digest_id] = reminders.digests_to_send(now=MORNING)

    with pytest.raises(OSError):
        reminders.send_digest(digest_id=digest_id)

    digest = EmailDigest.objects.get()
    assert (digest.status, digest.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in digest.last_error
    assert reminders.digests_to_send(now=MORNING) == [digest_id]


@pytest.mark.django_db
@override_settings(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9
)
def test_the_task_retries_with_backoff_then_gives_up_loudly(due_for_nurse, caplog):
    [digest_id] = reminders.digests_to_send(now=MORNING)

    countdowns = []
    for attempt in range(reminders.MAX_SEND_ATTEMPTS - 1):
        with pytest.raises(Retry) as retry:
            tasks.send_digest.apply(args=[digest_id], retries=attempt)
        countdowns.append(retry.value.when)
    with pytest.raises(OSError):
        tasks.send_digest.apply(args=[digest_id], retries=reminders.MAX_SEND_ATTEMPTS - 1)

    assert countdowns == [30, 60, 120, 240]

    digest = EmailDigest.objects.get()
    assert (digest.status, digest.attempts) == ("failed", reminders.MAX_SEND_ATTEMPTS)
    assert "Gave up sending digest" in caplog.text
    assert reminders.digests_to_send(now=MORNING) == []


@pytest.mark.django_db
def test_a_digest_interrupted_mid_send_is_never_sent_again_and_is_reported(due_for_nurse, caplog):
    [digest_id] = reminders.digests_to_send(now=MORNING)
    EmailDigest.objects.filter(pk=digest_id).update(
        status="sending", claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )

    # The next sweep, an hour later the same morning (a fixed time: at "now" past the digest hour a
    # new day's digest would rightly be created, and the test would depend on when it runs).
    assert reminders.digests_to_send(now=MORNING + datetime.timedelta(hours=1)) == []
    assert reminders.send_digest(digest_id=digest_id) == "skipped"

    assert mail.outbox == []
    assert EmailDigest.objects.get().status == "uncertain"
    assert "interrupted while sending" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_two_senders_at_the_same_moment_send_one_email(care_plan, nurse):
    """Two beat processes, or a task delivered twice: the unique keys and the claim decide."""
    care_plan.next_review_due = days(3)
    care_plan.save()
    results: list[object] = []

    def run(fn) -> None:
        try:
            results.append(fn())
        finally:
            connection.close()

    def both(fn) -> None:
        threads = [threading.Thread(target=run, args=(fn,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    both(lambda: reminders.sweep_reminders(today=TODAY))
    both(lambda: reminders.digests_to_send(now=MORNING))
    [digest_id] = EmailDigest.objects.values_list("id", flat=True)
    both(lambda: reminders.send_digest(digest_id=digest_id))

    assert Notification.objects.count() == 1
    assert sorted(r for r in results if isinstance(r, str)) == ["sent", "skipped"]
    assert len(mail.outbox) == 1


# --- Pages -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_badge_counts_unread_notifications(client, due_for_nurse, nurse):
    client.force_login(nurse)

    response = client.get(reverse("careplans:notification-badge"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.content.decode().startswith('<span id="notification-badge" class="badge badge-alert">2')


@pytest.mark.django_db
def test_every_page_loads_the_badge_after_it_renders(client, nurse):
    client.force_login(nurse)

    page = client.get(reverse("home")).content.decode()

    assert f'hx-get="{reverse("careplans:notification-badge")}" hx-trigger="load"' in page


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_goes_to_the_item(client, due_for_nurse, nurse):
    client.force_login(nurse)
    step_note = Notification.objects.get(subject="action_step")

    response = client.get(reverse("careplans:notification-open", args=[step_note.pk]))

    step = ActionStep.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{due_for_nurse.pk}/#action-step-{step.pk}"
    step_note.refresh_from_db()
    assert step_note.is_read
    list_page = client.get(reverse("careplans:notifications")).content.decode()
    assert "Mark all 1 as read" in list_page


@pytest.mark.django_db
def test_no_one_can_open_or_see_someone_elses_notifications(client, due_for_nurse, physician):
    client.force_login(physician)
    note = Notification.objects.first()

    assert client.get(reverse("careplans:notification-open", args=[note.pk])).status_code == 404
    assert "Lovelace" not in client.get(reverse("careplans:notifications")).content.decode()
    note.refresh_from_db()
    assert not note.is_read


@pytest.mark.django_db
def test_mark_all_read(client, due_for_nurse, nurse):
    client.force_login(nurse)

    response = client.post(reverse("careplans:notifications-read-all"), follow=True)

    assert "Marked 2 notifications as read." in response.content.decode()
    assert reminders.unread_count(nurse) == 0


@pytest.mark.django_db
def test_people_choose_how_they_are_notified(client, nurse):
    client.force_login(nurse)
    page = client.get(reverse("careplans:notification-preferences")).content.decode()
    assert "checked" in page and "Email me a daily digest" in page

    client.post(reverse("careplans:notification-preferences"), {"notify_on_changes": "on"})

    nurse.refresh_from_db()
    assert (nurse.email_digest, nurse.notify_on_changes) == (False, True)


@pytest.mark.django_db
def test_a_care_team_member_outside_the_practice_is_never_notified(care_plan, nurse):
    factories.CareTeamMemberFactory(
        plan=care_plan, user=None, name="Dr Outside", role=CareTeamMember.OutsideRole.SPECIALIST
    )
    care_plan.next_review_due = days(-40)
    care_plan.save()

    reminders.sweep_reminders(today=TODAY)

    assert {n.recipient_id for n in Notification.objects.all()} == {nurse.pk}
