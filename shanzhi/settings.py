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
  SHANZHI_HSTS_SECONDS        Strict-Transport-Security max-age (default 0: no header); behind HTTPS only
  SHANZHI_HSTS_SUBDOMAINS     1 to add includeSubDomains to the HSTS header
  SHANZHI_PROXY_SSL_HEADER    "HEADER=value" the HTTPS proxy sets, e.g. "X-Forwarded-Proto=https" (default unset)
  SHANZHI_SSL_REDIRECT        1 to redirect plain HTTP to HTTPS
  SHANZHI_LOGIN_FAILURE_LIMIT failed log-ins allowed per account and address before refusing (default 5)
  SHANZHI_LOGIN_IP_FAILURE_LIMIT  failed log-ins allowed per address over all accounts (default 20)
  SHANZHI_LOGIN_LOCK_MINUTES  how long a lock-out lasts (default 15)
  SHANZHI_CLIENT_IP_HEADER    behind a proxy: the header holding the client address, e.g.
                              "HTTP_X_FORWARDED_FOR" (its last entry is used); default REMOTE_ADDR
  SHANZHI_OTP_RATE            one-time-code requests per client address (default "10/hour")
  SHANZHI_OPEN311_POST_RATE   Open311 POSTs per client address (default "30/hour")
  SHANZHI_TOKEN_TTL_DAYS      API tokens older than this are refused (default 30)
  SHANZHI_STATIC_ROOT         where `shanzhi serve` collects the static files (default: static/ in the data dir)
  SHANZHI_MAP_LINK            a map app's URL for a case's place, beside the geo: link, with {lat} {lon}
                              {label} (e.g. 高德 "https://uri.amap.com/marker?position={lon},{lat}&name={label}",
                              百度 "https://api.map.baidu.com/marker?location={lat},{lon}&title={label}&content={label}&output=html&coord_type=wgs84")
  SHANZHI_PUBLIC_URL          the site's address for links in SMS, e.g. "https://shanzhi.example.cn" (default none:
                              the rating SMS then carries the path only)
  SHANZHI_RATING_LINK_DAYS    how long a rating link in an SMS stays valid (default 7)
  SHANZHI_STAFF_RATIO_TARGET  the command centre's 人网比 target: residents per grid worker (default 1000)
  SHANZHI_ALLOW_SELF_VERIFY   1 to let whoever reported back a case also verify and close it (small villages;
                              default 0: separation of duties, a 403)
  DATABASE_REPLICA_URL        postgres://... of a streaming replica: the dashboards read from it (default unset)
  SHANZHI_REPLICA_MAX_LAG_SECONDS  read the replica only while at most this far behind (default 30)

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
    "axes",
    "drf_spectacular",
    "shanzhi.lib",
    "shanzhi.audit",
    "shanzhi.org",
    "shanzhi.accounts",
    "shanzhi.people",
    "shanzhi.cases",
    "shanzhi.open311",
    "shanzhi.campaigns",
    "shanzhi.rooms",
    "shanzhi.mediation",
    "shanzhi.councils",
    "shanzhi.legal",
    "shanzhi.appraisal",
    "shanzhi.volunteers",
    "shanzhi.elections",
    "shanzhi.dashboard",
    "shanzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shanzhi.lib.compress.PageGZipMiddleware",  # HTML pages and fragments gzip-compressed for slow phones
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shanzhi.lib.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "shanzhi.lib.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a refused log-in into the login page's own answer.
    "axes.middleware.AxesMiddleware",
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

# Dashboard reads from a PostgreSQL streaming replica (shanzhi.lib.replica), only when configured: the router
# sends reads inside `replica_reads()` there and everything else (all writes, migrations) to "default".
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    from shanzhi.lib.dbrouter import replica_settings

    DATABASES["replica"] = replica_settings(os.environ["DATABASE_REPLICA_URL"].strip(),
                                            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    DATABASE_ROUTERS = ["shanzhi.lib.dbrouter.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses an account-and-address pair (or an address) past its failure limit.
    "shanzhi.accounts.backends.LoginLimitBackend",
    "shanzhi.accounts.backends.StaffPasswordBackend",
]
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

# HTTPS deployments (behind a proxy that terminates TLS). Off by default: plain HTTP on a laptop.
SECURE_HSTS_SECONDS = int(os.environ.get("SHANZHI_HSTS_SECONDS", "0") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SHANZHI_HSTS_SUBDOMAINS")
SECURE_SSL_REDIRECT = _env_bool("SHANZHI_SSL_REDIRECT")


def _proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """"X-Forwarded-Proto=https" -> ("HTTP_X_FORWARDED_PROTO", "https"); empty -> None."""
    raw = (raw or "").strip()
    if not raw:
        return None
    name, sep, value = raw.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise ValueError('SHANZHI_PROXY_SSL_HEADER must look like "X-Forwarded-Proto=https"')
    name = name.upper().replace("-", "_")
    return (name if name.startswith("HTTP_") else f"HTTP_{name}", value)


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(os.environ.get("SHANZHI_PROXY_SSL_HEADER", ""))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def _tile_source(url: str) -> list[str]:
    """The CSP source for the tile server: scheme and host of SHANZHI_TILE_URL ({s} becomes *)."""
    from urllib.parse import urlsplit

    parts = urlsplit((url or "").replace("{s}", "x-sub-x"))
    if not (parts.scheme in {"http", "https"} and parts.netloc):
        return []
    host = parts.netloc.replace("x-sub-x", "*")
    if "{" in host:  # another placeholder in the host: allow that scheme's hosts of the same domain
        host = "*." + host.split("}", 1)[-1].lstrip(".")
    return [f"{parts.scheme}://{host}"]


# Content-Security-Policy (django-csp): scripts only from our static files, no inline scripts or
# handlers. Inline style *attributes* stay allowed (style-src-attr; the vendored ECharts tooltips and
# a few progress bars use them); <style> blocks and style sheets come from 'self' only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", *_tile_source(os.environ.get("SHANZHI_TILE_URL", ""))],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
# Pages follow the language switch only; set to 1 to follow the browser's Accept-Language too.
SHANZHI_BROWSER_LANGUAGE = _env_bool("SHANZHI_BROWSER_LANGUAGE")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("SHANZHI_STATIC_ROOT") or DATA_DIR / "static")  # made by `shanzhi serve`
if DATA_DIR.is_dir():  # an existing data dir: have it ready so WhiteNoise finds it (never makes ./data)
    STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names (site.3f2a….css) and a .gz and .br beside each file, made by `collectstatic`, which
# `shanzhi serve` runs at start. A hashed file never changes, so it is cached for good ("immutable",
# WhiteNoise's ten years); a name without a hash (only reached by typing its URL) for an hour.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 0 if DEBUG else 3600
WHITENOISE_USE_FINDERS = DEBUG  # development serves the sources; production the collected files
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# Rate-limit counters (shanzhi.accounts.throttles) shared by every server worker process.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": str(DATA_DIR / "cache" / "throttle")},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shanzhi.accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "shanzhi.lib.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "shanzhi.lib.api.exception_handler",
    # Per client address: one-time-code requests and Open311 POSTs (shanzhi.accounts.throttles).
    "DEFAULT_THROTTLE_RATES": {
        "otp": os.environ.get("SHANZHI_OTP_RATE", "10/hour"),
        "open311_post": os.environ.get("SHANZHI_OPEN311_POST_RATE", "30/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shanzhi 善治 API",
    "DESCRIPTION": "Org units, posts, households and residents, scoped to the caller's posts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "shanzhi.lib.api.document_framework_errors"],
    # fields of one name with different choices in several apps get names of their own
    "ENUM_NAME_OVERRIDES": {
        "ResidentStatusEnum": "shanzhi.people.models.ResidentStatus",
        "TopicStatusEnum": "shanzhi.councils.models.TopicStatus",
        "TopicKindEnum": "shanzhi.councils.models.TopicKind",
        "UnitKindEnum": "shanzhi.org.models.UnitKind",
    },
}

# Domain settings
SHANZHI = {
    "COUNTY_CODE": os.environ.get("SHANZHI_COUNTY_CODE", "330421"),
    "CENTRAL_HOUSEHOLD_CAPACITY": int(os.environ.get("SHANZHI_CENTRAL_HOUSEHOLD_CAPACITY", "10")),
    "CENTRAL_HOUSEHOLD_SAME_MICROGRID": _env_bool("SHANZHI_CENTRAL_HOUSEHOLD_SAME_MICROGRID", True),
    # Separation of duties: whoever reported back may not verify or close the same case unless this is on.
    "ALLOW_SELF_VERIFY": _env_bool("SHANZHI_ALLOW_SELF_VERIFY"),
    # Failed log-ins (django-axes): per account and client address, and per address over all accounts.
    "LOGIN_MAX_FAILURES": int(os.environ.get("SHANZHI_LOGIN_FAILURE_LIMIT")
                              or os.environ.get("SHANZHI_LOGIN_MAX_FAILURES") or "5"),
    "LOGIN_IP_FAILURE_LIMIT": int(os.environ.get("SHANZHI_LOGIN_IP_FAILURE_LIMIT", "20")),
    "LOGIN_LOCK_MINUTES": int(os.environ.get("SHANZHI_LOGIN_LOCK_MINUTES", "15")),
    # Behind a proxy: the request header holding the client address (its last entry is used).
    "CLIENT_IP_HEADER": os.environ.get("SHANZHI_CLIENT_IP_HEADER", "").strip().upper().replace("-", "_"),
    "TOKEN_TTL_DAYS": int(os.environ.get("SHANZHI_TOKEN_TTL_DAYS", "30")),
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
    "MAP_LINK": os.environ.get("SHANZHI_MAP_LINK", ""),
    "PUBLIC_URL": os.environ.get("SHANZHI_PUBLIC_URL", "").rstrip("/"),
    "RATING_LINK_DAYS": int(os.environ.get("SHANZHI_RATING_LINK_DAYS", "7")),
    # The replica is read only while its replay is at most this many seconds behind (DATABASE_REPLICA_URL).
    "REPLICA_MAX_LAG_SECONDS": float(os.environ.get("SHANZHI_REPLICA_MAX_LAG_SECONDS", "30")),
    # The command centre's 人网比 target: residents per full-time grid worker a village should not exceed.
    "STAFF_RATIO_TARGET": int(os.environ.get("SHANZHI_STAFF_RATIO_TARGET", "1000")),
}

# django-axes: failed log-ins limited per (account, client address) pair, and per address over all
# accounts (shanzhi.accounts.login_limits). A refusal answers like a wrong password.
AXES_FAILURE_LIMIT = SHANZHI["LOGIN_MAX_FAILURES"]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=SHANZHI["LOGIN_LOCK_MINUTES"])
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock ends on time, tries during it or not
AXES_HANDLER = "shanzhi.accounts.login_limits.LoginLimitHandler"
AXES_LOCKOUT_CALLABLE = "shanzhi.accounts.login_limits.lockout_response"
AXES_CLIENT_IP_CALLABLE = "shanzhi.accounts.login_limits.client_address"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ADMIN = False  # attempts are cleared with `shanzhi unlock USERNAME` or the user admin's action
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
