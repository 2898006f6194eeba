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
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: concurrency tests need several connections to one database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-otklik.sqlite3")}  # noqa: F405
