"""Synlab settings, read from the environment.

Defaults are for a newcomer on one machine: SQLite, an embedded Celery broker (kombu's filesystem
transport, no server) and media on local disk. DATABASE_URL selects PostgreSQL, CELERY_BROKER_URL
selects Redis. DEBUG=0 turns on the production hardening that `manage.py check --deploy` asks for.
"""

from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SYNLAB_VAR_DIR", str(BASE_DIR / "var")))
if env_str("PYTEST_XDIST_WORKER", ""):
    # ./synlab test runs the tests in two processes at once (pytest-xdist): each gets its own
    # database file, media and embedded broker, and so do the workers and servers it starts.
    VAR_DIR = VAR_DIR / env_str("PYTEST_XDIST_WORKER", "")

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-synlab-development-only-key-change-me-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "studies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.SecurityHeadersMiddleware",  # Content-Security-Policy, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.error_pages.FriendlyErrorPagesMiddleware",  # no debug page for participants
    "config.outages.OutageMiddleware",  # a database or cache restart answers 503, retry
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]


# SQLite: writers queue for the write lock (30 s at most) from the start of their transaction;
# write-ahead logging lets pages be read while an answer is written (in the default journal a
# reader waits for every commit, sleeping in steps of up to 100 ms).
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL",
}


def database_from_env() -> dict:
    url = env_str("DATABASE_URL", "")
    if url:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
        config.setdefault("TEST", {})
        if config["ENGINE"].endswith("sqlite3"):
            config["OPTIONS"] = SQLITE_OPTIONS
        if env_str("TEST_DATABASE_NAME"):
            config["TEST"]["NAME"] = env_str("TEST_DATABASE_NAME")
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "synlab.sqlite3",
        "OPTIONS": SQLITE_OPTIONS,
        # A file (not memory) so that a real worker process sees the test database.
        "TEST": {"NAME": str(VAR_DIR / "test-synlab.sqlite3")},
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: participants get signed per-participant URLs
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Limits on a researcher's uploaded set (studies/designs/uploaded_set.py, studies/media.py).
# Sizes are checked from the zip's directory before anything is unpacked, and again while each
# file is read (a directory can lie), so a small zip that unpacks to gigabytes is refused at once.
SYNLAB_MAX_UPLOAD_BYTES = env_int("SYNLAB_MAX_UPLOAD_BYTES", 500 * 1024 * 1024)  # zip, unpacked
SYNLAB_MAX_UPLOAD_FILE_BYTES = env_int("SYNLAB_MAX_UPLOAD_FILE_BYTES", 64 * 1024 * 1024)
SYNLAB_MAX_UPLOAD_FILES = env_int("SYNLAB_MAX_UPLOAD_FILES", 25_000)
SYNLAB_MAX_MANIFEST_BYTES = env_int("SYNLAB_MAX_MANIFEST_BYTES", 4 * 1024 * 1024)
SYNLAB_MAX_MANIFEST_ROWS = env_int("SYNLAB_MAX_MANIFEST_ROWS", 10_000)
SYNLAB_MAX_IMAGE_PIXELS = env_int("SYNLAB_MAX_IMAGE_PIXELS", 4096 * 4096)
SYNLAB_MAX_CLIP_SECONDS = env_int("SYNLAB_MAX_CLIP_SECONDS", 600)  # as a 48 kHz stereo clip
# The most test trials a design may plan (its n_test_trials), whatever the kind.
SYNLAB_MAX_TEST_TRIALS = env_int("SYNLAB_MAX_TEST_TRIALS", 10_000)
SYNLAB_MEDIA_URL_MAX_AGE_S = env_int("SYNLAB_MEDIA_URL_MAX_AGE_S", 6 * 3600)
# Participants (studies/ratelimit.py, studies/enrolment.py): per client address, "count/seconds"
# (comma-separated for several; empty: no limit). Enrolment covers consent and resume-code
# posts; answer covers every participant page post and the script's answers.
SYNLAB_RATE_ENROL = env_str("SYNLAB_RATE_ENROL", "30/60,300/3600")
SYNLAB_RATE_ANSWER = env_str("SYNLAB_RATE_ANSWER", "600/60")
# Behind a reverse proxy: the header it writes the client's address into (e.g. X-Forwarded-For).
SYNLAB_CLIENT_IP_HEADER = env_str("SYNLAB_CLIENT_IP_HEADER", "")
# A session with no answer this long after consenting gives its trials back when others need
# them (the study is full).
SYNLAB_FIRST_ANSWER_WITHIN_MINUTES = env_int("SYNLAB_FIRST_ANSWER_WITHIN_MINUTES", 15)
# The cache (rate-limit counters, trial facts): per-process memory unless CACHE_URL names a
# shared one (redis://host:6379/2), which rate limits need when several processes serve.
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Background jobs (studies/jobs.py): the process running a job refreshes its heartbeat every
# lease/3 seconds, and every worker sweeps for lost jobs as often. A job whose heartbeat is older
# than the lease is lost (its worker died): it is queued again and redone by another worker.
SYNLAB_JOB_LEASE_S = env_int("SYNLAB_JOB_LEASE_S", 600)

# Celery: the embedded default needs no server; CELERY_BROKER_URL=redis://... for production.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_DIR = Path(env_str("SYNLAB_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # Redis hands an unacknowledged message to another worker after this long; such a duplicate
    # of a job that is still running (its heartbeat is fresh) is skipped by the claim.
    else {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600)}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "cpu"
# Model training and the model stage of stimulus generation need the GPU; rendering, study
# builds and everything else run on the cpu queue.
CELERY_TASK_ROUTES = {
    "workers.tasks.model_*": {"queue": "gpu"},
    "workers.tasks.stimuli_prepare_task": {"queue": "gpu"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ?limit= 1-1000 (default PAGE_SIZE), ?offset= 0-2**31-1; anything else is a 400
    "DEFAULT_PAGINATION_CLASS": "studies.pagination.BoundedPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "studies.apis.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Synlab researcher API",
    "DESCRIPTION": "Studies, stimuli, participants and responses. Staff only.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own "django" logger prints to the console with DEBUG on and passes its records
    # on to the root handler too, which printed every server line twice: it only passes on now.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# Trust X-Forwarded-Proto (to tell https requests) only behind a proxy that sets it and strips
# the client's own: otherwise any client could claim https.
if env_bool("SYNLAB_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies only over https; SECURE_COOKIES=0 only to try a production build over plain http
    # on one's own machine (README: the demo as production).
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True
