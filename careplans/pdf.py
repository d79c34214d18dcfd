"""The patient's printed plan and the clinician's visit summary, rendered to PDF by WeasyPrint.

`printout_html` builds the document (left-out items never reach the template: Part 2 items
unless asked for, and internal notes never), `render_pdf` lays it out. WeasyPrint may only
read the project's own static files, through `static_url_fetcher`; every other URL,
including any a user typed into a plan, is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation

from careplans.models import CarePlan, Goal, PlanPrintout, ResponsibleParty
from careplans.part2 import PART2_NOTICE
from careplans.selectors import get_plan_with_sections

#: The only URL scheme WeasyPrint may fetch: `careweave-static:css/patient-plan.css` is a static file.
STATIC_SCHEME = "careweave-static:"
TEMPLATES = {
    PlanPrintout.Document.PATIENT_PLAN: "pdf/patient_plan.html",
    PlanPrintout.Document.VISIT_SUMMARY: "pdf/visit_summary.html",
}


class RefusedURL(ValueError):
    """WeasyPrint asked for a URL that is not one of the project's static files."""


def static_file(url: str) -> Path:
    """The static file `careweave-static:<path>` names; RefusedURL for any other URL."""
    if not url.startswith(STATIC_SCHEME):
        raise RefusedURL(f"Printouts only load the project's static files, not {url[:80]!r}")
    relative = url[len(STATIC_SCHEME) :].lstrip("/")
    found = finders.find(relative) if ".." not in Path(relative).parts else None
    if not found:
        raise RefusedURL(f"No such static file: {relative[:80]!r}")
    path = Path(found).resolve()
    roots = [Path(root).resolve() for root in [*settings.STATICFILES_DIRS, settings.STATIC_ROOT]]
    if not any(path.is_relative_to(root) for root in roots):
        raise RefusedURL(f"Not under the project's static folders: {relative[:80]!r}")
    return path


def static_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves only the project's static files and records every URL asked for."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=())
            self.asked: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            self.asked.append(url)
            path = static_file(url)
            mime = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}.get(path.suffix, "")
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    return StaticFilesFetcher()


@dataclass(frozen=True)
class Options:
    """What the person printing chose. Everything that changes the document is here."""

    document: str = PlanPrintout.Document.PATIENT_PLAN
    language: str = "en"
    large_print: bool = False
    include_part2: bool = False
    recipient: str = PlanPrintout.Recipient.PATIENT
    recipient_name: str = ""

    @classmethod
    def of(cls, printout: PlanPrintout) -> Options:
        return cls(
            document=printout.document,
            language=printout.language,
            large_print=printout.large_print,
            include_part2=printout.include_part2,
            recipient=printout.recipient,
            recipient_name=printout.recipient_name,
        )

    @property
    def part2_notice(self) -> bool:
        """42 CFR 2.32: a disclosure of Part 2 information to anyone but the patient carries the notice."""
        return self.include_part2 and self.recipient != PlanPrintout.Recipient.PATIENT


@dataclass
class Printable:
    plan: CarePlan
    options: Options
    goals: list[Goal] = field(default_factory=list)
    my_steps: list[Any] = field(default_factory=list)
    team_steps: list[Any] = field(default_factory=list)
    sections: dict[str, list[Any]] = field(default_factory=dict)


def _shown(items: Any, options: Options) -> list[Any]:
    return [i for i in items if not i.is_ended and (options.include_part2 or not i.part2_protected)]


def printable_plan(plan: CarePlan, options: Options) -> Printable:
    """The plan as printed: current items only, Part 2 items only when asked for (a fixed number of queries)."""
    goals = _shown(plan.goals.all(), options)
    for goal in goals:
        goal.latest_measurement = max(
            goal.measurements.all(), key=lambda m: (m.measured_on, m.pk), default=None
        )
    steps = _shown(plan.action_steps.all(), options)
    return Printable(
        plan=plan,
        options=options,
        goals=goals,
        my_steps=[s for s in steps if s.responsible_party != ResponsibleParty.TEAM_MEMBER],
        team_steps=[s for s in steps if s.responsible_party == ResponsibleParty.TEAM_MEMBER],
        sections={
            "problems": _shown(plan.problems.all(), options),
            "medications": _shown(plan.medications.all(), options),
            "symptom_plans": _shown(plan.symptom_plans.all(), options),
            "community_services": _shown(plan.community_services.all(), options),
            "education": _shown(plan.education.all(), options),
            "care_team": _shown(plan.care_team.all(), options),
        },
    )


def printout_html(plan: CarePlan, options: Options, *, printed_on: Any = None) -> str:
    """The document's HTML, in the chosen language. Text from the plan is escaped like any template value."""
    printable = printable_plan(plan, options)
    context = {
        "p": printable,
        "plan": plan,
        "patient": plan.patient,
        "options": options,
        "printed_on": printed_on or timezone.localdate(),
        "practice": plan.patient.team.organization.name,
        "static": STATIC_SCHEME,
        "part2_notice_text": PART2_NOTICE,
    }
    with translation.override(options.language):
        return render_to_string(TEMPLATES[options.document], context)


def cache_key(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def render_pdf(html: str, *, url_fetcher: Any = None) -> tuple[bytes, int]:
    """Lay out `html` as PDF; return its bytes and page count. Only `static_url_fetcher` loads anything."""
    from weasyprint import HTML

    fetcher = url_fetcher or static_url_fetcher()
    document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher).render()
    return document.write_pdf(), len(document.pages)


def render_plan_pdf(user: Any, plan_id: Any, options: Options) -> bytes:
    """The PDF of a plan the user may see, made now (the page uses the task; the benchmark this)."""
    return render_pdf(printout_html(get_plan_with_sections(user, plan_id), options))[0]
