"""One env-driven settings file.

Environment:
  SHANZHI_DATA_DIR   where the SQLite file, keys and outbox live (default ./data)
  DATABASE_URL       sqlite:///path or postgres://user@host:port/name
  SECRET_KEY         Django secret; generated into the data dir on first use when absent
  SHANZHI_PII_KEY    base64 32-byte key for personal data; generated into the data dir on first use when absent
  DEBUG              1 to enable debug pages
  ALLOWED_HOSTS      comma-separated
  SMS_BACKEND        dotted path, or file (default: the outbox in the data dir), console, memory
  SHANZHI_SMS_ECHO   1 to also print every SMS (numbers and codes) to stderr; development only
  SHANZHI_REVEAL_LIMIT_PER_HOUR  full ID numbers/phones one person may reveal an hour (default 20)

Files in the data dir are created owner-only (0700 dir, 0600 files) on first need, never at import.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
# Nothing is created at import: the data dir (0700), the SQLite file and keys (0600) appear on first need,
# so `shanzhi --help` in any directory leaves no files behind.
DATA_DIR = Path(os.environ.get("SHANZHI_DATA_DIR", Path.cwd() / "data")).resolve()


def _secret_file(name: str, make):
    """A secret kept in the data dir, read (or created once, owner-only) the first time it is used."""
    from functools import cache

    from django.utils.functional import lazy

    from shanzhi.lib.files import private_dir, secret_file

    @cache
    def read() -> str:
        private_dir(DATA_DIR)
        return secret_file(DATA_DIR / name, make)

    return lazy(read, str)()


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY") or _secret_file("secret_key", lambda: secrets.token_urlsafe(50))
PII_KEY = os.environ.get("SHANZHI_PII_KEY") or _secret_file(
    "pii_key", lambda: __import__("base64").b64encode(secrets.token_bytes(32)).decode()
)
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
    "shanzhi.lib",
    "shanzhi.audit",
    "shanzhi.org",
    "shanzhi.accounts",
    "shanzhi.people",
    "shanzhi.cases",
    "shanzhi.open311",
    "shanzhi.campaigns",
    "shanzhi.mediation",
    "shanzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shanzhi.lib.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "shanzhi.lib.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shanzhi.urls"
WSGI_APPLICATION = "shanzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shanzhi.lib.context.nav",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'shanzhi.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same backend, creating the file owner-only on first connect (shanzhi/lib/sqlite).
    DATABASES["default"]["ENGINE"] = "shanzhi.lib.sqlite"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA case_sensitive_like=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SHANZHI_TEST_SQLITE") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["shanzhi.accounts.backends.StaffPasswordBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "org:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LANGUAGE_CODE = "zh-hans"
# Pages follow the language switch only; set to 1 to follow the browser's Accept-Language too.
SHANZHI_BROWSER_LANGUAGE = _env_bool("SHANZHI_BROWSER_LANGUAGE")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"  # made by `shanzhi serve` or collectstatic
if DATA_DIR.is_dir():  # an existing data dir: have it ready so WhiteNoise finds it (never makes ./data)
    STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "shanzhi.lib.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "shanzhi.lib.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shanzhi 善治 API",
    "DESCRIPTION": "Org units, posts, households and residents, scoped to the caller's posts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "shanzhi.lib.api.document_framework_errors"],
}

# Domain settings
SHANZHI = {
    "COUNTY_CODE": os.environ.get("SHANZHI_COUNTY_CODE", "330421"),
    "CENTRAL_HOUSEHOLD_CAPACITY": int(os.environ.get("SHANZHI_CENTRAL_HOUSEHOLD_CAPACITY", "10")),
    "CENTRAL_HOUSEHOLD_SAME_MICROGRID": _env_bool("SHANZHI_CENTRAL_HOUSEHOLD_SAME_MICROGRID", True),
    "LOGIN_MAX_FAILURES": int(os.environ.get("SHANZHI_LOGIN_MAX_FAILURES", "5")),
    "LOGIN_LOCK_MINUTES": int(os.environ.get("SHANZHI_LOGIN_LOCK_MINUTES", "15")),
    "OTP_TTL_SECONDS": int(os.environ.get("SHANZHI_OTP_TTL_SECONDS", "300")),
    "OTP_MIN_INTERVAL_SECONDS": int(os.environ.get("SHANZHI_OTP_MIN_INTERVAL_SECONDS", "60")),
    "OTP_MAX_PER_HOUR": int(os.environ.get("SHANZHI_OTP_MAX_PER_HOUR", "5")),
    "OTP_MAX_ATTEMPTS": 5,
    # Full ID numbers / phones one person may reveal in an hour; past it reveals are refused and the
    # county admins are told in their inbox.
    "REVEAL_LIMIT_PER_HOUR": int(os.environ.get("SHANZHI_REVEAL_LIMIT_PER_HOUR", "20")),
    "SMS_BACKEND": os.environ.get("SMS_BACKEND", "shanzhi.accounts.sms.FileBackend"),
    "SMS_OUTBOX": DATA_DIR / "sms-outbox.log",
    # Also print each SMS (phone and text, so one-time codes) to stderr: for development only.
    "SMS_ECHO": _env_bool("SHANZHI_SMS_ECHO"),
    "OVERLAP_TOLERANCE_M2": float(os.environ.get("SHANZHI_OVERLAP_TOLERANCE_M2", "1.0")),
    "TILE_URL": os.environ.get("SHANZHI_TILE_URL", ""),
    "TILE_ATTRIBUTION": os.environ.get("SHANZHI_TILE_ATTRIBUTION", ""),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
