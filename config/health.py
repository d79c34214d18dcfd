"""`GET /healthz`: is this process able to serve? For load balancers, container healthchecks and monitors.

It answers before any other middleware runs (see `HealthCheckMiddleware` in settings), so it needs
no allowed Host, no HTTPS redirect, no session and no sign-in, and says nothing about patients:
only whether the database and the Celery broker answer, and how fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

PATH = "/healthz"
TIMEOUT_SECONDS = 2


def _timed(check: Callable[[], Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # Any failure is the answer; the monitor shows which check failed and why.
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def health() -> tuple[bool, dict[str, Any]]:
    checks = {"database": _timed(_database)}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _timed(_broker)
    else:
        checks["broker"] = {"ok": True, "note": "no broker configured: tasks run in-process"}
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "unavailable", "checks": checks}


class HealthCheckMiddleware:
    """Answers `/healthz` itself, first in the chain; passes every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        healthy, body = health()
        response = JsonResponse(body, status=200 if healthy else 503)
        add_never_cache_headers(response)
        return response
