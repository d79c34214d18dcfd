"""Production settings, checked from outside: `check --deploy` is silent, secrets come only from the environment.

Each test starts a fresh Python with production's environment variables, because the settings read
them once, at import.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def production_env(**changes: str | None) -> dict[str, str]:
    # tests/conftest.py allows async-unsafe ORM calls for the browser tests; production never does.
    env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECURE_HSTS_PRELOAD"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="careweave.example.org",
        CSRF_TRUSTED_ORIGINS="https://careweave.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/careweave"),
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)


def in_production(code: str, **changes: str | None) -> dict:
    """What `code` (run after django.setup(), assigning `result`) finds with production settings."""
    script = f"import json, django\ndjango.setup()\n{code}\nprint(json.dumps(result))"
    completed = run(sys.executable, "-c", script, env=production_env(**changes))
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_deploy_check_is_clean_with_production_settings_even_at_warning_level():
    result = deploy_check(production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_the_deploy_check_would_catch_a_weak_secret_key():
    """So the clean run above means something: the same check fails on a short key."""
    result = deploy_check(production_env(SECRET_KEY="short-and-guessable"))

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_opting_in_to_hsts_preload_stays_clean_with_nothing_silenced():
    result = deploy_check(production_env(SECURE_HSTS_PRELOAD="true"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_debug_the_secret_key_must_come_from_the_environment():
    result = run(sys.executable, "manage.py", "check", env=production_env(SECRET_KEY=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_cookies_are_host_prefixed_secure_and_hsts_covers_subdomains_without_preload():
    found = in_production(
        "from django.conf import settings as s\n"
        "result = {n: getattr(s, n) for n in ('SESSION_COOKIE_NAME', 'CSRF_COOKIE_NAME', 'SESSION_COOKIE_SECURE',"
        " 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        " 'SECURE_HSTS_PRELOAD', 'SESSION_COOKIE_DOMAIN', 'CSRF_COOKIE_DOMAIN')}"
    )

    assert found == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_DOMAIN": None,
    }


def test_in_production_the_sign_in_page_sends_hsts_csp_and_a_host_prefixed_csrf_cookie():
    found = in_production(
        "from django.conf import settings\n"
        "from django.test import Client, override_settings\n"
        # Static files are not collected here: plain static URLs instead of the manifest's.
        "plain = {**settings.STORAGES, 'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "with override_settings(STORAGES=plain):\n"
        "    r = Client().get('/accounts/login/', secure=True, headers={'host': 'careweave.example.org'})\n"
        "c = r.cookies['__Host-csrftoken']\n"
        "result = {'status': r.status_code, 'hsts': r['Strict-Transport-Security'],\n"
        " 'csp': r['Content-Security-Policy'], 'referrer': r['Referrer-Policy'],\n"
        " 'cookie': {'secure': c['secure'], 'path': c['path'], 'domain': c['domain']},\n"
        " 'page': r.content.decode()}"
    )

    assert found["status"] == 200
    assert found["hsts"] == "max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in found["csp"]
    assert found["referrer"] == "same-origin"
    assert found["cookie"] == {"secure": True, "path": "/", "domain": ""}
    assert '<meta name="csrf-cookie-name" content="__Host-csrftoken">' in found["page"]


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs the machine's Redis (CI sets it)")
def test_with_cache_url_every_process_shares_one_redis_cache_for_sign_in_rate_limits():
    key = f"careweave-test-{secrets.token_hex(4)}"
    redis_url = os.environ["CELERY_BROKER_URL"]
    default = "from django.core.cache import caches\ncache = caches['default']\n"

    stored = in_production(
        f"{default}cache.set({key!r}, 'shared', 30)\nresult = type(cache).__name__", CACHE_URL=redis_url
    )
    seen = in_production(f"{default}result = cache.get({key!r})", CACHE_URL=redis_url)

    assert (stored, seen) == ("RedisCache", "shared")  # written by one process, read by another
    assert in_production(f"{default}result = type(cache).__name__") == "LocMemCache"
