"""Server-side sessions: when they start, how long they last, and ending them.

Limits (config.settings): SESSION_IDLE_TIMEOUT without a request the person made, and
SESSION_ABSOLUTE_TIMEOUT after signing in. Background requests (the notification badge,
marked with the `X-Careweave-Background: 1` header) do not count as activity.

Activity is written to the session at most once every SESSION_ACTIVITY_INTERVAL (a minute): writing
it on every request cost an UPDATE and a commit each, about 3 ms of a 20 ms page (docs/benchmarks.md,
run 9). So the idle limit counts from the last activity written, which is up to that interval before
the last request: a session ends between 14 and 15 minutes after the last request, never later.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

from teams.models import User, UserSession

SIGNED_IN_AT = "careweave_signed_in_at"
LAST_ACTIVE_AT = "careweave_last_active_at"
BACKGROUND_HEADER = "X-Careweave-Background"


def record_sign_in(*, request: HttpRequest, user: User) -> None:
    """Stamp a fresh session (Django has already cycled its key) and index it under its user."""
    now = timezone.now()
    request.session[SIGNED_IN_AT] = now.timestamp()
    request.session[LAST_ACTIVE_AT] = now.timestamp()
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"user": user, "signed_in_at": now}
    )


def forget_session(*, session_key: str | None) -> None:
    """After sign-out (Django flushes the session itself): drop its index row."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def end_sessions_of(*, user: User) -> int:
    """End every session `user` has, on the server: their next request finds them signed out."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def is_background(request: HttpRequest) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


def session_ended(request: HttpRequest) -> bool:
    """Whether the signed-in session is past its idle or absolute limit; stamps activity if not."""
    now = timezone.now().timestamp()
    signed_in_at = request.session.setdefault(SIGNED_IN_AT, now)  # a session from before these limits
    last_active_at = request.session.get(LAST_ACTIVE_AT, signed_in_at)
    if now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return True
    if now - last_active_at > settings.SESSION_IDLE_TIMEOUT:
        return True
    if not is_background(request) and now - last_active_at >= settings.SESSION_ACTIVITY_INTERVAL:
        request.session[LAST_ACTIVE_AT] = now  # saving the session also pushes back its database expiry
    return False


def signed_in_at(request: HttpRequest) -> datetime.datetime | None:
    stamp = request.session.get(SIGNED_IN_AT)
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC) if stamp else None
