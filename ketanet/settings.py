"""
Settings for ketanet, all read from the environment in this one module.

Every variable is listed, with its default, in `.env.example`. Development works
from a fresh checkout with DJANGO_DEBUG=1 (as `make run` sets); with debug off
the defaults are the production ones and a missing secret key stops start-up.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default):
    value = env_str(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be true or false (1/0, yes/no, on/off), not {value!r}."
    )


def env_number(name, default, convert, what):
    value = env_str(name)
    if not value:
        return default
    try:
        return convert(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}, not {value!r}.") from None


def env_int(name, default):
    return env_number(name, default, int, "a whole number")


def env_float(name, default):
    return env_number(name, default, float, "a number")


def env_list(name, default):
    value = env_str(name)
    if not value:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off: set it to a "
            "long random value shared by every server (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    # Only ever used with debug on, on a developer's machine.
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "django_ratelimit",
    # The shared app first: history, caching, security, site template tags.
    "core",
    "directory",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, so static files skip the rest of the stack.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before any admin view reads the address (PostgreSQL cannot compare text with NUL).
    "core.middleware.AdminNullCharacterMiddleware",
    # Before the response cache and the 503 page, which both need the page's language.
    "core.middleware.LocaleMiddleware",
    # Before anything that needs the database or a session: a cached page for an
    # anonymous visitor is answered from here (only with RESPONSE_CACHE_SECONDS),
    # with the policy headers below kept with it rather than built again.
    "core.cache.AnonymousResponseCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Inside the response cache, which then keeps pages compressed.
    "core.middleware.AnonymousGZipMiddleware",
    # A database outage becomes a 503 page, logged once (not a 500 per request).
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the signed-in editor on each history record.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketanet.urls"
WSGI_APPLICATION = "ketanet.wsgi.application"

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
            ],
        },
    },
]

# Widgets render through the site's own template engine, so a form may use a
# template from templates/ (the search form's one-template selects).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database ---------------------------------------------------------------

DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # SQLite will not create a missing folder, and var/ is git-ignored.
    DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that sends no query (core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # Fail fast when the server is down instead of hanging a worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3)
    )
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters sent apart from the SQL, so that a query shape seen twice on a
        # connection is prepared and not parsed and planned again: a search spends
        # about a fifth less time in PostgreSQL. Off for a pooler in transaction mode
        # (PgBouncer before 1.21), which cannot keep a statement on one connection.
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
    # No parallel workers for a query: PostgreSQL chose them for the searches of a big
    # directory, where starting a worker took longer than the search (a search at a
    # million providers: 71 → 52 ms), and a busy site's requests already keep the cores
    # busy. Raise it for a server that runs a few long reports instead.
    parallel_workers = env_int("DATABASE_PARALLEL_WORKERS", 0)
    # No JIT compiling either (DATABASE_JIT=1 to allow it): PostgreSQL compiles a query
    # whose plan it guesses is costly, and at a million providers a name search that
    # found nothing spent 20-45 ms compiling; the site's queries are short.
    jit = "on" if env_bool("DATABASE_JIT", False) else "off"
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(
        filter(
            None,
            [
                DATABASES["default"]["OPTIONS"].get("options"),
                f"-c max_parallel_workers_per_gather={parallel_workers}",
                f"-c jit={jit}",
            ],
        )
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections buy nothing for a local file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ketanet",
            # A cache that is down must not hold a request for long.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Template fragments that depend only on the code and the page's language (the
# header and footer: templates/base.html), drawn once per process and kept here:
# every process draws the same, so nothing needs sharing or dropping. Fragments
# drawn from content (an article's text, whole article and profile pages for
# anonymous readers, a search's at-home options, as cards, as the search page's HTML
# and as the API's rows for each host) are kept with the content version they were
# drawn under, and drawn again after a save; old ones are dropped least recently used
# first, past MAX_ENTRIES (a page is 15-30 kB, a big state's every at-home option
# about 90 kB at 100,000 providers: some 30-90 MB a process at most).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 1000},
}
# Whole pages for anonymous visitors, dropped on any edit (ketanet/cache.py). Only
# a shared cache can drop them on every server at once, so it is on with Redis.
RESPONSE_CACHE_SECONDS = env_int("RESPONSE_CACHE_SECONDS", 300 if REDIS_URL else 0)

# --- Auth -------------------------------------------------------------------

# Only editors and admins have accounts, and an account can change what patients read.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes counts failed logins (in the shared database, so every server
# sees them) and locks out a username from one address after too many.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 60))
# By username and address together: someone guessing elsewhere cannot lock an
# editor out of their own desk, and one address cannot try every username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes_lockout.html"
# No start-up banner in every manage.py command; failures are still logged.
AXES_VERBOSE = False
# Behind N reverse proxies that each append to X-Forwarded-For, the client is
# the Nth address from the right; anything further left the client wrote
# itself. 0 (default): the connecting address, as when gunicorn faces the internet.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"

# Where the admin lives, e.g. "backstage-7f3k/": a path nobody guesses cuts
# the password-guessing noise. Never listed in robots.txt.
ADMIN_URL = env_str("DJANGO_ADMIN_URL") or "admin/"
if not re.fullmatch(r"([A-Za-z0-9_~-][A-Za-z0-9._~-]*/)+", ADMIN_URL):
    raise ImproperlyConfigured(
        f"DJANGO_ADMIN_URL must be a path like 'admin/' or 'staff/admin/': letters, digits, "
        f"'.', '_', '~', '-' (not first) and inner slashes, ending in '/' with no leading '/', "
        f"not {ADMIN_URL!r}."
    )

# An editor's session ends when the browser closes, and in any case after
# SESSION_COOKIE_AGE seconds without a change to the session: browsers that
# restore "closed" sessions, and a desk left unlocked, are the risks.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation -----------------------------------------------------

# English at the site's original addresses, Spanish under /es/ (i18n_patterns in
# ketanet/urls.py). The language comes from the URL only: never from the browser's
# Accept-Language header or a cookie, so a page has one language per address.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Spanish numbers as U.S. government sites in Spanish write them (README, "Languages").
FORMAT_MODULE_PATH = ["ketanet.formats"]
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Fingerprinted, gzip- and brotli-compressed names, cached for a year by WhiteNoise.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or BASE_DIR / "var" / "media")

# --- API ------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Public and read-only: no sessions, no cookies, JSON only.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # orjson: the search's 20 clinics and 70-odd at-home rows in about a tenth of the
    # time the json module takes (docs/performance.md).
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ketanet directory API",
    "DESCRIPTION": "Search U.S. ketamine clinics by distance and at-home services by state.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.blank_means_absent",
    ],
}

# --- Geocoding ------------------------------------------------------------------
# How an editor's address becomes coordinates (directory/geocoding.py). The
# default, "gazetteer", is offline: the ZIP code's centre. Any geopy service
# name (e.g. "nominatim") sends the address there, at most once a second.

GEOCODER = env_str("GEOCODER", "gazetteer").lower()
GEOCODER_DOMAIN = env_str("GEOCODER_DOMAIN")
GEOCODER_SCHEME = env_str("GEOCODER_SCHEME", "https")
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", "ketanet-directory")
GEOCODER_TIMEOUT = env_float("GEOCODER_TIMEOUT", 5.0)

# --- Editors' imports -------------------------------------------------------------

# The uploaded file waits between preview and confirm in the cache, not on one
# server's disk. With Redis any server can take the confirm; without it only the
# process that showed the preview can (another answers "upload it again").
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# The largest CSV file an import accepts, in bytes, on the command line and in
# the admin alike; a larger upload is refused before it is read.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# The admin previews and confirms an import inside a request (gunicorn's timeout
# is 30 s); a file with more rows is refused there with advice to use the command.
IMPORT_ADMIN_MAX_ROWS = env_int("IMPORT_ADMIN_MAX_ROWS", 2500)

# --- Email ----------------------------------------------------------------------
# Confirmation links to practices and (optionally) notices to editors. With no
# EMAIL_HOST the messages are printed to the console (`make run`); a server
# that should send mail sets EMAIL_HOST and friends.

EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587 if EMAIL_HOST else 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", bool(EMAIL_HOST_USER))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ketanet <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's address in links sent by email (no request to take it from when an
# editor resends from a script), e.g. https://ketanet.example
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Reports, suggestions and practice updates (directory/moderation.py) ----------

# Email every active member of the Editors group when a new item arrives.
MODERATION_NOTIFY_EDITORS = env_bool("MODERATION_NOTIFY_EDITORS", False)
# Days an item is kept before purge_moderation deletes it.
MODERATION_RETENTION_DAYS = env_int("MODERATION_RETENTION_DAYS", 365)
# Seconds a person needs at least to fill a form; a faster post is a bot's.
FORM_MIN_FILL_SECONDS = env_float("FORM_MIN_FILL_SECONDS", 3.0)
# Posts to one form from one address, per hour (django-ratelimit, in the
# shared cache: with Redis every server counts together).
FORM_RATE_LIMIT = env_str("FORM_RATE_LIMIT", "5/h")
RATELIMIT_USE_CACHE = "default"
# While the cache is down, posts are not counted rather than all refused: a
# patient can still report a closed clinic (the honeypot and fill time still apply).
RATELIMIT_FAIL_OPEN = True
if not REDIS_URL:
    # Without Redis each process counts for itself (a development server has
    # one); production runs with REDIS_URL, so all servers count together.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
else:
    # core.cache.ResilientRedisCache is Django's Redis cache, whose incr is atomic.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# --- Security -----------------------------------------------------------------
# With debug off every default is the secure one. `make serve` (plain HTTP on
# 127.0.0.1) turns off only the HTTPS redirect and the secure-cookie flags.

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# A condition in a search URL must not reach a clinic's site through Referer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Every script, style, image and font comes from the site itself: no inline
# script or style (JSON-LD data blocks are not executed, so CSP allows them).
# Django's admin and the import pages need no exception (tests/browser/test_csp.py
# watches Chromium for violations); django-import-export's export form, whose
# "Select all" box is an inline handler, is skipped (skip_export_form).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Geolocation for "Use my location" on this site only; no other powerful
# feature, for the site or for anything it might ever embed.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    **dict.fromkeys(
        [
            "browsing-topics",
            "camera",
            "display-capture",
            "microphone",
            "midi",
            "payment",
            "usb",
            "serial",
            "hid",
            "accelerometer",
            "gyroscope",
            "magnetometer",
            "publickey-credentials-get",
            "screen-wake-lock",
            "xr-spatial-tracking",
        ],
        (),
    ),
}

SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Logging ------------------------------------------------------------------

LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Keep SQL out of the logs even when LOG_LEVEL is DEBUG.
        "django.db.backends": {"level": "INFO"},
    },
}
