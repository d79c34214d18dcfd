"""Headers and cookies: a strict Content-Security-Policy on every page, and nothing the policy would refuse.

The policy allows scripts and styles only from our own static files, plus inline scripts that carry the
response's nonce. htmx therefore runs without eval, so no template may use `hx-on`, `js:` values or
trigger filters (`keyup[key=='Enter']`), which htmx can only run through eval.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from careplans import services, tasks
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
HTMX = {"HX-Request": "true"}
PRINT_OPTIONS = {"language": "en", "recipient": "patient", "delivery": "printed"}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def template_files() -> list[Path]:
    files = list((ROOT / "templates").rglob("*.html"))
    for app in ("careplans", "patients", "teams", "config"):
        files += (ROOT / app).glob("templates/**/*.html")
    assert len(files) > 20
    return files


# The policy


@pytest.mark.django_db
def test_every_page_has_a_strict_policy_with_a_nonce_and_no_eval_or_inline(client, nurse, care_plan):
    client.force_login(nurse)

    response = client.get(reverse("careplans:plan-detail", args=[care_plan.pk]))

    csp = policy(response)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_each_response_gets_its_own_nonce_and_the_page_script_carries_it(client, nurse):
    client.force_login(nurse)

    first, second = client.get(reverse("home")), client.get(reverse("home"))

    nonces = [re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert f'nonce="{nonces[0]}"' in first.content.decode()


@pytest.mark.django_db
def test_every_script_on_the_main_pages_is_a_static_file_or_carries_the_nonce(client, nurse, care_plan):
    factories.GoalFactory(plan=care_plan)  # with a measure: the page draws its chart
    client.force_login(nurse)
    pages = [
        reverse("home"),
        reverse("careplans:plan-detail", args=[care_plan.pk]),
        reverse("careplans:plan-history", args=[care_plan.pk]),
        reverse("careplans:plan-print", args=[care_plan.pk]),
        reverse("careplans:notifications"),
        reverse("careplans:ccm-panel"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        for tag in re.findall(r"<script\b[^>]*>", html):
            from_static = re.search(rf'src="{settings.STATIC_URL}[^"]+"', tag) or 'src="/static/' in tag
            assert from_static or (nonce and f'nonce="{nonce.group(1)}"' in tag), (url, tag)
        # Inline styles are refused by style-src 'self': none in the page, none in the SVG chart.
        assert not re.search(r"<[a-z][^>]*\sstyle=", html), url
        assert "<style" not in html, url


@pytest.mark.django_db
def test_htmx_partials_and_the_api_carry_the_policy_too(client, nurse, care_plan):
    client.force_login(nurse)

    partial = client.get(reverse("careplans:item-new", args=[care_plan.pk, "problem"]), headers=HTMX)
    api = client.get("/api/v1/problems/")

    for response in (partial, api):
        assert policy(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_goal_chart_is_sized_by_the_stylesheet_not_a_style_attribute(client, nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    goal.measurements.create(value=Decimal("8.1"), measured_on=datetime.date(2026, 10, 1))
    client.force_login(nurse)

    html = client.get(reverse("careplans:plan-detail", args=[care_plan.pk])).content.decode()

    assert '<svg class="goal-chart"' in html
    assert ".goal-chart {" in (ROOT / "static/css/app.css").read_text()


# htmx without eval


def test_htmx_is_configured_for_the_policy(client, db):
    html = client.get(reverse("login")).content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1))

    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["selfRequestsOnly"] is True


@pytest.mark.parametrize(
    "pattern, what",
    [
        (r"\b(data-)?hx-on[:=-]", "hx-on runs its code through eval"),
        (r"""\bhx-(vals|headers)=(["'])\s*js:""", "js: values run through eval"),
        (r"\bhx-vars=", "hx-vars always runs through eval"),
        (r"""\bhx-trigger=(["'])[^"']*\[""", "trigger filters [..] run through eval"),
        (r"\son[a-z]+=", "inline event handlers are refused by script-src"),
        (r"javascript:", "javascript: URLs are refused by script-src"),
    ],
)
def test_no_template_uses_what_needs_eval_or_inline_script(pattern, what):
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in template_files()
        for match in re.finditer(pattern, path.read_text())
    ]

    assert not found, f"{what}: {found}"


def test_only_printouts_and_emails_have_inline_styles():
    """WeasyPrint and mail clients read inline styles; browsers get the pages, whose CSP refuses them."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in template_files()
        if re.search(r"<style|\sstyle=", path.read_text())
        and not {"pdf", "email", "emails"} & set(path.relative_to(ROOT).parts)
    ]

    assert not offenders


# Cookies


@pytest.mark.django_db
@override_settings(
    SESSION_COOKIE_NAME="__Host-sessionid",
    CSRF_COOKIE_NAME="__Host-csrftoken",
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
def test_with_production_cookie_names_signing_in_sets_host_prefixed_cookies_and_app_js_is_told(client, nurse):
    nurse.set_password("a long enough passphrase for tests")
    nurse.save()
    login = client.get(reverse("login"), secure=True)
    assert '<meta name="csrf-cookie-name" content="__Host-csrftoken">' in login.content.decode()

    response = client.post(
        reverse("login"),
        {"login": nurse.username, "password": "a long enough passphrase for tests"},  # allauth's form
        secure=True,
    )

    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    csrf = client.cookies["__Host-csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["path"] == "/"
        assert not cookie["domain"]
        assert cookie["samesite"] == "Lax"
    assert session["httponly"] is True


def test_app_js_reads_the_csrf_cookie_by_the_name_the_page_gives():
    script = (ROOT / "static/js/app.js").read_text()

    assert 'meta[name="csrf-cookie-name"]' in script
    assert "eval(" not in script and "new Function" not in script and "innerHTML" not in script


# No-store on everything with patient data


@pytest.mark.django_db
def test_pages_partials_pdfs_and_the_api_with_patient_data_are_never_stored(client, nurse, care_plan):
    goal = factories.GoalFactory(plan=care_plan)
    client.force_login(nurse)
    printout = services.request_printout(plan=care_plan, actor=nurse, values=PRINT_OPTIONS)
    tasks.render_printout(printout.pk)
    answers = {
        "page": client.get(reverse("careplans:plan-detail", args=[care_plan.pk])),
        "partial": client.get(
            reverse("careplans:item-edit", args=[care_plan.pk, "goal", goal.pk]), headers=HTMX
        ),
        "history": client.get(reverse("careplans:plan-history", args=[care_plan.pk])),
        "pdf": client.get(reverse("careplans:printout-download", args=[care_plan.pk, printout.pk])),
        "api list": client.get("/api/v1/goals/"),
        "api detail": client.get(f"/api/v1/goals/{goal.pk}/"),
        "api plan": client.get(f"/api/v1/plans/{care_plan.pk}/"),
        "invalid form": client.post(
            reverse("careplans:item-new", args=[care_plan.pk, "problem"]), {}, headers=HTMX
        ),
    }
    assert answers["pdf"]["Content-Type"] == "application/pdf"
    for name, response in answers.items():
        assert response.status_code < 500, name
        assert "no-store" in response["Cache-Control"], name
