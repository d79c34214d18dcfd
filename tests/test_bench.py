"""The performance harness of issue 11: a tiny `seed_scale`, and how `make bench` judges its figures."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Max

from bench import report
from bench.load import parse_wrk
from careplans import scale
from careplans.models import (
    PLAN_ITEM_MODELS,
    ActionStep,
    CarePlan,
    CommunityService,
    Goal,
    GoalMeasurement,
    GoalProblem,
    PageStamp,
    PlanReview,
    ReminderRecheck,
)
from careplans.scale import ORGANIZATION_SLUG, SECTION_WEIGHTS, SEEDER_USERNAME, section_sizes
from patients.models import Patient, RelatedPerson
from teams.models import User


def _seed(*, force: bool = True, with_triggers: bool = False) -> str:
    """seed_scale at tiny size; pytest runs with DEBUG off, so `--force` is the usual case here."""
    out = StringIO()
    options = {"replay_triggers": False} if with_triggers else {}
    call_command("seed_scale", patients=3, workers=1, force=force, stdout=out, **options)
    return out.getvalue()


SEEDED_MODELS = (
    Patient,
    RelatedPerson,
    CarePlan,
    GoalProblem,
    GoalMeasurement,
    PlanReview,
    *PLAN_ITEM_MODELS.values(),
)


def _events_matching_their_record(model) -> tuple[int, int]:
    """(insert events of `model`, of which those holding exactly their record's values), read in SQL."""
    event = model.pgh_event_model
    columns = [f.column for f in event._meta.concrete_fields if not f.name.startswith("pgh_")]
    pair = ", ".join(f'e."{column}"' for column in columns), ", ".join(f'r."{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE ROW({pair[0]}) IS NOT DISTINCT FROM ROW({pair[1]})) "
            f'FROM "{event._meta.db_table}" e JOIN "{model._meta.db_table}" r ON r."{model._meta.pk.column}" = e.pgh_obj_id '
            "WHERE e.pgh_label = 'insert'"
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)  # seed_scale commits a transaction per chunk, then vacuums
@pytest.mark.parametrize(
    ("with_triggers", "mode"),
    [
        (False, "The row triggers are off while a chunk is copied"),
        (True, "The row triggers fire on every row"),
    ],
    ids=["triggers-written-per-chunk", "triggers-firing"],
)
def test_seed_scale_builds_plans_with_items_measurements_reviews_and_history(with_triggers, mode):
    output = _seed(with_triggers=with_triggers)

    assert mode in output
    assert "Loaded 3 synthetic patients" in output
    seeder = User.objects.get(username=SEEDER_USERNAME)
    patients = Patient.objects.filter(organization__slug=ORGANIZATION_SLUG)
    assert patients.count() == 3
    plans = CarePlan.objects.filter(patient__in=patients)
    assert plans.count() == 3
    for plan in plans:
        sizes = {name: model.objects.filter(plan=plan).count() for name, model in PLAN_ITEM_MODELS.items()}
        assert 50 <= sum(sizes.values()) <= 70 or sum(sizes.values()) == 250, sizes
        assert all(sizes.values()), f"every section has items: {sizes}"
    assert GoalMeasurement.objects.filter(goal__plan__in=plans).exists()
    assert PlanReview.objects.filter(plan__in=plans).exists()
    # Every record has one insert event holding its own values, under the run's context; the records
    # with plain audit fields were created by the scale user.
    for model in SEEDED_MODELS:
        rows = model.objects.count()
        assert rows, model
        assert _events_matching_their_record(model) == (rows, rows), model
        if hasattr(model, "created_by"):
            assert model.objects.filter(created_by=seeder).count() == rows, model
    contexts = {event.pgh_context.metadata["command"] for event in Goal.pgh_event_model.objects.all()}
    assert contexts == {"seed_scale"}
    # The reminder sweep is told of every new dated row it watches, and every plan's page stamp moved.
    queued = Counter(ReminderRecheck.objects.values_list("subject", flat=True))
    assert queued == {
        "plan_review": 3,
        "goal_review": Goal.objects.count(),
        "action_step": ActionStep.objects.count(),
        "service_review": CommunityService.objects.count(),
    }
    stamped = set(PageStamp.objects.values_list("key", flat=True)) - {"directory"}  # people and teams
    assert stamped == {str(plan.pk) for plan in plans} | {f"team-{plan.patient.team_id}" for plan in plans}


@pytest.mark.django_db
def test_a_database_role_that_may_not_switch_triggers_off_loads_with_them_firing():
    call_command("grant_app_role", role="careweave_scale_test", stdout=None)  # no superuser; rolled back
    with connection.cursor() as cursor:
        cursor.execute('SET LOCAL ROLE "careweave_scale_test"')
        assert not scale.may_switch_off_triggers()
        cursor.execute("RESET ROLE")
        assert scale.may_switch_off_triggers()
        # Finding out leaves the triggers on for the rest of the transaction.
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone() == ("origin",)


@pytest.mark.django_db(transaction=True)
def test_seed_scale_stores_the_dates_the_worklist_sorts_on_as_the_services_would():
    _seed()
    goals = Goal.objects.exclude(measure="")
    assert goals.exists()
    for goal in goals:
        latest = goal.measurements.filter(status="final").aggregate(latest=Max("measured_on"))["latest"]
        assert goal.last_measured_on == latest
    services = CommunityService.objects.all()
    assert services.exists()
    assert all(service.waiting_since == service.waiting_since_from_fields() for service in services)


@pytest.mark.django_db(transaction=True)
def test_seed_scale_refuses_a_database_that_already_has_scale_data():
    _seed()
    with pytest.raises(CommandError, match="already exists"):
        _seed()
    assert Patient.objects.count() == 3


@pytest.mark.django_db
def test_seed_scale_refuses_a_database_with_other_patients(care_plan):
    with pytest.raises(CommandError, match="database of its own"):
        _seed()


def test_seed_scale_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        _seed(force=False)


@pytest.mark.parametrize("total", [0, 9, 50, 60, 61, 70, 250])
def test_section_sizes_split_a_plan_exactly_in_typical_proportions(total):
    sizes = section_sizes(total)
    assert sum(sizes.values()) == total
    assert section_sizes(60) == SECTION_WEIGHTS


# --------------------------------------------------------------------------- how figures are judged

FIGURES = {
    "floor_a_ms": 20.0,
    "floor_b_ms": 150.0,
    "plan_typical_ms": 18.0,  # 0.9 x A: within 1.0 x A
    "plan_large_ms": 60.0,  # 3.0 x A: over 2.5 x A
    "plan_typical_queries": 20,
    "plan_large_queries": 20,
    "home_nurse_ms": 20.0,  # exactly 1.0 x A: within
    "http_floor_a_rps": 80.0,
    "http_plan_rps": 60.0,  # 0.75 x A rps: under 0.8
    "http_errors": 0,
}


def _verdicts(figures=FIGURES, **kwargs):
    return {row.key: row for row in report.rows(figures, **kwargs)}


def test_a_figure_within_its_ratio_of_the_floor_passes_and_one_over_it_fails():
    rows = _verdicts()
    assert rows["plan_typical_ms"].verdict == report.PASS
    assert rows["plan_typical_ms"].ratio == pytest.approx(0.9)
    assert rows["home_nurse_ms"].verdict == report.PASS
    assert rows["plan_large_ms"].verdict == report.FAIL
    assert rows["plan_large_ms"].ratio == pytest.approx(3.0)
    assert rows["plan_large_ms"].floor_value == 20.0


def test_throughput_must_reach_its_share_of_the_floor():
    assert _verdicts()["http_plan_rps"].verdict == report.FAIL
    assert _verdicts(FIGURES | {"http_plan_rps": 64.0})["http_plan_rps"].verdict == report.PASS


def test_the_large_plan_must_take_as_many_queries_as_the_typical_one():
    assert _verdicts()["plan_large_queries"].verdict == report.PASS
    assert _verdicts(FIGURES | {"plan_large_queries": 21})["plan_large_queries"].verdict == report.FAIL


def test_absolute_budgets_and_errors():
    assert _verdicts()["http_errors"].verdict == report.PASS
    assert _verdicts(FIGURES | {"http_errors": 1})["http_errors"].verdict == report.FAIL
    assert _verdicts(FIGURES | {"review_sweep_s": 1.5})["review_sweep_s"].verdict == report.PASS
    assert _verdicts(FIGURES | {"review_sweep_s": 2.5})["review_sweep_s"].verdict == report.FAIL


def test_a_budget_is_only_met_by_a_measurement():
    rows = _verdicts(skipped={"pdf_typical_ms": "no PDF yet"})
    assert rows["pdf_typical_ms"].verdict == report.SKIPPED
    assert rows["pdf_typical_ms"].note == "no PDF yet"
    assert rows["search_lead_ms"].verdict == report.MISSING
    assert _verdicts(FIGURES | {"floor_a_ms": None})["plan_typical_ms"].verdict == report.FAIL
    assert rows["floor_a_ms"].verdict == report.INFO


def test_the_run_passes_only_when_every_budget_is_measured_and_met():
    passing = report.Metric("x_ms", "x", report.MS, report.Budget("<= 1.0 x A", "floor_a_ms", max_ratio=1.0))
    floor = report.Metric("floor_a_ms", "floor", report.MS)
    figures = {"floor_a_ms": 20.0, "x_ms": 19.0}
    assert report.all_met(report.rows(figures, metrics=(floor, passing)))
    assert not report.all_met(report.rows(figures | {"x_ms": 21.0}, metrics=(floor, passing)))
    assert not report.all_met(report.rows({"floor_a_ms": 20.0}, metrics=(floor, passing)))


def test_the_table_shows_value_floor_ratio_budget_and_verdict():
    table = report.format_table(report.rows(FIGURES))
    line = next(line for line in table.splitlines() if line.startswith("care-plan page, large plan"))
    assert "60.0" in line and "20.0" in line and "3.00" in line and "<= 2.5 x A" in line and "FAIL" in line
    assert report.summary(report.rows(FIGURES)).startswith("4 PASS, 2 FAIL")


def test_a_noisy_floor_is_called_out():
    steady = [20.0, 20.5, 19.8, 21.0, 20.2, 20.1]
    bursty = [15.0, 16.0, 40.0, 66.0, 70.0, 15.5]
    assert report.noise_warnings({"floor_a_ms": steady}, keys=["floor_a_ms"]) == []
    (warning,) = report.noise_warnings(
        {"floor_a_ms": bursty, "floor_b_ms": []}, keys=["floor_a_ms", "floor_b_ms"]
    )
    assert warning.startswith("floor_a_ms was noisy")
    assert report.spread(steady)["median"] == pytest.approx(20.15)


WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:8010/bench/floor-a/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   197.21ms   40.10ms 319.00ms   70.00%
    Req/Sec    40.10     10.00    60.00     70.00%
  Latency Distribution
     50%  197.00ms
     75%  210.00ms
     90%  250.00ms
     99%    1.20s
  1172 requests in 15.01s, 36.01MB read
  Non-2xx or 3xx responses: 2
  Socket errors: connect 0, read 1, write 0, timeout 3
Requests/sec:     78.10
Transfer/sec:      2.40MB
"""


def test_wrk_output_is_read_with_errors_and_latency():
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == 78.10
    assert result.requests == 1172
    assert result.p50_ms == 197.0
    assert result.p99_ms == 1200.0
    assert (result.non_2xx, result.socket_errors, result.errors) == (2, 4, 6)
