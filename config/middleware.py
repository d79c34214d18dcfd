"""Project-wide HTTP policies that apply to every page."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from patients import access_log
from teams import sessions


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


class SessionLifetimeMiddleware:
    """Ends a session on the server once it is idle too long or too old (teams.sessions has the limits).

    Runs before the login check, so the request that finds its session ended is treated like any
    signed-out one: a page redirects to sign-in, an HTMX request gets the "session ended" notice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and sessions.session_ended(request):
            logout(request)
        return self.get_response(request)


class MfaRequiredMiddleware:
    """With MFA_REQUIRED on, a signed-in person without a second factor is sent to set one up.

    Only the account pages (sign-out, the authenticator set-up itself, re-authentication) and
    static files stay reachable until then; API calls made with this session get a 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.open_prefixes = ("/accounts/", f"/{settings.STATIC_URL.lstrip('/')}")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.MFA_REQUIRED
            and request.user.is_authenticated
            and not request.path.startswith(self.open_prefixes)
            and not is_mfa_enabled(request.user)
        ):
            return self.set_up_mfa_first(request)
        return self.get_response(request)

    def set_up_mfa_first(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            detail = "Set up two-factor authentication in Careweave before using the API."
            return JsonResponse({"detail": detail}, status=403)
        setup_url = reverse("mfa_activate_totp")
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(setup_url)
        return redirect(setup_url)


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
