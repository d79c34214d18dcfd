"""PHQ-9, GAD-7 and the AHC social needs screen: scoring, bands, the rules they trigger, and their page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains

from careplans import measures, services, trend_charts
from careplans.models import ActionStep, CommunityService, InstrumentResponse, Problem
from tests import factories

TODAY = datetime.date.today()


def phq9(total: int, item9: int = 0) -> dict[str, int]:
    """PHQ-9 answers adding up to `total`, with item 9 as given."""
    answers = {f"phq{n}": 0 for n in range(1, 10)}
    answers["phq9"] = item9
    left = total - item9
    for n in range(1, 9):
        answers[f"phq{n}"] = min(3, left)
        left -= answers[f"phq{n}"]
    assert left == 0
    return answers


def gad7(total: int) -> dict[str, int]:
    answers = {}
    left = total
    for n in range(1, 8):
        answers[f"gad{n}"] = min(3, left)
        left -= answers[f"gad{n}"]
    return answers


NO_NEEDS = {
    "housing": "steady",
    "housing_problems": [],
    "food_worry": "never",
    "food_ran_out": "never",
    "transportation": "no",
    "utilities": "no",
    "hurt": "1",
    "insult": "1",
    "threaten": "1",
    "scream": "1",
}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_bands_change_exactly_at_the_published_cut_points(total, band):
    result = measures.score_phq9(phq9(total, item9=max(0, total - 24)))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"),
     (15, "Severe"), (21, "Severe")],
)  # fmt: skip
def test_gad7_bands_change_exactly_at_the_published_cut_points(total, band):
    result = measures.score_gad7(gad7(total))
    assert (result.total, result.band) == (total, band)


def test_phq9_item_9_above_zero_is_urgent_whatever_the_total():
    assert measures.score_phq9(phq9(3, item9=1)).urgent
    assert measures.score_phq9(phq9(1, item9=1)).band == "Minimal"
    assert not measures.score_phq9(phq9(24, item9=0)).urgent


def test_a_missing_answer_is_not_prorated_the_result_is_incomplete():
    answers = phq9(12)
    del answers["phq4"]
    result = measures.score_phq9(answers)
    assert (result.total, result.band) == (None, "Incomplete")


def test_an_answer_out_of_range_is_refused():
    with pytest.raises(ValueError):
        measures.score_gad7({**gad7(0), "gad1": 4})


def test_the_phq9_difficulty_question_is_recorded_but_not_scored():
    assert measures.score_phq9({**phq9(7), "phq10": "extremely"}).total == 7


def test_the_ahc_screen_with_no_needs_is_negative():
    result = measures.score_ahc(NO_NEEDS)
    assert (result.band, result.positive_domains, result.follow_up) == ("Negative", (), ())


@pytest.mark.parametrize(
    ("changes", "domain"),
    [
        ({"housing": "worried"}, "housing"),
        ({"housing": "none"}, "housing"),
        ({"housing_problems": ["mold"]}, "housing"),
        ({"food_worry": "sometimes"}, "food"),
        ({"food_ran_out": "often"}, "food"),
        ({"transportation": "yes"}, "transportation"),
        ({"utilities": "shut_off"}, "utilities"),
        ({"utilities": "yes"}, "utilities"),
        ({"insult": "4", "scream": "5", "hurt": "1", "threaten": "1"}, "safety"),
    ],
)
def test_each_positive_answer_makes_its_domain_positive(changes, domain):
    assert measures.score_ahc({**NO_NEEDS, **changes}).positive_domains == (domain,)


def test_interpersonal_safety_is_positive_only_above_10():
    at_10 = measures.score_ahc({**NO_NEEDS, "insult": "4", "scream": "4"})  # 1 + 4 + 1 + 4
    at_11 = measures.score_ahc({**NO_NEEDS, "insult": "4", "scream": "5"})
    assert (at_10.total, at_10.band) == (10, "Negative")
    assert (at_11.total, at_11.positive_domains) == (11, ("safety",))


def test_being_hurt_rarely_is_negative_by_ahc_scoring_but_still_followed_up():
    result = measures.score_ahc({**NO_NEEDS, "hurt": "2"})  # 2, 1, 1, 1: sum 5
    assert (result.total, result.band, result.follow_up) == (5, "Negative", ("safety",))


@pytest.mark.django_db
class TestRecordingAResponse:
    def test_the_server_scores_and_stores_the_item_answers(self, care_plan, nurse):
        response = services.record_instrument_response(
            plan=care_plan, actor=nurse, instrument="phq9", answers=phq9(11), answered_on=TODAY
        )
        response.refresh_from_db()
        assert (response.total, response.band, response.answers["phq1"]) == (11, "Moderate", 3)

    def test_item_9_above_zero_adds_an_urgent_step_for_the_team(self, care_plan, nurse):
        services.record_instrument_response(
            plan=care_plan, actor=nurse, instrument="phq9", answers=phq9(3, item9=1), answered_on=TODAY
        )
        step = ActionStep.objects.get(plan=care_plan)
        assert step.is_urgent and step.responsible_member == nurse and step.due_date == TODAY
        assert "item 9" in step.description

    def test_on_a_two_tiered_team_without_a_keeper_the_urgent_step_goes_to_the_physician(
        self, care_plan, nurse, physician
    ):
        team = care_plan.patient.team
        team.approach = "two_tiered"
        team.save()
        services.record_instrument_response(
            plan=care_plan, actor=nurse, instrument="phq9", answers=phq9(3, item9=2), answered_on=TODAY
        )
        assert ActionStep.objects.get(plan=care_plan).responsible_member == physician

    def test_a_high_total_without_item_9_adds_no_urgent_step(self, care_plan, nurse):
        services.record_instrument_response(
            plan=care_plan, actor=nurse, instrument="phq9", answers=phq9(24), answered_on=TODAY
        )
        assert not ActionStep.objects.filter(plan=care_plan).exists()

    def test_positive_social_needs_become_problems_and_suggested_referrals_once(self, care_plan, nurse):
        answers = {**NO_NEEDS, "food_worry": "often", "transportation": "yes"}
        for _ in range(2):
            services.record_instrument_response(
                plan=care_plan, actor=nurse, instrument="ahc", answers=answers, answered_on=TODAY
            )
        problems = set(Problem.objects.filter(plan=care_plan).values_list("condition", flat=True))
        assert problems == {"Social need: food insecurity", "Social need: transportation problems"}
        referrals = CommunityService.objects.filter(plan=care_plan)
        assert sorted(referrals.values_list("category", "status")) == [
            ("food", "recommended"),
            ("transportation", "recommended"),
        ]

    def test_a_hurt_answer_adds_a_safety_follow_up_even_when_the_screen_is_negative(self, care_plan, nurse):
        response = services.record_instrument_response(
            plan=care_plan,
            actor=nurse,
            instrument="ahc",
            answers={**NO_NEEDS, "hurt": "2"},
            answered_on=TODAY,
        )
        assert response.band == "Negative"
        assert ActionStep.objects.get(plan=care_plan, is_urgent=True).description.startswith("Safety")

    def test_the_total_can_feed_a_goal_measurement(self, care_plan, nurse):
        goal = factories.GoalFactory(
            plan=care_plan, measure="PHQ-9 total", target_comparator="<", target_value=5
        )
        services.record_instrument_response(
            plan=care_plan, actor=nurse, instrument="phq9", answers=phq9(8), answered_on=TODAY, goal=goal
        )
        assert goal.measurements.get().value == Decimal(8)

    def test_an_incomplete_response_cannot_feed_a_goal(self, care_plan, nurse):
        goal = factories.GoalFactory(plan=care_plan, measure="PHQ-9 total")
        answers = phq9(8)
        del answers["phq2"]
        with pytest.raises(ValidationError):
            services.record_instrument_response(
                plan=care_plan, actor=nurse, instrument="phq9", answers=answers, answered_on=TODAY, goal=goal
            )
        assert not InstrumentResponse.objects.exists()


def test_the_trend_chart_describes_every_point_in_words():
    chart = trend_charts.line_chart(
        title="PHQ-9",
        points=[trend_charts.Point("1 Jan 2026", 18), trend_charts.Point("1 Feb 2026", 9)],
        maximum=27,
    )
    assert chart.description == "2 results: 1 Jan 2026: 18; 1 Feb 2026: 9."
    assert chart.path.startswith("M36") and " L" in chart.path
    assert chart.dots[0][1] > chart.dots[1][1] - 100  # lower scores sit lower on the chart


@pytest.mark.django_db
class TestMeasuresPage:
    def url(self, plan):
        return reverse("careplans:measures", args=[plan.pk])

    def test_a_nurse_records_a_phq9_and_sees_it_in_the_trend(self, client, nurse, care_plan):
        client.force_login(nurse)
        data = {"instrument": "phq9", "answered_on": TODAY.isoformat(), **phq9(12)}
        response = client.post(self.url(care_plan), data, follow=True)
        assertContains(response, "Recorded PHQ-9: total 12, Moderate.")
        assertContains(response, "1 results: ")
        assertContains(response, '<svg role="img"')

    def test_a_missing_answer_is_refused_with_422_keeping_what_was_typed(self, client, nurse, care_plan):
        client.force_login(nurse)
        data = {"instrument": "gad7", "answered_on": TODAY.isoformat(), **gad7(6)}
        data.pop("gad3")
        response = client.post(self.url(care_plan), data)
        assert response.status_code == 422
        assertContains(response, '<option value="3" selected>', status_code=422)
        assert not InstrumentResponse.objects.exists()

    def test_an_outsider_gets_404(self, client, outsider, care_plan):
        client.force_login(outsider)
        assert client.get(self.url(care_plan)).status_code == 404

    def test_every_item_has_a_visible_label(self, client, nurse, care_plan):
        client.force_login(nurse)
        html = client.get(self.url(care_plan), {"instrument": "ahc"}).content.decode()
        for name in measures.AHC_DOMAINS.keys() - {"safety", "food"}:
            assert f'for="ahc-{name}"' in html
        assert "<legend>2. Think about the place you live" in html

    @pytest.mark.parametrize("instrument", ["phq9", "gad7"])
    def test_the_page_costs_the_same_queries_with_2_or_20_responses(
        self, client, nurse, care_plan, django_assert_max_num_queries, instrument
    ):
        client.force_login(nurse)
        answers = phq9(5) if instrument == "phq9" else gad7(5)

        def record(count):
            for _ in range(count):
                services.record_instrument_response(
                    plan=care_plan, actor=nurse, instrument=instrument, answers=answers, answered_on=TODAY
                )

        record(2)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            client.get(self.url(care_plan))
        record(18)
        with django_assert_max_num_queries(len(small)):
            client.get(self.url(care_plan))
