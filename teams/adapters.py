"""How sign-in fits Careweave: allauth's account adapter, and the keys django-axes counts failures under."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from teams.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Staff create every account (in the admin); nobody signs themselves up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in attempt is for, whether it was typed as a username or an email address.

    allauth passes `username` or `email` to `authenticate()`, and posts the typed value as `login`.
    An email address is turned into its account's username, so that trying by email and by username
    counts against one limit.
    """
    credentials = credentials or {}
    typed = credentials.get("username") or credentials.get("email") or request.POST.get("login") or ""
    typed = typed.strip()
    if "@" in typed:
        usernames = list(User.objects.filter(email__iexact=typed).values_list("username", flat=True)[:2])
        if len(usernames) == 1:
            return usernames[0]
    return typed.lower() if "@" in typed else typed


def client_ip_address(request: HttpRequest) -> str | None:
    """The address of the person signing in.

    Behind our reverse proxy (BEHIND_PROXY), every request comes from the proxy, so the address the
    proxy saw is the last one it appended to X-Forwarded-For; earlier entries are the client's own say.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
