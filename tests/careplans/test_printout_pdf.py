"""The patient's printed plan, read back from real PDFs: content, order, languages, privacy, layout."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from careplans import pdf
from careplans.models import PlanPrintout, ResponsibleParty
from careplans.selectors import get_plan_with_sections
from tests import factories

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    """The PDF's text with whitespace collapsed, so words broken over lines still read as words."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def render(user, plan, **options) -> tuple[bytes, int]:
    html = pdf.printout_html(get_plan_with_sections(user, plan.pk), pdf.Options(**options))
    return pdf.render_pdf(html)


@pytest.fixture
def full_plan(care_plan, nurse):
    """A plan with something in every printed section, one Part 2 item, and an internal note."""
    plan = care_plan
    plan.what_matters_most = "Dancing at my granddaughter's wedding."
    plan.next_review_due = datetime.date(2027, 3, 4)
    plan.save()
    goal = factories.GoalFactory(plan=plan, description="Get my sugar down so I can dance all night.")
    goal.measurements.create(value=Decimal("8.4"), measured_on=datetime.date(2026, 11, 2))
    factories.ActionStepFactory(plan=plan, description="Walk after dinner.")
    factories.ActionStepFactory(
        plan=plan,
        description="Call about the eye exam.",
        responsible_party=ResponsibleParty.TEAM_MEMBER,
        responsible_member=nurse,
    )
    factories.MedicationFactory(plan=plan, name="Metformin", patient_instructions="Take it with food.")
    factories.MedicationFactory(
        plan=plan, name="Buprenorphine", indication="Opioid use", part2_protected=True
    )
    factories.SymptomPlanFactory(plan=plan)
    factories.CommunityServiceFactory(plan=plan, address="12 Pantry Lane")
    factories.EducationTopicFactory(plan=plan, notes="INTERNAL-NOTE: talked fast, check again.")
    factories.CareTeamMemberFactory(plan=plan, phone="555-0177")
    return plan


ENGLISH_SECTIONS = [
    "What matters most to me",
    "My goals",
    "What I will do",
    "What my team will do",
    "My medicines",
    "What to do when",
    "My help in the community",
    "What I learned",
    "My care team",
    "When we will look at this plan again",
    "Printed on",
]
SPANISH_SECTIONS = [
    "Lo que más me importa",
    "Mis metas",
    "Lo que yo voy a hacer",
    "Lo que mi equipo va a hacer",
    "Mis medicinas",
    "Qué hacer si",
    "Mi ayuda en la comunidad",
    "Lo que aprendí",
    "Mi equipo de cuidado",
    "Cuándo vamos a revisar este plan otra vez",
    "Impreso el",
]
ITEMS = [
    "Dancing at my granddaughter's wedding.",
    "Get my sugar down so I can dance all night.",
    "Walk after dinner.",
    "Call about the eye exam.",
    "Nina Nurse",
    "Metformin",
    "Take it with food.",
    "twice a day with meals",
    "Low blood sugar",
    "Eat 15 grams of sugar",
    "Clinic nurse line",
    "555-0100",
    "Eastside Food Pantry",
    "555-0133",
    "12 Pantry Lane",
    "Checking blood sugar at home",
    "Dr. Outside Cardiologist",
    "555-0177",
]


@pytest.mark.parametrize(
    ("language", "sections", "dates"),
    [
        ("en", ENGLISH_SECTIONS, ["March 4, 2027", "8.4"]),
        ("es", SPANISH_SECTIONS, ["4 de marzo de 2027", "8,4"]),
    ],
)
def test_every_section_and_item_is_printed_in_order_in_the_patients_language(
    full_plan, nurse, language, sections, dates
):
    data, pages = render(nurse, full_plan, language=language)
    text = text_of(data)

    positions = [text.find(heading) for heading in sections]
    assert -1 not in positions, [s for s, p in zip(sections, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    missing = [item for item in ITEMS + dates if item not in text]
    assert not missing
    assert full_plan.patient.team.organization.name in text
    page_word = {"en": "Page", "es": "Página"}[language]
    assert f"{page_word} 1 {'of' if language == 'en' else 'de'} {pages}" in text


def test_part2_items_and_internal_notes_are_left_out_by_default(full_plan, nurse):
    text = text_of(render(nurse, full_plan)[0])

    assert "Metformin" in text
    assert "Buprenorphine" not in text
    assert "INTERNAL-NOTE" not in text
    assert "42 CFR part 2" not in text


def test_part2_items_printed_for_someone_else_carry_the_required_notice(full_plan, nurse):
    for_patient = text_of(render(nurse, full_plan, include_part2=True)[0])
    for_other = text_of(
        render(nurse, full_plan, include_part2=True, recipient="other", recipient_name="Dr. Away")[0]
    )

    assert "Buprenorphine" in for_patient
    assert "prohibit you from making any further disclosure" not in for_patient
    assert "Buprenorphine" in for_other
    assert "prohibit you from making any further disclosure" in for_other
    assert "INTERNAL-NOTE" not in for_other


def test_forty_medicines_and_a_very_long_goal_paginate_without_losing_text(care_plan, nurse):
    names = [f"Medicine{n:02d}zol" for n in range(40)]
    for name in names:
        factories.MedicationFactory(
            plan=care_plan, name=name, patient_instructions="Take it with a full glass."
        )
    words = [f"longword{n:03d}" for n in range(400)]
    factories.GoalFactory(plan=care_plan, description=" ".join(words))

    data, pages = render(nurse, care_plan)
    text = text_of(data)

    assert pages > 2
    assert [name for name in names if name not in text] == []
    assert [word for word in words if word not in text] == []
    assert f"Page {pages} of {pages}" in text


def test_markup_in_a_goal_is_printed_as_text_and_nothing_is_fetched(care_plan, nurse):
    factories.GoalFactory(
        plan=care_plan,
        description='<script>alert("x")</script> <img src=http://attacker.example/pixel.png> walk more',
    )
    fetcher = pdf.static_url_fetcher()
    html = pdf.printout_html(get_plan_with_sections(nurse, care_plan.pk), pdf.Options())

    data, _ = pdf.render_pdf(html, url_fetcher=fetcher)
    text = text_of(data)

    assert '<script>alert("x")</script>' in text
    # A long URL may wrap at a slash: compare without spaces.
    assert "<imgsrc=http://attacker.example/pixel.png>" in text.replace(" ", "")
    assert fetcher.asked == ["careweave-static:css/patient-plan.css"]


@pytest.mark.parametrize(
    "url",
    [
        "http://attacker.example/x.css",
        "https://fonts.example/font.woff2",
        "file:///etc/passwd",
        "careweave-static:../config/settings.py",
        "careweave-static:css/no-such-file.css",
        "data:text/css,body{}",
    ],
)
def test_the_url_fetcher_refuses_anything_but_a_static_file(url):
    with pytest.raises(pdf.RefusedURL):
        pdf.static_url_fetcher().fetch(url)


def _smallest_text(data_html: str) -> float:
    from weasyprint import HTML

    document = HTML(
        string=data_html, base_url=pdf.STATIC_SCHEME, url_fetcher=pdf.static_url_fetcher()
    ).render()
    sizes = [
        box.style["font_size"]
        for page in document.pages
        for box in page._page_box.descendants()
        if type(box).__name__ == "TextBox" and box.text.strip()
    ]
    return min(sizes) * 0.75  # CSS px to pt


def test_body_text_is_at_least_12_pt_and_large_print_is_18_pt(full_plan, nurse):
    plan = get_plan_with_sections(nurse, full_plan.pk)

    assert _smallest_text(pdf.printout_html(plan, pdf.Options())) == pytest.approx(12)
    assert _smallest_text(pdf.printout_html(plan, pdf.Options(large_print=True))) == pytest.approx(18)


def template_sentences() -> list[str]:
    """The patient plan template's own words: each translatable string, its placeholders as a short word."""
    from django.conf import settings

    source = (settings.BASE_DIR / "templates" / "pdf" / "patient_plan.html").read_text()
    # The Part 2 notice is federal wording that must be given word for word (42 CFR 2.32).
    source = re.sub(r'<section class="notice".*?</section>', " ", source, flags=re.S)
    strings = re.findall(r"\{% translate [\"'](.+?)[\"'] %\}", source)
    strings += re.findall(r"\{% blocktranslate[^%]*%\}(.+?)\{% endblocktranslate %\}", source, flags=re.S)
    sentences = [" ".join(re.sub(r"\{\{ *\w+ *\}\}", "it", text).split()) for text in strings]
    return [text if text[-1] in ".:!?" else f"{text}." for text in sentences if len(text) > 3]


def test_the_templates_own_words_read_at_or_below_grade_8(monkeypatch):
    import textstat
    from textstat.backend.counts import _count_syllables

    # textstat downloads the CMU dictionary on first use; offline, count syllables with its own
    # fallback (pyphen's English hyphenation), which is the same for every word it does not know.
    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: None)
    sentences = template_sentences()
    assert len(sentences) > 30

    assert textstat.flesch_kincaid_grade(" ".join(sentences)) <= 8


def test_the_visit_summary_fits_on_one_page(full_plan, nurse):
    for n in range(30):
        factories.MedicationFactory(plan=full_plan, name=f"Extra{n}")
    data, pages = render(nurse, full_plan, document=PlanPrintout.Document.VISIT_SUMMARY)

    assert pages == 1
    assert "Care plan visit summary" in text_of(data)
