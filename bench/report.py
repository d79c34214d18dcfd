"""Issue 11's budgets, and the verdict and table for one run's figures. Pure: no Django, no database.

A budget is a limit on a figure, most often as a multiple of a floor measured in the same run
(`max_ratio`, or `min_ratio` for throughput), else an absolute limit (`max_value`) or equality with
another figure (`same_as`). A figure that was not measured fails its budget as MISSING or SKIPPED:
a budget is only met by a measurement.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

PASS, FAIL, MISSING, SKIPPED, INFO = "PASS", "FAIL", "MISSING", "SKIPPED", "info"


@dataclass(frozen=True)
class Budget:
    text: str
    floor: str = ""  # key of the floor figure the ratio is taken against
    max_ratio: float | None = None
    min_ratio: float | None = None
    max_value: float | None = None
    same_as: str = ""  # key of a figure this one must equal


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    budget: Budget | None = None  # None: reported for information (the floors themselves, query times)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: float | None
    unit: str
    floor: str
    floor_value: float | None
    ratio: float | None
    budget: str
    verdict: str
    note: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


MS, RPS, QUERIES, S = "ms", "req/s", "queries", "s"
A = "floor_a_ms"
B = "floor_b_ms"

METRICS: tuple[Metric, ...] = (
    Metric(A, "floor A: bare view, 200-row table", MS),
    Metric(B, "floor B: WeasyPrint, one plain page", MS),
    Metric("plan_typical_ms", "care-plan page, typical plan", MS, Budget("<= 1.0 x A", A, max_ratio=1.0)),
    Metric("plan_large_ms", "care-plan page, large plan", MS, Budget("<= 2.5 x A", A, max_ratio=2.5)),
    Metric("plan_typical_queries", "queries, typical plan page", QUERIES),
    Metric(
        "plan_large_queries",
        "queries, large plan page",
        QUERIES,
        Budget("= typical", same_as="plan_typical_queries"),
    ),
    Metric("plan_typical_cold_ms", "care-plan page, typical, first look", MS),
    Metric("plan_large_cold_ms", "care-plan page, large, first look", MS),
    Metric("plan_typical_cold_queries", "queries, typical plan, first look", QUERIES),
    Metric(
        "plan_large_cold_queries",
        "queries, large plan, first look",
        QUERIES,
        Budget("= typical", same_as="plan_typical_cold_queries"),
    ),
    Metric("home_nurse_ms", "home page (worklist + list), nurse", MS, Budget("<= 1.0 x A", A, max_ratio=1.0)),
    Metric("home_nurse_cold_ms", "home page, nurse, first look", MS),
    Metric("home_nurse_queries", "queries, home page, nurse", QUERIES),
    Metric("home_nurse_cold_queries", "queries, home page, nurse, first look", QUERIES),
    Metric("search_nurse_ms", "patient search by name, nurse", MS, Budget("<= 1.0 x A", A, max_ratio=1.0)),
    Metric(
        "home_lead_ms", "home page, care manager on every team", MS, Budget("<= 1.0 x A", A, max_ratio=1.0)
    ),
    Metric("home_lead_cold_ms", "home page, every team, first look", MS),
    Metric("home_lead_queries", "queries, home page, every team", QUERIES),
    Metric("home_lead_cold_queries", "queries, home page, every team, first look", QUERIES),
    Metric(
        "search_lead_ms", "patient search by name, every team", MS, Budget("<= 1.0 x A", A, max_ratio=1.0)
    ),
    Metric(
        "search_mrn_lead_ms", "patient search by MRN, every team", MS, Budget("<= 1.0 x A", A, max_ratio=1.0)
    ),
    Metric(
        "search_dob_lead_ms",
        "patient search by birth date, every team",
        MS,
        Budget("<= 1.0 x A", A, max_ratio=1.0),
    ),
    Metric("search_query_lead_ms", "search query alone (name), every team", MS),
    Metric("pdf_typical_ms", "patient PDF, typical plan", MS, Budget("<= 3.0 x B", B, max_ratio=3.0)),
    Metric("floor_b_x6_ms", "floor B's page content x 6 (3 pages)", MS),
    Metric("review_sweep_s", "review-reminder sweep", S, Budget("< 2 s", max_value=2.0)),
    Metric("http_floor_a_rps", "HTTP floor A (gunicorn, 2 sync workers)", RPS),
    Metric(
        "http_plan_rps",
        "HTTP care-plan page, typical plan",
        RPS,
        Budget(">= 0.8 x A rps", "http_floor_a_rps", min_ratio=0.8),
    ),
    Metric("http_errors", "HTTP errors (non-2xx, socket)", "", Budget("= 0", max_value=0)),
)


def judge(
    value: float | None, budget: Budget | None, figures: Mapping[str, float | None]
) -> tuple[float | None, str]:
    """(ratio to the floor, verdict) of one figure against its budget."""
    if budget is None:
        return None, INFO if value is not None else MISSING
    if value is None:
        return None, MISSING
    if budget.same_as:
        other = figures.get(budget.same_as)
        return None, PASS if other is not None and value == other else FAIL
    if budget.floor:
        floor = figures.get(budget.floor)
        if not floor:
            return None, FAIL
        ratio = value / floor
        if budget.max_ratio is not None and ratio > budget.max_ratio:
            return ratio, FAIL
        if budget.min_ratio is not None and ratio < budget.min_ratio:
            return ratio, FAIL
        return ratio, PASS
    if budget.max_value is not None and value > budget.max_value:
        return None, FAIL
    return None, PASS


def rows(
    figures: Mapping[str, float | None],
    *,
    notes: Mapping[str, str] | None = None,
    skipped: Mapping[str, str] | None = None,
    metrics: tuple[Metric, ...] = METRICS,
) -> list[Row]:
    """One row per metric. `skipped` names figures deliberately not measured in this run, with why."""
    notes, skipped = notes or {}, skipped or {}
    result = []
    for metric in metrics:
        value = figures.get(metric.key)
        ratio, verdict = judge(value, metric.budget, figures)
        if value is None and metric.key in skipped:
            verdict = SKIPPED
        budget = metric.budget
        result.append(
            Row(
                key=metric.key,
                label=metric.label,
                value=value,
                unit=metric.unit,
                floor=budget.floor if budget else "",
                floor_value=figures.get(budget.floor) if budget and budget.floor else None,
                ratio=ratio,
                budget=budget.text if budget else "",
                verdict=verdict,
                note=skipped.get(metric.key, "") if value is None else notes.get(metric.key, ""),
            )
        )
    return result


def all_met(table: list[Row]) -> bool:
    """Every budget was measured and met."""
    return all(row.verdict in (PASS, INFO) for row in table)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == QUERIES or unit == "" or float(value).is_integer() and abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def format_table(table: list[Row]) -> str:
    """The rows as an aligned text table, for the terminal and the docs."""
    header = ("figure", "value", "unit", "floor", "ratio", "budget", "verdict")
    lines = [header]
    for row in table:
        lines.append(
            (
                row.label,
                _number(row.value, row.unit),
                row.unit,
                _number(row.floor_value, row.unit),
                f"{row.ratio:.2f}" if row.ratio is not None else "",
                row.budget,
                row.verdict + (f" ({row.note})" if row.note and row.verdict != PASS else ""),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for index, line in enumerate(lines):
        cells = [
            cell.rjust(width) if 0 < i < 5 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=False))
        ]
        out.append("  ".join([*cells, line[-1]]).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in [*widths, len("verdict")]))
    return "\n".join(out)


def summary(table: list[Row]) -> str:
    counts: dict[str, int] = {}
    for row in table:
        if row.verdict != INFO:
            counts[row.verdict] = counts.get(row.verdict, 0) + 1
    return ", ".join(f"{counts[v]} {v}" for v in (PASS, FAIL, MISSING, SKIPPED) if counts.get(v))


def spread(samples: Sequence[float]) -> dict[str, float]:
    """min, quartiles and max of one figure's samples."""
    ordered = sorted(samples)
    if len(ordered) < 2:
        return dict.fromkeys(("min", "p25", "median", "p75", "max"), ordered[0]) if ordered else {}
    p25, median, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
    return {"min": ordered[0], "p25": p25, "median": median, "p75": p75, "max": ordered[-1]}


def noise_warnings(
    samples: Mapping[str, Sequence[float]], *, keys: Sequence[str], limit: float = 1.5
) -> list[str]:
    """A warning for each floor whose middle half of samples spans more than `limit` x.

    A floor measured during a burst of load from elsewhere makes every ratio taken against it wrong;
    the verdicts of such a run are not to be trusted. Run again.
    """
    warnings = []
    for key in keys:
        if not samples.get(key):
            continue
        figures = spread(samples[key])
        if figures["p25"] and figures["p75"] / figures["p25"] > limit:
            warnings.append(
                f"{key} was noisy: {figures['p25']:.1f}-{figures['p75']:.1f} ms for the middle half of "
                f"{len(samples[key])} rounds; ratios against it are unreliable. Run again."
            )
    return warnings
