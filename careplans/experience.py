"""The monthly patient-experience survey: its questions, and results the team may see.

Anonymity rule: the team sees a month's (or quarter's) numbers only when at least
`MINIMUM_CELL` patients answered; otherwise only that there were too few to show.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from careplans.models import SurveyResponse

MINIMUM_CELL = 5
SCALE = [("1", "Never"), ("2", "Sometimes"), ("3", "Usually"), ("4", "Always")]
QUESTIONS = [
    ("listened", "Did the care team listen carefully to you?"),
    ("decisions", "Were you involved in decisions about your care as much as you wanted?"),
    ("whom_to_call", "Did you know whom to call with a question about your care?"),
    ("what_matters", "Did your care plan reflect what matters most to you?"),
]


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def quarter_of(month: datetime.date) -> str:
    return f"{month.year} Q{(month.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Cell:
    """The results of one month or quarter; `scores` is None when too few patients answered."""

    label: str
    count: int
    scores: dict[str, float] | None  # question -> share of "Always", in percent

    @property
    def shown(self) -> bool:
        return self.scores is not None


def _cell(label: str, answers: list[dict]) -> Cell:
    if len(answers) < MINIMUM_CELL:
        return Cell(label=label, count=len(answers), scores=None)
    scores = {
        name: round(100 * sum(1 for a in answers if str(a.get(name)) == "4") / len(answers), 1)
        for name, _text in QUESTIONS
    }
    return Cell(label=label, count=len(answers), scores=scores)


def monthly_results(responses: QuerySet[SurveyResponse]) -> list[Cell]:
    """One cell per month that has responses, newest first."""
    by_month: dict[datetime.date, list[dict]] = defaultdict(list)
    for month, answers in responses.values_list("month", "answers"):
        by_month[month].append(answers)
    return [_cell(f"{month:%B %Y}", by_month[month]) for month in sorted(by_month, reverse=True)]


def quarterly_results(responses: QuerySet[SurveyResponse]) -> list[Cell]:
    """One cell per quarter that has responses, oldest first: the points of the trend chart."""
    by_quarter: dict[str, list[dict]] = defaultdict(list)
    for month, answers in responses.values_list("month", "answers"):
        by_quarter[quarter_of(month)].append(answers)
    return [_cell(quarter, by_quarter[quarter]) for quarter in sorted(by_quarter)]
