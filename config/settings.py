"""Settings, all from the environment.

Embedded default (no ``DATABASE_URL`` / ``REDIS_URL``): a PostgreSQL server from a pip-installed wheel,
started (or reused) in ``.pgdata/`` of the checkout (config/embedded_postgres.py), and Celery eager.
Production: ``DATABASE_URL=postgres://...`` (psycopg 3) and ``REDIS_URL=redis://...``.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# The embedded default (no DATABASE_URL: a checkout on a developer's machine, `make demo`, the tests)
# may run with a development key; anywhere else a missing DJANGO_SECRET_KEY stops the process, since
# a public key signs sessions, password-reset links and CSRF tokens for anyone who reads this file.
EMBEDDED_DEFAULT = not os.environ.get("DATABASE_URL")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not EMBEDDED_DEFAULT:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set outside the embedded default (DATABASE_URL is "
                                   "set): a long random value, e.g. python -c 'import secrets; "
                                   "print(secrets.token_urlsafe(50))'")
    SECRET_KEY = "dev-only-insecure-key-of-the-embedded-default"
# Off unless asked for (DJANGO_DEBUG=1; `make demo` asks): an error is a plain 500 page, not a traceback.
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

# HTTPS (README "Production"): DJANGO_HTTPS=1 behind TLS turns on the redirect to https, secure
# session and CSRF cookies and HSTS (a year, subdomains, preload). DJANGO_SECURE_PROXY_SSL_HEADER=1
# when a proxy terminates TLS and sets X-Forwarded-Proto (only then: the header is trusted).
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31_536_000)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
    "axes",
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
    "national",
    "simulation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: a request over its size limit is a 413 (config.middleware).
    "config.middleware.RequestBodyLimitMiddleware",
    "config.middleware.NulInQueryMiddleware",
    # Django's session, locale, authentication and message middleware, each passed straight through
    # by a call to /api/ made with a token, which uses none of them (config.middleware
    # ``token_api_call``; subclasses, so Django's checks still find them). CommonMiddleware (allowed
    # hosts, the trailing slash) and the CSRF middleware (named by its own path: the deploy checks
    # look for it by name; cheap without a cookie) serve every request.
    "config.middleware.SessionMiddleware",
    "config.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    "config.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "staff.middleware.AuditActorMiddleware",
    # Last, as django-axes requires: answers a locked-out login with its lockout response.
    "axes.middleware.AxesMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): five wrong passwords for one username lock it for 15 minutes,
# from whatever address (a lock by address alone would let one office's NAT lock everyone out, and
# would not stop guessing from many addresses). A correct password during the lock is refused too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# axes' own admin pages are English developer tables; a lockout is lifted with `manage.py axes_reset_username
# USERNAME` (README "Production"), and the attempts stay in its tables for whoever audits them.
AXES_ENABLE_ADMIN = False
# axes.W006 asks for the address among the lockout parameters, against guessing that rotates browsers
# or cookies; a lock by username is not bypassed that way, and an address lock is the NAT problem above.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

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
# Request bodies (config.middleware): JSON and forms up to REQUEST_BODY_MAX_BYTES, checked on the
# declared length before anything is read (413 beyond); a file upload (multipart) up to the largest
# file an import accepts. JSON nesting deeper than API_JSON_MAX_DEPTH is refused before parsing.
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", 10 * 1024 * 1024))
UPLOAD_BODY_MAX_BYTES = 520 * 1024 * 1024
API_JSON_MAX_DEPTH = 32

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # DRF's TokenAuthentication, its lookup one plain statement (staff/authentication.py)
        "staff.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["staff.permissions.IsStaffUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.rest.BoundedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": ["config.rest.BoundedJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    # Per signed-in user (and per address for anonymous calls); the counts live in the cache (Redis
    # when REDIS_URL is set, so every worker shares them). DRF's throttles, their history stored as
    # an array (config/throttling.py: a list of thousands of floats was pickled on every request).
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.AnonRateThrottle", "config.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_RATE_ANON", "60/minute"),
                               "user": os.environ.get("API_RATE_USER", "6000/minute")},
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
    # Several models have a "status" or "kind" of their own: each choice set gets its own name (without
    # these the schema's enum names are hashes and `check --deploy` warns about the collisions).
    "ENUM_NAME_OVERRIDES": {
        "ClaimBenefitEnum": "claims.models.Claim.Benefit",
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "MemberStatusEnum": "members.models.Member.Status",
        "ProviderKindEnum": "providers.models.Provider.Kind",
        "ProviderStatusEnum": "providers.models.Provider.Status",
        "SettlementRunKindEnum": "budgets.models.SettlementRun.Kind",
        "SettlementRunStatusEnum": "budgets.models.SettlementRun.Status",
        "AccountStatusEnum": "accounts.models.Account.Status",
        "AccountEntryKindEnum": "accounts.models.AccountEntry.Kind",
        "WarningKindEnum": "supervision.models.Warning.Kind",
        "WarningStatusEnum": "supervision.models.Warning.Status",
        "ImportJobKindEnum": "imports.models.ImportJob.Kind",
        "ImportJobStatusEnum": "imports.models.ImportJob.Status",
        "OutOfAreaEnum": "claims.models.OUT_OF_AREA_CHOICES",
        "OutOfAreaRegistrationKindEnum": "members.models.OutOfAreaRegistration.Kind",
    },
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
# One message reserved per worker process, not Celery's default four: the claims file's partitions
# (claims/files.py) and the settlement's partials are long tasks of similar size, and with four
# prefetched per process the first worker to ask took most of a file while the other idled (a file
# of 6 000 visits in 3 partitions: 3 593 against 4 470 claims/s with smaller partitions and this).
# Celery's own advice for long tasks ("Prefetch Limits" in the optimizing guide). Nothing relies on
# the default: no task here is short enough for the extra round trip per message to show.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
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
    # The claims written since the last minute, into supervision's tallies (supervision/tallies.py).
    "tallies-catch-up": {
        "task": "supervision.tasks.tallies_catch_up",
        "schedule": crontab(),
    },
}

LOGIN_URL = "admin:login"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
