"""Project-wide HTTP policies that apply to every page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django_htmx.http import reswap, retarget

from patients import access_log


class NoStoreForSignedInMiddleware:
    """Responses to signed-in users carry patient data: no browser or proxy may keep a copy.

    Applied once here rather than per view, so a new page cannot forget it.
    Static files (served by WhiteNoise before this runs) stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's login requirement, except that an HTMX request from a signed-out browser gets a 401.

    Redirecting such a request would swap the sign-in page into the form being saved, or
    leave the page and lose what was typed. Instead the answer is a notice (base.html's
    `#session-notice`) saying to sign in again in another tab; the form stays as it was, and
    saving again afterwards goes through (app.js sends the new CSRF token).
    """

    def handle_no_permission(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse]
    ) -> HttpResponse:
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        response = render(request, "registration/session_ended.html#session-ended", status=401)
        return retarget(reswap(response, "innerHTML"), "#session-notice")


class AccessLogMiddleware:
    """Log each request's reads of patient records: one access event per patient the request was handed.

    The scoping selectors note the patients they return; after the response this writes the read (or,
    for a 403/404 on a patient's URL, the refusal). See patients/access_log.py for what is logged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with access_log.tracking_request() as access:
            response = self.get_response(request)
            access_log.record_request_reads(request, response, access)
        return response
