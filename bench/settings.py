"""Settings for the benchmark: the production settings, with what a loopback run needs.

DEBUG is off (the cached template loader, no query log), as in production. Only what a plain-HTTP run on
127.0.0.1 cannot have is changed, plus the URLs of the floor view.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")

from config.settings import *  # noqa: E402, F403
from config.settings import BASE_DIR, TEMPLATES  # noqa: E402

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# The manifest needs `collectstatic`; looking a name up in it costs about what this does.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
