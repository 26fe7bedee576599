"""Settings, all from the environment.

Embedded default (no ``DATABASE_URL`` / ``REDIS_URL``): a PostgreSQL server from a pip-installed wheel,
started (or reused) in ``.pgdata/`` of the checkout (config/embedded_postgres.py), and Celery eager.
Production: ``DATABASE_URL=postgres://...`` (psycopg 3) and ``REDIS_URL=redis://...``.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", "DATABASE_URL" not in os.environ)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by the project: the API docs work offline
    "import_export",
    "policy",
    "staff",
    "providers",
    "members",
    "claims",
    "budgets",
    "accounts",
    "supervision",
    "imports",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "staff.middleware.AuditActorMiddleware",
]

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    from config.embedded_postgres import embedded_database

    DATABASES = {"default": embedded_database()}
# Values travel apart from the SQL (server-side binding) and a statement a connection runs a fifth time
# is prepared on the server, so the claim's handful of statements are planned once per connection, not
# once per claim (planning them cost PostgreSQL more than running them). Behind a pooler in transaction
# mode (PgBouncer < 1.21) set DATABASE_PREPARE_THRESHOLD=off: prepared statements do not survive there.
_PREPARE = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5")
# Prepared statements keep their generic plan (the claims' lookups by unique index hold for one
# visit or ten thousand); left to choose, PostgreSQL re-planned them for every claim, at about 0.5 ms
# of server CPU each. Only statements a connection runs five times are prepared; reports are not.
DATABASES["default"].setdefault("OPTIONS", {}).update(
    server_side_binding=True, prepare_threshold=None if _PREPARE.lower() == "off" else int(_PREPARE),
    options="-c plan_cache_mode=force_generic_plan")
# Two test runs side by side on one server (e.g. two checkouts) each need their own test database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Chinese only: the staff work in Chinese, and a half-translated English was worse than none
# (docs/staff.md "Language"). A browser asking for English still gets Chinese.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
# The locale format modules override the settings above; ours (config/formats/<lang>/formats.py) win.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["staff.permissions.IsStaffUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "%Y-%m-%d",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "医保经办 API",
    "DESCRIPTION": "Outpatient pooling back office, REST API v1 (see shared/api/CONTRACT.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files from the drf-spectacular-sidecar package, not from a CDN (offline-ready).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: eager in the embedded default, Redis otherwise.
REDIS_URL = os.environ.get("REDIS_URL")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

# The schedule. Periods are computed by the tasks from the time they run (the month before, the
# year before) and passed on explicitly, so a re-run for any period goes through the same code.
CELERY_BEAT_SCHEDULE = {
    "monthly-settlement": {
        "task": "budgets.tasks.schedule_monthly_settlements",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "year-end-settlement": {
        "task": "budgets.tasks.schedule_year_end_settlements",
        "schedule": crontab(minute=0, hour=2, day_of_month=5, month_of_year=1),
    },
    "monthly-account-credit": {
        "task": "accounts.tasks.schedule_monthly_credits",
        "schedule": crontab(minute=0, hour=1, day_of_month=1),
    },
    "monthly-indicators": {
        "task": "supervision.tasks.schedule_monthly_indicators",
        "schedule": crontab(minute=0, hour=4, day_of_month=1),
    },
}

LOGIN_URL = "admin:login"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
