"""Settings shared by every environment.

Everything that differs between a laptop and production comes from ``OTKLIK_*`` environment
variables, with safe embedded defaults: SQLite (WAL) under ``OTKLIK_DATA_DIR`` and a Celery broker on
the same kind of file through kombu's SQLAlchemy transport, so that ``make run`` needs no servers.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"OTKLIK_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
OTKLIK_DATA_DIR = DATA_DIR

SECRET_KEY = env("SECRET_KEY", "dev-insecure-otklik-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Security (h15a): login throttling, two-factor, CSP; "ninja" serves the API docs' assets from
    # its wheel instead of a CDN.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "ninja",
    "otklik.core",
    "otklik.security",
    "otklik.organization",
    "otklik.inbox",
    "otklik.cases",
    "otklik.sla",
    "otklik.triage",
    "otklik.sources",
    "otklik.reports",
    "otklik.notify",
    "otklik.api",
    "otklik.privacy",
    "otklik.web",
]

MIDDLEWARE = [
    "otklik.core.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "otklik.security.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "otklik.web.middleware.ActorTimezoneMiddleware",
    # After the actor (the error pages show the top bar); sees Django's DEBUG 404 pages to replace them.
    "otklik.web.middleware.ErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the request into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# <select> written in Python (otklik/web/renderer.py); every other widget by Django's templates.
FORM_RENDERER = "otklik.web.renderer.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "otklik.notify.context_processors.notifications",
                "otklik.organization.context_processors.calendar_warning",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'otklik.sqlite3'}"
DATABASE_URL = env("DATABASE_URL", DEFAULT_SQLITE_URL)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat read while one of them writes; the busy
    # timeout makes a writer wait for the lock instead of failing at once. A connection is kept
    # between requests as on PostgreSQL: opening one (file, WAL, the three pragmas) was 7 % of
    # a list page's CPU in the app server. Outside a transaction it holds no lock nor snapshot.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Planner settings sent as session options with each connection (no superuser needed); an
    # empty variable leaves the server's value (behind PgBouncer, which refuses startup options
    # unless `ignore_startup_parameters = options`, empty them and set them on the database).
    #
    # - random_page_cost 1.1: the default 4 prices an index probe for a spinning disk. Our tables
    #   live in RAM or on SSD, and with 4 the planner read all 100,000 topic links to count one
    #   month's 400 cases (17 ms against 1.3 ms by the index).
    # - max_parallel_workers_per_gather 0: a page's queries are short, and starting parallel
    #   workers for them cost more than they saved — on 2 cores, with 4 clients, the Head's
    #   dashboard at 1,000,000 cases took 746 ms at p95 with them and 256 without (each count of
    #   1.5 ms of work waited ~20 ms for its workers). The monthly report's scans are the
    #   exception that could use them; at a million cases it stays well within its 30 s.
    _pg_session = []
    for _variable, _setting, _default, _kind in (
        ("PG_RANDOM_PAGE_COST", "random_page_cost", "1.1", float),
        ("PG_PARALLEL_WORKERS", "max_parallel_workers_per_gather", "0", int),
    ):
        _value = env(_variable, _default).strip()
        if not _value:
            continue
        try:
            _pg_session.append(f"-c {_setting}={_kind(_value)}")
        except ValueError:
            from django.core.exceptions import ImproperlyConfigured

            _what = "a number (e.g. 1.1)" if _kind is float else "a whole number (e.g. 0)"
            raise ImproperlyConfigured(f"OTKLIK_{_variable} must be {_what} or empty, not {_value!r}.") from None
    if _pg_session:
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"]["options"] = " ".join(
            [DATABASES["default"]["OPTIONS"].get("options", ""), *_pg_session]
        ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Русский")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "otklik" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Asia/Chita")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root before collectstatic
STATICFILES_DIRS = [BASE_DIR / "otklik" / "web" / "vendor"] if (BASE_DIR / "otklik" / "web" / "vendor").exists() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# ---------------------------------------------------------------------------------------------
# Security (h15a): sign-in, two-factor, API tokens and limits, headers. See README «Безопасность».

# django-axes: a wrong password from one address for one login, OTKLIK_LOGIN_FAILURE_LIMIT times,
# locks that pair out for OTKLIK_LOGIN_COOLOFF_MINUTES. By (login, address) and not by address
# alone: an administration's staff sit behind one NAT address, and one person's typos must not
# lock out the office; nor by login alone, which would let anyone lock the Head out.
AUTHENTICATION_BACKENDS = [
    "otklik.security.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(env("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "otklik.security.network.client_ip"
AXES_LOCKOUT_CALLABLE = "otklik.security.views.locked_out"
AXES_VERBOSE = False

# Two-factor (django-otp, TOTP + recovery codes). Required, when on, of the Head, the responsible
# official, curators, the administration's administrator and Django staff; whoever has enrolled a
# device is asked for a code whether it is required or not.
OTKLIK_REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
OTP_TOTP_ISSUER = env("TOTP_ISSUER", "Otklik")
# The admin may delete a person's devices (a lost phone) but never sees their keys or codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTKLIK_RECOVERY_CODES = 10

# The client's address, for throttling: REMOTE_ADDR unless the site sits behind this many
# reverse proxies that each append to X-Forwarded-For (never trusted otherwise).
OTKLIK_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# API tokens and rate limits (per token, or per person for the UI's session), counted in the cache.
OTKLIK_API_TOKEN_DAYS = int(env("API_TOKEN_DAYS", "90"))
OTKLIK_API_TOKEN_MAX_DAYS = 366
OTKLIK_API_RATE = env("API_RATE", "600/m")
OTKLIK_API_WRITE_RATE = env("API_WRITE_RATE", "120/m")
OTKLIK_API_AUTH_FAILURE_RATE = env("API_AUTH_FAILURE_RATE", "30/m")

# The cache holds the rate-limit counters: one per process by default, shared when it is Redis
# (OTKLIK_CACHE_URL=redis://…; the broker's Redis is used when the broker is Redis).
_CACHE_URL = env("CACHE_URL", "")
if not _CACHE_URL and env("BROKER_URL", "").startswith(("redis://", "rediss://")):
    _CACHE_URL = env("BROKER_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL, "KEY_PREFIX": "otklik"}
        if _CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "otklik"}
    )
}

# Files (attachments, stored reports) are served only by views that check rights. With a reverse
# proxy the view answers with a header and the proxy sends the file: nginx's X-Accel-Redirect to
# OTKLIK_X_ACCEL_REDIRECT_PREFIX (an ``internal`` location aliased to MEDIA_ROOT), or X-Sendfile
# (Apache mod_xsendfile, lighttpd) with OTKLIK_X_SENDFILE=1. Neither: Django streams the file.
OTKLIK_X_ACCEL_REDIRECT_PREFIX = env("X_ACCEL_REDIRECT_PREFIX", "")
OTKLIK_X_SENDFILE = env_bool("X_SENDFILE", False)

# Content Security Policy (django-csp): no inline script or style, nothing from other origins.
# Downloads carry their own stricter policy (sandbox), which the middleware leaves alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# ---------------------------------------------------------------------------------------------

# Sessions live in the database (Django's default, said here on purpose): any web replica can
# serve any request, nothing is kept in a process. ``OTKLIK_SESSIONS=redis`` keeps them in Redis
# (``OTKLIK_REDIS_URL``) instead, through Django's cache. ``otklik.security.sessions`` is
# Django's database engine with its read as one plain query (every page reads its session).
SESSION_ENGINE = "otklik.security.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 60 * 60 * 12

# Celery: the embedded default keeps its queue in SQLite next to the database.
CELERY_BROKER_URL = env("BROKER_URL", f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Tasks are idempotent and acknowledged after they ran: a worker that dies mid-task leaves the
# message to be delivered again (to itself after a restart, or to another worker).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # our LOGGING (structured, with the request id) stays
# One queue per kind of work, so a slow report or a flood of triage never holds up publication;
# ``celery`` takes the rest (sweeps, heartbeats). Workers choose queues with ``-Q``
# (``OTKLIK_WORKER_QUEUES``); one worker takes all of them by default.
OTKLIK_QUEUES = ("ingest", "triage", "publish", "notify", "reports", "celery")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "otklik.sources.tasks.*": {"queue": "ingest"},
    "otklik.inbox.tasks.*": {"queue": "triage"},
    "otklik.triage.tasks.*": {"queue": "triage"},
    "otklik.cases.tasks.*": {"queue": "publish"},
    "otklik.notify.tasks.*": {"queue": "notify"},
    "otklik.sla.tasks.*": {"queue": "notify"},
    "otklik.reports.tasks.*": {"queue": "reports"},
    "otklik.privacy.tasks.*": {"queue": "reports"},
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged task goes back to the queue after this long: longer than the longest task
    # (the nightly retraining may run an hour), or a running task would be handed out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
if CELERY_BROKER_URL.startswith("sqla+"):
    # The SQL broker is polled, by default once a second, and with prefetch 1 and acks_late a worker
    # takes only `concurrency` tasks per poll (~2 tasks/s): the backlog `otklik demo` leaves then
    # delays source polling by minutes. kombu's SQLAlchemy transport passes broker_transport_options
    # to create_engine, so the interval cannot be set there; it is a class attribute.
    from kombu.transport import sqlalchemy as _kombu_sqla

    _kombu_sqla.Transport.polling_interval = 0.2
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "otklik.core.beat:Scheduler"
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sla-sweep": {"task": "otklik.sla.tasks.sweep_breaches", "schedule": 60.0},
    "publish-due": {"task": "otklik.cases.tasks.publish_due", "schedule": 60.0},
    "poll-sources": {"task": "otklik.sources.tasks.poll_due_sources", "schedule": 30.0},
    "notify-reminders": {"task": "otklik.notify.tasks.send_reminders", "schedule": 60.0},
    "notify-escalations": {"task": "otklik.notify.tasks.escalations", "schedule": 60.0},
    "notify-retry": {"task": "otklik.notify.tasks.retry_failed_deliveries", "schedule": 120.0},
    "reports-monthly": {"task": "otklik.reports.tasks.monthly_dispatch", "schedule": 3600.0},
    # More often than the kept figures run out (``reports.figures.PAST_TTL``, 15 minutes).
    "reports-dashboards": {"task": "otklik.reports.tasks.keep_dashboards_counted", "schedule": 600.0},
    "triage-labels": {"task": "otklik.triage.tasks.label_decisions", "schedule": 300.0},
    # 18:30 UTC = 03:30 in Chita (UTC+9): the night of the first customer.
    "triage-retrain": {"task": "otklik.triage.tasks.retrain_topic_models", "schedule": crontab(hour=18, minute=30)},
    # 152-ФЗ: personal data past the administration's retention period is pseudonymised daily.
    "privacy-retention": {"task": "otklik.privacy.tasks.apply_retention", "schedule": crontab(hour=17, minute=45)},
    # The query planner's statistics (SQLite keeps none by itself): ``otklik.core.tasks``.
    "db-statistics": {
        "task": "otklik.core.tasks.refresh_statistics",
        "schedule": crontab(hour=18, minute=10),
        "options": {"queue": "reports"},
    },
}
# The retention when an administration has set no policy (months; ``otklik.privacy``), and the key
# of the pseudonyms (default: SECRET_KEY; set it to keep pseudonyms stable across a key rotation).
OTKLIK_RETENTION_DEFAULTS = {
    "months_after_closed": int(env("RETENTION_MONTHS_CLOSED", "36")),
    "months_after_dismissed": int(env("RETENTION_MONTHS_DISMISSED", "12")),
}
OTKLIK_PSEUDONYM_KEY = env("PSEUDONYM_KEY", "")
# A heartbeat into every queue: /healthz tells which queue has no worker taking from it.
for _queue in OTKLIK_QUEUES:
    CELERY_BEAT_SCHEDULE[f"heartbeat-{_queue}"] = {
        "task": "otklik.core.tasks.heartbeat",
        "schedule": 30.0,
        "options": {"queue": _queue, "expires": 120},
    }

# Shared state of several processes and machines (locks, rate limits, heartbeats:
# ``otklik.core.coordination``): Redis when given or when the broker is Redis, else files.
OTKLIK_REDIS_URL = env("REDIS_URL", "")
if env("SESSIONS") == "redis":
    _redis = OTKLIK_REDIS_URL or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
    if not _redis:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("OTKLIK_SESSIONS=redis needs OTKLIK_REDIS_URL (or a Redis broker).")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
# Calls a second per network credential, shared by all workers (0 = no limit). VK: 3 a second
# for a user's key (20 for a community's); Telegram: about 30 messages a second per bot; MAX: 30
# requests a second; OK documents no figure, so we stay modest. ``OTKLIK_RATE_LIMITS=vk=20,ok=3``.
OTKLIK_RATE_LIMITS: dict[str, float] = {"vk": 3.0, "telegram": 25.0, "ok": 5.0, "max": 25.0, "feed": 2.0}
for _item in env("RATE_LIMITS", "").split(","):
    if "=" in _item:
        _net, _rate = _item.split("=", 1)
        OTKLIK_RATE_LIMITS[_net.strip()] = float(_rate)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "otklik@localhost")

# Network connectors: base URLs are configurable so the demo and the tests use the fake servers.
OTKLIK_VK_API_URL = env("VK_API_URL", "https://api.vk.com/method")
OTKLIK_TELEGRAM_API_URL = env("TELEGRAM_API_URL", "https://api.telegram.org")
OTKLIK_OK_API_URL = env("OK_API_URL", "https://api.ok.ru/fb.do")
OTKLIK_MAX_API_URL = env("MAX_API_URL", "https://platform-api2.max.ru")
OTKLIK_NOTIFY_TELEGRAM_TOKEN = env("NOTIFY_TELEGRAM_TOKEN", "")
# The notification bot's username (for the t.me/<bot>?start=<code> link that binds a person's chat)
# and the secret Telegram sends with every webhook call (setWebhook's secret_token).
OTKLIK_NOTIFY_TELEGRAM_BOT = env("NOTIFY_TELEGRAM_BOT", "").lstrip("@")
OTKLIK_NOTIFY_TELEGRAM_SECRET = env("NOTIFY_TELEGRAM_SECRET", "")

# Logs: one line per record with the request id (``otklik.core.logs``); JSON in production
# (``OTKLIK_LOG_FORMAT=json``), plain text on a developer's terminal. ``otklik.request`` logs one
# line per request (off in development unless ``OTKLIK_ACCESS_LOG=1``).
LOG_FORMAT = env("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "otklik.core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "otklik.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per network API call floods the worker's log.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "otklik.request": {"level": "INFO" if env_bool("ACCESS_LOG", False) else "WARNING"},
    },
}
