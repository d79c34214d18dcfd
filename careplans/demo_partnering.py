"""Demo data for partnering with patients: priorities, shared decisions, outcome measures, social needs.

Called by `careplans.demo` for each demo patient after the plan's sections are built. It draws
from its own random generator seeded by the patient's record number, so adding it changes
nothing else the demo builds.
"""

from __future__ import annotations

import random
from typing import Any

from careplans import services as plans
from careplans.models import SharedDecision

VALUES = (
    "Independence: doing things for myself.",
    "Family: time with my children and grandchildren.",
    "Faith and my church community.",
    "Work: earning my own living.",
    "Staying in my own home.",
)
WILLING = (
    "Daily pills and checking at home; not more than one clinic visit a month.",
    "Walking and diet changes; would rather not start injections.",
    "Phone or video visits; in-person when it really matters.",
)
HELPFUL = (
    "Phone check-ins from the nurse.",
    "Written plans in large print.",
    "Pill organizer filled weekly.",
)
BURDENS = ("Long bus rides to the clinic.", "Pills several times a day.", "Waiting rooms.")
DECISIONS = {
    "depression": (
        "Add an antidepressant, or keep therapy alone for now?",
        "Therapy alone: no side effects; slower improvement\n"
        "Add sertraline: often helps within 6 weeks; nausea or sleep changes at first",
        "Wants to keep working and is wary of feeling numb.",
        "Add sertraline at a low dose and keep weekly therapy.",
    ),
    "anxiety": (
        "Start a daily medicine for anxiety, or try CBT first?",
        "CBT first: lasting skills; takes weekly effort for 8 weeks\n"
        "Daily SSRI: steady effect in 4–6 weeks; side effects in some",
        "Would rather learn skills than take another pill.",
        "",
    ),
}
# Depression scores over four months, improving; the item-9 case shows the urgent rule.
PHQ9_SERIES = ((-120, 17), (-75, 14), (-30, 11), (-3, 9))
GAD7_SERIES = ((-90, 15), (-45, 12), (-5, 9))


def _answers(prefix: str, count: int, total: int, *, last: int = 0) -> dict[str, int]:
    """Item answers (0–3 each) adding up to `total`, with the last item set to `last`."""
    answers = {f"{prefix}{n}": 0 for n in range(1, count + 1)}
    answers[f"{prefix}{count}"] = last
    left = total - last
    for n in range(1, count):
        answers[f"{prefix}{n}"] = min(3, left)
        left -= answers[f"{prefix}{n}"]
    return answers


def add_partnering(patient: Any, *, show_item9: bool) -> bool:
    """Add one demo patient's partnering data; returns whether it showed the PHQ-9 item 9 rule."""
    b, plan, keeper = patient.b, patient.plan, patient.keeper
    rng = random.Random(patient.mrn)
    plan.refresh_from_db()
    plan = b.run(
        keeper,
        plans.update_care_plan,
        plan=plan,
        expected_version=plan.version,
        changes={
            "priority_values": rng.choice(VALUES),
            "one_thing": patient.spec.what_matters_most,
            "willing_and_able": rng.choice(WILLING),
            "helpful_care": rng.choice(HELPFUL),
            "burdensome_care": rng.choice(BURDENS),
        },
    )
    shown = False
    if patient.has("depression"):
        for number, (days, total) in enumerate(PHQ9_SERIES, start=1):
            item9 = 1 if show_item9 and number == len(PHQ9_SERIES) else 0
            b.run(
                keeper,
                plans.record_instrument_response,
                plan=plan,
                instrument="phq9",
                answers=_answers("phq", 9, total, last=item9),
                answered_on=b.date(days),
            )
            shown = shown or bool(item9)
    if patient.has("anxiety"):
        for days, total in GAD7_SERIES:
            b.run(
                keeper,
                plans.record_instrument_response,
                plan=plan,
                instrument="gad7",
                answers=_answers("gad", 7, total),
                answered_on=b.date(days),
            )
    needs = rng.random() < 0.3
    b.run(
        keeper,
        plans.record_instrument_response,
        plan=plan,
        instrument="ahc",
        answers={
            "housing": "steady",
            "housing_problems": ["mold"] if needs and rng.random() < 0.5 else [],
            "food_worry": "sometimes" if needs else "never",
            "food_ran_out": "never",
            "transportation": "yes" if needs and rng.random() < 0.5 else "no",
            "utilities": "no",
            "hurt": "1",
            "insult": "1",
            "threaten": "1",
            "scream": "1",
        },
        answered_on=b.date(-rng.randint(10, 200)),
    )
    for condition, (question, options, values, decision) in DECISIONS.items():
        if patient.has(condition):
            b.run(
                keeper,
                plans.add_plan_item,
                plan=plan,
                model=SharedDecision,
                values={
                    "question": question,
                    "options": options,
                    "patient_values": values,
                    "decision": decision,
                    "decided_on": b.date(-60) if decision else None,
                    "participants": "The patient and the care manager",
                    "revisit_on": b.date(30),
                },
            )
    return shown


# Answers per month for the first team, oldest first: one month below the minimum cell size.
SURVEY_MONTHS = ((-8, 7), (-7, 6), (-6, 9), (-5, 3), (-4, 8), (-3, 10), (-2, 6), (-1, 7))


def add_experience_surveys(builder: Any) -> None:
    """Anonymous survey answers over eight months and an improvement goal, for each demo team."""
    rng = random.Random("experience")
    for team_name, team in builder.teams.items():
        lead = builder.leads[team_name]
        for months_ago, count in SURVEY_MONTHS:
            month = _months_before(builder.today, -months_ago)
            tokens = builder.run(lead, plans.issue_survey_tokens, team=team, count=count + 2, month=month)
            for token in tokens[:count]:
                answers = {
                    name: str(rng.choice((3, 4, 4, 4 if months_ago > -4 else 3))) for name in QUESTIONS
                }
                plans.submit_survey_response(token=token, answers=answers)
        builder.run(
            lead,
            plans.record_improvement_goal,
            team=team,
            month=builder.today,
            goal="Every patient leaves a visit knowing whom to call, written on their plan.",
        )


QUESTIONS = ("listened", "decisions", "whom_to_call", "what_matters")


def _months_before(day: Any, months: int) -> Any:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(year=year, month=month + 1, day=1)
