"""Patient-reported outcome measures and the social-needs screen: items, scoring and bands.

Pure functions of the answers, so every boundary is easy to test. Sources (see
docs/partnering.md and requirements-clinical.md § 6):

- PHQ-9 (Kroenke, Spitzer, Williams 2001): nine items scored 0–3, total 0–27; bands 0–4 minimal,
  5–9 mild, 10–14 moderate, 15–19 moderately severe, 20–27 severe. Item 9 above zero needs
  clinician follow-up whatever the total. The tenth (difficulty) question is recorded, not scored.
- GAD-7 (Spitzer et al. 2006): seven items scored 0–3, total 0–21; bands 0–4 minimal, 5–9 mild,
  10–14 moderate, 15–21 severe.
- AHC HRSN core screen (CMS, Billioux et al. 2017): housing, food, transportation, utilities and
  interpersonal safety. Safety items are scored 1 (never) to 5 (frequently) and a sum above 10 is
  positive. Local policy, not AHC scoring: any answer but "never" to being physically hurt or
  threatened raises a safety follow-up (De Marchis et al. found the sum misses most of them).

A missing answer is never prorated: the result is "incomplete" and has no total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FREQUENCY = [
    ("0", "0 — Not at all"),
    ("1", "1 — Several days"),
    ("2", "2 — More than half the days"),
    ("3", "3 — Nearly every day"),
]
DIFFICULTY = [
    ("not_difficult", "Not difficult at all"),
    ("somewhat", "Somewhat difficult"),
    ("very", "Very difficult"),
    ("extremely", "Extremely difficult"),
]
OFTEN = [("often", "Often true"), ("sometimes", "Sometimes true"), ("never", "Never true")]
SAFETY_FREQUENCY = [
    ("1", "Never"),
    ("2", "Rarely"),
    ("3", "Sometimes"),
    ("4", "Fairly often"),
    ("5", "Frequently"),
]

PHQ9_ITEMS = [
    ("phq1", "Little interest or pleasure in doing things"),
    ("phq2", "Feeling down, depressed, or hopeless"),
    ("phq3", "Trouble falling or staying asleep, or sleeping too much"),
    ("phq4", "Feeling tired or having little energy"),
    ("phq5", "Poor appetite or overeating"),
    (
        "phq6",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    ),
    ("phq7", "Trouble concentrating on things, such as reading the newspaper or watching television"),
    (
        "phq8",
        "Moving or speaking so slowly that other people could have noticed; or the opposite — being so "
        "fidgety or restless that you have been moving around a lot more than usual",
    ),
    ("phq9", "Thoughts that you would be better off dead or of hurting yourself in some way"),
]
GAD7_ITEMS = [
    ("gad1", "Feeling nervous, anxious, or on edge"),
    ("gad2", "Not being able to stop or control worrying"),
    ("gad3", "Worrying too much about different things"),
    ("gad4", "Trouble relaxing"),
    ("gad5", "Being so restless that it is hard to sit still"),
    ("gad6", "Becoming easily annoyed or irritable"),
    ("gad7", "Feeling afraid as if something awful might happen"),
]

# (lowest total in the band, band); each band runs up to the next one's lowest total.
PHQ9_BANDS = [(0, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Moderately severe"), (20, "Severe")]
GAD7_BANDS = [(0, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Severe")]

HOUSING = [
    ("steady", "I have a steady place to live"),
    ("worried", "I have a place to live today, but I am worried about losing it in the future"),
    ("none", "I do not have a steady place to live"),
]
HOUSING_PROBLEMS = [
    ("pests", "Pests such as bugs, ants, or mice"),
    ("mold", "Mold"),
    ("lead", "Lead paint or pipes"),
    ("heat", "Lack of heat"),
    ("oven", "Oven or stove not working"),
    ("smoke_detectors", "Smoke detectors missing or not working"),
    ("leaks", "Water leaks"),
]
YES_NO = [("yes", "Yes"), ("no", "No")]
UTILITIES = [("yes", "Yes"), ("shut_off", "Already shut off"), ("no", "No")]
SAFETY_ITEMS = [
    ("hurt", "Physically hurt you"),
    ("insult", "Insult or talk down to you"),
    ("threaten", "Threaten you with harm"),
    ("scream", "Scream or curse at you"),
]
AHC_DOMAINS = {
    "housing": "Housing instability",
    "food": "Food insecurity",
    "transportation": "Transportation problems",
    "utilities": "Utility help needs",
    "safety": "Interpersonal safety",
}


@dataclass(frozen=True)
class Score:
    """What the answers add up to. `total` is None when an answer is missing."""

    total: int | None
    band: str
    urgent: bool = False
    positive_domains: tuple[str, ...] = field(default_factory=tuple)
    follow_up: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_complete(self) -> bool:
        return self.band != INCOMPLETE


INCOMPLETE = "Incomplete"


def band_for(total: int, bands: list[tuple[int, str]]) -> str:
    return next(label for lowest, label in reversed(bands) if total >= lowest)


def _item_sum(answers: Mapping[str, Any], items: list[tuple[str, str]], *, top: int) -> int | None:
    values = []
    for name, _text in items:
        value = answers.get(name)
        if value in (None, ""):
            return None
        value = int(value)
        if not 0 <= value <= top:
            raise ValueError(f"{name} must be 0–{top}")
        values.append(value)
    return sum(values)


def score_phq9(answers: Mapping[str, Any]) -> Score:
    """The PHQ-9 total and band; `urgent` when item 9 is above zero, whatever the total."""
    item9 = answers.get("phq9")
    urgent = item9 not in (None, "") and int(item9) > 0
    total = _item_sum(answers, PHQ9_ITEMS, top=3)
    if total is None:
        return Score(total=None, band=INCOMPLETE, urgent=urgent)
    return Score(total=total, band=band_for(total, PHQ9_BANDS), urgent=urgent)


def score_gad7(answers: Mapping[str, Any]) -> Score:
    total = _item_sum(answers, GAD7_ITEMS, top=3)
    if total is None:
        return Score(total=None, band=INCOMPLETE)
    return Score(total=total, band=band_for(total, GAD7_BANDS))


def score_ahc(answers: Mapping[str, Any]) -> Score:
    """The AHC core screen: which domains screen positive, and the safety sum (4–20) as the total."""
    positive = []
    if answers.get("housing") in ("worried", "none") or answers.get("housing_problems"):
        positive.append("housing")
    if answers.get("food_worry") in ("often", "sometimes") or answers.get("food_ran_out") in (
        "often",
        "sometimes",
    ):
        positive.append("food")
    if answers.get("transportation") == "yes":
        positive.append("transportation")
    if answers.get("utilities") in ("yes", "shut_off"):
        positive.append("utilities")
    safety = _safety_sum(answers)
    if safety is not None and safety > 10:
        positive.append("safety")
    follow_up = ()
    # Local policy (see the module docstring): any hurt or threat is followed up whatever the sum.
    if any(answers.get(name) not in (None, "", "1", 1) for name in ("hurt", "threaten")):
        follow_up = ("safety",)
    required = ("housing", "food_worry", "food_ran_out", "transportation", "utilities")
    if safety is None or any(answers.get(name) in (None, "") for name in required):
        return Score(total=None, band=INCOMPLETE, positive_domains=tuple(positive), follow_up=follow_up)
    band = "Positive: " + ", ".join(AHC_DOMAINS[d].lower() for d in positive) if positive else "Negative"
    return Score(total=safety, band=band, positive_domains=tuple(positive), follow_up=follow_up)


def _safety_sum(answers: Mapping[str, Any]) -> int | None:
    values = []
    for name, _text in SAFETY_ITEMS:
        value = answers.get(name)
        if value in (None, ""):
            return None
        value = int(value)
        if not 1 <= value <= 5:
            raise ValueError(f"{name} must be 1–5")
        values.append(value)
    return sum(values)


@dataclass(frozen=True)
class Instrument:
    slug: str
    name: str
    maximum: int  # the top of the total, for the trend chart's scale
    scorer: Any
    bands: list[tuple[int, str]]


INSTRUMENTS = {
    "phq9": Instrument("phq9", "PHQ-9 (depression)", 27, score_phq9, PHQ9_BANDS),
    "gad7": Instrument("gad7", "GAD-7 (anxiety)", 21, score_gad7, GAD7_BANDS),
    "ahc": Instrument("ahc", "AHC social needs screen", 20, score_ahc, []),
}


def score(instrument: str, answers: Mapping[str, Any]) -> Score:
    return INSTRUMENTS[instrument].scorer(answers)
