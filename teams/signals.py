"""Connects sign-in, sign-out and deactivation to teams.sessions (the work is done there)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from teams import sessions
from teams.models import User


@receiver(user_logged_in)
def on_sign_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if hasattr(request, "session"):
        sessions.record_sign_in(request=request, user=user)


@receiver(user_logged_out)
def on_sign_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if hasattr(request, "session"):
        sessions.forget_session(session_key=request.session.session_key)


@receiver(post_save, sender=User)
def on_user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """A deactivated account is signed out everywhere at once, not at its sessions' next request."""
    if not created and not instance.is_active:
        sessions.end_sessions_of(user=instance)
