"""Bad input, generated: whatever people or programs send, the answer is a clear refusal or a save, never a 500.

Hypothesis sends NUL bytes (which PostgreSQL refuses in text), strings of 10,000+ characters, right-to-left
and mixed scripts, emoji, control characters, markup, and dates from 0001-01-01 to 9999-12-31 and beyond or
impossible. And what a person typed comes back as text: a `<script>` in a goal is shown, never run, on the
plan page, in its partials and in the printed PDF.
"""

from __future__ import annotations

import datetime
import io
import re
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from rest_framework.test import APIClient

from careplans import pdf, services
from careplans.api import ITEM_VIEWSETS
from careplans.forms import item_form_class
from careplans.models import PLAN_ITEM_MODELS
from careplans.selectors import get_plan_with_sections
from tests import factories
from tests.careplans.test_item_editing import TEXT, edit_data, form_data

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SCRIPT = "<script>alert('goal')</script><img src=x onerror=alert(1)>"
# Examples per property: enough to find the classic failures in seconds; CI may raise it.
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

NASTY_STRINGS = [
    "\x00",
    "before\x00after",
    "x" * 10_001,
    "é" * 12_000,
    "\u202eevil\u202c",  # right-to-left override
    "Mr. علي Smith שלום 李",
    "👩🏽‍⚕️💉🩺",
    "\t\r\n\x0b\x0c\x1b[31m\x7f",
    "\ufeff\u200b\u200d",
    "Robert'); DROP TABLE patients_patient;--",
    "%s %(x)s {0} {{ user.password }}",
    SCRIPT,
    '"><svg onload=alert(1)>',
    "",
    " ",
]
nasty_text = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s + "\x00"),
    st.builds(lambda a, b: a + SCRIPT + b, st.text(max_size=10), st.text(max_size=10)),
)
nasty_date = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "2026-13-01",
            "0000-00-00",
            "10000-01-01",
            "-0001-01-01",
            "2026-1-1\x00",
            "31/12/2026",
            "9" * 400,
        ]
    ),
    st.dates().map(datetime.date.isoformat),
    nasty_text,
)


def text_fields(model) -> list[str]:
    return [
        name
        for name in services.editable_fields(model)
        if model._meta.get_field(name).get_internal_type() in {"CharField", "TextField"}
        and not model._meta.get_field(name).choices
    ]


def date_fields(model) -> list[str]:
    return [
        name
        for name in services.editable_fields(model)
        if model._meta.get_field(name).get_internal_type() == "DateField"
    ]


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture
def api(nurse) -> APIClient:
    client = APIClient()
    client.force_login(nurse)
    return client


def no_nul_in(values: dict) -> bool:
    return not any(isinstance(v, str) and "\x00" in v for v in values.values())


# (a) Forms


@EXAMPLES
@given(kind=st.sampled_from(list(PLAN_ITEM_MODELS)), value=nasty_text, date=nasty_date, data=st.data())
def test_an_item_form_given_anything_is_valid_or_has_errors_and_never_keeps_a_nul(
    care_plan, nurse, kind, value, date, data
):
    model = PLAN_ITEM_MODELS[kind]
    posted = form_data(kind, care_plan, nurse)
    posted[data.draw(st.sampled_from(text_fields(model)))] = value
    if date_fields(model):
        posted[data.draw(st.sampled_from(date_fields(model)))] = date
    form = item_form_class(model)(posted, plan=care_plan, actor=nurse)

    if form.is_valid():
        assert no_nul_in(form.cleaned_data)
    else:
        assert form.errors


# (b) The API


@EXAMPLES
@given(segment=st.sampled_from(list(ITEM_VIEWSETS)), value=nasty_text, date=nasty_date, data=st.data())
def test_the_api_given_anything_saves_or_answers_400_with_the_field_named(
    api, care_plan, nurse, segment, value, date, data
):
    model = ITEM_VIEWSETS[segment].model
    kind = next(kind for kind, m in PLAN_ITEM_MODELS.items() if m is model)
    field = data.draw(st.sampled_from(text_fields(model)))
    body = {name: True if v == "on" else v for name, v in form_data(kind, care_plan, nurse).items()}
    body.update(plan=str(care_plan.pk), **{field: value})
    if date_fields(model):
        body[data.draw(st.sampled_from(date_fields(model)))] = date

    response = api.post(f"/api/v1/{segment}/", body, format="json")

    assert response.status_code in (201, 400), (response.status_code, response.content[:500])
    if response.status_code == 400:
        assert response.json()["errors"]
    else:
        assert "\x00" not in str(model.objects.get(pk=response.json()["id"]).__dict__)


@EXAMPLES
@given(value=nasty_text, date=nasty_date)
def test_an_api_edit_given_anything_saves_or_answers_400(api, care_plan, value, date):
    goal = factories.GoalFactory(plan=care_plan)

    response = api.patch(
        f"/api/v1/goals/{goal.pk}/",
        {"description": value, "target_date": date},
        format="json",
        HTTP_IF_MATCH=f'"{goal.version}"',
    )

    assert response.status_code in (200, 400), (response.status_code, response.content[:500])
    goal.refresh_from_db()
    assert "\x00" not in goal.description


@EXAMPLES
@given(value=nasty_text)
def test_a_malformed_json_body_or_wrong_types_are_a_400(api, care_plan, value):
    for body in (value, [value], {"plan": value}, {"plan": str(care_plan.pk), "description": [value, {}]}):
        response = api.post("/api/v1/goals/", body, format="json")
        assert response.status_code == 400, (body, response.content[:300])
    response = api.generic(
        "POST", "/api/v1/goals/", value.encode("utf-8", "surrogatepass"), "application/json"
    )
    assert response.status_code in (400, 415), response.content[:300]


# (c) The HTMX views


@EXAMPLES
@given(kind=st.sampled_from(list(PLAN_ITEM_MODELS)), value=nasty_text, date=nasty_date, data=st.data())
def test_adding_an_item_given_anything_saves_or_comes_back_422_with_what_was_typed(
    signed_in, care_plan, nurse, kind, value, date, data
):
    model = PLAN_ITEM_MODELS[kind]
    field = data.draw(st.sampled_from(text_fields(model)))
    posted = {**form_data(kind, care_plan, nurse), field: value}
    if date_fields(model):
        posted[data.draw(st.sampled_from(date_fields(model)))] = date

    response = signed_in.post(reverse("careplans:item-new", args=[care_plan.pk, kind]), posted, headers=HTMX)

    assert response.status_code in (200, 422), response.status_code
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    if response.status_code == 422:
        assert 'class="field-error"' in html or "errorlist" in html
        kept = posted[TEXT[kind][0]].strip()
        if "\x00" not in kept and "\r" not in kept:
            assert escape(kept) in html or kept in html.replace("&#x27;", "'")


@EXAMPLES
@given(value=nasty_text, date=nasty_date)
def test_editing_a_goal_given_anything_saves_or_comes_back_422(signed_in, care_plan, nurse, value, date):
    goal = factories.GoalFactory(plan=care_plan)
    posted = {**edit_data(goal), "description": value, "target_date": date}
    response = signed_in.post(
        reverse("careplans:goal-edit", args=[care_plan.pk, goal.pk]), posted, headers=HTMX
    )

    assert response.status_code in (200, 422), response.status_code
    assert "<script>alert" not in response.content.decode()
    goal.refresh_from_db()
    assert "\x00" not in goal.description


nasty_number = st.one_of(
    st.sampled_from(
        ["NaN", "-Infinity", "1e999999", "1E-999999", "99999999999.99", "-0", "7,4", "٧٫٤", "0x1F"]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    nasty_text,
)


@EXAMPLES
@given(value=nasty_number, date=nasty_date, note=nasty_text)
def test_recording_a_measurement_given_anything_saves_or_comes_back_422(
    signed_in, care_plan, value, date, note
):
    goal = factories.GoalFactory(plan=care_plan)
    posted = {"value": value, "measured_on": date, "source": "lab", "note": note}

    response = signed_in.post(
        reverse("careplans:measurement-new", args=[care_plan.pk, goal.pk]), posted, headers=HTMX
    )

    assert response.status_code in (200, 422), response.status_code


@EXAMPLES
@given(baseline=nasty_number, target=nasty_number)
def test_the_api_given_any_number_for_a_goal_saves_or_answers_400(api, care_plan, baseline, target):
    body = {"plan": str(care_plan.pk), "description": "Walk more", "measure": "Steps", "unit": "steps"}

    response = api.post(
        "/api/v1/goals/", {**body, "baseline_value": baseline, "target_value": target}, format="json"
    )

    assert response.status_code in (201, 400), (response.status_code, response.content[:300])


def every_form_post(plan, goal) -> list[tuple[str, list[str]]]:
    """Each POST a person can make about a plan, with the fields its form reads."""
    from careplans import ccm_forms
    from careplans import forms as plan_forms
    from careplans.views import notifications, review
    from teams import views as team_views

    def fields(form_class, *extra: str) -> list[str]:
        return [*form_class.base_fields, *extra]

    plan_url = lambda name, *args: reverse(f"careplans:{name}", args=[plan.pk, *args])  # noqa: E731
    goal_args = ("goal", goal.pk)
    return [
        *[
            (plan_url("plan-part-edit", part), [*names, "version"])
            for part, names in plan_forms.PLAN_PARTS.items()
        ],
        (plan_url("plan-status"), fields(plan_forms.PlanStatusForm, "version")),
        (plan_url("item-end", *goal_args), fields(plan_forms.EndForm, "version")),
        (plan_url("item-reopen", *goal_args), fields(plan_forms.ReopenForm, "version")),
        (plan_url("plan-comments"), fields(plan_forms.CommentForm)),
        (plan_url("plan-print"), fields(plan_forms.PrintoutForm)),
        (plan_url("plan-review"), fields(review.SignOffForm, "version")),
        (plan_url("plan-next-review"), fields(review.NextReviewForm, "version")),
        (plan_url("plan-time"), fields(ccm_forms.TimeEntryForm)),
        (plan_url("plan-program"), fields(ccm_forms.EnrolForm, "version")),
        (plan_url("person-new"), list(plan_forms.RelatedPersonForm.base_fields)),
        (reverse("careplans:notification-preferences"), fields(notifications.PreferencesForm)),
        (reverse("api-tokens"), fields(team_views.ApiTokenForm)),
    ]


@settings(EXAMPLES, max_examples=12)  # 28 requests an example
@given(data=st.data())
def test_every_form_given_anything_saves_or_refuses_clearly(signed_in, care_plan, data):
    goal = factories.GoalFactory(plan=care_plan)
    for url, names in every_form_post(care_plan, goal):
        posted = {
            name: data.draw(st.one_of(nasty_text, nasty_date, nasty_number), label=name) for name in names
        }
        for headers in (HTMX, None):
            response = signed_in.post(url, posted, headers=headers)
            assert response.status_code < 500, (url, posted)
            assert "<script>alert" not in response.content.decode(), url


@EXAMPLES
@given(token=nasty_text, answer=nasty_text)
def test_the_public_survey_given_any_token_or_answer_never_fails(client, token, answer):
    url = reverse("careplans:survey", args=["t"]).removesuffix("t/") + quote(token, safe="") + "/"

    for response in (client.get(url), client.post(url, {"q1": answer, "comment": answer})):
        assert response.status_code in (200, 404, 410, 422), (url, response.status_code)


# Query strings: only the named filters, each checked; sorting is never taken from the request


@EXAMPLES
@given(value=nasty_text)
def test_query_strings_given_anything_never_fail(signed_in, care_plan, value):
    plan = care_plan.pk
    urls = [
        (reverse("home"), {"q": value}),
        (reverse("home"), {"q": value}, HTMX),
        (reverse("careplans:plan-history", args=[plan]), {"kind": value, "person": value, "page": value}),
        (reverse("careplans:notifications"), {"page": value}),
        (reverse("careplans:ccm-panel"), {"month": value, "status": value}),
        (reverse("careplans:plan-versions", args=[plan]), {"old": value, "new": value}),
        (reverse("careplans:plan-print", args=[plan]), {"printout": value}),
        ("/api/v1/goals/", {"plan": value, "patient": value, "status": value, "page": value}),
    ]
    for url, params, *headers in urls:
        response = signed_in.get(url, params, headers=headers[0] if headers else None)
        assert response.status_code in (200, 400, 404), (url, params, response.status_code)


@pytest.mark.parametrize("param", ["ordering", "order", "sort", "o", "order_by"])
@pytest.mark.parametrize(
    "lookup", ["patient__user__password", "-plan__patient__team__memberships__user__password"]
)
def test_sorting_and_filtering_by_an_arbitrary_field_is_ignored_or_refused(api, care_plan, param, lookup):
    for number in range(3):
        factories.GoalFactory(plan=care_plan, description=f"Goal {number}")
    plain = api.get("/api/v1/goals/").json()["results"]

    response = api.get("/api/v1/goals/", {param: lookup, lookup: "x"})

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == plain


# (d) Output is escaped everywhere a goal is shown


@pytest.fixture
def scripted_goal(care_plan):
    return factories.GoalFactory(plan=care_plan, description=SCRIPT, measure="HbA1c <b>bold</b>")


def assert_shown_as_text(html: str) -> None:
    assert escape(SCRIPT) in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html


def test_a_script_in_a_goal_is_text_on_the_plan_page(signed_in, care_plan, scripted_goal):
    assert_shown_as_text(
        signed_in.get(reverse("careplans:plan-detail", args=[care_plan.pk])).content.decode()
    )


def test_a_script_in_a_goal_is_text_in_its_partials(signed_in, care_plan, scripted_goal):
    args = [care_plan.pk, "goal", scripted_goal.pk]
    detail = signed_in.get(reverse("careplans:item-detail", args=args), headers=HTMX).content.decode()
    edit = signed_in.get(reverse("careplans:goal-edit", args=[care_plan.pk, scripted_goal.pk]), headers=HTMX)

    assert_shown_as_text(detail)
    assert "<script>alert" not in edit.content.decode() and escape(SCRIPT) in edit.content.decode()


def test_a_script_in_a_goal_is_printed_as_text_in_the_pdf(nurse, care_plan, scripted_goal):
    html = pdf.printout_html(get_plan_with_sections(nurse, care_plan.pk), pdf.Options())
    data, _pages = pdf.render_pdf(html)

    assert_shown_as_text(html)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "<script>alert('goal')</script>" in re.sub(r"\s+", "", text).replace(
        "alert('goal')", "alert('goal')"
    )


def test_a_script_in_a_comment_is_text_in_the_thread(signed_in, nurse, care_plan):
    response = signed_in.post(
        reverse("careplans:plan-comments", args=[care_plan.pk]), {"body": f"@{nurse.username} {SCRIPT}\nok"}
    )
    assert response.status_code < 400

    thread = signed_in.get(reverse("careplans:plan-comments", args=[care_plan.pk])).content.decode()

    assert_shown_as_text(thread.replace("<br>", ""))


@EXAMPLES
@given(value=nasty_text)
def test_whatever_a_goal_says_its_partial_has_no_markup_of_its_own(signed_in, care_plan, value):
    goal = factories.GoalFactory(plan=care_plan, description=value.replace("\x00", "") or "x")

    html = signed_in.get(
        reverse("careplans:item-detail", args=[care_plan.pk, "goal", goal.pk]), headers=HTMX
    ).content.decode()

    assert "<script" not in html and "<img" not in html and "<svg onload" not in html
