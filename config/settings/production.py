"""Production: refuses to start without a real secret key and with insecure defaults.

Runs behind nginx (``deploy/nginx/otklik.conf``) under gunicorn (``otklik serve``): TLS ends at
nginx, which says so in ``X-Forwarded-Proto``; static files are hashed and compressed by
whitenoise (nginx serves them from ``STATIC_ROOT`` directly); logs are JSON lines with the
request id. Uploaded files stay on the local disk unless ``OTKLIK_MEDIA_S3_BUCKET`` names an
S3-compatible bucket (``pip install 'otklik[s3]'``).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, env, env_bool

SECRET_KEY = env("SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY.startswith("dev-insecure") or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "OTKLIK_SECRET_KEY must be set to a random string of at least 32 characters in production."
    )
DEBUG = False
SESSION_COOKIE_SECURE = env_bool("COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("COOKIE_SECURE", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False

_default_storage: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if env("MEDIA_S3_BUCKET"):
    # django-storages' S3 back-end: AWS, Yandex Object Storage, VK Cloud, MinIO and the like.
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("MEDIA_S3_BUCKET"),
            "endpoint_url": env("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": env("MEDIA_S3_REGION") or None,
            "access_key": env("MEDIA_S3_ACCESS_KEY") or None,
            "secret_key": env("MEDIA_S3_SECRET_KEY") or None,
            "location": env("MEDIA_S3_PREFIX", "media"),
            "default_acl": None,
            "querystring_auth": True,  # private objects: links are signed and expire
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "otklik.core.staticfiles.ForgivingManifestStorage"},
}

if env("LOG_FORMAT", "json") == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"  # type: ignore[index]
LOGGING["loggers"]["otklik.request"] = {"level": "INFO" if env_bool("ACCESS_LOG", True) else "WARNING"}  # type: ignore[index]
