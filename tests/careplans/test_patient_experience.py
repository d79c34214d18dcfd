"""The monthly patient-experience survey: one-use links with no sign-in, and anonymous team results."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from careplans import experience, services
from careplans.models import ImprovementGoal, SurveyResponse, SurveyToken

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
ALWAYS = {name: "4" for name, _text in experience.QUESTIONS}


def survey_url(token: str) -> str:
    return reverse("careplans:survey", args=[token])


def answer(team, nurse, count: int, month: datetime.date = TODAY) -> None:
    for token in services.issue_survey_tokens(team=team, actor=nurse, count=count, month=month):
        services.submit_survey_response(token=token, answers=ALWAYS)


def test_the_survey_needs_no_sign_in_and_takes_one_answer(client, team, nurse):
    [token] = services.issue_survey_tokens(team=team, actor=nurse, count=1, month=TODAY)
    assertContains(client.get(survey_url(token)), "Your experience of care")
    response = client.post(survey_url(token), ALWAYS)
    assertContains(response, "Thank you")
    assert SurveyResponse.objects.get().answers == ALWAYS


def test_a_survey_link_used_twice_is_refused_and_counts_once(client, team, nurse):
    [token] = services.issue_survey_tokens(team=team, actor=nurse, count=1, month=TODAY)
    client.post(survey_url(token), ALWAYS)
    again = client.post(survey_url(token), ALWAYS)
    assert again.status_code == 410
    assertContains(again, "already been used", status_code=410)
    assert SurveyResponse.objects.count() == 1
    with pytest.raises(services.SurveyTokenUsed):
        services.submit_survey_response(token=token, answers=ALWAYS)


def test_an_unknown_survey_link_is_not_found(client):
    assert client.get(survey_url("not-a-real-token")).status_code == 404


def test_only_a_fingerprint_of_each_link_is_stored_and_nothing_names_a_patient(team, nurse):
    [token] = services.issue_survey_tokens(team=team, actor=nurse, count=1, month=TODAY)
    stored = SurveyToken.objects.get()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    fields = {f.name for f in SurveyToken._meta.fields} | {f.name for f in SurveyResponse._meta.fields}
    assert fields == {"id", "team", "month", "token_hash", "is_used", "answers"}


def test_a_month_with_fewer_than_five_answers_shows_no_numbers(client, team, nurse):
    answer(team, nurse, experience.MINIMUM_CELL - 1)
    client.force_login(nurse)
    response = client.get(reverse("careplans:team-experience", args=[team.pk]))
    assertContains(response, "Fewer than 5 answers: not shown", count=2)  # the month and its quarter
    assertNotContains(response, "100%")


def test_a_month_with_five_answers_shows_its_numbers_and_the_quarterly_trend(client, team, nurse):
    answer(team, nurse, experience.MINIMUM_CELL)
    client.force_login(nurse)
    response = client.get(reverse("careplans:team-experience", args=[team.pk]))
    assertContains(response, "100%")
    assertContains(response, '<svg role="img"')
    assertNotContains(response, "Fewer than 5")


def test_the_trend_leaves_out_quarters_below_the_minimum():
    cells = [experience._cell("2026 Q1", [ALWAYS] * 4), experience._cell("2026 Q2", [ALWAYS] * 5)]
    assert [cell.shown for cell in cells] == [False, True]


def test_the_team_records_a_monthly_improvement_goal(client, team, nurse):
    client.force_login(nurse)
    url = reverse("careplans:team-experience", args=[team.pk])
    client.post(url, {"action": "goal", "goal": "Call back every patient within one working day"})
    goal = ImprovementGoal.objects.get()
    assert (goal.month, goal.created_by) == (TODAY.replace(day=1), nurse)
    assertContains(client.get(url), "Call back every patient within one working day")


def test_printing_invitations_shows_each_link_once(client, team, nurse):
    client.force_login(nurse)
    response = client.post(
        reverse("careplans:team-experience", args=[team.pk]), {"action": "print", "count": 3}
    )
    assertContains(response, "/survey/", count=3)
    assert SurveyToken.objects.filter(team=team, is_used=False).count() == 3


def test_an_outsider_cannot_see_a_teams_results(client, team, outsider):
    client.force_login(outsider)
    assert client.get(reverse("careplans:team-experience", args=[team.pk])).status_code == 404
