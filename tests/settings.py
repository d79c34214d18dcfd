"""Test settings: the real settings, made fast. PostgreSQL as everywhere else."""

from __future__ import annotations

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
SECURE_SSL_REDIRECT = False

# Tasks run in-process in tests; tests/careplans/test_tasks.py sends one through a real broker and worker.
CELERY_TASK_ALWAYS_EAGER = True

# Tests sign in with a password alone; tests/teams/test_authentication.py turns the MFA requirement on.
MFA_REQUIRED = False
