"""In-process measurements: each page through django.test.Client, in rounds, with its floors.

Every round times every target once, in a shuffled order, so a burst of noise from the shared machine
lands on floors and pages alike; each figure is the median of its rounds. Query counts and EXPLAIN
plans are taken from separate, untimed requests (capturing queries slows them).
"""

from __future__ import annotations

import datetime
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.floors import render_floor_pdf
from careplans import page_cache, reminders, worklist
from careplans.models import PLAN_ITEM_MODELS, CarePlan
from careplans.pdf import Options, render_plan_pdf
from careplans.scale import LEAD_USERNAME, NURSE_USERNAME, ORGANIZATION_SLUG
from patients import views as patient_views
from patients.models import Patient
from patients.selectors import panel_for, panel_rows
from patients.views import ROW_LIMIT
from teams.models import User
from teams.selectors import team_ids_of

TYPICAL_ITEMS, LARGE_ITEMS = 60, 250
CANDIDATE_PLANS = 400  # the plans whose items are counted to pick a typical and a large one


@dataclass
class Subjects:
    """What the benchmark looks at: two logins, a typical and a large plan, and search terms."""

    nurse: User
    lead: User
    typical: CarePlan
    typical_items: int
    large: CarePlan
    large_items: int
    name: str  # a family name on the nurse's panel
    mrn: str
    born: str
    panel: dict[str, int] = field(default_factory=dict)  # login -> patients visible


def find_subjects() -> Subjects:
    nurse = User.objects.get(username=NURSE_USERNAME)
    lead = User.objects.get(username=LEAD_USERNAME)
    for user in (nurse, lead):
        _with_second_factor(user)
    team_id = team_ids_of(nurse).values_list("team_id", flat=True).get()
    candidates = list(
        CarePlan.objects.filter(
            patient__organization__slug=ORGANIZATION_SLUG,
            patient__team_id=team_id,
            patient__status=Patient.Status.ACTIVE,
            status=CarePlan.Status.ACTIVE,
        )
        .select_related("patient")
        .order_by("patient__mrn")[:CANDIDATE_PLANS]
    )
    sizes = _item_counts([plan.pk for plan in candidates])
    typical = min(candidates, key=lambda plan: abs(sizes.get(plan.pk, 0) - TYPICAL_ITEMS))
    large = min(candidates, key=lambda plan: abs(sizes.get(plan.pk, 0) - LARGE_ITEMS))
    patient = typical.patient
    return Subjects(
        nurse=nurse,
        lead=lead,
        typical=typical,
        typical_items=sizes.get(typical.pk, 0),
        large=large,
        large_items=sizes.get(large.pk, 0),
        name=patient.family_name,
        mrn=large.patient.mrn,
        born=patient.date_of_birth.isoformat(),
        panel={
            "nurse": Patient.objects.filter(team_id__in=team_ids_of(nurse)).count(),
            "lead": Patient.objects.filter(team_id__in=team_ids_of(lead)).count(),
        },
    )


def _with_second_factor(user: User) -> None:
    """Give a benchmark login a TOTP authenticator, as MFA_REQUIRED asks of every production login.

    The pages then run the same MFA check as in production instead of redirecting to its set-up.
    """
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())


def _item_counts(plan_ids: list[Any]) -> dict[Any, int]:
    """Items per plan over every section, for a few hundred plans, in one query."""
    union = " UNION ALL ".join(
        f'SELECT plan_id FROM "{model._meta.db_table}" WHERE plan_id = ANY(%s)'
        for model in PLAN_ITEM_MODELS.values()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT plan_id, count(*) FROM ({union}) items GROUP BY plan_id",
            [plan_ids] * len(PLAN_ITEM_MODELS),
        )
        return dict(cursor.fetchall())


def _page(
    client: Client, url: str, *, must_contain: str = "", htmx: bool = False
) -> Callable[[], HttpResponse]:
    headers = {"HX-Request": "true"} if htmx else {}

    def get() -> HttpResponse:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}, not 200")
        if must_contain and must_contain.encode() not in response.content:
            raise AssertionError(f"GET {url} does not show {must_contain!r}")
        return response

    return get


def _cold(get: Callable[[], HttpResponse], plan: CarePlan) -> Callable[[], HttpResponse]:
    """The plan page with its cached sections dropped first, as after a change to the plan.

    Only this plan's entry is dropped (one more query, counted in the figure), so the other plan's
    cached look in the same round stays cached.
    """

    def get_cold() -> HttpResponse:
        cache.delete(page_cache.cache_key(plan))
        return get()

    return get_cold


def _home_cold(get: Callable[[], HttpResponse], user: User) -> Callable[[], HttpResponse]:
    """The home page with `user`'s cached fragments dropped first, as after a write to one of their teams.

    One more query (the stamps, to name the fragments), counted in the figure; other logins' fragments
    stay cached.
    """
    team_ids = list(team_ids_of(user).values_list("team_id", flat=True))

    def get_cold() -> HttpResponse:
        cache.delete_many(list(patient_views.home_cache_keys(user, team_ids).values()))
        return get()

    return get_cold


@dataclass
class Measured:
    figures: dict[str, float | None]
    samples: dict[str, list[float]]
    queries: dict[str, int]
    notes: dict[str, str]
    skipped: dict[str, str]
    explain: dict[str, dict[str, Any]]


def measure(subjects: Subjects, *, rounds: int, warmup: int) -> Measured:
    nurse, lead = Client(), Client()
    nurse.force_login(subjects.nurse)
    lead.force_login(subjects.lead)
    typical_url = reverse("careplans:plan-detail", args=[subjects.typical.pk])
    large_url = reverse("careplans:plan-detail", args=[subjects.large.pk])
    typical = _page(nurse, typical_url, must_contain=subjects.typical.patient.family_name)
    large = _page(nurse, large_url, must_contain=subjects.large.patient.family_name)
    pages: dict[str, Callable[[], Any]] = {
        "floor_a_ms": _page(nurse, reverse("bench-floor-a")),
        # A look at a plan seen before and unchanged since: its sections come from the cache.
        "plan_typical_ms": typical,
        "plan_large_ms": large,
        # The first look after a change: every section rendered (careplans.page_cache).
        "plan_typical_cold_ms": _cold(typical, subjects.typical),
        "plan_large_cold_ms": _cold(large, subjects.large),
        # The home page seen before, with nothing on the teams' plans changed since: from the cache.
        "home_nurse_ms": _page(nurse, "/"),
        # The first look after a change: every section and the list read and rendered.
        "home_nurse_cold_ms": _home_cold(_page(nurse, "/"), subjects.nurse),
        # Searches as the search box sends them: an HTMX request, answered with the table rows only.
        "search_nurse_ms": _page(nurse, f"/?q={subjects.name}", must_contain=subjects.name, htmx=True),
        "home_lead_ms": _page(lead, "/"),
        "home_lead_cold_ms": _home_cold(_page(lead, "/"), subjects.lead),
        "search_lead_ms": _page(lead, f"/?q={subjects.name}", must_contain=subjects.name, htmx=True),
        "search_mrn_lead_ms": _page(lead, f"/?q={subjects.mrn}", must_contain=subjects.mrn, htmx=True),
        "search_dob_lead_ms": _page(lead, f"/?q={subjects.born}", must_contain=subjects.born, htmx=True),
    }
    skipped: dict[str, str] = {}

    queries, explain = {}, {}
    for key, get in pages.items():
        get()  # a second look is what is counted (for the plan pages: sections from the cache)
        with CaptureQueriesContext(connection) as captured:
            get()
        queries[key.removesuffix("_ms")] = len(captured.captured_queries)
        if key in ("plan_large_cold_ms", "home_nurse_cold_ms", "home_lead_cold_ms", "search_lead_ms"):
            explain[f"slowest query of {key.removesuffix('_ms')}"] = _slowest(captured.captured_queries)

    timed: dict[str, Callable[[], Any]] = {
        **pages,
        "floor_b_ms": render_floor_pdf,
        # Floor B's own page six times over (three pages): what content alone costs WeasyPrint.
        "floor_b_x6_ms": lambda: render_floor_pdf(repeat=6),
        # What the printout task does for a typical plan: read it, build the HTML, lay out the PDF.
        "pdf_typical_ms": lambda: render_plan_pdf(subjects.nurse, subjects.typical.pk, Options()),
        "search_query_lead_ms": lambda: panel_rows(subjects.lead, query=subjects.name, limit=ROW_LIMIT + 1),
    }
    samples = _rounds(timed, rounds=rounds, warmup=warmup)
    samples["review_sweep_s"] = _sweep_seconds(rounds=max(3, rounds // 3))
    figures: dict[str, float | None] = {key: statistics.median(values) for key, values in samples.items()}
    figures["plan_typical_queries"] = queries["plan_typical"]
    figures["plan_large_queries"] = queries["plan_large"]
    figures["plan_typical_cold_queries"] = queries["plan_typical_cold"]
    figures["plan_large_cold_queries"] = queries["plan_large_cold"]
    for key in ("home_nurse", "home_nurse_cold", "home_lead", "home_lead_cold"):
        figures[f"{key}_queries"] = queries[key]
    explain["patient list, nurse"] = _explain(panel_for(subjects.nurse, limit=ROW_LIMIT + 1))
    explain["patient list, every team"] = _explain(panel_for(subjects.lead, limit=ROW_LIMIT + 1))
    explain["patient search by name, every team"] = _explain(
        panel_for(subjects.lead, query=subjects.name, limit=ROW_LIMIT + 1)
    )
    explain["patient search by MRN, every team"] = _explain(
        panel_for(subjects.lead, query=subjects.mrn, limit=ROW_LIMIT + 1)
    )
    # The nurse's action steps: the first page of the section, along the open_steps_of_member index.
    explain["worklist action steps, nurse"] = _explain(
        worklist.action_steps_in_index_order(subjects.nurse)[: 2 * worklist.SECTION_ROW_LIMIT + 1]
    )
    # The worklist sections that sort on stored dates (goal_off_track and service_waiting indexes).
    today = timezone.localdate()
    for login, user in (("nurse", subjects.nurse), ("every team", subjects.lead)):
        explain[f"worklist goals off track, {login}"] = _explain(
            worklist.goals_off_track(user, today=today)[: worklist.SECTION_ROW_LIMIT + 1]
        )
        explain[f"worklist referrals waiting, {login}"] = _explain(
            worklist.referrals_waiting(user, today=today)[: worklist.SECTION_ROW_LIMIT + 1]
        )
    notes = {
        "plan_typical_ms": f"{subjects.typical_items} items",
        "plan_large_ms": f"{subjects.large_items} items",
        "plan_typical_cold_ms": f"{subjects.typical_items} items, not cached",
        "plan_large_cold_ms": f"{subjects.large_items} items, not cached",
        "home_nurse_ms": f"panel of {subjects.panel['nurse']:,}",
        "home_lead_ms": f"panel of {subjects.panel['lead']:,}",
        "home_nurse_cold_ms": "not cached",
        "home_lead_cold_ms": "not cached",
    }
    return Measured(figures, samples, queries, notes, skipped, explain)


def _sweep_seconds(*, rounds: int) -> list[float]:
    """The reminder sweep's daily work: the first run of a day, over the whole database.

    A run for today is committed first (later runs of the same day find next to nothing), then each
    round sweeps tomorrow, when a day's worth of due dates cross their boundaries, and is rolled back.
    """
    today = timezone.localdate()
    reminders.sweep_reminders(today=today)
    samples = []
    for _ in range(rounds + 1):
        with transaction.atomic():
            started = time.perf_counter()
            reminders.sweep_reminders(today=today + datetime.timedelta(days=1))
            samples.append(round(time.perf_counter() - started, 3))
            transaction.set_rollback(True)
    return samples[1:]


def _rounds(targets: dict[str, Callable[[], Any]], *, rounds: int, warmup: int) -> dict[str, list[float]]:
    order = list(targets)
    shuffle = random.Random(11)
    samples: dict[str, list[float]] = {key: [] for key in targets}
    for number in range(warmup + rounds):
        shuffle.shuffle(order)
        for key in order:
            started = time.perf_counter()
            targets[key]()
            elapsed = (time.perf_counter() - started) * 1000
            if number >= warmup:
                samples[key].append(round(elapsed, 3))
    return samples


def _explain(queryset: Any) -> dict[str, Any]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        return {"sql": connection.ops.compose_sql(sql, params), "plan": plan, "ms": _execution_ms(plan)}


def _slowest(captured: list[dict[str, str]]) -> dict[str, Any]:
    """EXPLAIN ANALYZE every SELECT a page ran (they are read-only) and return the slowest."""
    plans = []
    for query in captured:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        plans.append({"sql": sql, "plan": plan, "ms": _execution_ms(plan)})
    return max(plans, key=lambda entry: entry["ms"])


def _execution_ms(plan: str) -> float:
    for line in reversed(plan.splitlines()):
        if line.strip().startswith("Execution Time:"):
            return float(line.split(":")[1].split()[0])
    return 0.0
