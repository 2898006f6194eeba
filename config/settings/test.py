"""Test settings: fast hashing, in-memory mail, eager Celery unless a test starts a worker."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Network rates are tested on their own (tests/integration/test_coordination.py); the fakes answer
# at once and the suite would otherwise wait for VK's 3 calls a second.
OTKLIK_RATE_LIMITS = {}
# One cache per test process, whatever the broker: rate-limit counters must not leak between runs
# or between the two xdist workers sharing a Redis database. Limits high enough that scenario
# tests never meet them; tests/integration/test_api_tokens.py sets low ones to test them.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "otklik-test"}}
OTKLIK_API_RATE = "100000/m"
OTKLIK_API_WRITE_RATE = "100000/m"
OTKLIK_API_AUTH_FAILURE_RATE = "100000/m"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: concurrency tests need several connections to one database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-otklik.sqlite3")}  # noqa: F405
