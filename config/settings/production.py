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

# --- Security (h15a): HTTPS, proxy headers, hosts, two-factor ---------------------------------
# Hosts: the public name(s) must be listed; loopback is there for the health check.
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()]
# HSTS is sent only on HTTPS requests (which Django recognises behind a proxy only with the
# header below).
SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
# The proxy's HTTPS header is trusted only when named, e.g. OTKLIK_PROXY_SSL_HEADER=X-Forwarded-Proto,
# and only behind a proxy that sets it on every request (a client could send it otherwise).
_PROXY_SSL_HEADER = env("PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# Django redirects HTTP to HTTPS only when asked: normally the reverse proxy does it (and answers
# port 80 itself), and a redirect here without the proxy's header would loop.
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", False)
if not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
OTKLIK_REQUIRE_2FA = env_bool("REQUIRE_2FA", True)
# ---------------------------------------------------------------------------------------------

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
