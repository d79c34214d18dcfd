from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    # app.js reads the CSRF cookie by this name ("__Host-csrftoken" in production).
    return {"site_name": settings.SITE_NAME, "csrf_cookie_name": settings.CSRF_COOKIE_NAME}
