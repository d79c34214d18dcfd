"""The authorization sweep: every URL, every caller, own and foreign records, against config/policy.py.

Every URL pattern (the admin aside: tests/test_admin.py) is found by walking the resolver, so a new
page or API operation is swept the day it is added, and fails here until `config/policy.py` says
who may call it. Two teams each hold a patient with a plan, one item of every kind and every other
record a URL can name; every text of team A carries "CANARY-A" and of team B "CANARY-B". Callers:
anonymous, a member of team A in each care role, a nurse of team B (the outsider), and staff on no
team. No response to anyone outside a team may contain that team's canary; calls a caller may not
make are refused (sign in / 404 / 405), change no row, and are logged on `careweave.security`.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from pypdf import PdfReader

from careplans import ccm, comments, services
from careplans.models import PLAN_ITEM_MODELS, CarePlan, Notification, PlanItem
from config.policy import API_SECTIONS, NOT_SWEPT_NAMESPACES, POLICY, Access, Who
from patients import services as patient_services
from patients.models import AccessEvent, Patient
from teams import services as team_services
from teams.models import CareRole, Team, User
from tests import factories

pytestmark = pytest.mark.django_db

# The URL parameters that name a record; a route with one of them is about one team's records.
RECORD_PARAMS = {
    "plan_id",
    "item_id",
    "goal_id",
    "measurement_id",
    "comment_id",
    "printout_id",
    "number",
    "enrolment_id",
    "entry_id",
    "team_id",
    "pk",
    "notification_id",
    "token_id",
    "patient_id",
    "plan_pk",
}
SKIPPED_PARAMS = {"format"}  # DRF's format-suffix twins of routes swept without it
SECURITY_LOG = "careweave.security"
# Calls that end the caller's session are swept anonymously only: signing out, and opening someone
# else's email-confirmation link (allauth signs the wrong user out before showing it).
SIGNS_OUT = {
    ("logout", "POST"),
    ("account_logout", "POST"),
    ("account_confirm_email", "GET"),
    ("account_confirm_email", "POST"),
}
# allauth asks for the password again before it looks at the method: these refused POSTs answer that.
REAUTHENTICATE_FIRST = {("mfa_download_recovery_codes", "POST")}
# While DEBUG, anyone signed in may read the API schema (settings.SPECTACULAR_SETTINGS); only staff in production.
DEBUG_SIGNED_IN = {"api-schema", "api-docs"}
SCHEMA_OPEN_TO_SIGNED_IN = "IsAuthenticated" in str(settings.SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"])


# The fixture world.


@dataclass
class Side:
    """One team's patient and every record a URL can name, each text carrying the team's canary."""

    canary: str
    team: Team
    nurse: User
    physician: User
    plan: CarePlan
    items: dict[str, PlanItem]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def patient(self) -> Patient:
        return self.plan.patient


@dataclass
class World:
    own: Side  # team A
    foreign: Side  # team B
    members: dict[str, User]  # team A, one per care role
    outsider: User  # team B's nurse
    staff: User  # staff, on no team


def _canary_texts(model: type, pk: Any, canary: str) -> None:
    """Put the canary into every free-text field of one row (bypassing validation, as a leak test needs)."""
    changes = {}
    for f in model._meta.concrete_fields:
        if f.get_internal_type() in ("CharField", "TextField") and not f.choices and f.editable:
            size = f.max_length or 200
            if size >= len(canary) + 4 and f.name not in ("code", "phone", "call_phone", "mrn", "email"):
                changes[f.name] = f"{canary} {model.__name__} {f.name}"[:size]
    model.objects.filter(pk=pk).update(**changes)


def _side(tag: str, team: Team, members: dict[str, User], *, render_pdf: bool) -> Side:
    canary = f"CANARY-{tag}"
    nurse, physician = members[CareRole.NURSE_CARE_MANAGER], members[CareRole.PHYSICIAN]
    patient = factories.PatientFactory(
        team=team, given_name=f"{canary}-given", family_name=f"{canary}-family", preferred_name=canary
    )
    plan = factories.CarePlanFactory(patient=patient, what_matters_most=f"{canary} what matters")
    _canary_texts(CarePlan, plan.pk, canary)
    items: dict[str, PlanItem] = {}
    for kind, model in PLAN_ITEM_MODELS.items():
        extra = {"delivered_by": nurse} if kind == "education" else {}
        item = factories.ITEM_FACTORIES[model](plan=plan, **extra)
        _canary_texts(model, item.pk, canary)
        items[kind] = model.objects.get(pk=item.pk)
    plan.refresh_from_db()
    today = timezone.localdate()
    side = Side(canary, team, nurse, physician, plan, items)
    v = side.values
    v["measurement"] = services.record_goal_measurement(
        goal=items["goal"], actor=nurse, value=Decimal("8.4"), measured_on=today, source="lab", note=canary
    )
    v["person"] = patient_services.add_related_person(
        patient=patient, actor=nurse, values={"name": f"{canary} daughter", "relationship": "daughter"}
    )
    v["comment"] = comments.add_comment(plan=plan, actor=nurse, body=f"{canary} comment")
    services.record_plan_review(
        plan=plan, actor=physician, context="visit", patient_present=True, summary=f"{canary} review"
    )
    v["version"] = plan.versions.get().number
    printout = services.request_printout(
        plan=plan, actor=nurse, values={"language": "en", "recipient": "patient", "delivery": "printed"}
    )
    if render_pdf:
        services.store_printout(printout_id=printout.pk)  # the task's work; its on_commit never fires here
    v["printout"] = printout
    start = today.replace(day=1)
    v["enrolment"] = ccm.enrol_patient(
        patient=patient,
        actor=nurse,
        program="ccm",
        consent_method="verbal",
        consent_obtained_by=nurse,
        consent_obtained_at=timezone.make_aware(datetime.datetime.combine(start, datetime.time(9))),
        informed_cost_sharing=True,
        informed_one_practitioner=True,
        informed_right_to_stop=True,
        billing_practitioner=physician,
        started_on=start,
    )
    v["entry"] = ccm.log_care_time(
        patient=patient, actor=nurse, minutes=20, activity="phone", performed_on=today, note=f"{canary} call"
    )
    v["survey"] = services.issue_survey_tokens(team=team, actor=nurse, count=1, month=today)[0]
    v["notification"] = Notification.objects.create(
        key=f"sweep-{tag}",
        recipient=nurse,
        kind=Notification.Kind.MENTION,
        subject=Notification.Subject.COMMENT,
        plan=plan,
        text=f"{canary} mention",
        actor=physician,
    )
    v["token"], _secret = team_services.create_api_token(user=nurse, name=f"{canary} script")
    email = EmailAddress.objects.create(user=nurse, email=nurse.email, primary=True, verified=False)
    v["email_key"] = EmailConfirmationHMAC(email).key
    return side


def _second_factor(user: User) -> None:
    """An authenticator app and recovery codes, as everyone has in production (allauth's pages for them
    answer 404 to someone without)."""
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)


def _team(name: str, roles: list[str]) -> tuple[Team, dict[str, User]]:
    team = factories.TeamFactory(name=name)
    members = {}
    for role in roles:
        user = factories.UserFactory(username=f"{name.split()[0].lower()}-{role}")
        _second_factor(user)
        factories.MembershipFactory(user=user, team=team, role=role)
        members[role] = user
    return team, members


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module, inside a transaction rolled back at the end (the database is reused)."""
    with django_db_blocker.unblock(), transaction.atomic():
        team_a, members = _team("Alder Team", list(CareRole.values))
        team_b, others = _team("Birch Team", [CareRole.NURSE_CARE_MANAGER, CareRole.PHYSICIAN])
        staff = factories.UserFactory(username="sam-staff", is_staff=True)
        _second_factor(staff)
        yield World(
            own=_side("A", team_a, members, render_pdf=True),
            foreign=_side("B", team_b, others, render_pdf=False),
            members=members,
            outsider=others[CareRole.NURSE_CARE_MANAGER],
            staff=staff,
        )
        transaction.set_rollback(True)


# Every route, from the resolver.


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]

    @property
    def access(self) -> Access:
        return POLICY[self.name]

    def who(self, method: str) -> Who:
        who = self.access.who(method)
        if who == Who.STAFF and SCHEMA_OPEN_TO_SIGNED_IN and self.name in DEBUG_SIGNED_IN:
            return Who.SIGNED_IN
        return who

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def names_a_record(self) -> bool:
        return bool(RECORD_PARAMS & set(self.params)) or self.name == "careplans:ccm-report"


def _walk(patterns: list, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in NOT_SWEPT_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name}" if pattern.name else "", pattern


def _params(pattern: URLPattern) -> tuple[str, ...]:
    return tuple(pattern.pattern.regex.groupindex)


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        assert name, f"Every URL needs a name so the policy can list it: {pattern.pattern}"
        params = _params(pattern)
        if not SKIPPED_PARAMS & set(params):
            routes.setdefault(name, Route(name, params))
    return list(routes.values())


ROUTES = all_routes()
RECORD_KINDS = list(PLAN_ITEM_MODELS)
API_MODELS = dict(zip(API_SECTIONS, PLAN_ITEM_MODELS.values(), strict=True))


def urls(route: Route, side: Side, *, every_kind: bool = False) -> list[str]:
    """The route's URLs for `side`'s records (one per kind of item with `every_kind`)."""
    kinds = RECORD_KINDS if every_kind and "kind" in route.params else ["goal"]
    v = side.values
    found = []
    for kind in kinds:
        kwargs: dict[str, Any] = {}
        for param in route.params:
            if param in ("plan_id", "plan_pk"):
                kwargs[param] = side.plan.pk
            elif param == "patient_id":
                kwargs[param] = side.patient.pk
            elif param == "kind":
                kwargs[param] = kind
            elif param == "item_id":
                person_route = route.name.startswith("careplans:person-")
                kwargs[param] = v["person"].pk if person_route else side.items[kind].pk
            elif param == "goal_id":
                kwargs[param] = side.items["goal"].pk
            elif param in ("team_id",):
                kwargs[param] = side.team.pk
            elif param == "pk" and route.name.startswith("api:goal-measurement-"):
                kwargs[param] = v["measurement"].pk
            elif param == "pk":
                section = route.name.removeprefix("api:").rsplit("-", 1)[0]
                kwargs[param] = side.plan.pk if section == "plan" else side.items[_kind(section)].pk
            elif param == "token":
                kwargs[param] = v["survey"]
            elif param == "part":
                kwargs[param] = "summary"
            elif param == "number":
                kwargs[param] = v["version"]
            elif (
                param == "key"
            ):  # an email confirmation's key, or a password reset's (unknown: a "bad key" page)
                kwargs[param] = v["email_key"] if route.name == "account_confirm_email" else "sweep-key"
            elif param == "uidb36":
                kwargs[param] = str(side.nurse.pk)
            else:
                record = {
                    "measurement_id": "measurement",
                    "comment_id": "comment",
                    "printout_id": "printout",
                    "enrolment_id": "enrolment",
                    "entry_id": "entry",
                    "notification_id": "notification",
                    "token_id": "token",
                }.get(param)
                assert record, f"{route.name}: the sweep cannot fill <{param}>; teach tests/{__name__}.urls"
                kwargs[param] = v[record].pk
        url = reverse(route.name, kwargs=kwargs)
        if route.name == "careplans:ccm-report":
            url += f"?team={side.team.pk}&month={timezone.localdate():%Y-%m}"
        found.append(url)
    return found


def _kind(section: str) -> str:
    return next(k for k, m in PLAN_ITEM_MODELS.items() if m is API_MODELS[section])


def methods(route: Route) -> list[str]:
    return ["GET", "POST", "PATCH"] if route.is_api else ["GET", "POST"]


def call(client: Client, method: str, url: str, route: Route, side: Side) -> Any:
    if method == "GET":
        return client.get(url)
    if route.is_api:
        # Tampering: a write naming the other side's plan and goal; a detail write with a version.
        body = {
            "plan": str(side.plan.pk),
            "goal": side.items["goal"].pk,
            "reason": "sweep",
            "status": "completed",
        }
        return client.generic(
            method, url, data=json.dumps(body), content_type="application/json", HTTP_IF_MATCH='"1"'
        )
    return client.post(url, {})


def body_text(response: Any) -> str:
    """Everything a caller receives: headers and body, with a PDF's text extracted."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = str(dict(response.headers)) + content.decode("utf-8", "replace")
    if content.startswith(b"%PDF"):
        text += "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text


def fingerprint() -> dict[str, str]:
    """A hash of every row of every patient-data, team and history table (not the sessions).

    The access log is hashed without its "denied" rows: a refused call on a patient's URL must
    add one (patients.access_log), and nothing else.
    """
    hashes = {}
    for app in ("careplans", "patients", "teams", "pghistory"):
        for model in apps.get_app_config(app).get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            rows = model.objects.order_by("pk")
            if model is AccessEvent:
                rows = rows.exclude(outcome=AccessEvent.Outcome.DENIED)
            rows = rows.values_list()
            hashes[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return hashes


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The policy covers every route, and every API operation of the schema.


def test_every_url_has_a_row_in_the_policy_table():
    missing = sorted(r.name for r in ROUTES if r.name not in POLICY)
    assert not missing, (
        "These URLs are not in config/policy.py; add a row saying who may call them (and regenerate "
        f"docs/security.md with `python -m config.policy`): {missing}"
    )


def test_the_policy_table_has_no_row_for_a_url_that_is_gone():
    stale = sorted(set(POLICY) - {r.name for r in ROUTES})
    assert not stale, f"config/policy.py lists URLs that no longer exist: {stale}"


def test_every_api_operation_in_the_schema_is_allowed_to_someone_by_the_policy():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = 0
    for path, operations_by_method in schema["paths"].items():
        for method in operations_by_method:
            match = resolve(re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path))
            name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
            assert name in POLICY, f"{method.upper()} {path} ({name}) is not in config/policy.py"
            who = POLICY[name].who(method.upper())
            assert who != Who.NOBODY, f"{method.upper()} {path}: the schema offers it, the policy refuses it"
            operations += 1
    assert operations >= 4 * len(API_SECTIONS)


# Anonymous callers.


def test_anonymous_callers_are_sent_to_sign_in_everywhere_but_the_sign_in_page_and_the_survey(world):
    client = Client()
    for route in ROUTES:
        for url in urls(route, world.own):
            for method in methods(route):
                response = call(client, method, url, route, world.foreign)
                where = f"{method} {url} ({route.name})"
                assert response.status_code < 500, where
                if route.who(method) != Who.ANYONE:
                    if response.status_code == 302:
                        assert response["Location"].startswith(reverse("login")), where
                    else:
                        assert response.status_code in (401, 403, 405), where
                text = body_text(response)
                assert "CANARY-" not in text or route.who(method) == Who.ANYONE, where
                assert world.foreign.canary not in text, where


def test_an_htmx_request_from_a_signed_out_browser_gets_401_not_the_sign_in_page(world):
    client = Client(headers={"HX-Request": "true"})
    for route in ROUTES:
        if route.who("GET") in (Who.ANYONE, Who.NOBODY):
            continue
        for url in urls(route, world.own):
            response = client.get(url)
            assert response.status_code == 401, f"GET {url} ({route.name})"
            assert world.own.canary not in body_text(response), url


# Callers who may not touch the records: 404 (or 405), nothing changes, the refusal is logged.


def _refused_method_status(route: Route, method: str) -> int:
    """405, but 302 (to enter the password again) where allauth asks for that before it checks the method."""
    return 302 if (route.name, method) in REAUTHENTICATE_FIRST else 405


def _is_refused(route: Route, method: str, caller: User) -> bool:
    who = route.who(method)
    if who in (Who.ANYONE, Who.SIGNED_IN) or (who == Who.STAFF and caller.is_staff):
        return False
    return who == Who.NOBODY or route.names_a_record or method != "GET"  # an unscoped GET is a list


def _sweep_without_rights(client: Client, caller: User, side: Side, caplog) -> tuple[int, list[str]]:
    """Call every route on `side`'s records as `caller`, who has no right to them.

    The calls the caller may make (their own notifications, lists of their own teams) go first;
    then every refused call, between two fingerprints of the database. Returns how many calls
    were refused and the tables they changed (none, if all is well).
    """
    calls = [
        (route, url, method)
        for route in ROUTES
        for url in urls(route, side, every_kind=True)
        for method in methods(route)
        if (route.name, method) not in SIGNS_OUT
    ]
    calls.sort(key=lambda c: _is_refused(c[0], c[2], caller))
    before, refused = None, 0
    for route, url, method in calls:
        who = route.who(method)
        if before is None and _is_refused(route, method, caller):
            before = fingerprint()
        refused += before is not None
        caplog.clear()
        response = call(client, method, url, route, side)
        where = f"{method} {url} ({route.name}) as {caller.username}"
        assert response.status_code < 500, where
        assert side.canary not in body_text(response), f"{side.canary} leaked to {where}"
        if who == Who.NOBODY:
            assert response.status_code == _refused_method_status(route, method), where
        elif who == Who.STAFF:
            assert response.status_code == (200 if caller.is_staff else 403), where
        elif who in (Who.ANYONE, Who.SIGNED_IN):
            assert response.status_code not in (403, 404), where
        elif route.names_a_record:
            assert response.status_code == 404, where
            assert any(
                r.name == SECURITY_LOG and "access denied" in r.getMessage() for r in caplog.records
            ), f"the refusal of {where} was not logged"
        elif method == "GET":  # a list: scoped to the caller's own teams
            assert response.status_code == 200, where
        else:  # an API create naming a plan (or a goal) the caller may not see
            linked = "goal" if route.name == "api:goal-measurement-list" else "plan"
            assert response.status_code == 400, where
            assert linked in response.json()["errors"], where
            assert any(f"action=link {linked}" in r.getMessage() for r in caplog.records), where
    return refused, changed(before, fingerprint())


def test_an_outsider_gets_404_for_our_records_changes_nothing_and_is_logged(world, caplog):
    client = signed_in(world.outsider)
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOG):
        refused, tables = _sweep_without_rights(client, world.outsider, world.own, caplog)
    assert refused > 300
    assert not tables, f"refused calls changed these tables: {tables}"


def test_our_nurse_gets_404_for_another_teams_records_and_changes_nothing(world, caplog):
    client = signed_in(world.own.nurse)
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOG):
        refused, tables = _sweep_without_rights(client, world.own.nurse, world.foreign, caplog)
    assert not tables, f"refused calls changed these tables: {tables}"


def test_staff_on_no_team_see_no_patient_of_either_team(world, caplog):
    client = signed_in(world.staff)
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOG):
        refused, tables = _sweep_without_rights(client, world.staff, world.own, caplog)
    assert not tables, f"refused calls changed these tables: {tables}"
    for url in ("/", "/api/v1/plans/", "/ccm/"):
        text = body_text(client.get(url))
        assert world.own.canary not in text and world.foreign.canary not in text, url


# The team's own members, in every role: what the policy allows, and never another team's canary.


def _allowed(route: Route, method: str, user: User, world: World) -> bool:
    who = route.who(method)
    if who == Who.OWNER:
        return user == world.own.nurse
    if who == Who.STAFF:
        return user.is_staff
    if who == Who.PRIVACY_OFFICER:
        return user.is_privacy_officer
    return who != Who.NOBODY


@pytest.mark.parametrize("role", CareRole.values)
def test_each_member_of_the_team_gets_what_the_policy_allows_and_no_other_teams_data(world, role):
    user = world.members[role]
    client = signed_in(user)
    writes = role in (CareRole.NURSE_CARE_MANAGER, CareRole.PHYSICIAN, CareRole.MEDICAL_ASSISTANT)
    for route in ROUTES:
        for url in urls(route, world.own, every_kind=role == CareRole.NURSE_CARE_MANAGER):
            for method in methods(route) if writes else ["GET"]:
                if (route.name, method) in SIGNS_OUT:
                    continue
                response = call(client, method, url, route, world.own)
                where = f"{method} {url} ({route.name}) as {role}"
                assert response.status_code < 500, where
                assert world.foreign.canary not in body_text(response), (
                    f"another team's data leaked to {where}"
                )
                who = route.who(method)
                if who == Who.NOBODY:
                    assert response.status_code == _refused_method_status(route, method), where
                elif not _allowed(route, method, user, world):
                    assert response.status_code in (403, 404), where
                elif method == "GET":
                    assert response.status_code in (200, 302), where
                else:
                    assert response.status_code not in (403, 404, 405), where


# Signing off: the one action the policy gives to some roles of the team and not others.

SIGN_OFF_FORMS = {
    "careplans:plan-review": {
        "context": "visit",
        "patient_present": "yes",
        "summary": "Reviewed at the visit.",
    },
    "api:plan-reviews": {"context": "visit", "patient_present": True, "summary": "Reviewed at the visit."},
}


@pytest.mark.parametrize("role", CareRole.values)
def test_only_the_teams_sign_off_roles_sign_a_plan_off_and_a_refusal_is_logged(world, role, caplog):
    routes = [r for r in ROUTES if r.who("POST") == Who.SIGN_OFF]
    assert {r.name for r in routes} == set(SIGN_OFF_FORMS), (
        "give the sweep a valid form for each sign-off route"
    )
    user = world.members[role]
    client = signed_in(user)
    may_sign = role in world.own.team.sign_off_roles
    for route in routes:
        [url] = urls(route, world.own)
        versions = world.own.plan.versions.count()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=SECURITY_LOG):
            if route.is_api:
                world.own.plan.refresh_from_db()
                response = client.post(
                    url,
                    SIGN_OFF_FORMS[route.name],
                    content_type="application/json",
                    HTTP_IF_MATCH=f'"{world.own.plan.version}"',
                )
            else:
                response = client.post(url, SIGN_OFF_FORMS[route.name])
        if may_sign:
            assert response.status_code == (201 if route.is_api else 302), route.name
            assert world.own.plan.versions.count() == versions + 1
        else:
            if route.is_api:
                assert response.status_code == 403, route.name
            else:
                assert response.status_code < 500 and "signed off by" in response.content.decode(), route.name
            assert world.own.plan.versions.count() == versions
            assert any(f"user={user.pk} action=can_sign_off" in r.getMessage() for r in caplog.records)
