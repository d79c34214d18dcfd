"""The access log: who read, searched, printed, exported, downloaded or disclosed which patient's record.

pghistory records every *change*; this records every *read* (HIPAA 164.312(b), ASVS 16.3).
`record_access` is the one way to write an `AccessEvent`; call it from a view for anything that is not
a plain page read (a search, a print, an export, a disclosure):

    record_access(request, patient, subtype=AccessEvent.Subtype.EXPORT, what="Bundle/…")

Plain reads need no call. The scoping selectors (`get_patient_for_user`, `get_plan_for_user`, …)
`note_patient` each patient they hand out, and `AccessLogMiddleware` (config/middleware.py) writes one
read event per request that noted a patient and was not already logged explicitly: one INSERT, after the
response is made. A request refused by scoping (403/404 on a URL naming a plan or patient) is logged with
outcome 4 (denied). HTMX partial reloads of a patient already logged for the same user within
`HTMX_READ_WINDOW` are not logged again (one indexed EXISTS instead of an INSERT); full page loads,
downloads and API reads always are.

Purpose of use defaults to treatment; a view that grants emergency access (break the glass) sets
`request.access_purpose = AccessEvent.Purpose.EMERGENCY` (or passes `purpose=`), and every event of
that request carries it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from patients.models import AccessEvent, Patient

HTMX_READ_WINDOW = datetime.timedelta(minutes=10)

# URL names whose GET is more than a read of the page.
SUBTYPE_OF_URL = {"careplans:printout-download": AccessEvent.Subtype.DOWNLOAD}
# URL kwargs that name a patient's record: a 403/404 on such a URL is a refused access.
PATIENT_KWARGS = ("patient_id", "plan_id")


@dataclass
class _RequestAccess:
    """The patients one request touched, and those already logged explicitly."""

    noted: list[Any] = field(default_factory=list)
    logged: set[Any] = field(default_factory=set)


_current: contextvars.ContextVar[_RequestAccess | None] = contextvars.ContextVar("access_log", default=None)


def note_patient(patient_id: Any) -> None:
    """Tell the access log that this request was handed patient `patient_id` by a scoping selector.

    Costs nothing outside a request (tasks, commands, tests of selectors).
    """
    access = _current.get()
    if access is not None and patient_id not in access.noted:
        access.noted.append(patient_id)


def record_access(
    request: HttpRequest | None,
    patient: Patient | None,
    *,
    subtype: str,
    action: str | None = None,
    outcome: int = AccessEvent.Outcome.SUCCESS,
    what: str = "",
    query: str = "",
    result_count: int | None = None,
    purpose: str | None = None,
    recipient: str = "",
    agent: Any = None,
) -> AccessEvent:
    """Write one access event for `request` (who, from where) about `patient`; return it.

    `request` may be a Django or DRF request, or None outside a request (then pass `agent`). The
    request's later automatic read event for the same patient is skipped. Searches, exports and
    disclosures default to action E (execute), the rest to R (read).
    """
    if action is None:
        executes = {AccessEvent.Subtype.SEARCH, AccessEvent.Subtype.EXPORT, AccessEvent.Subtype.DISCLOSURE}
        action = AccessEvent.Action.EXECUTE if subtype in executes else AccessEvent.Action.READ
    event = AccessEvent(
        subtype=subtype,
        action=action,
        outcome=outcome,
        patient=patient,
        what=what[:200],
        query=query,
        result_count=result_count,
        recipient=recipient[:200],
        purpose=purpose or getattr(request, "access_purpose", None) or AccessEvent.Purpose.TREATMENT,
    )
    _describe_agent(event, request, agent)
    event.save(force_insert=True)
    access = _current.get()
    if access is not None and patient is not None:
        access.logged.add(patient.pk)
    return event


@contextlib.contextmanager
def tracking_request() -> Iterator[_RequestAccess]:
    """Collect the patients noted while handling one request (used by AccessLogMiddleware)."""
    access = _RequestAccess()
    token = _current.set(access)
    try:
        yield access
    finally:
        _current.reset(token)


def record_request_reads(request: HttpRequest, response: HttpResponse, access: _RequestAccess) -> None:
    """After a response: log the read of each patient noted and not yet logged, or the refusal."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return
    denied = response.status_code in (403, 404)
    pending = [pk for pk in access.noted if pk not in access.logged]
    if denied and not access.noted and not access.logged:
        _record_refusal(request, match)
        return
    if request.method == "GET" and match.view_name.startswith("api:") and match.url_name.endswith("-list"):
        _record_api_search(request, response)
        return
    if request.method not in ("GET", "HEAD") or not pending:
        return
    subtype = SUBTYPE_OF_URL.get(match.view_name, AccessEvent.Subtype.READ)
    outcome = AccessEvent.Outcome.DENIED if denied else AccessEvent.Outcome.SUCCESS
    if _is_partial_reload(request) and _read_recently(user, pending):
        return
    for patient_id in pending:
        event_patient = Patient(pk=patient_id)  # only the key is stored; no read of the row
        record_access(request, event_patient, subtype=subtype, outcome=outcome, what=request.path, agent=user)


def _record_refusal(request: HttpRequest, match: Any) -> None:
    """A 403/404 on a URL naming a plan or patient: logged as denied, with the patient if it exists."""
    kwargs = match.kwargs
    if not any(name in kwargs for name in PATIENT_KWARGS) and not match.view_name.startswith("api:"):
        return
    record_access(
        request,
        _patient_named_by(kwargs),
        subtype=AccessEvent.Subtype.READ,
        outcome=AccessEvent.Outcome.DENIED,
        what=request.path,
    )


def _patient_named_by(kwargs: dict[str, Any]) -> Patient | None:
    from careplans.models import CarePlan  # careplans depends on patients, not the other way round

    try:
        if "patient_id" in kwargs:
            return Patient.objects.only("pk").filter(pk=kwargs["patient_id"]).first()
        if "plan_id" in kwargs:
            patient_id = CarePlan.objects.filter(pk=kwargs["plan_id"]).values_list("patient_id", flat=True)
            return Patient(pk=patient_id[0]) if patient_id else None
    except (ValueError, TypeError, ValidationError):  # not an id at all: the view answers 404
        return None
    return None


def _record_api_search(request: HttpRequest, response: HttpResponse) -> None:
    """An API list is a search: one event with its filters and how many rows matched."""
    data = getattr(response, "data", None)
    count = data.get("count") if isinstance(data, dict) else None
    patient = None
    with contextlib.suppress(ValueError, TypeError):
        if request.GET.get("patient"):
            # Looked up, not assumed: an id of no patient is still a search, logged without a patient.
            patient = Patient.objects.only("pk").filter(pk=uuid.UUID(request.GET["patient"])).first()
    record_access(
        request,
        patient,
        subtype=AccessEvent.Subtype.SEARCH,
        what=request.path,
        query=request.GET.urlencode(),
        result_count=count,
    )


def _is_partial_reload(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _read_recently(user: Any, patient_ids: list[Any]) -> bool:
    return AccessEvent.objects.filter(
        agent=user,
        patient_id__in=patient_ids,
        outcome=AccessEvent.Outcome.SUCCESS,
        recorded__gte=timezone.now() - HTMX_READ_WINDOW,
    ).exists()


def _describe_agent(event: AccessEvent, request: HttpRequest | None, agent: Any) -> None:
    user = agent if agent is not None else getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        event.agent = user
        roles = [user.credentials] if user.credentials else []
        if user.is_privacy_officer:
            roles.append("privacy officer")
        event.agent_role = ", ".join(roles)[:60]
    if request is None:
        return
    from teams.models import ApiToken

    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        event.api_token = token
    event.source_address = _client_address(request)
    event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    match = getattr(request, "resolver_match", None)
    if match is not None:
        event.url_name = match.view_name[:100]


def _client_address(request: HttpRequest) -> str | None:
    """The client's IP: REMOTE_ADDR, or behind our proxy the address it appended to X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None
