"""The one settings module. Everything that differs between machines comes from the environment.

README.md (部署) lists the variables; DESIGN-NOTES.md ("Deployment defaults") says why each default is what it is.
Production is the default: demo mode (GONGHUI_DEMO=1, `make demo`), debug (GONGHUI_DEBUG=1) and the test suite
are the exceptions that may generate local keys and serve plain HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.keys import MissingKeysError, field_keys, local_secret, missing_keys_message

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGHUI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 应为 1 或 0，当前为 {value!r}（{name} must be 1 or 0）")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应为整数，当前为 {value!r}（{name} must be an integer）") from None


DEBUG = _flag("GONGHUI_DEBUG", False)
DEMO_MODE = _flag("GONGHUI_DEMO", False)
# pytest sets PYTEST_VERSION for the whole session (its xdist workers inherit it): the suite runs like a demo.
TESTING = bool(os.environ.get("PYTEST_VERSION"))
PRODUCTION = not (DEBUG or DEMO_MODE or TESTING)

_missing = [name for name in ("GONGHUI_SECRET_KEY", "GONGHUI_FIELD_KEYS") if not os.environ.get(name, "").strip()]
if PRODUCTION and _missing:
    raise MissingKeysError(missing_keys_message(_missing))
SECRET_KEY = os.environ.get("GONGHUI_SECRET_KEY", "").strip() or local_secret(VAR_DIR, "secret.key")
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
FIELD_KEYS = field_keys(os.environ.get("GONGHUI_FIELD_KEYS", "").strip() or local_secret(VAR_DIR, "field.key"))

# The address workers reach the site at (QR codes, posters); its host is allowed and its origin trusted for CSRF.
GONGHUI_PUBLIC_URL = os.environ.get("GONGHUI_PUBLIC_URL", "").strip().rstrip("/")
_public = urlsplit(GONGHUI_PUBLIC_URL) if GONGHUI_PUBLIC_URL else None

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("GONGHUI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("GONGHUI_CSRF_ORIGINS", "").split(",") if o.strip()]
if _public is not None and _public.hostname:
    ALLOWED_HOSTS.append(_public.hostname)
    CSRF_TRUSTED_ORIGINS.append(f"{_public.scheme}://{_public.netloc}")

INSTALLED_APPS = [
    # Django's admin with its site replaced: superusers only, 数智工会 系统管理 (gonghui/core/admin_site.py).
    "gonghui.core.admin_site.GonghuiAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_otp.plugins.otp_static",  # recovery codes for the second factor
    "ninja",  # serves the API docs' Swagger UI from its own static files instead of a CDN
    "gonghui.core",
    "gonghui.accounts",
    "gonghui.orgs",
    "gonghui.members",
    "gonghui.downloads",
    "gonghui.demands",
    "gonghui.campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gonghui.accounts.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gonghui" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gonghui.core.context_processors.site",
            ],
            # cn_date / cn_datetime / pct in every template: dates are written one way (2026年12月1日 14:05)
            "builtins": ["gonghui.core.templatetags.gh"],
        },
    }
]

# --- database -----------------------------------------------------------------------------------
_SQLITE_PATH = Path(os.environ.get("GONGHUI_SQLITE_PATH", VAR_DIR / "gonghui.sqlite3"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{_SQLITE_PATH}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Concurrent writers: WAL lets readers run beside one writer; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the busy timeout instead of failing half-way with "locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# the lockout counts the same client address as the join's rate limits (trusted proxies honoured): gonghui/core/clientip.py
AXES_CLIENT_IP_CALLABLE = "gonghui.core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
# API clients get a JSON 429 with a zh-hans `detail`; the console keeps the template above.
AXES_LOCKOUT_CALLABLE = "gonghui.accounts.lockout.lockout_response"

# The second factor: the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "数智工会"

# API tokens expire this many days after they are issued (an expired token answers 401 "令牌已过期").
GONGHUI_API_TOKEN_DAYS = int(os.environ.get("GONGHUI_API_TOKEN_DAYS", "90"))

# API lists: limit defaults to 100; a limit above 1000 (or a negative offset) is a 422, not silently clamped.
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000



def _cache_from_url(url: str) -> dict[str, object]:
    """CACHE_URL → the "default" cache. redis:// (or rediss://, unix://) is Django's own RedisCache, shared by every
    worker and fast; db:// (or unset) is the database cache, created by a migration, needing no other server."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if not url or scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "gonghui_cache",  # the table core.0002_cache_table creates
            # Rate-limit counters are one row per key (per IP, per ID number, per phone): at Django's default of
            # 300 rows every write of a joining burst would cull a third of them, resetting live counters.
            "OPTIONS": {"MAX_ENTRIES": 200_000},
        }
    if scheme in {"redis", "rediss", "unix"}:
        # Short socket timeouts: a stalled Redis answers joins and logins with an error in seconds, not minutes.
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    raise ImproperlyConfigured(
        f"CACHE_URL 不支持 {scheme or url!r}：请用 redis://主机:端口/库号 或 db://（CACHE_URL must be redis://… or db://）"
    )


CACHE_URL = os.environ.get("CACHE_URL", "").strip()
CACHES = {
    "default": _cache_from_url(CACHE_URL),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
CACHE_IS_REDIS = CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
if TESTING:
    # Counters in Redis outlive each test's rolled-back transaction: every test process writes under its own
    # prefix, which conftest.py empties after each test (never FLUSHDB: other runs may share the server).
    CACHES["default"]["KEY_PREFIX"] = f"gonghui-test-{os.getpid()}"
# Sessions follow the cache: in Redis they cost a join or a page no database write; with the database cache they
# stay in their own table (the default), where they always were.
if CACHE_IS_REDIS:
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
RATELIMIT_USE_CACHE = "default"

# 扫码入会 / e-card SMS login (gonghui/members/sms.py documents the backend interface for a real gateway).
GONGHUI_SMS_BACKEND = os.environ.get("GONGHUI_SMS_BACKEND", "gonghui.members.sms.FileSmsBackend")

# --- client IP and public-join limits (owned by members: gonghui/members/ratelimits.py) ------------------------
# Rate limits key on the real client IP. Behind a reverse proxy, list the proxies' CIDRs (comma-separated) in
# GONGHUI_TRUSTED_PROXIES; the client IP header (default X-Forwarded-For) is read ONLY when REMOTE_ADDR is one of
# them. Default: trust none (the header is ignored, a client cannot forge it).
GONGHUI_TRUSTED_PROXIES = [c.strip() for c in os.environ.get("GONGHUI_TRUSTED_PROXIES", "").split(",") if c.strip()]
GONGHUI_CLIENT_IP_HEADER = os.environ.get("GONGHUI_CLIENT_IP_HEADER", "X-Forwarded-For")
# Distinct ID numbers one client IP may try on the public join: everyday, and during a union's 活动模式.
GONGHUI_JOIN_DISTINCT_IP = os.environ.get("GONGHUI_JOIN_DISTINCT_IP", "100/h")
GONGHUI_JOIN_EVENT_DISTINCT_IP = os.environ.get("GONGHUI_JOIN_EVENT_DISTINCT_IP", "5000/h")
# --- end of the members block ------------------------------------------------------------------------------------

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("GONGHUI_TASKS_IMMEDIATE") == "1":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Working hours of the SLA clocks (demands): local time in TIME_ZONE, (start, end) "HH:MM" pairs on a working day.
GONGHUI_WORK_HOURS = (("09:00", "12:00"), ("13:00", "17:00"))

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "gonghui" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Uploads: a spreadsheet larger than this is refused before it is read.
GONGHUI_MAX_UPLOAD_BYTES = int(os.environ.get("GONGHUI_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- HTTPS (the production profile) -------------------------------------------------------------------------
# Production assumes HTTPS, terminated by gunicorn itself or by a reverse proxy: cookies only over TLS, plain HTTP
# redirected, HSTS for a year. Each default can be turned down by its variable (an intranet served over plain
# HTTP sets GONGHUI_HTTPS=0 and accepts what that costs); demo, debug and tests serve plain HTTP on 127.0.0.1.
HTTPS = _flag("GONGHUI_HTTPS", PRODUCTION)
SECURE_SSL_REDIRECT = _flag("GONGHUI_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _int("GONGHUI_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("GONGHUI_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = _flag("GONGHUI_HSTS_PRELOAD", HTTPS)
# Behind a TLS-terminating proxy: the header it sets to "https" (e.g. X-Forwarded-Proto). Set it only when the proxy
# always overwrites that header: anyone could otherwise claim HTTPS. Unset, requests are HTTPS only when they are.
_ssl_header = os.environ.get("GONGHUI_PROXY_SSL_HEADER", "").strip()
if _ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _ssl_header.upper().replace("-", "_"), "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Content-Security-Policy (django-csp) -------------------------------------------------------------------
# Scripts only from our own static files: no inline <script>, no on*= handlers, no eval (JSON data rides in
# json_script blocks or data-* attributes). Styles allow inline: templates and the vendored Bootstrap, htmx and
# ECharts set style attributes, and a style cannot run code. QR codes are inline SVG; Swagger UI draws data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    },
}

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# shell helper: the console's zh-hans CSRF failure page; the public address printed on QR codes and posters
# ("" = the request's own host, allowed only in demo mode).
CSRF_FAILURE_VIEW = "gonghui.core.views.csrf_failure"
GONGHUI_PUBLIC_URL = os.environ.get("GONGHUI_PUBLIC_URL", "").rstrip("/")
